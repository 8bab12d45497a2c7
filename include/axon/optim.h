/* axon/optim.h — optimizers, learning-rate schedules, gradient clipping. The update rules are those of
 * torch.optim (SGD, Adam, AdamW) so that the same hyper-parameters give the same trajectory. */
#ifndef AXON_OPTIM_H
#define AXON_OPTIM_H

#include "nn.h"

typedef enum { AX_OPTIM_SGD = 0, AX_OPTIM_ADAM, AX_OPTIM_ADAMW } ax_optim_kind;

typedef struct {
    ax_optim_kind kind;
    float lr;           // learning rate (a schedule may overwrite it every step)
    float weight_decay; // SGD/Adam: L2 added to the gradient; AdamW: decoupled, skipped for no_decay params
    float momentum;     // SGD only
    float dampening;    // SGD only
    bool nesterov;      // SGD only
    float beta1, beta2; // Adam/AdamW moment decay rates
    float eps;          // Adam/AdamW denominator term
} ax_optim_config;

ax_optim_config ax_optim_defaults(ax_optim_kind kind); // torch.optim defaults (AdamW: wd 0.01)

typedef struct ax_optim ax_optim;
ax_optim *ax_optim_new(ax_params *params, ax_optim_config cfg); // state buffers are persistent and zero
void ax_optim_free(ax_optim *o);
void ax_optim_step(ax_optim *o);             // one update from the current gradients
void ax_optim_zero_grad(ax_optim *o);        // zero every parameter's gradient
void ax_optim_set_lr(ax_optim *o, float lr);
float ax_optim_lr(const ax_optim *o);
int64_t ax_optim_steps(const ax_optim *o);   // updates done so far
ax_tensor *ax_optim_state(const ax_optim *o, int param_index, int slot); // slot 0: momentum / exp_avg, 1: exp_avg_sq; NULL if unused
int64_t ax_optim_param_steps(const ax_optim *o, int param_index); // updates applied to that parameter (Adam's bias-correction t)
void ax_optim_set_steps(ax_optim *o, int64_t steps, const int64_t *param_steps); // resume: restores ax_optim_steps and the n per-parameter counts

/* ---- learning-rate schedules: lr as a pure function of the step (0-based) ----------------------- */
typedef enum { AX_LR_CONSTANT = 0, AX_LR_STEP, AX_LR_WARMUP_COSINE, AX_LR_NOAM } ax_lr_kind;
typedef struct {
    ax_lr_kind kind;
    float base_lr;       // peak / initial learning rate
    int64_t warmup;      // WARMUP_COSINE, NOAM: linear warm-up steps
    int64_t total_steps; // WARMUP_COSINE: step at which the cosine reaches min_lr
    float min_lr;        // WARMUP_COSINE: floor
    int64_t step_size;   // STEP: multiply by gamma every step_size steps
    float gamma;         // STEP: decay factor
    int64_t d_model;     // NOAM: lr = base_lr · d_model^−½ · min(s^−½, s · warmup^−1.5), s = step + 1
} ax_lr_schedule;
float ax_lr_at(const ax_lr_schedule *s, int64_t step);

float ax_clip_grad_norm(ax_params *p, float max_norm); // scales all gradients so their global L2 norm ≤ max_norm; returns the norm before clipping

#endif
