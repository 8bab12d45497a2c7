/* Selection by a boolean mask: masked_fill and where. Masks and operands broadcast (NumPy rules).
 *   masked_fill: y = m ? v : x          dx += m ? 0 : dy
 *   where:       y = c ? a : b          da += c ? dy : 0,  db += c ? 0 : dy   (summed over broadcast dims) */
#include "autograd/tape.h"
#include "axon/ops.h"
#include "ops/broadcast.h"
#include "ops/strided.h"

#define PAR_MIN 32768 // elements below which a loop stays single-threaded

static const uint8_t *bool_data(const ax_tensor *m) {
    AX_ASSERT(m->dtype == AX_BOOL, "expected a bool mask, got %s %s", ax_dtype_name(m->dtype), ax_shape_str(m));
    return m->data;
}

// out (contiguous) = cond ? a : b, each read through broadcast strides onto out's shape
static void pick(const ax_tensor *cond, const ax_tensor *a, const ax_tensor *b, ax_tensor *out) {
    const uint8_t *pc = bool_data(cond);
    const float *pa = ax_f32(a), *pb = ax_f32(b);
    float *po = out->data;
    int64_t n = ax_numel(out);
    if (ax_same_shape(cond, out) && ax_same_shape(a, out) && ax_same_shape(b, out) && ax_is_contiguous(cond) &&
        ax_is_contiguous(a) && ax_is_contiguous(b)) {
#pragma omp parallel for simd if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++) po[i] = pc[i] ? pa[i] : pb[i];
        return;
    }
    int64_t sc[AX_MAX_DIMS], sa[AX_MAX_DIMS], sb[AX_MAX_DIMS], sh[AX_MAX_DIMS];
    int nd = out->ndim;
    ax_broadcast_strides(cond, nd, out->shape, sc);
    ax_broadcast_strides(a, nd, out->shape, sa);
    ax_broadcast_strides(b, nd, out->shape, sb);
    ax_right_align(nd, sc, 0, sc);
    ax_right_align(nd, sa, 0, sa);
    ax_right_align(nd, sb, 0, sb);
    ax_right_align(nd, out->shape, 1, sh);
    int64_t rows = sh[0] * sh[1] * sh[2];
#pragma omp parallel for if (n > PAR_MIN)
    for (int64_t r = 0; r < rows; r++) {
        int64_t i0 = r / (sh[1] * sh[2]), i1 = r / sh[2] % sh[1], i2 = r % sh[2];
        const uint8_t *rc = pc + i0 * sc[0] + i1 * sc[1] + i2 * sc[2];
        const float *ra = pa + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
        const float *rb = pb + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
        float *ro = po + r * sh[3];
        for (int64_t i3 = 0; i3 < sh[3]; i3++) ro[i3] = rc[i3 * sc[3]] ? ra[i3 * sa[3]] : rb[i3 * sb[3]];
    }
}

// x's gradient += g where cond == when (0 elsewhere), summed over the dims along which x was broadcast
static void masked_grad(const ax_tensor *cond, const ax_tensor *g, bool when, ax_tensor *x) {
    float *dx = ax_grad_buf(x);
    if (!dx) return;
    ax_tensor *zero = ax_zeros(0, NULL), *tmp = ax_empty(g->ndim, g->shape);
    pick(cond, when ? g : zero, when ? zero : g, tmp);
    ax_reduce_to(tmp->data, g->ndim, g->shape, x, dx);
}

static void masked_fill_backward(ax_node *n) { masked_grad(n->saved, n->out->grad, false, n->in[0]); }

ax_tensor *ax_masked_fill(ax_tensor *x, ax_tensor *mask, float value) {
    bool fits = mask->ndim <= x->ndim;
    for (int i = 0; fits && i < mask->ndim; i++) {
        int64_t sm = mask->shape[mask->ndim - 1 - i], sx = x->shape[x->ndim - 1 - i];
        fits = sm == sx || sm == 1;
    }
    AX_ASSERT(fits, "masked_fill: mask %s does not broadcast to %s", ax_shape_str(mask), ax_shape_str(x));
    ax_tensor *y = ax_empty(x->ndim, x->shape);
    pick(mask, ax_scalar(value), x, y);
    ax_node *n = AX_RECORD("masked_fill", masked_fill_backward, y, x);
    if (n) n->saved = mask;
    return y;
}

static void where_backward(ax_node *n) {
    masked_grad(n->saved, n->out->grad, true, n->in[0]);
    masked_grad(n->saved, n->out->grad, false, n->in[1]);
}

ax_tensor *ax_where(ax_tensor *cond, ax_tensor *a, ax_tensor *b) {
    ax_tensor ab = {.ndim = 0}; // only the broadcast shape of a and b
    ax_broadcast_shape(a, b, &ab.ndim, ab.shape);
    int ndim;
    int64_t shape[AX_MAX_DIMS];
    ax_broadcast_shape(cond, &ab, &ndim, shape);
    ax_tensor *y = ax_empty(ndim, shape);
    pick(cond, a, b, y);
    ax_node *n = AX_RECORD("where", where_backward, y, a, b);
    if (n) n->saved = cond;
    return y;
}
