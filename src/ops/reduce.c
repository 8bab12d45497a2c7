/* Reductions over one dim, and over every element.
 *   sum:  y = Σ_k x_k          dx_k += dy
 *   mean: y = Σ_k x_k / n      dx_k += dy / n
 *   max:  y = x_a, a = the first k with x_k maximal (NaN counts as maximal)     dx_a += dy
 * A non-contiguous input is packed first (ax_contiguous records the copy's backward). */
#include "autograd/tape.h"
#include "axon/ops.h"
#include "ops/lanes.h"

// The result's shape: x's with dim d removed, or kept as size 1.
static ax_tensor *reduced_empty(ax_dtype dtype, const ax_tensor *x, int d, bool keepdim) {
    int64_t shape[AX_MAX_DIMS];
    int ndim = 0;
    for (int e = 0; e < x->ndim; e++) {
        if (e != d)
            shape[ndim++] = x->shape[e];
        else if (keepdim)
            shape[ndim++] = 1;
    }
    return ax_empty_dtype(dtype, ndim, shape);
}

/* ---- sum and mean over a dim: y = Σ_k x_k / div (div = 1 or n) ---- */

static void sum_backward(ax_node *nd) {
    float *dx = ax_grad_buf(nd->in[0]);
    if (!dx) return;
    ax_lanes l = ax_lanes_of(nd->in[0], (int)nd->iarg[0]);
    const float *dy = nd->out->grad->data;
    float div = nd->farg[0];
    int64_t rows = l.outer * l.n; // row r = (o, k) of x, the inner elements contiguous
#pragma omp parallel for if (rows * l.inner > AX_PAR_MIN)
    for (int64_t r = 0; r < rows; r++) {
        const float *g = dy + r / l.n * l.inner;
        float *d = dx + r * l.inner;
        for (int64_t i = 0; i < l.inner; i++) d[i] += g[i] / div;
    }
}

// y[k] = Σ of lane k / div: row by row for the last dim, else a block of lanes at a time
static void sum_kernel(const float *x, ax_lanes l, float div, float *y) {
    if (l.inner == 1) {
#pragma omp parallel for if (l.outer * l.n > AX_PAR_MIN)
        for (int64_t o = 0; o < l.outer; o++) {
            const float *row = x + o * l.n;
            float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
            for (int64_t k = 0; k < l.n; k++) sum += row[k];
            y[o] = sum / div;
        }
        return;
    }
#pragma omp parallel for if (l.outer * l.n * l.inner > AX_PAR_MIN)
    for (int64_t t = 0; t < ax_col_blocks(l); t++) {
        ax_col_block b = ax_col_block_at(l, t);
        float *yb = y + b.lane;
        const float *xb = x + b.start;
        for (int64_t j = 0; j < b.width; j++) yb[j] = 0.0f;
        for (int64_t k = 0; k < l.n; k++)
            for (int64_t j = 0; j < b.width; j++) yb[j] += xb[k * l.inner + j];
        for (int64_t j = 0; j < b.width; j++) yb[j] /= div;
    }
}

static ax_tensor *sum_dim(const char *op, ax_tensor *x, int dim, bool keepdim, bool mean) {
    int d = ax_norm_dim(x, dim);
    x = ax_contiguous(x);
    ax_lanes l = ax_lanes_of(x, d);
    ax_tensor *y = reduced_empty(AX_F32, x, d, keepdim);
    float div = mean ? (float)l.n : 1.0f;
    sum_kernel(ax_f32(x), l, div, y->data);
    ax_node *nd = AX_RECORD(op, sum_backward, y, x);
    if (nd) {
        nd->iarg[0] = d;
        nd->farg[0] = div;
    }
    return y;
}

ax_tensor *ax_sum(ax_tensor *x, int dim, bool keepdim) { return sum_dim("sum", x, dim, keepdim, false); }
ax_tensor *ax_mean(ax_tensor *x, int dim, bool keepdim) { return sum_dim("mean", x, dim, keepdim, true); }

/* ---- max over a dim ---- */

// the running max *y, at index *a, takes v at index k if v is larger, or if v is the first NaN
static inline void max_step(float v, int32_t k, float *y, int32_t *a) {
    if (v > *y || (isnan(v) && !isnan(*y))) *y = v, *a = k;
}

// y[k], a[k] = max and first argmax of lane k: row by row for the last dim, else a block of lanes at a time
static void max_kernel(const float *x, ax_lanes l, float *y, int32_t *a) {
    if (l.inner == 1) {
#pragma omp parallel for if (l.outer * l.n > AX_PAR_MIN)
        for (int64_t o = 0; o < l.outer; o++) {
            const float *row = x + o * l.n;
            float best = row[0];
            int32_t at = 0;
            for (int64_t k = 1; k < l.n; k++) max_step(row[k], (int32_t)k, &best, &at);
            y[o] = best, a[o] = at;
        }
        return;
    }
#pragma omp parallel for if (l.outer * l.n * l.inner > AX_PAR_MIN)
    for (int64_t t = 0; t < ax_col_blocks(l); t++) {
        ax_col_block b = ax_col_block_at(l, t);
        float *yb = y + b.lane;
        int32_t *ab = a + b.lane;
        const float *xb = x + b.start;
        for (int64_t j = 0; j < b.width; j++) yb[j] = xb[j], ab[j] = 0;
        for (int64_t k = 1; k < l.n; k++)
            for (int64_t j = 0; j < b.width; j++) max_step(xb[k * l.inner + j], (int32_t)k, yb + j, ab + j);
    }
}

static void max_backward(ax_node *nd) {
    float *dx = ax_grad_buf(nd->in[0]);
    if (!dx) return;
    ax_lanes l = ax_lanes_of(nd->in[0], (int)nd->iarg[0]);
    const float *dy = nd->out->grad->data;
    const int32_t *arg = nd->saved;
    int64_t lanes = l.outer * l.inner;
#pragma omp parallel for if (lanes > AX_PAR_MIN)
    for (int64_t k = 0; k < lanes; k++) dx[ax_lane_start(l, k) + arg[k] * l.inner] += dy[k];
}

ax_tensor *ax_max(ax_tensor *x, int dim, bool keepdim, ax_tensor **argmax) {
    int d = ax_norm_dim(x, dim);
    AX_ASSERT(x->shape[d] > 0, "max over the empty dim %d of %s", d, ax_shape_str(x));
    AX_ASSERT(x->shape[d] <= INT32_MAX, "max: dim %d of %s is too long for an I32 argmax", d, ax_shape_str(x));
    x = ax_contiguous(x);
    ax_lanes l = ax_lanes_of(x, d);
    ax_tensor *y = reduced_empty(AX_F32, x, d, keepdim), *arg = reduced_empty(AX_I32, x, d, keepdim);
    int32_t *pa = arg->data;
    max_kernel(ax_f32(x), l, y->data, pa);
    ax_node *nd = AX_RECORD("max", max_backward, y, x);
    if (nd) {
        nd->iarg[0] = d;
        nd->saved = pa;
    }
    if (argmax) *argmax = arg;
    return y;
}

/* ---- every element: y = Σ x / div (div = 1 or numel), accumulated in double; dx += dy / div ---- */

static void sum_all_backward(ax_node *nd) {
    float *dx = ax_grad_buf(nd->in[0]);
    if (!dx) return;
    float g = ax_item(nd->out->grad) / nd->farg[0];
    int64_t len = ax_numel(nd->in[0]);
#pragma omp parallel for simd if (len > AX_PAR_MIN)
    for (int64_t i = 0; i < len; i++) dx[i] += g;
}

static ax_tensor *sum_all(const char *op, ax_tensor *x, bool mean) {
    x = ax_contiguous(x);
    const float *p = ax_f32(x);
    int64_t len = ax_numel(x);
    double sum = 0.0;
#pragma omp parallel for simd reduction(+ : sum) if (len > AX_PAR_MIN)
    for (int64_t i = 0; i < len; i++) sum += p[i];
    double div = mean ? (double)len : 1.0;
    ax_tensor *y = ax_scalar((float)(sum / div)); // mean of no elements: 0/0 = NaN, as PyTorch
    ax_node *nd = AX_RECORD(op, sum_all_backward, y, x);
    if (nd) nd->farg[0] = (float)div;
    return y;
}

ax_tensor *ax_sum_all(ax_tensor *x) { return sum_all("sum_all", x, false); }
ax_tensor *ax_mean_all(ax_tensor *x) { return sum_all("mean_all", x, true); }
