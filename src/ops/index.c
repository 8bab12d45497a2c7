/* Lookups by integer index: embedding, index_select, gather. Indices are I32 and checked in forward; an
 * index out of range aborts with the index and the size it must stay below. */
#include "autograd/tape.h"
#include "axon/ops.h"
#include "ops/strided.h"

#include <string.h>

#define PAR_MIN 32768  // elements below which a loop stays single-threaded
#define COL_BLOCK 256  // columns per task when scatter-adding rows in parallel

// idx (any strides) copied in row-major order into the arena, each value checked to lie in [0, limit)
static int32_t *checked_indices(const char *op, const ax_tensor *idx, int64_t limit, const ax_tensor *x) {
    const int32_t *src = ax_i32(idx);
    int32_t *dst = ax_arena_alloc((size_t)ax_numel(idx) * sizeof *dst);
    int64_t sh[AX_MAX_DIMS], st[AX_MAX_DIMS], k = 0;
    ax_right_align(idx->ndim, idx->shape, 1, sh);
    ax_right_align(idx->ndim, idx->stride, 0, st);
    for (int64_t i0 = 0; i0 < sh[0]; i0++)
        for (int64_t i1 = 0; i1 < sh[1]; i1++)
            for (int64_t i2 = 0; i2 < sh[2]; i2++)
                for (int64_t i3 = 0; i3 < sh[3]; i3++) {
                    int32_t v = src[i0 * st[0] + i1 * st[1] + i2 * st[2] + i3 * st[3]];
                    AX_ASSERT(v >= 0 && v < limit, "%s: index %d out of range [0, %lld) for %s", op, (int)v, (long long)limit,
                              ax_shape_str(x));
                    dst[k++] = v;
                }
    return dst;
}

/* ---- take rows: x viewed as (outer, D, inner), y (outer, n, inner) ----
 *   y[o, j, :] = x[o, idx[j], :]        dx[o, idx[j], :] += dy[o, j, :]
 * embedding is the case outer = 1, D = V, inner = C; index_select is any dim. */

typedef struct {
    const int32_t *idx;           // (n) checked indices into D
    int64_t n;                    // number of indices
    int64_t outer, D, inner;      // x as (outer, D, inner), contiguous
} take_plan;

static void take_forward(const take_plan *p, const float *x, float *y) {
    int64_t rows = p->outer * p->n;
#pragma omp parallel for if (rows * p->inner > PAR_MIN)
    for (int64_t r = 0; r < rows; r++) {
        int64_t o = r / p->n, j = r % p->n;
        memcpy(y + r * p->inner, x + (o * p->D + p->idx[j]) * p->inner, (size_t)p->inner * sizeof(float));
    }
}

// Each task owns a block of columns of one outer slab, so repeated indices never race.
static void take_backward(ax_node *nd) {
    float *dx = ax_grad_buf(nd->in[0]);
    if (!dx) return;
    const take_plan *p = nd->saved;
    const float *dy = nd->out->grad->data;
    int64_t blocks = (p->inner + COL_BLOCK - 1) / COL_BLOCK;
#pragma omp parallel for collapse(2) if (p->outer * p->n * p->inner > PAR_MIN)
    for (int64_t o = 0; o < p->outer; o++)
        for (int64_t b = 0; b < blocks; b++) {
            int64_t c0 = b * COL_BLOCK, c1 = c0 + COL_BLOCK < p->inner ? c0 + COL_BLOCK : p->inner;
            for (int64_t j = 0; j < p->n; j++) {
                float *dst = dx + (o * p->D + p->idx[j]) * p->inner;
                const float *src = dy + (o * p->n + j) * p->inner;
                for (int64_t c = c0; c < c1; c++) dst[c] += src[c];
            }
        }
}

// y (out_ndim, out_shape) = rows of x (made contiguous) along dim picked by idx
static ax_tensor *take(const char *op, ax_tensor *x, int dim, const ax_tensor *idx, int out_ndim, const int64_t *out_shape) {
    x = ax_contiguous(x);
    take_plan *p = ax_arena_alloc(sizeof *p);
    p->idx = checked_indices(op, idx, x->shape[dim], x);
    p->n = ax_numel(idx);
    p->outer = 1;
    p->inner = 1;
    for (int d = 0; d < dim; d++) p->outer *= x->shape[d];
    for (int d = dim + 1; d < x->ndim; d++) p->inner *= x->shape[d];
    p->D = x->shape[dim];
    ax_tensor *y = ax_empty(out_ndim, out_shape);
    take_forward(p, x->data, y->data);
    ax_node *nd = AX_RECORD(op, take_backward, y, x);
    if (nd) nd->saved = p;
    return y;
}

ax_tensor *ax_embedding(ax_tensor *weight, ax_tensor *idx) {
    AX_ASSERT(weight->ndim == 2, "embedding: weight must be (V, C), got %s", ax_shape_str(weight));
    AX_ASSERT(idx->ndim < AX_MAX_DIMS, "embedding: indices %s have more than %d dims", ax_shape_str(idx), AX_MAX_DIMS - 1);
    int64_t shape[AX_MAX_DIMS];
    for (int d = 0; d < idx->ndim; d++) shape[d] = idx->shape[d];
    shape[idx->ndim] = weight->shape[1];
    return take("embedding", weight, 0, idx, idx->ndim + 1, shape);
}

ax_tensor *ax_index_select(ax_tensor *x, int dim, ax_tensor *idx) {
    int d = ax_norm_dim(x, dim);
    AX_ASSERT(idx->ndim <= 1, "index_select: indices must be 1-D, got %s", ax_shape_str(idx));
    int64_t shape[AX_MAX_DIMS];
    for (int e = 0; e < x->ndim; e++) shape[e] = e == d ? ax_numel(idx) : x->shape[e];
    return take("index_select", x, d, idx, x->ndim, shape);
}

/* ---- gather: y[i] = x[i with coordinate dim replaced by idx[i]]; dx[same] += dy[i] ---- */

// Offset, in a layout with `stride`, of element i (row-major over `shape`) with coordinate `dim` set to `at`.
static inline int64_t gather_offset(const int64_t *shape, const int64_t *stride, int dim, int64_t i, int32_t at) {
    int64_t off = 0;
    for (int d = AX_MAX_DIMS - 1; d >= 0; d--) {
        int64_t c = i % shape[d];
        i /= shape[d];
        off += (d == dim ? at : c) * stride[d];
    }
    return off;
}

// Elements that differ in a coordinate other than dim never collide in dx, so the loop is parallel over
// one such coordinate p and serial over the rest.
static void gather_backward(ax_node *nd) {
    ax_tensor *x = nd->in[0], *y = nd->out;
    float *dx = ax_grad_buf(x);
    int64_t len = ax_numel(y);
    if (!dx || len == 0) return;
    const int32_t *idx = nd->saved;
    const float *dy = y->grad->data;
    int dim = (int)nd->iarg[0], p = dim == 0 ? 1 : 0;
    const int64_t *stride = x->grad->stride, *shape = y->shape;
    int64_t P = shape[p], lo = 1;
    for (int d = p + 1; d < AX_MAX_DIMS; d++) lo *= shape[d];
    int64_t hi = len / (P * lo);
#pragma omp parallel for if (len > PAR_MIN)
    for (int64_t cp = 0; cp < P; cp++)
        for (int64_t h = 0; h < hi; h++)
            for (int64_t l = 0; l < lo; l++) {
                int64_t i = (h * P + cp) * lo + l;
                dx[gather_offset(shape, stride, dim, i, idx[i])] += dy[i];
            }
}

ax_tensor *ax_gather(ax_tensor *x, int dim, ax_tensor *idx) {
    int d = ax_norm_dim(x, dim);
    bool fits = idx->ndim == x->ndim;
    for (int e = 0; fits && e < x->ndim; e++) fits = e == d || idx->shape[e] <= x->shape[e];
    AX_ASSERT(fits, "gather: indices %s do not fit %s along dim %d", ax_shape_str(idx), ax_shape_str(x), d);
    const int32_t *ix = checked_indices("gather", idx, x->shape[d], x);
    ax_tensor *y = ax_empty(idx->ndim, idx->shape);
    const float *px = ax_f32(x);
    float *py = y->data;
    int64_t len = ax_numel(y), stride[AX_MAX_DIMS];
    for (int e = 0; e < AX_MAX_DIMS; e++) stride[e] = e < x->ndim ? x->stride[e] : 0;
#pragma omp parallel for if (len > PAR_MIN)
    for (int64_t i = 0; i < len; i++) py[i] = px[gather_offset(y->shape, stride, d, i, ix[i])];
    ax_node *nd = AX_RECORD("gather", gather_backward, y, x);
    if (nd) {
        nd->saved = (void *)ix;
        nd->iarg[0] = d;
    }
    return y;
}
