/* Matrix multiply and the linear layer op, on top of the GEMM backend.
 *
 *   C = A·B          A (…, M, K), B (…, K, N) or B (K, N) shared by every batch
 *   dA += dC·Bᵀ      dB += Aᵀ·dC   (summed over batches when B is shared)
 *
 * A transposed view (unit stride along its second-to-last dim) is handed to the GEMM with a transpose flag
 * and its leading dimension, never copied. */
#include "autograd/tape.h"
#include "axon/ops.h"
#include "backend/cpu/gemm.h"

typedef struct {
    const float *data; // first element
    bool trans;        // stored as the transpose of its logical (rows × cols) matrix
    int64_t ld;        // leading dimension of the stored matrix
    int64_t rows, cols; // logical size of one matrix
    int64_t batch;     // number of matrices (1 for a 2-D operand)
    int64_t bstride;   // elements between consecutive matrices
} mat_operand;

// Describes x's last two dims for the GEMM. Returns false if x needs packing first.
static bool describe(const ax_tensor *x, mat_operand *m) {
    int r = x->ndim - 2, c = x->ndim - 1;
    m->data = x->data;
    m->rows = x->shape[r];
    m->cols = x->shape[c];
    if (x->stride[c] == 1 || m->cols == 1) {
        m->trans = false;
        m->ld = m->rows == 1 ? m->cols : x->stride[r];
        if (m->ld < m->cols) return false;
    } else if (x->stride[r] == 1 || m->rows == 1) {
        m->trans = true;
        m->ld = m->cols == 1 ? m->rows : x->stride[c];
        if (m->ld < m->rows) return false;
    } else {
        return false;
    }
    // the batch dims must collapse into one uniform stride
    m->batch = 1;
    m->bstride = m->rows * m->cols;
    for (int d = r - 1; d >= 0; d--) {
        if (x->shape[d] == 1) continue;
        if (m->batch == 1) m->bstride = x->stride[d];
        else if (x->stride[d] != m->bstride * m->batch) return false;
        m->batch *= x->shape[d];
    }
    return true;
}

static ax_tensor *as_matrix_operand(ax_tensor *x, mat_operand *m) {
    if (!describe(x, m)) {
        x = ax_contiguous(x);
        describe(x, m);
    }
    return x;
}

static void matmul_backward(ax_node *n) {
    mat_operand a, b;
    describe(n->in[0], &a);
    describe(n->in[1], &b);
    const float *dc = n->out->grad->data;
    int64_t M = a.rows, K = a.cols, N = b.cols, batch = a.batch;
    float *da = ax_grad_buf(n->in[0]), *db = ax_grad_buf(n->in[1]);
    if (da) // dA (M×K) += dC (M×N) · op(B)ᵀ
        ax_gemm_batched(false, !b.trans, M, K, N, 1.0f, dc, N, M * N, b.data, b.ld, b.batch > 1 ? b.bstride : 0, 1.0f,
                        da, K, M * K, batch);
    if (db) {
        if (b.batch > 1) { // dB (K×N) += op(A)ᵀ · dC per batch
            ax_gemm_batched(!a.trans, false, K, N, M, 1.0f, a.data, a.ld, a.bstride, dc, N, M * N, 1.0f, db, N, K * N,
                            batch);
        } else if (!a.trans && (batch == 1 || a.bstride == M * a.ld)) { // shared B: one GEMM over all rows of A
            ax_gemm(true, false, K, N, M * batch, 1.0f, a.data, a.ld, dc, N, 1.0f, db, N);
        } else {
            for (int64_t i = 0; i < batch; i++)
                ax_gemm(!a.trans, false, K, N, M, 1.0f, a.data + i * a.bstride, a.ld, dc + i * M * N, N, 1.0f, db, N);
        }
    }
}

ax_tensor *ax_matmul(ax_tensor *a, ax_tensor *b) {
    AX_ASSERT(a->ndim >= 2 && b->ndim >= 2, "matmul needs ≥ 2-D operands, got %s and %s", ax_shape_str(a), ax_shape_str(b));
    AX_ASSERT(a->shape[a->ndim - 1] == b->shape[b->ndim - 2], "matmul shapes %s and %s do not chain", ax_shape_str(a),
              ax_shape_str(b));
    bool shared_b = b->ndim == 2;
    if (!shared_b) {
        bool same = a->ndim == b->ndim;
        for (int d = 0; same && d < a->ndim - 2; d++) same = a->shape[d] == b->shape[d];
        AX_ASSERT(same, "matmul batch dims of %s and %s differ", ax_shape_str(a), ax_shape_str(b));
    }
    mat_operand ma, mb;
    a = as_matrix_operand(a, &ma);
    b = as_matrix_operand(b, &mb);
    int64_t shape[AX_MAX_DIMS];
    for (int d = 0; d < a->ndim - 1; d++) shape[d] = a->shape[d];
    shape[a->ndim - 1] = mb.cols;
    ax_tensor *c = ax_empty(a->ndim, shape);
    int64_t M = ma.rows, K = ma.cols, N = mb.cols;
    if (shared_b && !ma.trans && (ma.batch == 1 || ma.bstride == M * ma.ld)) // all rows of A at once
        ax_gemm(false, mb.trans, M * ma.batch, N, K, 1.0f, ma.data, ma.ld, mb.data, mb.ld, 0.0f, c->data, N);
    else
        ax_gemm_batched(ma.trans, mb.trans, M, N, K, 1.0f, ma.data, ma.ld, ma.bstride, mb.data, mb.ld,
                        shared_b ? 0 : mb.bstride, 0.0f, c->data, N, M * N, ma.batch);
    AX_RECORD("matmul", matmul_backward, c, a, b);
    return c;
}

ax_tensor *ax_linear(ax_tensor *x, ax_tensor *w, ax_tensor *b) {
    AX_ASSERT(w->ndim == 2 && x->shape[x->ndim - 1] == w->shape[1], "linear: input %s does not fit weight %s",
              ax_shape_str(x), ax_shape_str(w));
    ax_tensor *y = x->ndim == 1 ? ax_squeeze(ax_matmul(ax_unsqueeze(x, 0), ax_transpose(w, 0, 1)), 0)
                                : ax_matmul(x, ax_transpose(w, 0, 1));
    return b ? ax_add(y, b) : y;
}
