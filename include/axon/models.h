/* axon/models.h — complete models built from nn + optim. */
#ifndef AXON_MODELS_H
#define AXON_MODELS_H

#include "autograd.h"
#include "data.h"
#include "optim.h"

/* ---- XOR: the lecture's backprop example ----------------------------------------------------------
 * A 2-layer perceptron 2 → hidden → 1 with sigmoid units, trained full-batch on the four XOR points with
 * MSE loss and plain SGD. */
typedef struct {
    int hidden;      // hidden units
    float lr;        // SGD learning rate
    int epochs;      // full-batch steps
    uint64_t seed;   // initialisation seed
} ax_xor_config;

typedef struct {
    float loss;       // MSE after the last step
    float output[4];  // network output for (0,0), (0,1), (1,0), (1,1)
} ax_xor_result;

ax_xor_config ax_xor_defaults(void);
/* Trains; calls log(epoch, loss, ctx) after every step if log is not NULL. */
void ax_xor_train(const ax_xor_config *cfg, ax_xor_result *result, void (*log)(int epoch, float loss, void *ctx),
                  void *ctx);

/* ---- MLP image classifier: the lecture's first network ---------------------------------------------------
 * x (B, in) → [linear → activation → dropout] × n_hidden → linear → logits (B, classes), trained with
 * cross-entropy on shuffled mini-batches. Parameters "fc1.weight", "fc1.bias", …, "fc<n_hidden+1>.*", initialised
 * like nn.Linear. Inputs are pixels / 255 (ax_image_set_batch). */
typedef enum { AX_ACT_RELU = 0, AX_ACT_TANH, AX_ACT_SIGMOID, AX_ACT_GELU } ax_activation;
int ax_activation_parse(const char *name, ax_activation *act); // relu, tanh, sigmoid, gelu (erf); else AX_ERR
const char *ax_activation_name(ax_activation act);
ax_tensor *ax_activation_apply(ax_activation act, ax_tensor *x);

#define AX_MLP_MAX_HIDDEN 8 // most hidden layers
typedef struct {
    int64_t in;                        // input features (image rows · cols)
    int64_t classes;                   // output classes
    int n_hidden;                      // hidden layers: 0 (softmax regression) .. AX_MLP_MAX_HIDDEN
    int64_t hidden[AX_MLP_MAX_HIDDEN]; // (n_hidden) their widths
    ax_activation act;                 // after every hidden layer
    float dropout;                     // p of the dropout after every hidden activation (training only)
    float input_mean, input_std;       // inputs are standardised, (x − mean) / std, before the first layer
} ax_mlp_config;

ax_mlp_config ax_mlp_defaults(void);                              // 784-256-128-10, relu, dropout 0.1, mean 0, std 1
int ax_mlp_config_check(const ax_mlp_config *cfg);                // AX_ERR naming the bad field
int ax_mlp_parse_hidden(const char *list, ax_mlp_config *cfg);    // "256,128"; "" or "none": no hidden layer
char *ax_mlp_config_to_json(const ax_mlp_config *cfg);            // {"axon_model": "mlp", …}, malloc'd
int ax_mlp_config_from_json(const char *json, ax_mlp_config *cfg); // the architecture of a config.json, checked

typedef struct {
    ax_mlp_config cfg;                         // the architecture
    ax_params *params;                         // owns every parameter
    ax_linear_layer fc[AX_MLP_MAX_HIDDEN + 1]; // (n_hidden + 1) layers, input to output
} ax_mlp;

ax_mlp *ax_mlp_new(const ax_mlp_config *cfg); // asserts ax_mlp_config_check; parameters from the global RNG
void ax_mlp_free(ax_mlp *m);
ax_tensor *ax_mlp_forward(const ax_mlp *m, ax_tensor *x, bool train); // x (B, in) → logits (B, classes)

/* Running totals of a pass over labelled images. */
typedef struct {
    int64_t n;       // samples seen
    int64_t correct; // of them, classified correctly (argmax of the logits)
    double loss_sum; // Σ of their cross-entropies
} ax_class_stats;
typedef void (*ax_batch_fn)(const ax_class_stats *so_far, void *ctx);

/* One pass over the images idx[0..n) of s in that order, in mini-batches of `batch` (the last may be smaller):
 * forward with dropout, mean cross-entropy, backward, optimizer step, arena reset. If sched is not NULL it sets
 * the learning rate before every step (at ax_optim_steps). on_batch, if not NULL, runs after every step. */
ax_class_stats ax_mlp_train_epoch(ax_mlp *m, ax_optim *opt, const ax_lr_schedule *sched, const ax_image_set *s,
                                  const int64_t *idx, int64_t n, int64_t batch, ax_batch_fn on_batch, void *ctx);
/* Loss and accuracy over the images idx[0..n) of s (idx NULL: the first n) without dropout or gradients,
 * in chunks of `batch`, resetting the arena after each. confusion (classes × classes; row = label, column =
 * prediction), if not NULL, is incremented. */
ax_class_stats ax_mlp_evaluate(const ax_mlp *m, const ax_image_set *s, const int64_t *idx, int64_t n, int64_t batch,
                               int64_t *confusion);
/* Softmax probabilities (n, classes) of the images idx[0..n) of s (idx NULL: the first n; labels not needed). */
void ax_mlp_predict(const ax_mlp *m, const ax_image_set *s, const int64_t *idx, int64_t n, float *probs);

#endif
