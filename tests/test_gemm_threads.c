/* The GEMM's per-thread packing buffers while the OpenMP thread count changes between calls (1, 2, 1, 4, 2, 1),
 * and with GEMMs called from the threads of a caller's own parallel region: every product still equals the
 * double reference (small-integer data: exact in float32), and under AddressSanitizer no buffer leaks when
 * libgomp ends the threads that a smaller team no longer needs. */
#include "backend/cpu/gemm.h"
#include "check.h"

#include <stdlib.h>

typedef struct {
    bool ta;         // A stored K×M and read transposed (the direct path then gathers rows into the buffer)
    int64_t M, N, K; // product sizes
} shape;

static const shape shapes[] = {
    {false, 300, 260, 280}, // packed and blocked, split among threads
    {true, 3, 200, 5000},   // thin: direct loops, strided rows of A gathered
};

static float *integers(int64_t n, ax_rng *g) {
    float *p = malloc((size_t)n * sizeof *p);
    for (int64_t i = 0; i < n; i++) p[i] = (float)((int)(ax_rng_u32(g) % 9) - 4);
    return p;
}

/* C = op(A)·B on data drawn from its own generator (seeded with seed), op(A)'s element (i, k) at a[i·rs + k·cs];
 * returns the number of elements that differ from the reference */
static int64_t product_errors(const shape *s, uint64_t seed) {
    ax_rng g;
    ax_rng_seed(&g, seed);
    float *a = integers(s->M * s->K, &g), *b = integers(s->K * s->N, &g);
    float *c = malloc((size_t)(s->M * s->N) * sizeof *c);
    int64_t rs = s->ta ? 1 : s->K, cs = s->ta ? s->M : 1, bad = 0;
    ax_gemm(s->ta, false, s->M, s->N, s->K, 1.0f, a, s->ta ? s->M : s->K, b, s->N, 0.0f, c, s->N);
    for (int64_t i = 0; i < s->M; i++)
        for (int64_t j = 0; j < s->N; j++) {
            double ref = 0.0;
            for (int64_t k = 0; k < s->K; k++) ref += (double)a[i * rs + k * cs] * b[k * s->N + j];
            bad += c[i * s->N + j] != (float)ref;
        }
    free(a);
    free(b);
    free(c);
    return bad;
}

static void test_thread_counts(void) {
    static const int counts[] = {1, 2, 1, 4, 2, 1};
    for (size_t t = 0; t < sizeof counts / sizeof *counts; t++) {
        ax_set_threads(counts[t]);
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
            int64_t bad = product_errors(&shapes[i], t);
            CHECK(bad == 0, "%d threads, %lldx%lldx%lld: %lld wrong elements", counts[t], (long long)shapes[i].M,
                  (long long)shapes[i].N, (long long)shapes[i].K, (long long)bad);
        }
    }
}

// each thread of the caller's team runs its own (single-threaded) GEMMs on its own buffers
static void test_inside_parallel(void) {
    int64_t bad = 0;
    for (int team = 3; team >= 1; team--) {
#pragma omp parallel num_threads(team) reduction(+ : bad)
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) bad += product_errors(&shapes[i], (uint64_t)team);
    }
    CHECK(bad == 0, "GEMMs inside a parallel region: %lld wrong elements", (long long)bad);
}

int main(void) {
    test_thread_counts();
    test_inside_parallel();
    ax_set_threads(0);
    return check_report();
}
