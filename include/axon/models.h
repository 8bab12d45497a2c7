/* axon/models.h — complete models built from nn + optim. */
#ifndef AXON_MODELS_H
#define AXON_MODELS_H

#include "autograd.h"
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

#endif
