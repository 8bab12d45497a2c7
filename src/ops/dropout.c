/* Inverted dropout: y = x·m/(1−p) with m ~ Bernoulli(1−p); dx += dy·m/(1−p) with the same mask. Eval mode (or
 * p = 0) is the identity; p = 1 gives zeros. The mask is counter-based: one 64-bit key per call from the global RNG,
 * and element i keeps when the top 24 bits of mix(key + i) — a uniform in [0, 1) — are ≥ p. Elements are independent,
 * so the mask is drawn in parallel and does not depend on the thread count. */
#include "autograd/tape.h"
#include "axon/ops.h"

#include <math.h>

#define PAR_MIN 32768 // elements below which a loop stays single-threaded

// splitmix64's finaliser: a bijective mix of 64 bits
static inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// mask[i] = 1 when uniform(key, i) ≥ p, with uniform = (mix64(key + i·γ) >> 40) / 2^24
static void draw_mask(uint8_t *mask, int64_t n, uint64_t key, float p) {
    uint64_t cut = (uint64_t)ceil((double)p * 16777216.0); // u ≥ p ⇔ the 24-bit integer ≥ ⌈p·2^24⌉
#pragma omp parallel for simd if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++) mask[i] = (mix64(key + (uint64_t)i * 0x9E3779B97F4A7C15ull) >> 40) >= cut;
}

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
    uint64_t hi = ax_rng_u32(rng), key = hi << 32 | ax_rng_u32(rng);
    draw_mask(mask, len, key, p);
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
