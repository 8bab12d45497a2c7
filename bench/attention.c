/* Fused attention (ax_attention) time on GPT-2-small heads: B = 1, H = 12, D = 64, causal, T = 64, 256, 1024.
 *
 * Usage: attention [threads ...]   (default: 1 2). One line per T, thread count and mode:
 *   axon <T> <threads> <mode> <ms>
 * modes: fwd       forward alone, grad mode off
 *        fwdbwd    forward + backward, q, k, v contiguous (B, H, T, D)
 *        view      forward + backward, q, k, v transposed views of (B, T, H, D) leaves read through strides
 *        packed    as view, but each view copied contiguous first (ax_contiguous) and the copy's backward too
 * tools/bench_attention_torch.py times PyTorch's explicit composition; bench/attention.sh joins the two.
 * Each figure is the best of several timed runs after a warm-up (the box is shared and noisy). */
#include "axon.h"
#include "backend/cpu/attention_kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define B 1
#define H 12
#define D 64

typedef enum { FWD, FWDBWD, VIEW, PACKED } mode;
static const char *mode_names[] = {"fwd", "fwdbwd", "view", "packed"};

typedef struct {
    int64_t T;        // sequence length
    ax_tensor *x[3];  // q, k, v leaves: (B, H, T, D), or (B, T, H, D) for the view modes
    ax_tensor *r;     // (B, H, T, D) the gradient of the output
} inputs;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static ax_tensor *random_leaf(int64_t d1, int64_t d2) {
    ax_tensor *x = ax_tensor_new(AX_F32, AX_SHAPE(B, d1, d2, D));
    float *p = ax_f32(x);
    for (int64_t i = 0; i < ax_numel(x); i++) p[i] = 2.0f * ax_rng_uniform(ax_rng_global()) - 1.0f;
    ax_requires_grad(x, true);
    return x;
}

static ax_tensor *as_heads(ax_tensor *x, mode m) {
    if (m == FWD || m == FWDBWD) return x;
    ax_tensor *v = ax_transpose(x, 1, 2);
    return m == PACKED ? ax_contiguous(v) : v;
}

static void step(const inputs *in, mode m) {
    bool was = ax_set_grad_enabled(m != FWD);
    ax_tensor *out = ax_attention(as_heads(in->x[0], m), as_heads(in->x[1], m), as_heads(in->x[2], m), NULL, true,
                                  1.0f / sqrtf((float)D));
    if (m != FWD) ax_backward_from(out, in->r);
    ax_set_grad_enabled(was);
    ax_arena_reset();
}

// Best milliseconds over runs totalling at least ~1 s (at least 3 runs) after one warm-up.
static double measure(const inputs *in, mode m) {
    double best = 1e30, spent = 0;
    step(in, m);
    for (int run = 0; run < 3 || (spent < 1.0 && run < 500); run++) {
        double t = now();
        step(in, m);
        t = now() - t;
        spent += t;
        if (t < best) best = t;
    }
    return best * 1e3;
}

static void free_inputs(inputs *in) {
    for (int i = 0; i < 3; i++) ax_tensor_free(in->x[i]);
    ax_tensor_free(in->r);
}

int main(int argc, char **argv) {
    static const int64_t lengths[] = {64, 256, 1024};
    int threads[8] = {1, 2}, n_threads = 2;
    if (argc > 1) {
        n_threads = 0;
        for (int i = 1; i < argc && n_threads < 8; i++) threads[n_threads++] = atoi(argv[i]);
    }
    ax_manual_seed(1);
    const char *wait = getenv("OMP_WAIT_POLICY");
    printf("# axon attention, B=%d H=%d D=%d causal, kernels %s, OMP_WAIT_POLICY=%s\n", B, H, D, ax_attn_isa_name(),
           wait ? wait : "(default)");
    for (size_t l = 0; l < sizeof lengths / sizeof *lengths; l++) {
        int64_t T = lengths[l];
        for (int m = FWD; m <= PACKED; m++) {
            bool bthd = m == VIEW || m == PACKED;
            inputs in = {T, {NULL}, ax_tensor_new(AX_F32, AX_SHAPE(B, H, T, D))};
            for (int i = 0; i < 3; i++) in.x[i] = bthd ? random_leaf(T, H) : random_leaf(H, T);
            float *r = ax_f32(in.r);
            for (int64_t i = 0; i < ax_numel(in.r); i++) r[i] = 2.0f * ax_rng_uniform(ax_rng_global()) - 1.0f;
            for (int t = 0; t < n_threads; t++) {
                ax_set_threads(threads[t]);
                printf("axon %lld %d %s %.3f\n", (long long)T, threads[t], mode_names[m], measure(&in, (mode)m));
                fflush(stdout);
            }
            free_inputs(&in);
        }
    }
    return 0;
}
