/* XOR with a 2-layer perceptron: y = σ(W2·σ(W1·x + b1) + b2), MSE, plain SGD, full batch. */
#include "axon/models.h"

ax_xor_config ax_xor_defaults(void) {
    return (ax_xor_config){.hidden = 4, .lr = 2.0f, .epochs = 3000, .seed = 42};
}

void ax_xor_train(const ax_xor_config *cfg, ax_xor_result *result, void (*log)(int epoch, float loss, void *ctx),
                  void *ctx) {
    static const float inputs[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    static const float targets[4] = {0, 1, 1, 0};

    ax_manual_seed(cfg->seed);
    ax_params *params = ax_params_new();
    ax_linear_layer hidden, output;
    ax_linear_layer_init(&hidden, params, "hidden", 2, cfg->hidden, true);
    ax_linear_layer_init(&output, params, "output", cfg->hidden, 1, true);
    ax_optim_config oc = ax_optim_defaults(AX_OPTIM_SGD);
    oc.lr = cfg->lr;
    ax_optim *opt = ax_optim_new(params, oc);

    for (int epoch = 1; epoch <= cfg->epochs; epoch++) {
        ax_tensor *x = ax_from_f32(AX_SHAPE(4, 2), &inputs[0][0]);
        ax_tensor *t = ax_from_f32(AX_SHAPE(4, 1), targets);
        ax_tensor *y = ax_sigmoid(ax_linear_layer_forward(&output, ax_sigmoid(ax_linear_layer_forward(&hidden, x))));
        ax_tensor *loss = ax_mse_loss(y, t, AX_REDUCE_MEAN);
        ax_optim_zero_grad(opt);
        ax_backward(loss);
        ax_optim_step(opt);
        result->loss = ax_item(loss);
        if (epoch == cfg->epochs)
            for (int i = 0; i < 4; i++) result->output[i] = ax_f32(y)[i];
        ax_arena_reset();
        if (log) log(epoch, result->loss, ctx);
    }
    ax_optim_free(opt);
    ax_params_free(params);
}
