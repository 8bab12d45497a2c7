/* axon/ops.h — differentiable operations. Each returns a new step tensor (see tensor.h) and, in grad
 * mode, records its backward on the tape. All float ops take and return F32; index arguments are I32;
 * masks are BOOL. Binary elementwise ops broadcast like NumPy/PyTorch. `dim` may be negative. */
#ifndef AXON_OPS_H
#define AXON_OPS_H

#include "tensor.h"

typedef enum { AX_REDUCE_MEAN = 0, AX_REDUCE_SUM, AX_REDUCE_NONE } ax_reduction;
typedef enum { AX_GELU_ERF = 0, AX_GELU_TANH } ax_gelu_approx;

/* ---- views (share storage; the gradient flows back to the base) ---------------------------------- */
ax_tensor *ax_reshape(ax_tensor *x, int ndim, const int64_t *shape); // one dim may be -1; copies if x is not contiguous
ax_tensor *ax_permute(ax_tensor *x, const int *perm);               // y.shape[i] = x.shape[perm[i]]
ax_tensor *ax_transpose(ax_tensor *x, int d0, int d1);              // swap two dims
ax_tensor *ax_narrow(ax_tensor *x, int dim, int64_t start, int64_t length); // x[..., start:start+length, ...]
ax_tensor *ax_unsqueeze(ax_tensor *x, int dim);                     // insert a size-1 dim at `dim`
ax_tensor *ax_squeeze(ax_tensor *x, int dim);                       // remove size-1 dim `dim`
ax_tensor *ax_contiguous(ax_tensor *x);                             // x itself if contiguous, else a packed copy

/* ---- elementwise ---------------------------------------------------------------------------------- */
ax_tensor *ax_add(ax_tensor *a, ax_tensor *b);    // a + b
ax_tensor *ax_sub(ax_tensor *a, ax_tensor *b);    // a − b
ax_tensor *ax_mul(ax_tensor *a, ax_tensor *b);    // a · b
ax_tensor *ax_div(ax_tensor *a, ax_tensor *b);    // a / b
ax_tensor *ax_add_scalar(ax_tensor *a, float s);  // a + s
ax_tensor *ax_mul_scalar(ax_tensor *a, float s);  // a · s
ax_tensor *ax_rsub_scalar(ax_tensor *a, float s); // s − a
ax_tensor *ax_rdiv_scalar(ax_tensor *a, float s); // s / a
ax_tensor *ax_pow_scalar(ax_tensor *a, float p);  // a^p
ax_tensor *ax_neg(ax_tensor *a);                  // −a
ax_tensor *ax_exp(ax_tensor *a);                  // e^a
ax_tensor *ax_log(ax_tensor *a);                  // ln a
ax_tensor *ax_sqrt(ax_tensor *a);                 // √a
ax_tensor *ax_relu(ax_tensor *a);                 // max(a, 0)
ax_tensor *ax_leaky_relu(ax_tensor *a, float slope);       // a if a > 0 else slope·a
ax_tensor *ax_gelu(ax_tensor *a, ax_gelu_approx approx);   // a·Φ(a) (erf) or its tanh approximation
ax_tensor *ax_sigmoid(ax_tensor *a);              // 1 / (1 + e^−a)
ax_tensor *ax_tanh(ax_tensor *a);                 // tanh a

/* ---- reductions ------------------------------------------------------------------------------------- */
ax_tensor *ax_sum(ax_tensor *x, int dim, bool keepdim);   // Σ over dim
ax_tensor *ax_mean(ax_tensor *x, int dim, bool keepdim);  // mean over dim
ax_tensor *ax_max(ax_tensor *x, int dim, bool keepdim, ax_tensor **argmax); // max over dim; argmax (I32) optional; gradient to the first maximum
ax_tensor *ax_sum_all(ax_tensor *x);                      // Σ of every element, 0-dim
ax_tensor *ax_mean_all(ax_tensor *x);                     // mean of every element, 0-dim

/* ---- linear algebra --------------------------------------------------------------------------------
 * ax_matmul: a (…, M, K) @ b (…, K, N) → (…, M, N). Leading (batch) dims broadcast; b may be 2-D and
 * shared by every batch. Transposed views (ax_transpose of the last two dims) are read in place, never
 * copied: the GEMM gets the transpose flag. */
ax_tensor *ax_matmul(ax_tensor *a, ax_tensor *b);
ax_tensor *ax_linear(ax_tensor *x, ax_tensor *w, ax_tensor *b); // x (…, in) · wᵀ (out, in) + b (out) or NULL
ax_tensor *ax_addmm(ax_tensor *x, ax_tensor *w, ax_tensor *b);  // x (…, in) · w (in, out) + b (out) or NULL (GPT-2 Conv1D)

/* ---- softmax, normalisation ------------------------------------------------------------------------ */
ax_tensor *ax_softmax(ax_tensor *x, int dim);      // e^x / Σ e^x along dim
ax_tensor *ax_log_softmax(ax_tensor *x, int dim);  // x − log Σ e^x along dim
ax_tensor *ax_layernorm(ax_tensor *x, ax_tensor *w, ax_tensor *b, float eps); // over the last dim; w, b (C) may be NULL

/* ---- attention --------------------------------------------------------------------------------------
 * Fused scaled dot-product attention: softmax(q·kᵀ·scale + mask)·v, tiled with an online softmax so the
 * (Tq × Tk) score matrix is never materialised (flash-attention style); backward recomputes the tiles.
 * q (B, H, Tq, D), k and v (B, H, Tk, D) → (B, H, Tq, D). causal: query i sees keys j ≤ i + (Tk − Tq).
 * key_keep: BOOL (B, Tk), false = padding key that nobody attends to; NULL = all keys valid.
 * A query row that sees no key outputs zeros and passes zero gradient (PyTorch gives NaN). */
ax_tensor *ax_attention(ax_tensor *q, ax_tensor *k, ax_tensor *v, ax_tensor *key_keep, bool causal, float scale);
/* Multi-head self-attention on a packed projection qkv (B, T, 3C) = q | k | v, each (B, T, C) with n_head heads
 * of C / n_head side by side (GPT-2's c_attn output) → (B, T, C), heads side by side. The same math as
 * ax_attention on the split heads (key_keep BOOL (B, T) or NULL), with no copies to split or merge them,
 * forward or backward. */
ax_tensor *ax_attention_qkv(ax_tensor *qkv, int n_head, ax_tensor *key_keep, bool causal, float scale);
/* The same for cross-attention: queries q (B, Tq, C) over keys | values kv (B, Tk, 2C) → (B, Tq, C). */
ax_tensor *ax_attention_q_kv(ax_tensor *q, ax_tensor *kv, int n_head, ax_tensor *key_keep, bool causal, float scale);

/* ---- lookup, selection, combination ---------------------------------------------------------------- */
ax_tensor *ax_embedding(ax_tensor *weight, ax_tensor *idx);           // weight (V, C), idx I32 (…) → (…, C)
ax_tensor *ax_index_select(ax_tensor *x, int dim, ax_tensor *idx);     // idx I32 (n) → x with dim of size n
ax_tensor *ax_gather(ax_tensor *x, int dim, ax_tensor *idx);           // y[i][j] = x[i][idx[i][j]] (dim=1); idx I32, same ndim
ax_tensor *ax_masked_fill(ax_tensor *x, ax_tensor *mask, float value); // value where mask (BOOL, broadcast) is true
ax_tensor *ax_where(ax_tensor *cond, ax_tensor *a, ax_tensor *b);      // cond (BOOL) ? a : b, all broadcast
ax_tensor *ax_concat(ax_tensor *const *xs, int n, int dim);            // join along an existing dim
ax_tensor *ax_stack(ax_tensor *const *xs, int n, int dim);             // join along a new dim
void ax_split(ax_tensor *x, int dim, const int64_t *sizes, int n, ax_tensor **out); // n pieces of the given sizes along dim
ax_tensor *ax_dropout(ax_tensor *x, float p, bool train); // train: zero with prob p, scale by 1/(1−p); eval: x

/* ---- losses (return a 0-dim tensor unless AX_REDUCE_NONE) ---------------------------------------- */
typedef struct {
    int ignore_index;        // targets equal to this contribute nothing (PyTorch default −100)
    float label_smoothing;   // ε: the target distribution is (1−ε)·onehot + ε/C
    ax_reduction reduction;  // mean over non-ignored targets, sum, or per-row (N)
} ax_ce_opts;
#define AX_CE_DEFAULTS ((ax_ce_opts){.ignore_index = -100, .label_smoothing = 0.0f, .reduction = AX_REDUCE_MEAN})
// logits (N, C), target I32 (N). As PyTorch: a mean over zero non-ignored targets is NaN (gradient 0).
ax_tensor *ax_cross_entropy(ax_tensor *logits, ax_tensor *target, ax_ce_opts opts);
ax_tensor *ax_mse_loss(ax_tensor *pred, ax_tensor *target, ax_reduction reduction);  // (pred − target)²
ax_tensor *ax_bce_with_logits(ax_tensor *logits, ax_tensor *target, ax_reduction reduction); // −[t·log σ(x) + (1−t)·log(1−σ(x))], stable

#endif
