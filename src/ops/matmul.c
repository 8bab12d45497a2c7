/* Matrix multiply and the linear layer op, on top of the GEMM backend.
 *
 *   C = A·B          A (…, M, K), B (…, K, N); batch dims broadcast (a missing or size-1 dim repeats)
 *   dA += dC·Bᵀ      dB += Aᵀ·dC   (summed over the batches an operand is broadcast across)
 *   linear: y = x·wᵀ + bias, w (out, in) read in place; its gradient is written in w's own layout
 *   addmm:  y = x·w + bias, w (in, out) (GPT-2's Conv1D layout)
 *
 * Operands are read in place through their strides: a transposed view (unit stride along its
 * second-to-last dim) goes to the GEMM as a transpose flag with its leading dimension, batch dims as
 * strides (0 where broadcast). Only a view whose rows overlap (an expanded dim) is copied first. */
#include "autograd/tape.h"
#include "axon/ops.h"
#include "backend/cpu/gemm.h"

#include <string.h>

#define NB (AX_MAX_DIMS - 2) // batch dims, counted from the right of the output's

typedef struct {
    const float *data;  // element (0, …, 0)
    bool trans;         // stored as the transpose of its logical (rows × cols) matrix
    int64_t ld;         // leading dimension of the stored matrix
    int64_t rows, cols; // logical size of one matrix (the last two dims)
    int64_t bs[NB];     // elements between matrices along each output batch dim (0: broadcast)
} mat_operand;

typedef struct {
    int64_t n[NB];          // output batch sizes (1 where absent)
    int64_t M, N, K;        // C (M×N) = A (M×K) · B (K×N) per batch
    mat_operand a, b;       // the operands as stored
    int64_t sa[NB], sb[NB]; // strides of dA, dB (contiguous, logical shape) along the output batch dims
    int64_t sc[NB];         // strides of C and dC along the output batch dims
} mm_plan;

// Batch dim j of the output (0 = outermost of NB) as dim of x, or -1 if x has none there.
static int batch_dim(const ax_tensor *x, int j) { return x->ndim - 2 - NB + j; }

// Stride of x along output batch dim j, given x's own strides (0 where x is broadcast).
static int64_t batch_stride(const ax_tensor *x, const int64_t *stride, int j) {
    int d = batch_dim(x, j);
    return d >= 0 && x->shape[d] > 1 ? stride[d] : 0;
}

// Describes x's last two dims for the GEMM. Returns false if its rows overlap (it needs a copy first).
static bool describe(const ax_tensor *x, mat_operand *m) {
    int r = x->ndim - 2, c = x->ndim - 1;
    m->data = x->data;
    m->rows = x->shape[r];
    m->cols = x->shape[c];
    m->trans = !(x->stride[c] == 1 || m->cols == 1) && (x->stride[r] == 1 || m->rows == 1);
    if (!m->trans && x->stride[c] != 1 && m->cols != 1) return false;
    if (m->trans)
        m->ld = m->cols == 1 ? m->rows : x->stride[c];
    else
        m->ld = m->rows == 1 ? m->cols : x->stride[r];
    for (int j = 0; j < NB; j++) m->bs[j] = batch_stride(x, x->stride, j);
    return m->ld >= (m->trans ? m->rows : m->cols);
}

static void contiguous_strides(const ax_tensor *x, int64_t *stride) {
    int64_t s = 1;
    for (int d = x->ndim - 1; d >= 0; d--) stride[d] = s, s *= x->shape[d];
}

static mm_plan plan(const ax_tensor *a, const ax_tensor *b, const ax_tensor *c) {
    mm_plan p;
    bool ok = describe(a, &p.a) && describe(b, &p.b);
    AX_ASSERT(ok, "matmul: operands %s and %s should have been made contiguous", ax_shape_str(a), ax_shape_str(b));
    p.M = p.a.rows, p.K = p.a.cols, p.N = p.b.cols;
    int64_t st_a[AX_MAX_DIMS], st_b[AX_MAX_DIMS], st_c[AX_MAX_DIMS];
    contiguous_strides(a, st_a);
    contiguous_strides(b, st_b);
    contiguous_strides(c, st_c);
    for (int j = 0; j < NB; j++) {
        int d = batch_dim(c, j);
        p.n[j] = d >= 0 ? c->shape[d] : 1;
        p.sa[j] = batch_stride(a, st_a, j);
        p.sb[j] = batch_stride(b, st_b, j);
        p.sc[j] = batch_stride(c, st_c, j);
    }
    return p;
}

// One stride for both batch dims if they collapse into one (s0 = s1·n1), else -1.
static int64_t collapse(const int64_t s[NB], const int64_t n[NB]) {
    if (n[0] == 1) return s[1];
    if (n[1] == 1 || s[0] == s[1] * n[1]) return n[1] == 1 ? s[0] : s[1];
    return -1;
}

// C[i] = op(A[i])·op(B[i]) + beta·C[i] over the NB batch dims, each operand with its own batch strides
// (0: the same matrix for every i; a C stride 0 sums into it).
static void gemm_nb(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                    const int64_t sa[NB], const float *B, int64_t ldb, const int64_t sb[NB], float beta, float *C,
                    int64_t ldc, const int64_t sc[NB], const int64_t n[NB]) {
    int64_t a1 = collapse(sa, n), b1 = collapse(sb, n), c1 = collapse(sc, n);
    if (a1 >= 0 && b1 >= 0 && c1 >= 0) {
        ax_gemm_batched(ta, tb, M, N, K, 1.0f, A, lda, a1, B, ldb, b1, beta, C, ldc, c1, n[0] * n[1]);
        return;
    }
    for (int64_t i = 0; i < n[0]; i++)
        ax_gemm_batched(ta, tb, M, N, K, 1.0f, A + i * sa[0], lda, sa[1], B + i * sb[0], ldb, sb[1],
                        i > 0 && sc[0] == 0 ? 1.0f : beta, C + i * sc[0], ldc, sc[1], n[1]);
}

// dA (M×K) = dC (M×N) · op(B)ᵀ + beta·dA
static void backward_a(const mm_plan *p, const float *dc, float beta, float *da) {
    gemm_nb(false, !p->b.trans, p->M, p->K, p->N, dc, p->N, p->sc, p->b.data, p->b.ld, p->b.bs, beta, da, p->K, p->sa,
            p->n);
}

static void matmul_backward(ax_node *n) {
    mm_plan p = plan(n->in[0], n->in[1], n->out);
    const float *dc = n->out->grad->data;
    float *da = ax_grad_buf(n->in[0]), *db = ax_grad_buf(n->in[1]);
    if (da) backward_a(&p, dc, 1.0f, da);
    if (db) // dB (K×N) += op(A)ᵀ · dC
        gemm_nb(!p.a.trans, false, p.K, p.N, p.M, p.a.data, p.a.ld, p.a.bs, dc, p.N, p.sc, 1.0f, db, p.N, p.sb, p.n);
}

static ax_tensor *as_matrix_operand(ax_tensor *x) {
    mat_operand m;
    return describe(x, &m) ? x : ax_contiguous(x);
}

// C = A·B (+ bias on every row) for operands describe() accepts; batch dims broadcast.
static ax_tensor *forward(ax_tensor *a, ax_tensor *b, const float *bias) {
    int ndim = a->ndim > b->ndim ? a->ndim : b->ndim;
    int64_t shape[AX_MAX_DIMS];
    for (int d = 0; d < ndim - 2; d++) { // batch dims, aligned from the right
        int da = d - (ndim - a->ndim), db = d - (ndim - b->ndim);
        int64_t sa = da >= 0 ? a->shape[da] : 1, sb = db >= 0 ? b->shape[db] : 1;
        AX_ASSERT(sa == sb || sa == 1 || sb == 1, "matmul batch dims of %s and %s do not broadcast", ax_shape_str(a),
                  ax_shape_str(b));
        shape[d] = sa > sb ? sa : sb;
    }
    shape[ndim - 2] = a->shape[a->ndim - 2];
    shape[ndim - 1] = b->shape[b->ndim - 1];
    ax_tensor *c = ax_empty(ndim, shape);
    mm_plan p = plan(a, b, c);
    float *out = c->data;
    if (bias)
        for (int64_t r = 0, rows = ax_numel(c) / p.N; r < rows; r++)
            memcpy(out + r * p.N, bias, (size_t)p.N * sizeof *out);
    gemm_nb(p.a.trans, p.b.trans, p.M, p.N, p.K, p.a.data, p.a.ld, p.a.bs, p.b.data, p.b.ld, p.b.bs, bias ? 1.0f : 0.0f,
            out, p.N, p.sc, p.n);
    return c;
}

ax_tensor *ax_matmul(ax_tensor *a, ax_tensor *b) {
    AX_ASSERT(a->ndim >= 2 && b->ndim >= 2, "matmul needs ≥ 2-D operands, got %s and %s", ax_shape_str(a),
              ax_shape_str(b));
    AX_ASSERT(a->shape[a->ndim - 1] == b->shape[b->ndim - 2], "matmul shapes %s and %s do not chain", ax_shape_str(a),
              ax_shape_str(b));
    a = as_matrix_operand(a);
    b = as_matrix_operand(b);
    ax_tensor *c = forward(a, b, NULL);
    AX_RECORD("matmul", matmul_backward, c, a, b);
    return c;
}

/* ---- linear layers: y = x·wᵀ + bias with w (out, in) (ax_linear, torch.nn.Linear), or y = x·w + bias with
 * w (in, out) (ax_addmm, GPT-2's Conv1D). The weight is read in place as the B operand (transposed or not) and
 * x's leading dims are flattened into rows, so the forward and both weight products are single GEMMs:
 *   dx += dy·op(w)ᵀ      dw += op(x)ᵀ·dy (addmm) or dyᵀ·op(x) (linear), in w's own layout      dbias += Σ_rows dy */

// A 2-D alias (rows, cols) of x: its leading dims flattened (x contiguous) or x itself (2-D); not a recorded view.
static ax_tensor rows_of(const ax_tensor *x) {
    ax_tensor m = *x;
    if (x->ndim > 2) {
        int64_t cols = x->shape[x->ndim - 1];
        m.ndim = 2;
        m.shape[0] = ax_numel(x) / cols, m.shape[1] = cols;
        m.stride[0] = cols, m.stride[1] = 1;
    }
    return m;
}

// w (out, in) seen as wᵀ (in, out): an alias for the GEMM plan, not a recorded view
static ax_tensor transposed(const ax_tensor *w) {
    ax_tensor t = *w;
    t.shape[0] = w->shape[1], t.shape[1] = w->shape[0];
    t.stride[0] = w->stride[1], t.stride[1] = w->stride[0];
    return t;
}

// The B operand of the layer: w itself (addmm) or wᵀ (linear)
static ax_tensor weight_operand(const ax_tensor *w, bool w_out_in) { return w_out_in ? transposed(w) : *w; }

// db (N) += Σ_rows dy (rows × N), threads over column blocks
static void bias_backward(const float *dy, int64_t rows, int64_t N, float *restrict db) {
    enum { COLS = 64 };
#pragma omp parallel for if (rows * N > 65536)
    for (int64_t j0 = 0; j0 < N; j0 += COLS) {
        int64_t n = N - j0 < COLS ? N - j0 : COLS;
        for (int64_t r = 0; r < rows; r++) {
            const float *g = dy + r * N + j0;
#pragma omp simd
            for (int64_t j = 0; j < n; j++) db[j0 + j] += g[j];
        }
    }
}

static void layer_backward(ax_node *n, bool w_out_in) {
    ax_tensor x = rows_of(n->in[0]), w = weight_operand(n->in[1], w_out_in), y = rows_of(n->out);
    mm_plan p = plan(&x, &w, &y);
    const float *dy = n->out->grad->data;
    bool fresh; // x has no gradient yet: the GEMM writes it (beta 0) instead of adding to zeros
    float *dx = ax_grad_buf_fresh(n->in[0], &fresh), *dw = ax_grad_buf(n->in[1]);
    float *db = n->n_in > 2 ? ax_grad_buf(n->in[2]) : NULL;
    if (dx) backward_a(&p, dy, fresh ? 0.0f : 1.0f, dx);
    if (dw && w_out_in) // dw (N×K) += dyᵀ · op(x)
        ax_gemm(true, p.a.trans, p.N, p.K, p.M, 1.0f, dy, p.N, p.a.data, p.a.ld, 1.0f, dw, p.K);
    else if (dw) // dw (K×N) += op(x)ᵀ · dy
        ax_gemm(!p.a.trans, false, p.K, p.N, p.M, 1.0f, p.a.data, p.a.ld, dy, p.N, 1.0f, dw, p.N);
    if (db) bias_backward(dy, p.M, p.N, db);
}

static void linear_backward(ax_node *n) { layer_backward(n, true); }
static void addmm_backward(ax_node *n) { layer_backward(n, false); }

static ax_tensor *layer(const char *name, ax_tensor *x, ax_tensor *w, ax_tensor *b, bool w_out_in) {
    int64_t in = w->shape[w_out_in ? 1 : 0], out = w->shape[w_out_in ? 0 : 1];
    AX_ASSERT(w->ndim == 2 && x->ndim >= 1 && x->shape[x->ndim - 1] == in, "%s: input %s does not fit weight %s",
              name, ax_shape_str(x), ax_shape_str(w));
    AX_ASSERT(!b || (b->ndim == 1 && b->shape[0] == out), "%s: bias %s does not fit weight %s", name,
              b ? ax_shape_str(b) : "", ax_shape_str(w));
    if (x->ndim == 1) return ax_squeeze(layer(name, ax_unsqueeze(x, 0), w, b, w_out_in), 0);
    x = x->ndim > 2 && !ax_is_contiguous(x) ? ax_contiguous(x) : as_matrix_operand(x);
    w = as_matrix_operand(w);
    if (b) b = ax_contiguous(b);
    ax_tensor xm = rows_of(x), wm = weight_operand(w, w_out_in);
    ax_tensor *y = forward(&xm, &wm, b ? b->data : NULL);
    memcpy(y->shape, x->shape, sizeof y->shape); // (rows, out) → (…, out): a fresh contiguous tensor
    y->ndim = x->ndim;
    y->shape[y->ndim - 1] = out;
    for (int64_t d = y->ndim - 1, s = 1; d >= 0; d--) y->stride[d] = s, s *= y->shape[d];
    ax_backward_fn backward = w_out_in ? linear_backward : addmm_backward;
    if (b)
        AX_RECORD(name, backward, y, x, w, b);
    else
        AX_RECORD(name, backward, y, x, w);
    return y;
}

ax_tensor *ax_linear(ax_tensor *x, ax_tensor *w, ax_tensor *b) { return layer("linear", x, w, b, true); }
ax_tensor *ax_addmm(ax_tensor *x, ax_tensor *w, ax_tensor *b) { return layer("addmm", x, w, b, false); }
