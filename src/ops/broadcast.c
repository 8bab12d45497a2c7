/* Broadcasting: shapes, strides and the reduction that undoes it in backward. */
#include "ops/broadcast.h"
#include "ops/strided.h"

#include <string.h>

void ax_broadcast_shape(const ax_tensor *a, const ax_tensor *b, int *ndim, int64_t *shape) {
    int n = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < n; i++) { // i counts from the right
        int64_t sa = i < a->ndim ? a->shape[a->ndim - 1 - i] : 1;
        int64_t sb = i < b->ndim ? b->shape[b->ndim - 1 - i] : 1;
        AX_ASSERT(sa == sb || sa == 1 || sb == 1, "shapes %s and %s do not broadcast", ax_shape_str(a),
                  ax_shape_str(b));
        shape[n - 1 - i] = sa == 1 ? sb : sa;
    }
    *ndim = n;
}

void ax_broadcast_strides(const ax_tensor *x, int ndim, const int64_t *shape, int64_t *strides) {
    AX_ASSERT(x->ndim <= ndim, "cannot broadcast %s to %d dims", ax_shape_str(x), ndim);
    for (int d = 0; d < AX_MAX_DIMS; d++) strides[d] = 0;
    for (int i = 0; i < x->ndim; i++) {
        int dx = x->ndim - 1 - i, d = ndim - 1 - i;
        AX_ASSERT(x->shape[dx] == shape[d] || x->shape[dx] == 1, "cannot broadcast %s", ax_shape_str(x));
        strides[d] = x->shape[dx] == 1 ? 0 : x->stride[dx];
    }
}

void ax_reduce_to(const float *g, int ndim, const int64_t *shape, const ax_tensor *x, float *dst) {
    // contiguous strides of x's shape, read through broadcasting
    ax_tensor layout = *x;
    int64_t s = 1;
    for (int d = x->ndim - 1; d >= 0; d--) {
        layout.stride[d] = s;
        s *= x->shape[d];
    }
    int64_t st[AX_MAX_DIMS], sh[AX_MAX_DIMS];
    ax_broadcast_strides(&layout, ndim, shape, st);
    ax_right_align(ndim, st, 0, st); // inner loop along the last dim
    ax_right_align(ndim, shape, 1, sh);
    int64_t k = 0;
    for (int64_t i0 = 0; i0 < sh[0]; i0++)
        for (int64_t i1 = 0; i1 < sh[1]; i1++)
            for (int64_t i2 = 0; i2 < sh[2]; i2++) {
                float *row = dst + i0 * st[0] + i1 * st[1] + i2 * st[2];
                if (st[3] == 1) {
                    for (int64_t i3 = 0; i3 < sh[3]; i3++) row[i3] += g[k + i3];
                } else {
                    for (int64_t i3 = 0; i3 < sh[3]; i3++) row[i3 * st[3]] += g[k + i3];
                }
                k += sh[3];
            }
}
