/* Inverted dropout: y = x·m/(1−p) with m ~ Bernoulli(1−p); dx += dy·m/(1−p) with the same mask. Eval mode (or
 * p = 0) is the identity; p = 1 gives zeros. The mask is counter-based: one 64-bit key per call from the global RNG,
 * and element i keeps when ax_dropout_bits(key, i), a 24-bit uniform (backend/cpu/fused.h), is ≥ p·2^24. Elements
 * are independent, so the mask is drawn in parallel, in SIMD, and does not depend on the thread count or the ISA.
 * (Element indices are 32-bit: a tensor past 2^32 elements repeats its mask pattern.) */
#include "autograd/tape.h"
#include "axon/ops.h"
#include "backend/cpu/fused.h"

#include <math.h>

#define PAR_MIN 32768 // elements below which a loop stays single-threaded
#define CHUNK 16384   // elements per task of the forward

// y = x·keep·scale with keep drawn (backend/cpu/fused.h: ax_dropout_bits) for each element from the call's key
static void dropout_forward(const float *x, float *y, uint8_t *keep, int64_t n, uint64_t key, float p, float scale) {
    uint32_t cut = (uint32_t)ceil((double)p * 16777216.0); // u ≥ p ⇔ the 24-bit integer ≥ ⌈p·2^24⌉
    int64_t chunks = (n + CHUNK - 1) / CHUNK;
    const ax_fused_isa *k = ax_fused();
#pragma omp parallel for if (n > PAR_MIN)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t o = c * CHUNK, len = n - o < CHUNK ? n - o : CHUNK;
        k->dropout(x + o, y + o, keep + o, len, (uint32_t)o, key, cut, scale);
    }
}

// dx += dy·m·scale (dx = … when x has no gradient yet)
static void dropout_backward(ax_node *n) {
    bool fresh;
    float *dx = ax_grad_buf_fresh(n->in[0], &fresh);
    if (!dx) return;
    const float *dy = n->out->grad->data;
    const uint8_t *m = n->saved;
    float scale = n->farg[0];
    int64_t len = ax_numel(n->out);
    if (fresh) {
#pragma omp parallel for simd if (len > PAR_MIN)
        for (int64_t i = 0; i < len; i++) dx[i] = dy[i] * (m[i] ? scale : 0.0f);
    } else {
#pragma omp parallel for simd if (len > PAR_MIN)
        for (int64_t i = 0; i < len; i++) dx[i] += dy[i] * (m[i] ? scale : 0.0f);
    }
}

ax_tensor *ax_dropout(ax_tensor *x, float p, bool train) {
    AX_ASSERT(p >= 0.0f && p <= 1.0f, "dropout probability %g outside [0, 1]", (double)p);
    if (!train || p == 0.0f) return x;
    x = ax_contiguous(x);
    int64_t len = ax_numel(x);
    uint8_t *mask = ax_arena_alloc((size_t)len); // 1 = keep; u ∈ [0, 1) so p = 1 drops everything
    ax_rng *rng = ax_rng_global();
    uint64_t hi = ax_rng_u32(rng), key = hi << 32 | ax_rng_u32(rng);
    float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    ax_tensor *y = ax_empty(x->ndim, x->shape);
    dropout_forward(ax_f32(x), y->data, mask, len, key, p, scale);
    ax_node *n = AX_RECORD("dropout", dropout_backward, y, x);
    if (n) {
        n->saved = mask;
        n->farg[0] = scale;
    }
    return y;
}
