/* The CRF layer (include/axon/crf.h): three parameters named as pytorch-crf names them, initialised as it does
 * (U(−0.1, 0.1)), and the op calls on them. */
#include "axon/crf.h"

#include <stdio.h>

static ax_tensor *add(ax_params *p, const char *prefix, const char *name, int ndim, const int64_t *shape) {
    char full[256];
    int len = snprintf(full, sizeof full, "%s%s", prefix, name);
    AX_ASSERT(len > 0 && (size_t)len < sizeof full, "parameter name \"%s%s\" is too long", prefix, name);
    ax_tensor *t = ax_params_add(p, full, ndim, shape);
    ax_init_uniform(t, -0.1f, 0.1f);
    return t;
}

void ax_crf_init(ax_crf *c, ax_params *p, const char *prefix, int64_t n_tags) {
    c->n_tags = n_tags;
    c->start = add(p, prefix, "start_transitions", 1, (const int64_t[]){n_tags});
    c->end = add(p, prefix, "end_transitions", 1, (const int64_t[]){n_tags});
    c->trans = add(p, prefix, "transitions", 2, (const int64_t[]){n_tags, n_tags});
}

ax_tensor *ax_crf_layer_nll(const ax_crf *c, ax_tensor *emissions, const ax_tensor *tags, const ax_tensor *lengths,
                            ax_reduction reduction) {
    return ax_crf_nll(emissions, tags, lengths, c->start, c->end, c->trans, reduction);
}

ax_tensor *ax_crf_layer_decode(const ax_crf *c, ax_tensor *emissions, const ax_tensor *lengths) {
    return ax_crf_decode(emissions, lengths, c->start, c->end, c->trans, NULL);
}
