/* Inverted dropout: y = x·m/(1−p) with m ~ Bernoulli(1−p) drawn from the global RNG in element order;
 * dx += dy·m/(1−p) with the same mask. Eval mode (or p = 0) is the identity; p = 1 gives zeros. */
#include "autograd/tape.h"
#include "axon/ops.h"

#define PAR_MIN 32768 // elements below which a loop stays single-threaded

// dst = src·m·scale, or dst += that when accumulate
static void apply_mask(const float *src, const uint8_t *m, float scale, float *dst, int64_t n, bool accumulate) {
    if (accumulate) {
#pragma omp parallel for simd if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++) dst[i] += m[i] ? src[i] * scale : 0.0f;
    } else {
#pragma omp parallel for simd if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++) dst[i] = m[i] ? src[i] * scale : 0.0f;
    }
}

static void dropout_backward(ax_node *n) {
    float *dx = ax_grad_buf(n->in[0]);
    if (!dx) return;
    apply_mask(n->out->grad->data, n->saved, n->farg[0], dx, ax_numel(n->out), true);
}

ax_tensor *ax_dropout(ax_tensor *x, float p, bool train) {
    AX_ASSERT(p >= 0.0f && p <= 1.0f, "dropout probability %g outside [0, 1]", (double)p);
    if (!train || p == 0.0f) return x;
    x = ax_contiguous(x);
    int64_t len = ax_numel(x);
    uint8_t *mask = ax_arena_alloc((size_t)len); // 1 = keep; u ∈ [0, 1) so p = 1 drops everything
    ax_rng *rng = ax_rng_global();
    for (int64_t i = 0; i < len; i++) mask[i] = ax_rng_uniform(rng) >= p;
    float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    ax_tensor *y = ax_empty(x->ndim, x->shape);
    apply_mask(ax_f32(x), mask, scale, y->data, len, false);
    ax_node *n = AX_RECORD("dropout", dropout_backward, y, x);
    if (n) {
        n->saved = mask;
        n->farg[0] = scale;
    }
    return y;
}
