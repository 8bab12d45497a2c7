/* The optimizer object: configuration, persistent per-parameter state, and the step that applies the
 * update rule of its kind (sgd.c, adam.c) to every parameter that has a gradient. */
#include "optim/optim_internal.h"

#include <stdlib.h>

ax_optim_config ax_optim_defaults(ax_optim_kind kind) {
    ax_optim_config c = {
        .kind = kind,
        .lr = kind == AX_OPTIM_SGD ? 0.01f : 1e-3f, // torch.optim.SGD has no default lr; 0.01 is customary
        .weight_decay = kind == AX_OPTIM_ADAMW ? 0.01f : 0.0f,
        .momentum = 0.0f,
        .dampening = 0.0f,
        .nesterov = false,
        .beta1 = 0.9f,
        .beta2 = 0.999f,
        .eps = 1e-8f,
    };
    return c;
}

// the checks torch.optim's constructors make
static void check_config(const ax_optim_config *c) {
    AX_ASSERT(c->kind >= AX_OPTIM_SGD && c->kind <= AX_OPTIM_ADAMW, "unknown optimizer kind %d", (int)c->kind);
    AX_ASSERT(c->lr >= 0.0f, "invalid learning rate %g", c->lr);
    AX_ASSERT(c->weight_decay >= 0.0f, "invalid weight_decay %g", c->weight_decay);
    if (c->kind == AX_OPTIM_SGD) {
        AX_ASSERT(c->momentum >= 0.0f, "invalid momentum %g", c->momentum);
        AX_ASSERT(!c->nesterov || (c->momentum > 0.0f && c->dampening == 0.0f),
                  "nesterov momentum needs momentum > 0 and dampening 0 (got %g, %g)", c->momentum, c->dampening);
    } else {
        AX_ASSERT(c->eps >= 0.0f, "invalid eps %g", c->eps);
        AX_ASSERT(c->beta1 >= 0.0f && c->beta1 < 1.0f, "invalid beta1 %g", c->beta1);
        AX_ASSERT(c->beta2 >= 0.0f && c->beta2 < 1.0f, "invalid beta2 %g", c->beta2);
    }
}

// state slots each parameter needs: SGD 1 with momentum (else 0), Adam/AdamW 2
static int n_slots(const ax_optim_config *c) {
    if (c->kind == AX_OPTIM_SGD) return c->momentum != 0.0f ? 1 : 0;
    return 2;
}

ax_optim *ax_optim_new(ax_params *params, ax_optim_config cfg) {
    check_config(&cfg);
    ax_optim *o = calloc(1, sizeof *o);
    AX_ASSERT(o, "out of memory");
    o->params = params;
    o->cfg = cfg;
    o->n = params->n;
    o->state = calloc((size_t)o->n * 2, sizeof *o->state);
    o->param_steps = calloc((size_t)o->n, sizeof *o->param_steps);
    AX_ASSERT((o->state && o->param_steps) || o->n == 0, "out of memory");
    int slots = n_slots(&cfg);
    for (int i = 0; i < o->n; i++) {
        const ax_tensor *t = params->items[i].t;
        for (int s = 0; s < slots; s++) o->state[2 * i + s] = ax_tensor_new(AX_F32, t->ndim, t->shape);
    }
    return o;
}

void ax_optim_free(ax_optim *o) {
    if (!o) return;
    for (int i = 0; i < 2 * o->n; i++) ax_tensor_free(o->state[i]);
    free(o->state);
    free(o->param_steps);
    free(o);
}

void ax_optim_step(ax_optim *o) {
    AX_ASSERT(o->params->n == o->n, "the registry has %d parameters, the optimizer was made for %d", o->params->n,
              o->n);
    for (int i = 0; i < o->n; i++) {
        const ax_param *item = &o->params->items[i];
        ax_tensor *t = item->t;
        if (!t->grad) continue; // never reached by backward: torch skips a parameter whose .grad is None
        float *p = ax_f32(t), *g = ax_f32(t->grad);
        ax_tensor *s0 = o->state[2 * i], *s1 = o->state[2 * i + 1];
        int64_t n = ax_numel(t), step = ++o->param_steps[i];
        if (o->cfg.kind == AX_OPTIM_SGD)
            ax_sgd_update(&o->cfg, p, g, s0 ? ax_f32(s0) : NULL, n, step == 1);
        else
            ax_adam_update(&o->cfg, p, g, ax_f32(s0), ax_f32(s1), n, step, !item->no_decay);
    }
    o->steps++;
}

void ax_optim_zero_grad(ax_optim *o) { ax_params_zero_grad(o->params); }

void ax_optim_set_lr(ax_optim *o, float lr) {
    AX_ASSERT(lr >= 0.0f, "invalid learning rate %g", lr);
    o->cfg.lr = lr;
}

float ax_optim_lr(const ax_optim *o) { return o->cfg.lr; }
int64_t ax_optim_steps(const ax_optim *o) { return o->steps; }

ax_tensor *ax_optim_state(const ax_optim *o, int param_index, int slot) {
    AX_ASSERT(param_index >= 0 && param_index < o->n, "parameter index %d out of range [0, %d)", param_index, o->n);
    AX_ASSERT(slot == 0 || slot == 1, "optimizer state slot %d (0 or 1)", slot);
    return o->state[2 * param_index + slot];
}

int64_t ax_optim_param_steps(const ax_optim *o, int param_index) {
    AX_ASSERT(param_index >= 0 && param_index < o->n, "parameter index %d out of range [0, %d)", param_index, o->n);
    return o->param_steps[param_index];
}

void ax_optim_set_steps(ax_optim *o, int64_t steps, const int64_t *param_steps) {
    AX_ASSERT(steps >= 0, "optimizer step count %lld", (long long)steps);
    o->steps = steps;
    for (int i = 0; i < o->n; i++) {
        AX_ASSERT(param_steps[i] >= 0 && param_steps[i] <= steps, "parameter %d: %lld updates in %lld steps", i,
                  (long long)param_steps[i], (long long)steps);
        o->param_steps[i] = param_steps[i];
    }
}
