/* Broadcasting helpers shared by the elementwise, where and masked-fill ops (internal). */
#ifndef AX_OPS_BROADCAST_H
#define AX_OPS_BROADCAST_H

#include "axon/tensor.h"

/* out = broadcast shape of a and b (NumPy rules, aligned on the right); aborts with both shapes. */
void ax_broadcast_shape(const ax_tensor *a, const ax_tensor *b, int *ndim, int64_t *shape);

/* Strides that read x as if it had `shape` (ndim dims, right-aligned): 0 along broadcast dims.
 * Fills AX_MAX_DIMS entries; dims past ndim get stride 0. */
void ax_broadcast_strides(const ax_tensor *x, int ndim, const int64_t *shape, int64_t *strides);

/* Adds g (contiguous, `shape`) into dst, a contiguous buffer with the shape of x, summing over the dims
 * along which x was broadcast: the backward of broadcasting. */
void ax_reduce_to(const float *g, int ndim, const int64_t *shape, const ax_tensor *x, float *dst);

#endif
