/* Dropout. PyTorch's random stream cannot be reproduced, so the checks are statistical and structural:
 * the fraction zeroed over 100k elements, kept values scaled by exactly 1/(1−p), backward through the same
 * mask, identity in eval mode, determinism under a seed, the same mask on every instruction set and thread count,
 * neighbouring elements uncorrelated, and finite differences with a reseeded RNG. */
#include "abort_check.h"
#include "backend/cpu/fused.h"
#include "check.h"

#include <math.h>

#define N 100000

// Checks y = x·m/(1−p) with m ∈ {0, 1} and returns the fraction of zeros; x has no zeros.
static double check_scaled(const ax_tensor *x, const ax_tensor *y, float p) {
    float scale = 1.0f / (1.0f - p), *px = ax_f32(x), *py = ax_f32(y);
    int64_t zeros = 0, wrong = 0;
    for (int64_t i = 0; i < ax_numel(y); i++) {
        if (py[i] == 0.0f) zeros++;
        else wrong += py[i] != px[i] * scale;
    }
    CHECK(wrong == 0, "p = %g: %lld kept values are not x/(1-p)", (double)p, (long long)wrong);
    return (double)zeros / (double)ax_numel(y);
}

// Forward statistics and the backward mask for several p.
static void test_train(void) {
    static const float ps[] = {0.1f, 0.5f, 0.9f};
    ax_manual_seed(1);
    for (size_t k = 0; k < sizeof ps / sizeof *ps; k++) {
        float p = ps[k];
        ax_tensor *x = ax_rand(AX_SHAPE(N), 1.0f, 2.0f), *r = ax_randn(AX_SHAPE(N), 0.0f, 1.0f);
        ax_requires_grad(x, true);
        ax_tensor *y = ax_dropout(x, p, true);
        double frac = check_scaled(x, y, p), tol = 6.0 * sqrt(p * (1.0 - p) / N); // 6 binomial σ: ≈ 0.002 … 0.009
        CHECK_NEAR(frac, p, tol);
        ax_backward_from(y, r);
        float scale = 1.0f / (1.0f - p), *g = ax_f32(x->grad), *pr = ax_f32(r), *py = ax_f32(y);
        int64_t wrong = 0;
        for (int64_t i = 0; i < N; i++) wrong += g[i] != (py[i] != 0.0f ? pr[i] * scale : 0.0f);
        CHECK(wrong == 0, "p = %g: %lld gradients differ from r·mask/(1-p)", (double)p, (long long)wrong);
        ax_arena_reset();
    }
}

// Eval mode and p = 0 return x itself; p = 1 gives zeros and zero gradient.
static void test_edges(void) {
    ax_tensor *x = ax_rand(AX_SHAPE(4, 5), 1.0f, 2.0f);
    ax_requires_grad(x, true);
    CHECK(ax_dropout(x, 0.5f, false) == x, "eval mode must return x");
    CHECK(ax_dropout(x, 0.0f, true) == x, "p = 0 must return x");
    ax_tensor *y = ax_dropout(x, 1.0f, true);
    CHECK_CLOSE(y, ax_zeros(AX_SHAPE(4, 5)), 0, 0);
    ax_backward_from(y, ax_ones(AX_SHAPE(4, 5)));
    CHECK_CLOSE(x->grad, ax_zeros(AX_SHAPE(4, 5)), 0, 0);
    ax_arena_reset();
}

// Same seed, same mask; another seed, another mask.
static void test_seed(void) {
    ax_tensor *x = ax_ones(AX_SHAPE(1000));
    ax_manual_seed(7);
    ax_tensor *a = ax_dropout(x, 0.5f, true);
    ax_manual_seed(7);
    ax_tensor *b = ax_dropout(x, 0.5f, true);
    ax_manual_seed(8);
    ax_tensor *c = ax_dropout(x, 0.5f, true);
    CHECK_CLOSE(a, b, 0, 0);
    int64_t differ = 0;
    for (int64_t i = 0; i < 1000; i++) differ += ax_f32(a)[i] != ax_f32(c)[i];
    CHECK(differ > 300, "seeds 7 and 8 gave masks differing in only %lld of 1000 places", (long long)differ);
    ax_arena_reset();
}

/* The mask is a function of the seed alone: the AVX-512, AVX2 and portable kernels with 1, 2 and 3 threads give
 * the same one, across chunk boundaries (N spans several chunks). Neighbouring elements are not correlated: the
 * pairs (kept, kept) occur at the rate (1 − p)² within 6 σ. */
static void test_same_everywhere(void) {
    static const char *const isas[] = {"avx512", "avx2", "generic"};
    ax_tensor *x = ax_ones(AX_SHAPE(N)), *first = NULL;
    for (size_t i = 0; i < sizeof isas / sizeof *isas; i++)
        for (int threads = 1; threads <= 3; threads++) {
            if (!ax_fused_force_isa(isas[i])) continue;
            ax_set_threads(threads);
            ax_manual_seed(5);
            ax_tensor *y = ax_dropout(x, 0.5f, true);
            if (!first) first = y;
            char what[64];
            snprintf(what, sizeof what, "dropout mask on %s with %d threads", isas[i], threads);
            check_close(y, first, 0, 0, __FILE__, __LINE__, what);
        }
    ax_fused_force_isa(NULL);
    int64_t both = 0;
    for (int64_t i = 0; i + 1 < N; i++) both += ax_f32(first)[i] != 0.0f && ax_f32(first)[i + 1] != 0.0f;
    CHECK_NEAR((double)both / (N - 1), 0.25, 6.0 * sqrt(0.25 * 0.75 / N));
    ax_arena_reset();
}

// A transposed input is dropped in its logical order: y = xᵀ·m/(1−p).
static void test_strided(void) {
    ax_tensor *x = ax_rand(AX_SHAPE(30, 40), 1.0f, 2.0f);
    ax_manual_seed(3);
    ax_tensor *y = ax_dropout(ax_transpose(x, 0, 1), 0.25f, true);
    CHECK(y->shape[0] == 40 && y->shape[1] == 30, "shape %s", ax_shape_str(y));
    ax_tensor *xt = ax_contiguous(ax_transpose(x, 0, 1));
    CHECK_NEAR(check_scaled(xt, y, 0.25f), 0.25, 0.1);
    ax_arena_reset();
}

static ax_tensor *seeded_dropout(ax_tensor **in, void *ctx) {
    ax_manual_seed(42); // the same mask on every call, so finite differences see one function
    return ax_dropout(in[0], 0.3f, true);
}

static void test_gradcheck(void) {
    ax_tensor *x = ax_randn(AX_SHAPE(4, 6), 0.0f, 1.0f);
    ax_requires_grad(x, true);
    CHECK(ax_gradcheck(seeded_dropout, NULL, &x, 1, GC_EPS, GC_RTOL, GC_ATOL) == 0, "dropout gradcheck");
    ax_arena_reset();
}

static void negative_p(void *ctx) { ax_dropout(ax_ones(AX_SHAPE(3)), -0.1f, true); }
static void p_above_one(void *ctx) { ax_dropout(ax_ones(AX_SHAPE(3)), 1.5f, false); }

int main(void) {
    test_train();
    test_edges();
    test_seed();
    test_same_everywhere();
    test_strided();
    test_gradcheck();
    CHECK_ABORTS(negative_p, NULL, "dropout", "-0.1");
    CHECK_ABORTS(p_above_one, NULL, "dropout", "1.5");
    return check_report();
}
