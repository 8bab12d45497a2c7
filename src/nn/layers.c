/* Layers: linear, embedding, layernorm, dropout. `*_init` registers "<name>.weight" / "<name>.bias" and
 * initialises them as the PyTorch module of the same name does; `*_forward` applies the op. */
#include "axon/nn.h"

#include <math.h>
#include <stdio.h>

// registers "<name>.<suffix>" and sets its no_decay flag
static ax_tensor *add_param(ax_params *p, const char *name, const char *suffix, int ndim, const int64_t *shape,
                            bool no_decay) {
    char full[256];
    int len = snprintf(full, sizeof full, "%s.%s", name, suffix);
    AX_ASSERT(len > 0 && (size_t)len < sizeof full, "parameter name \"%s.%s\" is too long", name, suffix);
    ax_tensor *t = ax_params_add(p, full, ndim, shape);
    p->items[p->n - 1].no_decay = no_decay;
    return t;
}

/* nn.Linear.reset_parameters: weight ← kaiming_uniform(a = √5), i.e. U(−1/√in, 1/√in);
 * bias ← U(−1/√in, 1/√in). Biases are exempt from weight decay. */
void ax_linear_layer_init(ax_linear_layer *l, ax_params *p, const char *name, int64_t in, int64_t out, bool bias) {
    l->weight = add_param(p, name, "weight", 2, (const int64_t[]){out, in}, false);
    ax_init_kaiming_uniform(l->weight, ax_init_gain_leaky_relu(sqrtf(5.0f)), AX_FAN_IN);
    l->bias = NULL;
    if (bias) {
        l->bias = add_param(p, name, "bias", 1, (const int64_t[]){out}, true);
        float bound = in > 0 ? (float)(1.0 / sqrt((double)in)) : 0.0f;
        ax_init_uniform(l->bias, -bound, bound);
    }
}

ax_tensor *ax_linear_layer_forward(const ax_linear_layer *l, ax_tensor *x) { return ax_linear(x, l->weight, l->bias); }

// nn.Embedding.reset_parameters: weight ← N(0, 1)
void ax_embedding_layer_init(ax_embedding_layer *l, ax_params *p, const char *name, int64_t vocab, int64_t dim) {
    l->weight = add_param(p, name, "weight", 2, (const int64_t[]){vocab, dim}, false);
    ax_init_normal(l->weight, 0.0f, 1.0f);
}

ax_tensor *ax_embedding_layer_forward(const ax_embedding_layer *l, ax_tensor *idx) {
    return ax_embedding(l->weight, idx);
}

// nn.LayerNorm: weight ← 1, bias ← 0 (both exempt from weight decay); no parameters without affine
void ax_layernorm_layer_init(ax_layernorm_layer *l, ax_params *p, const char *name, int64_t dim, float eps,
                             bool affine) {
    l->eps = eps;
    l->weight = l->bias = NULL;
    if (!affine) return;
    l->weight = add_param(p, name, "weight", 1, (const int64_t[]){dim}, true);
    l->bias = add_param(p, name, "bias", 1, (const int64_t[]){dim}, true);
    ax_init_ones(l->weight);
    ax_init_zeros(l->bias);
}

ax_tensor *ax_layernorm_layer_forward(const ax_layernorm_layer *l, ax_tensor *x) {
    return ax_layernorm(x, l->weight, l->bias, l->eps);
}

ax_tensor *ax_dropout_layer_forward(const ax_dropout_layer *l, ax_tensor *x, bool train) {
    return ax_dropout(x, l->p, train);
}
