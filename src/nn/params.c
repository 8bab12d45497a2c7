/* The parameter registry: named persistent tensors that require gradients, in registration order. */
#include "axon/autograd.h"
#include "axon/nn.h"

#include <stdlib.h>
#include <string.h>

ax_params *ax_params_new(void) {
    ax_params *p = calloc(1, sizeof *p);
    AX_ASSERT(p, "out of memory");
    return p;
}

void ax_params_free(ax_params *p) {
    if (!p) return;
    for (int i = 0; i < p->n; i++) {
        ax_tensor_free(p->items[i].t);
        free(p->items[i].name);
    }
    free(p->items);
    free(p);
}

static ax_param *find(const ax_params *p, const char *name) {
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->items[i].name, name) == 0) return &p->items[i];
    return NULL;
}

ax_tensor *ax_params_add(ax_params *p, const char *name, int ndim, const int64_t *shape) {
    AX_ASSERT(name && *name, "a parameter needs a name");
    AX_ASSERT(!find(p, name), "duplicate parameter name \"%s\"", name);
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 16;
        p->items = realloc(p->items, (size_t)p->cap * sizeof *p->items);
        AX_ASSERT(p->items, "out of memory growing the parameter registry");
    }
    ax_param *item = &p->items[p->n++];
    item->name = strdup(name);
    AX_ASSERT(item->name, "out of memory");
    item->t = ax_tensor_new(AX_F32, ndim, shape);
    item->t->requires_grad = true;
    item->t->name = item->name;
    item->no_decay = false;
    return item->t;
}

ax_tensor *ax_params_get(const ax_params *p, const char *name) {
    ax_param *item = find(p, name);
    return item ? item->t : NULL;
}

int64_t ax_params_count(const ax_params *p) {
    int64_t n = 0;
    for (int i = 0; i < p->n; i++) n += ax_numel(p->items[i].t);
    return n;
}

void ax_params_zero_grad(ax_params *p) {
    for (int i = 0; i < p->n; i++) ax_zero_grad(p->items[i].t);
}
