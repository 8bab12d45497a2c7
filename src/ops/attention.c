/* Fused scaled dot-product attention (flash-attention style; kernels in backend/cpu/attention_kernels.c):
 *   S = q·kᵀ·scale (−∞ at padding and, causal, future keys)   P = softmax(S)   out = P·v
 *   dv += Pᵀ·dout   dS = P⊙(dout·vᵀ − Σ dout⊙out)   dq += dS·k·scale   dk += dSᵀ·q·scale
 * Inputs are read through their strides as long as the head dim is contiguous, so the (B, T, H, D) →
 * (B, H, T, D) transpose that splits heads costs no copy; other layouts are packed first. A query row with
 * no visible key gives zeros (PyTorch's softmax of an all −∞ row gives NaN). */
#include "autograd/tape.h"
#include "axon/ops.h"
#include "backend/cpu/attention_kernels.h"

typedef struct {
    float *lse;          // (B, H, Tq) log Σ e^S per query row, from the forward
    const uint8_t *keep; // (B, Tk) contiguous key_keep, or NULL
} attention_saved;

// x itself when its last dim is contiguous, else a packed copy
static ax_tensor *rows_contiguous(ax_tensor *x) {
    return x->stride[3] == 1 || x->shape[3] == 1 ? x : ax_contiguous(x);
}

static ax_attn_operand operand(const ax_tensor *x) {
    return (ax_attn_operand){x->data, x->stride[0], x->stride[1], x->stride[2]};
}

static ax_attn_problem problem(ax_tensor *const *qkv, const uint8_t *keep, bool causal, float scale) {
    const ax_tensor *q = qkv[0], *k = qkv[1];
    return (ax_attn_problem){q->shape[0], q->shape[1], q->shape[2], k->shape[2], q->shape[3],
                             operand(q), operand(k), operand(qkv[2]), keep, causal, scale};
}

static void attention_backward(ax_node *n) {
    const attention_saved *sv = n->saved;
    ax_attn_problem p = problem(n->in, sv->keep, n->iarg[0], n->farg[0]);
    ax_attn_backward(&p, n->out->data, n->out->grad->data, sv->lse, ax_grad_buf(n->in[0]), ax_grad_buf(n->in[1]),
                     ax_grad_buf(n->in[2]));
}

static void check_shapes(const ax_tensor *q, const ax_tensor *k, const ax_tensor *v, const ax_tensor *keep) {
    AX_ASSERT(q->ndim == 4 && k->ndim == 4 && v->ndim == 4 && q->dtype == AX_F32 && k->dtype == AX_F32 &&
                  v->dtype == AX_F32,
              "attention needs F32 q (B, H, Tq, D), k, v (B, H, Tk, D); got %s, %s, %s", ax_shape_str(q),
              ax_shape_str(k), ax_shape_str(v));
    AX_ASSERT(ax_same_shape(k, v) && k->shape[0] == q->shape[0] && k->shape[1] == q->shape[1] &&
                  k->shape[3] == q->shape[3],
              "attention: q %s, k %s, v %s do not fit", ax_shape_str(q), ax_shape_str(k), ax_shape_str(v));
    AX_ASSERT(!keep || (keep->dtype == AX_BOOL && keep->ndim == 2 && keep->shape[0] == k->shape[0] &&
                        keep->shape[1] == k->shape[2]),
              "attention: key_keep %s must be BOOL (B, Tk) for k %s", keep ? ax_shape_str(keep) : "", ax_shape_str(k));
}

ax_tensor *ax_attention(ax_tensor *q, ax_tensor *k, ax_tensor *v, ax_tensor *key_keep, bool causal, float scale) {
    check_shapes(q, k, v, key_keep);
    ax_tensor *qkv[3] = {rows_contiguous(q), rows_contiguous(k), rows_contiguous(v)};
    const uint8_t *keep = key_keep ? ax_contiguous(key_keep)->data : NULL;
    ax_tensor *out = ax_empty(4, qkv[0]->shape);
    float *lse = ax_arena_alloc((size_t)(q->shape[0] * q->shape[1] * q->shape[2]) * sizeof(float));
    ax_attn_problem p = problem(qkv, keep, causal, scale);
    ax_attn_forward(&p, out->data, lse);
    ax_node *n = AX_RECORD("attention", attention_backward, out, qkv[0], qkv[1], qkv[2]);
    if (n) {
        attention_saved *sv = ax_arena_alloc(sizeof *sv);
        *sv = (attention_saved){lse, keep};
        n->saved = sv;
        n->iarg[0] = causal;
        n->farg[0] = scale;
    }
    return out;
}
