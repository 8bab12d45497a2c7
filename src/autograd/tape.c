/* The eager tape: record, backward, grad mode. */
#include "autograd/tape.h"
#include "autograd/profile.h"

#include <stdlib.h>
#include <string.h>

static struct {
    ax_node **nodes; // (len) in creation order; kept across resets so steady state does no malloc
    int64_t len;     // nodes recorded since the last clear
    int64_t cap;     // allocated slots
} tape;

static bool grad_enabled = true;

bool ax_grad_enabled(void) { return grad_enabled; }

bool ax_set_grad_enabled(bool enabled) {
    bool prev = grad_enabled;
    grad_enabled = enabled;
    return prev;
}

void ax_tape_clear(void) { tape.len = 0; }
int64_t ax_tape_len(void) { return tape.len; }

ax_node *ax_tape_record(const char *op, ax_backward_fn backward, ax_tensor *out, int n_in, ax_tensor *const *in) {
    if (!grad_enabled) return NULL;
    bool any = false;
    for (int i = 0; i < n_in; i++) any |= in[i] && in[i]->requires_grad;
    if (!any) return NULL;
    if (tape.len == tape.cap) {
        tape.cap = tape.cap ? 2 * tape.cap : 1024;
        tape.nodes = realloc(tape.nodes, (size_t)tape.cap * sizeof *tape.nodes);
        AX_ASSERT(tape.nodes, "out of memory growing the tape");
    }
    ax_node *n = ax_arena_alloc(sizeof *n);
    memset(n, 0, sizeof *n);
    n->op = op;
    n->backward = backward;
    n->out = out;
    n->n_in = n_in;
    n->in = ax_arena_alloc((size_t)n_in * sizeof *n->in);
    memcpy(n->in, in, (size_t)n_in * sizeof *n->in);
    out->requires_grad = true;
    out->node = n;
    tape.nodes[tape.len++] = n;
    if (ax_profile_on()) ax_profile_forward(op);
    return n;
}

float *ax_grad_buf_fresh(ax_tensor *t, bool *fresh) {
    *fresh = t && t->requires_grad && !t->grad && !t->persistent;
    if (!*fresh) return ax_grad_buf(t);
    t->grad = ax_empty(t->ndim, t->shape);
    t->grad->name = "grad";
    return t->grad->data;
}

bool ax_grad_adopt(ax_tensor *t, ax_tensor *g) {
    if (!t || !t->requires_grad || t->grad || t->persistent) return false;
    AX_ASSERT(g->dtype == AX_F32 && ax_numel(g) == ax_numel(t) && ax_is_contiguous(g),
              "ax_grad_adopt: gradient %s does not fit %s", ax_shape_str(g), ax_shape_str(t));
    ax_tensor *a = ax_arena_alloc(sizeof *a);
    *a = (ax_tensor){.data = g->data, .dtype = AX_F32, .ndim = t->ndim, .name = "grad"};
    int64_t s = 1;
    for (int d = AX_MAX_DIMS - 1; d >= 0; d--) {
        a->shape[d] = d < t->ndim ? t->shape[d] : 1;
        a->stride[d] = s;
        s *= a->shape[d];
    }
    t->grad = a;
    return true;
}

float *ax_grad_buf(ax_tensor *t) {
    if (!t || !t->requires_grad) return NULL;
    if (!t->grad) {
        t->grad = t->persistent ? ax_tensor_new(AX_F32, t->ndim, t->shape) : ax_zeros(t->ndim, t->shape);
        t->grad->name = "grad";
    }
    return t->grad->data;
}

void ax_backward_from(ax_tensor *out, const ax_tensor *grad) {
    AX_ASSERT(out->requires_grad, "backward from a tensor %s that does not require grad", ax_shape_str(out));
    AX_ASSERT(ax_numel(grad) == ax_numel(out), "backward seed %s does not match output %s", ax_shape_str(grad),
              ax_shape_str(out));
    float *g = ax_grad_buf(out);
    const float *seed = ax_f32(grad);
    AX_ASSERT(ax_is_contiguous(grad), "backward seed must be contiguous");
    int64_t len = ax_numel(out);
#pragma omp parallel for if (len > (1 << 16))
    for (int64_t i = 0; i < len; i++) g[i] += seed[i];
    bool prev = ax_set_grad_enabled(false);
    bool profile = ax_profile_on();
    for (int64_t i = tape.len - 1; i >= 0; i--) {
        ax_node *n = tape.nodes[i];
        if (!n->out->grad) continue;
        double t0 = profile ? ax_profile_now() : 0;
        n->backward(n);
        if (profile) ax_profile_backward(n->op, ax_profile_now() - t0);
    }
    ax_set_grad_enabled(prev);
    ax_tape_clear();
}

void ax_backward(ax_tensor *loss) {
    AX_ASSERT(ax_numel(loss) == 1, "backward needs a one-element loss, got shape %s", ax_shape_str(loss));
    ax_backward_from(loss, ax_scalar(1.0f));
}

void ax_requires_grad(ax_tensor *t, bool on) {
    AX_ASSERT(!t->node, "requires_grad can only be set on a leaf tensor");
    AX_ASSERT(t->dtype == AX_F32 || !on, "only f32 tensors can require grad");
    t->requires_grad = on;
}

void ax_zero_grad(ax_tensor *t) {
    if (t->grad) memset(t->grad->data, 0, (size_t)ax_numel(t->grad) * sizeof(float));
}

ax_tensor *ax_detach(ax_tensor *t) {
    ax_tensor *d = ax_arena_alloc(sizeof *d);
    *d = *t;
    d->requires_grad = false;
    d->persistent = false;
    d->owns_data = false;
    d->grad = NULL;
    d->node = NULL;
    return d;
}
