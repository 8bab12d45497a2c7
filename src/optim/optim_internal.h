/* What the optimizer files share (not public API): the optimizer struct and the per-parameter update
 * rules, each a single fused, vectorisable loop over one contiguous parameter. */
#ifndef AX_OPTIM_INTERNAL_H
#define AX_OPTIM_INTERNAL_H

#include "axon/optim.h"

#define AX_OPTIM_PAR_MIN 32768 // elements above which an update loop runs on all threads

struct ax_optim {
    ax_params *params;    // the registry being optimised (not owned); must not grow after ax_optim_new
    ax_optim_config cfg;  // hyper-parameters; cfg.lr may change between steps
    int n;                // number of parameters
    ax_tensor **state;    // (n, 2) persistent buffers: [2i] momentum / exp_avg, [2i + 1] exp_avg_sq; NULL if unused
    int64_t *param_steps; // (n) updates applied to each parameter (one without a gradient is skipped, as in torch)
    int64_t steps;        // ax_optim_step calls so far
};

/* Gradient clipping's two passes (clip.c; also the sharded clip of dist/zero.c): Σ g² in double, and g ← k·g. */
double ax_grad_sum_squares(const float *g, int64_t n);
void ax_grad_scale(float *g, int64_t n, float k);

/* a·b + c as one fused multiply-add, as torch's add(alpha=) and addcmul compute it on AVX2. The double
 * product of two floats is exact, so only the sum rounds: to double, then to float (this double rounding
 * differs from a true FMA only on rare exact ties), and the loop still vectorises without -mfma. */
static inline float ax_madd(float a, float b, float c) { return (float)((double)a * b + c); }

/* torch.optim.SGD on one parameter p (n) with gradient g; buf (n) is the momentum buffer (NULL without
 * momentum) and `first` says this is the parameter's first update (the buffer starts as the gradient). */
void ax_sgd_update(const ax_optim_config *c, float *p, const float *g, float *buf, int64_t n, bool first);

/* torch.optim.Adam / AdamW on one parameter: m, v (n) are exp_avg and exp_avg_sq, t ≥ 1 the parameter's
 * update count (for bias correction); `decay` is false for AdamW's no_decay parameters. */
void ax_adam_update(const ax_optim_config *c, float *p, const float *g, float *m, float *v, int64_t n, int64_t t,
                    bool decay);

#endif
