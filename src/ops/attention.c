/* Fused scaled dot-product attention (flash-attention style; kernels in backend/cpu/attention_kernels.c):
 *   S = q·kᵀ·scale (−∞ at padding and, causal, future keys)   P = softmax(S)   out = P·v
 *   dv += Pᵀ·dout   dS = P⊙(dout·vᵀ − Σ dout⊙out)   dq += dS·k·scale   dk += dSᵀ·q·scale
 * ax_attention reads q, k, v through their strides as long as the head dim is contiguous, so the (B, T, H, D)
 * → (B, H, T, D) transpose that splits heads costs no copy; other layouts are packed first. ax_attention_qkv
 * and ax_attention_q_kv go one step further: they read the heads straight out of the packed projections
 * (q | k | v (B, T, 3C) for self-attention; q (B, Tq, C) and k | v (B, Tk, 2C) for cross-attention), write them
 * side by side into (B, Tq, C), and their backward writes straight into the gradients of the projections, so
 * the head split and merge cost nothing either way. A query row with no visible key
 * gives zeros (PyTorch's softmax of an all −∞ row gives NaN). */
#include "autograd/tape.h"
#include "axon/ops.h"
#include "backend/cpu/attention_kernels.h"

typedef struct {
    ax_attn_problem p;   // the problem as the forward ran it (input pointers, layouts)
    float *lse;          // (B, H, Tq) log Σ e^S per query row, from the forward
} attention_saved;

// x itself when its last dim is contiguous, else a packed copy
static ax_tensor *rows_contiguous(ax_tensor *x) {
    return x->stride[3] == 1 || x->shape[3] == 1 ? x : ax_contiguous(x);
}

static ax_attn_operand operand(const ax_tensor *x) {
    return (ax_attn_operand){x->data, x->stride[0], x->stride[1], x->stride[2]};
}

// Runs the forward of p into out and records the node (inputs in[0 .. n_in)) that runs its backward; the node or NULL.
static ax_node *run_forward(ax_attn_problem p, ax_tensor *out, ax_backward_fn backward, int n_in, ax_tensor *const *in) {
    float *lse = ax_arena_alloc((size_t)(p.B * p.H * p.Tq) * sizeof(float));
    ax_attn_forward(&p, out->data, lse);
    ax_node *n = ax_tape_record("attention", backward, out, n_in, in);
    if (n) {
        attention_saved *sv = ax_arena_alloc(sizeof *sv);
        *sv = (attention_saved){p, lse};
        n->saved = sv;
    }
    return n;
}

static void attention_backward(ax_node *n) {
    const attention_saved *sv = n->saved;
    ax_attn_backward(&sv->p, n->out->data, n->out->grad->data, sv->lse, ax_grad_buf(n->in[0]), ax_grad_buf(n->in[1]),
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
    int64_t B = q->shape[0], H = q->shape[1], Tq = q->shape[2], Tk = k->shape[2], D = q->shape[3];
    ax_attn_layout lq = ax_attn_contiguous(H, Tq, D), lk = ax_attn_contiguous(H, Tk, D);
    ax_attn_problem p = {B, H, Tq, Tk, D, operand(qkv[0]), operand(qkv[1]), operand(qkv[2]),
                         key_keep ? ax_contiguous(key_keep)->data : NULL, causal, scale, lq, lq, lk, lk};
    ax_tensor *out = ax_empty(4, qkv[0]->shape);
    run_forward(p, out, attention_backward, 3, qkv);
    return out;
}

/* ---- attention on packed projections: heads side by side, read and written in place ---- */

// dq into the gradient of in[0], dk and dv into that of in[n_in − 1] at columns iarg[0] and iarg[0] + C
static void attention_packed_backward(ax_node *n) {
    const attention_saved *sv = n->saved;
    int64_t C = sv->p.H * sv->p.D, k_col = n->iarg[0];
    float *dq = ax_grad_buf(n->in[0]), *dkv = ax_grad_buf(n->in[n->n_in - 1]);
    if (dq || dkv)
        ax_attn_backward(&sv->p, n->out->data, n->out->grad->data, sv->lse, dq, dkv ? dkv + k_col : NULL,
                         dkv ? dkv + k_col + C : NULL);
}

/* The heads of q in columns [0, C) of q_src (B, Tq, ·) attend over the keys in columns [k_col, k_col + C) and the
 * values in [k_col + C, k_col + 2C) of kv_src (B, Tk, ·); out (B, Tq, C). q_src and kv_src are contiguous, and
 * the same tensor for self-attention. */
static ax_tensor *attend_packed(ax_tensor *q_src, ax_tensor *kv_src, int64_t k_col, int64_t C, int n_head,
                                ax_tensor *keep, bool causal, float scale) {
    int64_t B = q_src->shape[0], Tq = q_src->shape[1], Tk = kv_src->shape[1], D = C / n_head;
    AX_ASSERT(!keep || (keep->dtype == AX_BOOL && keep->ndim == 2 && keep->shape[0] == B && keep->shape[1] == Tk),
              "attention: key_keep %s must be BOOL (B %lld, Tk %lld)", keep ? ax_shape_str(keep) : "", (long long)B,
              (long long)Tk);
    const float *q = q_src->data, *kv = kv_src->data;
    ax_attn_layout lq = {Tq * q_src->shape[2], D, q_src->shape[2]}, lkv = {Tk * kv_src->shape[2], D, kv_src->shape[2]};
    ax_attn_layout out_layout = {Tq * C, D, C};
    ax_attn_problem p = {B, n_head, Tq, Tk, D,
                         (ax_attn_operand){q, lq.sb, lq.sh, lq.st},
                         (ax_attn_operand){kv + k_col, lkv.sb, lkv.sh, lkv.st},
                         (ax_attn_operand){kv + k_col + C, lkv.sb, lkv.sh, lkv.st},
                         keep ? ax_contiguous(keep)->data : NULL, causal, scale, out_layout, lq, lkv, lkv};
    ax_tensor *out = ax_empty(3, (int64_t[]){B, Tq, C});
    ax_tensor *in[2] = {q_src, kv_src};
    ax_node *n = run_forward(p, out, attention_packed_backward, q_src == kv_src ? 1 : 2, in);
    if (n) n->iarg[0] = k_col;
    return out;
}

ax_tensor *ax_attention_qkv(ax_tensor *qkv, int n_head, ax_tensor *key_keep, bool causal, float scale) {
    AX_ASSERT(qkv->ndim == 3 && qkv->dtype == AX_F32 && n_head > 0 && qkv->shape[2] % (3 * n_head) == 0,
              "attention_qkv needs F32 (B, T, 3·C) with C a multiple of %d heads, got %s", n_head, ax_shape_str(qkv));
    qkv = ax_contiguous(qkv);
    int64_t C = qkv->shape[2] / 3;
    return attend_packed(qkv, qkv, C, C, n_head, key_keep, causal, scale);
}

ax_tensor *ax_attention_q_kv(ax_tensor *q, ax_tensor *kv, int n_head, ax_tensor *key_keep, bool causal, float scale) {
    AX_ASSERT(q->ndim == 3 && kv->ndim == 3 && q->dtype == AX_F32 && kv->dtype == AX_F32 && n_head > 0 &&
                  q->shape[2] % n_head == 0 && kv->shape[2] == 2 * q->shape[2] && kv->shape[0] == q->shape[0],
              "attention_q_kv needs F32 q (B, Tq, C) and kv (B, Tk, 2·C) with C a multiple of %d heads, got %s, %s",
              n_head, ax_shape_str(q), ax_shape_str(kv));
    return attend_packed(ax_contiguous(q), ax_contiguous(kv), 0, q->shape[2], n_head, key_keep, causal, scale);
}
