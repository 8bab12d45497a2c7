/* Views: reshape, permute, transpose, narrow, unsqueeze, squeeze — and contiguous, the copy that packs
 * any view. A view shares its base's storage; its backward routes the gradient back to the base's shape. */
#include "autograd/tape.h"
#include "axon/ops.h"

#include <string.h>

static ax_tensor *view_of(ax_tensor *x) {
    ax_tensor *v = ax_arena_alloc(sizeof *v);
    *v = *x;
    v->requires_grad = false;
    v->persistent = false;
    v->owns_data = false;
    v->grad = NULL;
    v->node = NULL;
    v->name = NULL;
    return v;
}

#define PAR_MIN 32768 // elements below which a loop stays single-threaded

// Adds g (contiguous in the layout `view` describes) into dst, a contiguous buffer of the base's shape:
// `view` carries the view's shape with strides expressed in the base's contiguous layout.
static void scatter_add(const float *g, const ax_tensor *view, float *dst) {
    const int64_t *s = view->shape, *st = view->stride;
    // every view element has its own base element (permute, narrow, squeeze, unsqueeze): rows in parallel
#pragma omp parallel for collapse(2) if (s[0] * s[1] * s[2] * s[3] > PAR_MIN)
    for (int64_t i0 = 0; i0 < s[0]; i0++)
        for (int64_t i1 = 0; i1 < s[1]; i1++) {
            const float *gr = g + (i0 * s[1] + i1) * s[2] * s[3];
            float *dr = dst + i0 * st[0] + i1 * st[1];
            for (int64_t i2 = 0; i2 < s[2]; i2++) {
                float *d = dr + i2 * st[2];
                const float *gi = gr + i2 * s[3];
                if (st[3] == 1) {
#pragma omp simd
                    for (int64_t i3 = 0; i3 < s[3]; i3++) d[i3] += gi[i3];
                } else {
                    for (int64_t i3 = 0; i3 < s[3]; i3++) d[i3 * st[3]] += gi[i3];
                }
            }
        }
}

/* ---- contiguous: y = x packed row-major; dx += dy (or dx = dy, handed over, when x has no gradient yet) ---- */

static void copy_backward(ax_node *n) {
    if (ax_grad_adopt(n->in[0], n->out->grad)) return; // the first gradient x gets: dy itself, no copy
    float *dx = ax_grad_buf(n->in[0]);
    const float *g = n->out->grad->data;
    int64_t len = ax_numel(n->out);
#pragma omp parallel for simd if (len > PAR_MIN)
    for (int64_t i = 0; i < len; i++) dx[i] += g[i];
}

// dst (contiguous) = x's elements in row-major order, for a tensor of any dtype and strides
static void gather(const ax_tensor *x, void *dst) {
    if (x->dtype == AX_F32) {
        ax_copy_to_f32(x, dst);
        return;
    }
    size_t esz = ax_dtype_size(x->dtype);
    const char *src = x->data;
    char *out = dst;
    const int64_t *s = x->shape, *st = x->stride; // unused trailing dims have size 1
    for (int64_t i0 = 0; i0 < s[0]; i0++)
        for (int64_t i1 = 0; i1 < s[1]; i1++)
            for (int64_t i2 = 0; i2 < s[2]; i2++)
                for (int64_t i3 = 0; i3 < s[3]; i3++, out += esz)
                    memcpy(out, src + (size_t)(i0 * st[0] + i1 * st[1] + i2 * st[2] + i3 * st[3]) * esz, esz);
}

ax_tensor *ax_contiguous(ax_tensor *x) {
    if (ax_is_contiguous(x)) return x;
    ax_tensor *y = ax_empty_dtype(x->dtype, x->ndim, x->shape);
    gather(x, y->data);
    AX_RECORD("contiguous", copy_backward, y, x);
    return y;
}

/* ---- strided views: backward scatters dy through the view's strides into the base's layout ---- */

static void view_backward(ax_node *n) {
    float *dx = ax_grad_buf(n->in[0]);
    const ax_tensor *layout = n->saved;
    scatter_add(n->out->grad->data, layout, dx + n->iarg[0]);
}

/* dim_map[d] = the base dim that view dim d walks (−1 for an inserted size-1 dim); the view's element 0
 * sits at `offset` in the base's contiguous layout. */
static void record_view(const char *op, ax_tensor *x, ax_tensor *y, const int64_t *dim_map, int64_t offset) {
    ax_node *n = AX_RECORD(op, view_backward, y, x);
    if (!n) return;
    int64_t base_stride[AX_MAX_DIMS], s = 1;
    for (int d = x->ndim - 1; d >= 0; d--) base_stride[d] = s, s *= x->shape[d];
    ax_tensor *layout = ax_arena_alloc(sizeof *layout);
    *layout = *y;
    for (int d = 0; d < AX_MAX_DIMS; d++) layout->stride[d] = d < y->ndim && dim_map[d] >= 0 ? base_stride[dim_map[d]] : 0;
    n->saved = layout;
    n->iarg[0] = offset;
}

ax_tensor *ax_permute(ax_tensor *x, const int *perm) {
    ax_tensor *y = view_of(x);
    int64_t dim_map[AX_MAX_DIMS] = {0};
    bool seen[AX_MAX_DIMS] = {false};
    for (int d = 0; d < x->ndim; d++) {
        int p = perm[d];
        AX_ASSERT(p >= 0 && p < x->ndim && !seen[p], "bad permutation of %s", ax_shape_str(x));
        seen[p] = true;
        y->shape[d] = x->shape[p];
        y->stride[d] = x->stride[p];
        dim_map[d] = p;
    }
    record_view("permute", x, y, dim_map, 0);
    return y;
}

ax_tensor *ax_transpose(ax_tensor *x, int d0, int d1) {
    int perm[AX_MAX_DIMS] = {0, 1, 2, 3};
    d0 = ax_norm_dim(x, d0);
    d1 = ax_norm_dim(x, d1);
    perm[d0] = d1;
    perm[d1] = d0;
    return ax_permute(x, perm);
}

ax_tensor *ax_narrow(ax_tensor *x, int dim, int64_t start, int64_t length) {
    int d = ax_norm_dim(x, dim);
    AX_ASSERT(start >= 0 && length >= 0 && start + length <= x->shape[d], "narrow [%lld, %lld) out of range in dim %d of %s",
              (long long)start, (long long)(start + length), d, ax_shape_str(x));
    ax_tensor *y = view_of(x);
    y->data = (char *)x->data + (size_t)(start * x->stride[d]) * ax_dtype_size(x->dtype);
    y->shape[d] = length;
    int64_t dim_map[AX_MAX_DIMS] = {0, 1, 2, 3};
    int64_t offset = start;
    for (int e = d + 1; e < x->ndim; e++) offset *= x->shape[e];
    record_view("narrow", x, y, dim_map, offset);
    return y;
}

/* ---- reshapes: same elements in the same order, so the gradient is dy read with x's shape ---- */

static ax_tensor *reshape_view(const char *op, ax_tensor *x, int ndim, const int64_t *shape) {
    AX_ASSERT(ax_is_contiguous(x), "reshape_view of a non-contiguous tensor");
    ax_tensor *y = view_of(x);
    y->ndim = ndim;
    int64_t s = 1;
    for (int d = AX_MAX_DIMS - 1; d >= 0; d--) {
        y->shape[d] = d < ndim ? shape[d] : 1;
        y->stride[d] = s;
        s *= y->shape[d];
    }
    AX_RECORD(op, copy_backward, y, x);
    return y;
}

ax_tensor *ax_reshape(ax_tensor *x, int ndim, const int64_t *shape) {
    AX_ASSERT(ndim >= 0 && ndim <= AX_MAX_DIMS, "reshape to %d dims", ndim);
    int64_t dims[AX_MAX_DIMS], known = 1;
    int infer = -1;
    for (int d = 0; d < ndim; d++) {
        dims[d] = shape[d];
        AX_ASSERT(shape[d] >= -1, "reshape of %s: invalid size %lld in dim %d", ax_shape_str(x), (long long)shape[d], d);
        if (shape[d] == -1) {
            AX_ASSERT(infer < 0, "reshape of %s: more than one -1", ax_shape_str(x));
            infer = d;
        } else {
            known *= shape[d];
        }
    }
    if (infer >= 0) {
        AX_ASSERT(known > 0, "reshape of %s: the size of the -1 dim is ambiguous next to a 0", ax_shape_str(x));
        dims[infer] = ax_numel(x) / known;
    }
    int64_t total = 1;
    for (int d = 0; d < ndim; d++) total *= dims[d];
    AX_ASSERT(total == ax_numel(x), "cannot reshape %s into %d dims with %lld elements", ax_shape_str(x), ndim, (long long)total);
    return reshape_view("reshape", ax_contiguous(x), ndim, dims);
}

ax_tensor *ax_unsqueeze(ax_tensor *x, int dim) {
    int d = dim < 0 ? dim + x->ndim + 1 : dim;
    AX_ASSERT(d >= 0 && d <= x->ndim && x->ndim < AX_MAX_DIMS, "unsqueeze dim %d of %s", dim, ax_shape_str(x));
    ax_tensor *y = view_of(x);
    int64_t dim_map[AX_MAX_DIMS];
    for (int e = 0, src = 0; e <= x->ndim; e++) {
        bool inserted = e == d;
        y->shape[e] = inserted ? 1 : x->shape[src];
        y->stride[e] = inserted ? 0 : x->stride[src];
        dim_map[e] = inserted ? -1 : src++;
    }
    y->ndim = x->ndim + 1;
    record_view("unsqueeze", x, y, dim_map, 0);
    return y;
}

ax_tensor *ax_squeeze(ax_tensor *x, int dim) {
    int d = ax_norm_dim(x, dim);
    AX_ASSERT(x->shape[d] == 1, "squeeze of dim %d of size %lld in %s", d, (long long)x->shape[d], ax_shape_str(x));
    ax_tensor *y = view_of(x);
    int64_t dim_map[AX_MAX_DIMS] = {0};
    for (int e = 0, src = 0; e < x->ndim - 1; e++, src++) {
        if (src == d) src++;
        y->shape[e] = x->shape[src];
        y->stride[e] = x->stride[src];
        dim_map[e] = src;
    }
    y->ndim = x->ndim - 1;
    for (int e = y->ndim; e < AX_MAX_DIMS; e++) y->shape[e] = 1, y->stride[e] = 0;
    record_view("squeeze", x, y, dim_map, 0);
    return y;
}
