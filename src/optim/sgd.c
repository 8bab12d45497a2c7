/* torch.optim.SGD (PyTorch 1.13, single-tensor path), per parameter, with d = g + wd·p:
 *   no momentum:  p ← p − lr·d
 *   momentum:     buf ← d on the first update, else buf ← μ·buf + (1 − dampening)·d
 *                 p ← p − lr·(d + μ·buf) with nesterov, else p ← p − lr·buf */
#include "optim/optim_internal.h"

/* The loops carry no branches so that they vectorise: wd = 0 leaves d = g exactly; the first update is
 * buf ← 0·buf + 1·d (the buffer is still zero); the step is μ·buf + 1·d with nesterov, 1·buf + 0·d without. */
void ax_sgd_update(const ax_optim_config *c, float *p, const float *g, float *buf, int64_t n, bool first) {
    const float wd = c->weight_decay, neg_lr = -c->lr, mu = c->momentum;
    if (!buf) {
#pragma omp parallel for simd if (n > AX_OPTIM_PAR_MIN)
        for (int64_t i = 0; i < n; i++) p[i] = ax_madd(ax_madd(p[i], wd, g[i]), neg_lr, p[i]);
        return;
    }
    const float buf_mu = first ? 0.0f : mu, buf_keep = first ? 1.0f : (float)(1.0 - c->dampening);
    const float step_mu = c->nesterov ? mu : 1.0f, step_d = c->nesterov ? 1.0f : 0.0f;
#pragma omp parallel for simd if (n > AX_OPTIM_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        float d = ax_madd(p[i], wd, g[i]);
        float b = ax_madd(d, buf_keep, buf[i] * buf_mu);
        buf[i] = b;
        p[i] = ax_madd(ax_madd(b, step_mu, d * step_d), neg_lr, p[i]);
    }
}
