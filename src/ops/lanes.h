/* A contiguous tensor seen as (outer, n, inner) around one dim (internal). A "lane" is the n elements
 * x[o, :, i], spaced `inner` apart; there are outer·inner lanes. Reductions, softmax and cross-entropy work
 * lane by lane. For the last dim (inner = 1) lanes are contiguous rows. Otherwise a lane's elements are
 * far apart, so kernels take a block of up to AX_COL_BLOCK neighbouring lanes of one slab x[o] (n, inner)
 * and walk it row by row, reading memory in order. */
#ifndef AX_OPS_LANES_H
#define AX_OPS_LANES_H

#include "axon/tensor.h"

#include <math.h>

#define AX_PAR_MIN 32768 // elements below which a loop stays single-threaded
#define AX_COL_BLOCK 64  // lanes walked together when they are not contiguous

typedef struct {
    int64_t outer; // product of the dims before the lane dim
    int64_t n;     // size of the lane dim: elements per lane
    int64_t inner; // product of the dims after it: the spacing of a lane's elements
} ax_lanes;

static inline ax_lanes ax_lanes_of(const ax_tensor *x, int dim) {
    ax_lanes l = {1, x->shape[dim], 1};
    for (int d = 0; d < dim; d++) l.outer *= x->shape[d];
    for (int d = dim + 1; d < x->ndim; d++) l.inner *= x->shape[d];
    return l;
}

// offset of lane k's first element, 0 ≤ k < outer·inner (lanes numbered like the reduced tensor)
static inline int64_t ax_lane_start(ax_lanes l, int64_t k) { return k / l.inner * l.n * l.inner + k % l.inner; }

/* ---- blocks of neighbouring lanes (inner > 1) ---- */

typedef struct {
    int64_t lane;  // first lane of the block (its index in the reduced tensor)
    int64_t start; // offset of that lane's first element
    int64_t width; // lanes in the block, ≤ AX_COL_BLOCK
} ax_col_block;

static inline int64_t ax_col_blocks(ax_lanes l) { return l.outer * ((l.inner + AX_COL_BLOCK - 1) / AX_COL_BLOCK); }

static inline ax_col_block ax_col_block_at(ax_lanes l, int64_t t) {
    int64_t per = (l.inner + AX_COL_BLOCK - 1) / AX_COL_BLOCK, o = t / per, i = t % per * AX_COL_BLOCK;
    int64_t width = l.inner - i < AX_COL_BLOCK ? l.inner - i : AX_COL_BLOCK;
    return (ax_col_block){o * l.inner + i, o * l.n * l.inner + i, width};
}

#endif
