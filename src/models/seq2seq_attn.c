/* The fused additive attention scores (seq2seq_attn.h): per (b, s) row the vector kernels of backend/cpu/fused.h,
 * rows spread over threads by b; the gradient of v is one matrix × vector product over all rows. */
#include "models/seq2seq_attn.h"

#include "autograd/tape.h"
#include "backend/cpu/fused.h"
#include "backend/cpu/gemm.h"

#define PAR_MIN 32768 // elements of keys below which one thread does it all

// ds (n, S) → dkeys (n, S, D) += ds·v·(1 − e²), dwq (n, D) += Σ_s the same, dv (D) += Σ_{b,s} ds·e
static void scores_backward(ax_node *nd) {
    const ax_tensor *e = nd->saved;
    int64_t n = e->shape[0], S = e->shape[1], D = e->shape[2];
    bool shared = nd->in[0]->shape[0] < n; // one (S, D) of keys for every row b

    const float *ds = nd->out->grad->data, *v = ax_f32(nd->in[2]), *E = e->data;
    float *dk = ax_grad_buf(nd->in[0]), *dq = ax_grad_buf(nd->in[1]), *dv = ax_grad_buf(nd->in[2]);
    const ax_fused_isa *k = ax_fused();
    if (dk || dq) {
#pragma omp parallel for if (n * S * D > PAR_MIN && !shared) // shared keys: every b adds to the same rows
        for (int64_t b = 0; b < n; b++)
            for (int64_t s = 0; s < S; s++)
                k->tanh_dot_grad(E + (b * S + s) * D, v, ds[b * S + s],
                                 dk ? dk + ((shared ? 0 : b) * S + s) * D : NULL, dq ? dq + b * D : NULL, D);
    }
    if (dv) ax_gemm(false, false, 1, D, n * S, 1.0f, ds, n * S, E, D, 1.0f, dv, D);
}

ax_tensor *ax_s2s_additive_scores(ax_tensor *keys, ax_tensor *wq, ax_tensor *v) {
    AX_ASSERT(keys->ndim == 3 && wq->ndim == 2 && (keys->shape[0] == wq->shape[0] || keys->shape[0] == 1) &&
                  wq->shape[1] == keys->shape[2] &&
                  ax_numel(v) == keys->shape[2],
              "additive attention: keys %s, query %s and v %s", ax_shape_str(keys), ax_shape_str(wq), ax_shape_str(v));
    keys = ax_contiguous(keys), wq = ax_contiguous(wq), v = ax_contiguous(v);
    int64_t n = wq->shape[0], S = keys->shape[1], D = keys->shape[2], kstep = keys->shape[0] == 1 ? 0 : S * D;
    ax_tensor *e = ax_empty(AX_SHAPE(n, S, D)), *out = ax_empty(AX_SHAPE(n, S));
    const float *K = ax_f32(keys), *Q = ax_f32(wq), *V = ax_f32(v);
    float *E = e->data, *o = out->data;
    const ax_fused_isa *k = ax_fused();
#pragma omp parallel for if (n * S * D > PAR_MIN)
    for (int64_t b = 0; b < n; b++)
        for (int64_t s = 0; s < S; s++)
            o[b * S + s] = k->tanh_dot(K + b * kstep + s * D, Q + b * D, V, E + (b * S + s) * D, D);
    ax_node *nd = AX_RECORD("additive_scores", scores_backward, out, keys, wq, v);
    if (nd) nd->saved = e;
    return out;
}
