/* GEMM throughput on square and GPT-2 (small) shapes, forward and both backward layouts.
 *
 * Usage: gemm [--only PREFIX] [threads ...]   (default: 1 2). One line per shape (whose name starts with PREFIX)
 * and thread count:
 *   axon <shape> <layout> <M> <N> <K> <threads> <GFLOP/s>
 *        gemm --list          the shapes, "<shape> <layout> <M> <N> <K>" per line
 * tools/bench_gemm_torch.py times torch.mm on the listed shapes; bench/run.sh gemm joins the two.
 * Each figure is the best of several timed runs after a warm-up (the box is shared and noisy). */
#include "axon.h"
#include "backend/cpu/gemm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    const char *name;   // shape name shared with the PyTorch script
    bool ta, tb;        // layout: C = op(A) · op(B)
    int64_t M, N, K;    // C is M×N, the inner dimension K
} shape;

/* GPT layers as x (T×in) · Wᵀ with W (out, in): forward NT; dX = dY · W: NN; dW = dYᵀ · X: TN. */
static const shape shapes[] = {
    {"sq256", false, false, 256, 256, 256},     {"sq512", false, false, 512, 512, 512},
    {"sq1024", false, false, 1024, 1024, 1024}, {"sq2048", false, false, 2048, 2048, 2048},
    {"fc_fwd", false, true, 768, 3072, 768},    {"fc_dx", false, false, 768, 768, 3072},
    {"fc_dw", true, false, 3072, 768, 768},     {"proj_fwd", false, true, 768, 768, 3072},
    {"proj_dx", false, false, 768, 3072, 768},  {"proj_dw", true, false, 768, 3072, 768},
    {"lm_fwd", false, true, 768, 50257, 768},   {"lm_dx", false, false, 768, 768, 50257},
    {"lm_dw", true, false, 50257, 768, 768},
    /* nanoGPT's CPU config (B·T = 768 rows, C = 128) with GPT-2's Conv1D weights W (in, out): forward x·W NN,
     * dX = dY·Wᵀ NT, dW = Xᵀ·dY TN (the *_f, *_x, *_w shapes; not in the RESULT line's GPT-2 minimum) */
    {"nano_qkv_f", false, false, 768, 384, 128}, {"nano_qkv_x", false, true, 768, 128, 384},
    {"nano_qkv_w", true, false, 128, 384, 768},  {"nano_fc_f", false, false, 768, 512, 128},
    {"nano_fc_x", false, true, 768, 128, 512},   {"nano_fc_w", true, false, 128, 512, 768},
    {"nano_proj_f", false, false, 768, 128, 512}, {"nano_proj_x", false, true, 768, 512, 128},
    {"nano_proj_w", true, false, 512, 128, 768},
};

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float *random_matrix(int64_t n) {
    float *m = malloc((size_t)n * sizeof *m);
    AX_ASSERT(m, "out of memory for a %lld-float benchmark matrix", (long long)n);
    ax_rng *g = ax_rng_global();
    for (int64_t i = 0; i < n; i++) m[i] = 2.0f * ax_rng_uniform(g) - 1.0f;
    return m;
}

// Best GFLOP/s over runs totalling at least ~1 s (at least 3 runs) after one warm-up.
static double measure(const shape *s, const float *a, const float *b, float *c) {
    int64_t lda = s->ta ? s->M : s->K, ldb = s->tb ? s->K : s->N;
    double best = 1e30, spent = 0;
    ax_gemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, a, lda, b, ldb, 0.0f, c, s->N);
    for (int run = 0; run < 3 || (spent < 1.0 && run < 200); run++) {
        double t = now();
        ax_gemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, a, lda, b, ldb, 0.0f, c, s->N);
        t = now() - t;
        spent += t;
        if (t < best) best = t;
    }
    return 2.0 * (double)s->M * (double)s->N * (double)s->K / best * 1e-9;
}

static void print_shape(const shape *s) {
    printf("%s %c%c %lld %lld %lld", s->name, s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', (long long)s->M, (long long)s->N,
           (long long)s->K);
}

int main(int argc, char **argv) {
    int threads[8] = {1, 2}, n_threads = 2;
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) print_shape(&shapes[i]), putchar('\n');
        return 0;
    }
    const char *only = "";
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "--only") == 0) only = argv[2], first = 3;
    if (argc > first) {
        n_threads = 0;
        for (int i = first; i < argc && n_threads < 8; i++) threads[n_threads++] = atoi(argv[i]);
    }
    ax_manual_seed(1);
    const char *wait = getenv("OMP_WAIT_POLICY");
    printf("# axon GEMM, micro-kernel %s, OMP_WAIT_POLICY=%s\n", ax_gemm_isa_name(), wait ? wait : "(default)");
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        const shape *s = &shapes[i];
        if (strncmp(s->name, only, strlen(only)) != 0) continue;
        float *a = random_matrix(s->M * s->K), *b = random_matrix(s->K * s->N), *c = random_matrix(s->M * s->N);
        for (int t = 0; t < n_threads; t++) {
            ax_set_threads(threads[t]);
            double gflops = measure(s, a, b, c);
            printf("axon ");
            print_shape(s);
            printf(" %d %.1f\n", threads[t], gflops);
            fflush(stdout);
        }
        free(a);
        free(b);
        free(c);
    }
    return 0;
}
