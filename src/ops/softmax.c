/* Softmax and log-softmax along one dim, each lane (the elements along that dim) on its own, stabilised by
 * subtracting the lane's max m:
 *   softmax:     y = e^(x−m) / Σ e^(x−m)        dx += y·(dy − Σ dy·y)
 *   log_softmax: y = (x−m) − log Σ e^(x−m)      dx += dy − e^y·Σ dy
 * The last dim is the fast path, row by row, on the fused SIMD kernels (backend/cpu/fused.h). Other dims
 * take a block of neighbouring lanes at a time and walk it row by row (see ops/lanes.h). A non-contiguous
 * input is packed first. */
#include "autograd/tape.h"
#include "axon/ops.h"
#include "backend/cpu/fused.h"
#include "ops/lanes.h"

/* ---- other dims: w ≤ AX_COL_BLOCK neighbouring lanes of n elements spaced s apart ---- */

static void softmax_cols(const float *x, float *y, int64_t n, int64_t s, int64_t w, bool as_log) {
    float m[AX_COL_BLOCK], sum[AX_COL_BLOCK];
    for (int64_t j = 0; j < w; j++) m[j] = -INFINITY, sum[j] = 0.0f;
    for (int64_t k = 0; k < n; k++)
        for (int64_t j = 0; j < w; j++) m[j] = x[k * s + j] > m[j] ? x[k * s + j] : m[j];
    for (int64_t k = 0; k < n; k++)
        for (int64_t j = 0; j < w; j++) {
            y[k * s + j] = expf(x[k * s + j] - m[j]);
            sum[j] += y[k * s + j];
        }
    if (as_log) {
        for (int64_t j = 0; j < w; j++) sum[j] = logf(sum[j]);
        for (int64_t k = 0; k < n; k++)
            for (int64_t j = 0; j < w; j++) y[k * s + j] = (x[k * s + j] - m[j]) - sum[j];
    } else {
        for (int64_t j = 0; j < w; j++) sum[j] = 1.0f / sum[j];
        for (int64_t k = 0; k < n; k++)
            for (int64_t j = 0; j < w; j++) y[k * s + j] *= sum[j];
    }
}

static void softmax_cols_grad(const float *y, const float *g, float *dx, int64_t n, int64_t s, int64_t w, bool as_log) {
    float dot[AX_COL_BLOCK] = {0}; // Σ g (log_softmax) or Σ g·y (softmax), per lane
    if (as_log) {
        for (int64_t k = 0; k < n; k++)
            for (int64_t j = 0; j < w; j++) dot[j] += g[k * s + j];
        for (int64_t k = 0; k < n; k++)
            for (int64_t j = 0; j < w; j++) dx[k * s + j] += g[k * s + j] - expf(y[k * s + j]) * dot[j];
    } else {
        for (int64_t k = 0; k < n; k++)
            for (int64_t j = 0; j < w; j++) dot[j] += g[k * s + j] * y[k * s + j];
        for (int64_t k = 0; k < n; k++)
            for (int64_t j = 0; j < w; j++) dx[k * s + j] += y[k * s + j] * (g[k * s + j] - dot[j]);
    }
}

/* ---- the ops ---- */

static void softmax_backward(ax_node *nd) {
    float *dx = ax_grad_buf(nd->in[0]);
    if (!dx) return;
    ax_lanes l = ax_lanes_of(nd->in[0], (int)nd->iarg[0]);
    bool as_log = nd->iarg[1];
    const float *y = nd->out->data, *g = nd->out->grad->data;
    if (l.inner == 1) {
        const ax_fused_isa *k = ax_fused();
#pragma omp parallel for if (l.outer * l.n > AX_PAR_MIN)
        for (int64_t o = 0; o < l.outer; o++) k->softmax_row_grad(y + o * l.n, g + o * l.n, dx + o * l.n, l.n, as_log);
        return;
    }
#pragma omp parallel for if (l.outer * l.n * l.inner > AX_PAR_MIN)
    for (int64_t t = 0; t < ax_col_blocks(l); t++) {
        ax_col_block b = ax_col_block_at(l, t);
        softmax_cols_grad(y + b.start, g + b.start, dx + b.start, l.n, l.inner, b.width, as_log);
    }
}

static ax_tensor *softmax(const char *op, ax_tensor *x, int dim, bool as_log) {
    int d = ax_norm_dim(x, dim);
    x = ax_contiguous(x);
    ax_lanes l = ax_lanes_of(x, d);
    ax_tensor *y = ax_empty(x->ndim, x->shape);
    const float *px = ax_f32(x);
    float *py = y->data;
    if (l.inner == 1) {
        const ax_fused_isa *k = ax_fused();
#pragma omp parallel for if (l.outer * l.n > AX_PAR_MIN)
        for (int64_t o = 0; o < l.outer; o++) k->softmax_row(px + o * l.n, py + o * l.n, l.n, as_log);
    } else {
#pragma omp parallel for if (l.outer * l.n * l.inner > AX_PAR_MIN)
        for (int64_t t = 0; t < ax_col_blocks(l); t++) {
            ax_col_block b = ax_col_block_at(l, t);
            softmax_cols(px + b.start, py + b.start, l.n, l.inner, b.width, as_log);
        }
    }
    ax_node *nd = AX_RECORD(op, softmax_backward, y, x);
    if (nd) {
        nd->iarg[0] = d;
        nd->iarg[1] = as_log;
    }
    return y;
}

ax_tensor *ax_softmax(ax_tensor *x, int dim) { return softmax("softmax", x, dim, false); }
ax_tensor *ax_log_softmax(ax_tensor *x, int dim) { return softmax("log_softmax", x, dim, true); }
