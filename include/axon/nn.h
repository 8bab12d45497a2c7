/* axon/nn.h — parameters and the basic layers built from ops.
 *
 * A model owns an ax_params registry: named persistent tensors that require gradients. Layers are plain
 * structs holding pointers into the registry; `*_init` registers and initialises their parameters the
 * way PyTorch's modules do, `*_forward` applies them. */
#ifndef AXON_NN_H
#define AXON_NN_H

#include "ops.h"

/* ---- the parameter registry ------------------------------------------------------------------------ */
typedef struct {
    char *name;     // dotted name, e.g. "h.0.attn.c_attn.weight"
    ax_tensor *t;   // persistent, requires_grad
    bool no_decay;  // AdamW skips weight decay for this parameter (biases, norms, embeddings if chosen)
} ax_param;

typedef struct {
    ax_param *items; // (n) in registration order
    int n;           // number of parameters
    int cap;         // allocated slots
} ax_params;

ax_params *ax_params_new(void);
void ax_params_free(ax_params *p);  // frees the registry and every tensor in it
ax_tensor *ax_params_add(ax_params *p, const char *name, int ndim, const int64_t *shape); // new zeroed parameter; aborts on a duplicate name
ax_tensor *ax_params_get(const ax_params *p, const char *name); // NULL if absent
int64_t ax_params_count(const ax_params *p);   // total number of scalars
void ax_params_zero_grad(ax_params *p);        // every gradient to zero

/* ---- initialisers (from the global RNG, in place, like torch.nn.init) ------------------------------
 * fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive field, for (out, in, …) weights. */
typedef enum { AX_FAN_IN = 0, AX_FAN_OUT } ax_fan_mode;
void ax_init_zeros(ax_tensor *t);
void ax_init_ones(ax_tensor *t);
void ax_init_constant(ax_tensor *t, float value);
void ax_init_uniform(ax_tensor *t, float lo, float hi);
void ax_init_normal(ax_tensor *t, float mean, float std);
void ax_init_xavier_uniform(ax_tensor *t, float gain);  // U(−a, a), a = gain·√(6 / (fan_in + fan_out))
void ax_init_xavier_normal(ax_tensor *t, float gain);   // N(0, gain²·2 / (fan_in + fan_out))
void ax_init_kaiming_uniform(ax_tensor *t, float gain, ax_fan_mode mode); // U(−b, b), b = gain·√(3 / fan)
void ax_init_kaiming_normal(ax_tensor *t, float gain, ax_fan_mode mode);  // N(0, gain² / fan)
/* torch.nn.init.orthogonal_: t viewed as (shape[0], rest) made orthonormal along its shorter side (rows when there
 * are fewer rows, else columns) from a normal draw, Q of its QR with diag(R) > 0, times gain */
void ax_init_orthogonal(ax_tensor *t, float gain);
float ax_init_gain_relu(void);              // √2
float ax_init_gain_leaky_relu(float slope); // √(2 / (1 + slope²))
float ax_init_gain_tanh(void);              // 5/3

/* ---- layers ---------------------------------------------------------------------------------------- */
typedef struct {
    ax_tensor *weight; // (out, in)
    ax_tensor *bias;   // (out), or NULL
} ax_linear_layer;
void ax_linear_layer_init(ax_linear_layer *l, ax_params *p, const char *name, int64_t in, int64_t out, bool bias); // PyTorch nn.Linear init
ax_tensor *ax_linear_layer_forward(const ax_linear_layer *l, ax_tensor *x); // (…, in) → (…, out)

typedef struct {
    ax_tensor *weight; // (V, C)
} ax_embedding_layer;
void ax_embedding_layer_init(ax_embedding_layer *l, ax_params *p, const char *name, int64_t vocab, int64_t dim); // N(0, 1)
ax_tensor *ax_embedding_layer_forward(const ax_embedding_layer *l, ax_tensor *idx); // I32 (…) → (…, C)

typedef struct {
    ax_tensor *weight; // (C), or NULL without affine
    ax_tensor *bias;   // (C), or NULL without affine
    float eps;         // added to the variance
} ax_layernorm_layer;
void ax_layernorm_layer_init(ax_layernorm_layer *l, ax_params *p, const char *name, int64_t dim, float eps, bool affine); // weight 1, bias 0, both no_decay
ax_tensor *ax_layernorm_layer_forward(const ax_layernorm_layer *l, ax_tensor *x);

typedef struct {
    float p; // probability of zeroing an element
} ax_dropout_layer;
ax_tensor *ax_dropout_layer_forward(const ax_dropout_layer *l, ax_tensor *x, bool train);

#endif
