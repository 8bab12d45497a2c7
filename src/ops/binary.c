/* Broadcasting binary elementwise ops: add, sub, mul, div. */
#include "autograd/tape.h"
#include "axon/ops.h"
#include "ops/broadcast.h"
#include "ops/strided.h"

#include <stdlib.h>

typedef enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV } binary_op;

static inline float apply(binary_op op, float a, float b) {
    switch (op) {
    case OP_ADD: return a + b;
    case OP_SUB: return a - b;
    case OP_MUL: return a * b;
    default: return a / b;
    }
}

// out (contiguous, shape) = op(a, b) reading a and b through broadcast strides
static void binary_kernel(binary_op op, const ax_tensor *a, const ax_tensor *b, ax_tensor *out) {
    const float *pa = ax_f32(a), *pb = ax_f32(b);
    float *po = out->data;
    int64_t n = ax_numel(out);
    if (ax_same_shape(a, out) && ax_same_shape(b, out) && ax_is_contiguous(a) && ax_is_contiguous(b)) {
#pragma omp parallel for simd if (n > 65536)
        for (int64_t i = 0; i < n; i++) po[i] = apply(op, pa[i], pb[i]);
        return;
    }
    int64_t sa[AX_MAX_DIMS], sb[AX_MAX_DIMS], sh[AX_MAX_DIMS];
    ax_broadcast_strides(a, out->ndim, out->shape, sa);
    ax_broadcast_strides(b, out->ndim, out->shape, sb);
    ax_right_align(out->ndim, sa, 0, sa); // inner loop along the output's last dim
    ax_right_align(out->ndim, sb, 0, sb);
    ax_right_align(out->ndim, out->shape, 1, sh);
    int64_t rows = sh[0] * sh[1] * sh[2];
#pragma omp parallel for if (n > 65536)
    for (int64_t r = 0; r < rows; r++) {
        int64_t i0 = r / (sh[1] * sh[2]), i1 = r / sh[2] % sh[1], i2 = r % sh[2];
        const float *ra = pa + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
        const float *rb = pb + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
        float *ro = po + r * sh[3];
        for (int64_t i3 = 0; i3 < sh[3]; i3++) ro[i3] = apply(op, ra[i3 * sa[3]], rb[i3 * sb[3]]);
    }
}

/* Backward. With g = dL/dout:
 *   add: da = g, db = g        sub: da = g, db = −g
 *   mul: da = g·b, db = g·a    div: da = g/b, db = −g·a/b²
 * each reduced over the dims along which that input was broadcast. Without broadcasting, the first input whose
 * gradient is plainly g and has none yet takes g itself (ax_grad_adopt), and a first gradient is written, not added
 * to zeros; the loops run on the threads. */

// the gradient of input `which` at one element: g times the local derivative at (a, b)
static inline float local_grad(binary_op op, int which, float g, float a, float b) {
    switch (op) {
    case OP_ADD: return g;
    case OP_SUB: return which == 0 ? g : -g;
    case OP_MUL: return which == 0 ? g * b : g * a;
    default: return which == 0 ? g / b : -g * a / (b * b);
    }
}

// dx (=, or += unless fresh) the local gradient of input `which`, a, b and out all of one shape, contiguous
static void same_shape_grad(binary_op op, int which, const float *g, const float *a, const float *b, float *dx,
                            int64_t len, bool fresh) {
    if (fresh) {
#pragma omp parallel for simd if (len > 65536)
        for (int64_t i = 0; i < len; i++) dx[i] = local_grad(op, which, g[i], a[i], b[i]);
    } else {
#pragma omp parallel for simd if (len > 65536)
        for (int64_t i = 0; i < len; i++) dx[i] += local_grad(op, which, g[i], a[i], b[i]);
    }
}

// the gradient of input `which` in the general case: the local gradient in out's shape, reduced into x's
static void broadcast_grad(binary_op op, int which, const ax_tensor *a, const ax_tensor *b, const ax_tensor *out,
                           float *dx) {
    const float *g = out->grad->data;
    const ax_tensor *x = which == 0 ? a : b;
    if (op == OP_ADD || (op == OP_SUB && which == 0)) { // the local gradient is g itself
        ax_reduce_to(g, out->ndim, out->shape, x, dx);
        return;
    }
    int64_t len = ax_numel(out);
    float *tmp = ax_arena_alloc((size_t)len * sizeof(float));
    if (op == OP_SUB) {
        for (int64_t i = 0; i < len; i++) tmp[i] = -g[i];
    } else { // a and b materialised in the output's shape (cheap next to the ops that feed them)
        ax_tensor *ta = ax_empty(out->ndim, out->shape), *tb = ax_empty(out->ndim, out->shape);
        ax_tensor *zero = ax_zeros(0, NULL);
        binary_kernel(OP_ADD, a, zero, ta);
        binary_kernel(OP_ADD, b, zero, tb);
        same_shape_grad(op, which, g, ta->data, tb->data, tmp, len, true);
    }
    ax_reduce_to(tmp, out->ndim, out->shape, x, dx);
}

static void binary_backward(ax_node *n) {
    binary_op op = (binary_op)n->iarg[0];
    ax_tensor *a = n->in[0], *b = n->in[1], *out = n->out;
    bool flat = ax_same_shape(a, out) && ax_same_shape(b, out) && ax_is_contiguous(a) && ax_is_contiguous(b);
    bool g_taken = false; // g handed to an input: it stays unchanged while this backward reads it
    for (int which = 0; which < 2; which++) {
        ax_tensor *x = n->in[which];
        if (!x->requires_grad) continue;
        bool plain = op == OP_ADD || (op == OP_SUB && which == 0);
        if (plain && !g_taken && ax_same_shape(x, out) && ax_grad_adopt(x, out->grad)) {
            g_taken = true;
            continue;
        }
        bool fresh;
        float *dx = flat ? ax_grad_buf_fresh(x, &fresh) : ax_grad_buf(x);
        if (flat) same_shape_grad(op, which, out->grad->data, ax_f32(a), ax_f32(b), dx, ax_numel(out), fresh);
        else broadcast_grad(op, which, a, b, out, dx);
    }
}

static ax_tensor *binary(binary_op op, const char *name, ax_tensor *a, ax_tensor *b) {
    int ndim;
    int64_t shape[AX_MAX_DIMS];
    ax_broadcast_shape(a, b, &ndim, shape);
    ax_tensor *out = ax_empty(ndim, shape);
    binary_kernel(op, a, b, out);
    ax_node *n = AX_RECORD(name, binary_backward, out, a, b);
    if (n) n->iarg[0] = op;
    return out;
}

ax_tensor *ax_add(ax_tensor *a, ax_tensor *b) { return binary(OP_ADD, "add", a, b); }
ax_tensor *ax_sub(ax_tensor *a, ax_tensor *b) { return binary(OP_SUB, "sub", a, b); }
ax_tensor *ax_mul(ax_tensor *a, ax_tensor *b) { return binary(OP_MUL, "mul", a, b); }
ax_tensor *ax_div(ax_tensor *a, ax_tensor *b) { return binary(OP_DIV, "div", a, b); }
