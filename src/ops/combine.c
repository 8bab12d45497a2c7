/* Joining and splitting along a dim.
 *   concat: y = [x_0, x_1, ...] along dim       dx_i += the slab of dy that x_i filled
 *   stack:  concat of the inputs, each unsqueezed at the new dim (the unsqueeze views route gradients)
 *   split:  narrow views of x, so each piece used sends its gradient to its slice of x */
#include "autograd/tape.h"
#include "axon/ops.h"
#include "ops/strided.h"

#include <string.h>

#define PAR_MIN 32768 // elements below which a loop stays single-threaded

// dst = src elementwise over src's shape; both read through their own strides (dst may be a slab of a tensor)
static void copy_strided(const ax_tensor *src, const ax_tensor *dst) {
    const float *ps = ax_f32(src);
    float *pd = dst->data;
    int64_t sh[AX_MAX_DIMS], ss[AX_MAX_DIMS], sd[AX_MAX_DIMS];
    ax_right_align(src->ndim, src->shape, 1, sh);
    ax_right_align(src->ndim, src->stride, 0, ss);
    ax_right_align(src->ndim, dst->stride, 0, sd);
    int64_t rows = sh[0] * sh[1] * sh[2];
    bool unit = ss[3] == 1 && sd[3] == 1;
#pragma omp parallel for if (rows * sh[3] > PAR_MIN)
    for (int64_t r = 0; r < rows; r++) {
        int64_t i0 = r / (sh[1] * sh[2]), i1 = r / sh[2] % sh[1], i2 = r % sh[2];
        const float *rs = ps + i0 * ss[0] + i1 * ss[1] + i2 * ss[2];
        float *rd = pd + i0 * sd[0] + i1 * sd[1] + i2 * sd[2];
        if (unit) memcpy(rd, rs, (size_t)sh[3] * sizeof(float));
        else for (int64_t i = 0; i < sh[3]; i++) rd[i * sd[3]] = rs[i * ss[3]];
    }
}

// With y as (outer, total, inner), input i fills y[:, start_i : start_i + size_i, :]; its gradient is that slab.
static void concat_backward(ax_node *n) {
    const ax_tensor *y = n->out;
    int dim = (int)n->iarg[0];
    int64_t outer = 1, inner = 1, start = 0;
    for (int d = 0; d < dim; d++) outer *= y->shape[d];
    for (int d = dim + 1; d < y->ndim; d++) inner *= y->shape[d];
    const float *g = y->grad->data;
    for (int i = 0; i < n->n_in; i++) {
        ax_tensor *x = n->in[i];
        float *dx = ax_grad_buf(x);
        int64_t width = x->shape[dim] * inner, row = y->shape[dim] * inner, off = start * inner;
        if (dx) {
#pragma omp parallel for if (outer * width > PAR_MIN)
            for (int64_t o = 0; o < outer; o++)
                for (int64_t k = 0; k < width; k++) dx[o * width + k] += g[o * row + off + k];
        }
        start += x->shape[dim];
    }
}

ax_tensor *ax_concat(ax_tensor *const *xs, int n, int dim) {
    AX_ASSERT(n >= 1, "concat of %d tensors", n);
    int d = ax_norm_dim(xs[0], dim);
    int64_t shape[AX_MAX_DIMS];
    memcpy(shape, xs[0]->shape, sizeof shape);
    shape[d] = 0;
    for (int i = 0; i < n; i++) {
        bool fits = xs[i]->ndim == xs[0]->ndim;
        for (int e = 0; fits && e < xs[0]->ndim; e++) fits = e == d || xs[i]->shape[e] == xs[0]->shape[e];
        AX_ASSERT(fits, "concat along dim %d: %s does not fit %s", d, ax_shape_str(xs[i]), ax_shape_str(xs[0]));
        shape[d] += xs[i]->shape[d];
    }
    ax_tensor *y = ax_empty(xs[0]->ndim, shape);
    int64_t start = 0;
    for (int i = 0; i < n; i++) {
        ax_tensor part = *y; // y[..., start : start + size_i, ...], a descriptor only
        part.data = (float *)y->data + start * y->stride[d];
        copy_strided(xs[i], &part);
        start += xs[i]->shape[d];
    }
    ax_node *nd = ax_tape_record("concat", concat_backward, y, n, xs);
    if (nd) nd->iarg[0] = d;
    return y;
}

ax_tensor *ax_stack(ax_tensor *const *xs, int n, int dim) {
    AX_ASSERT(n >= 1, "stack of %d tensors", n);
    int d = dim < 0 ? dim + xs[0]->ndim + 1 : dim;
    AX_ASSERT(d >= 0 && d <= xs[0]->ndim, "stack: dim %d out of range for %s", dim, ax_shape_str(xs[0]));
    ax_tensor **parts = ax_arena_alloc((size_t)n * sizeof *parts);
    for (int i = 0; i < n; i++) {
        AX_ASSERT(ax_same_shape(xs[i], xs[0]), "stack: %s differs from %s", ax_shape_str(xs[i]), ax_shape_str(xs[0]));
        parts[i] = ax_unsqueeze(xs[i], d);
    }
    return ax_concat(parts, n, d);
}

void ax_split(ax_tensor *x, int dim, const int64_t *sizes, int n, ax_tensor **out) {
    int d = ax_norm_dim(x, dim);
    int64_t total = 0;
    for (int i = 0; i < n; i++) total += sizes[i];
    AX_ASSERT(total == x->shape[d], "split: sizes add up to %lld, dim %d of %s", (long long)total, d, ax_shape_str(x));
    int64_t start = 0;
    for (int i = 0; i < n; i++) {
        out[i] = ax_narrow(x, d, start, sizes[i]);
        start += sizes[i];
    }
}
