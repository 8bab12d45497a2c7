/* Right-aligning shapes and strides into AX_MAX_DIMS entries (internal). Kernels that walk a tensor as
 * rows over the first three dims and a loop over the last then run their inner loop along the tensor's own
 * last dim, whatever its ndim. */
#ifndef AX_OPS_STRIDED_H
#define AX_OPS_STRIDED_H

#include "axon/tensor.h"

// out = in's first ndim entries moved to the end of AX_MAX_DIMS entries, the leading ones set to fill;
// out may be in
static inline void ax_right_align(int ndim, const int64_t *in, int64_t fill, int64_t *out) {
    int pad = AX_MAX_DIMS - ndim;
    for (int d = AX_MAX_DIMS - 1; d >= 0; d--) out[d] = d >= pad ? in[d - pad] : fill;
}

#endif
