/* torch.optim.Adam and AdamW (PyTorch 1.13, single-tensor path), per parameter at update t ≥ 1:
 *   AdamW only:  p ← p·(1 − lr·wd)                       (decoupled decay; skipped for no_decay)
 *   Adam only:   g ← g + wd·p                            (L2 penalty in the gradient)
 *   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1^t))·m / (√v / √(1 − β2^t) + ε)
 * Scalars are formed in double and rounded to float where torch's Python floats meet a float tensor. */
#include "optim/optim_internal.h"

#include <math.h>

void ax_adam_update(const ax_optim_config *c, float *p, const float *g, float *m, float *v, int64_t n, int64_t t,
                    bool decay) {
    const bool adamw = c->kind == AX_OPTIM_ADAMW;
    const float b1 = c->beta1, b2 = c->beta2, eps = c->eps;
    const float keep1 = (float)(1.0 - b1), keep2 = (float)(1.0 - b2);
    const float l2 = adamw ? 0.0f : c->weight_decay;
    const float shrink = adamw && decay ? (float)(1.0 - (double)c->lr * c->weight_decay) : 1.0f;
    const double bias1 = 1.0 - pow(b1, (double)t), bias2 = 1.0 - pow(b2, (double)t);
    const float neg_step = (float)(-(c->lr / bias1)), bias2_sqrt = (float)sqrt(bias2);
    // shrink = 1 and l2 = 0 change nothing (exactly), so the loop needs no branch on them; it vectorises where
    // sqrtf may skip errno (-fno-math-errno)
#pragma omp parallel for simd if (n > AX_OPTIM_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        float pi = p[i] * shrink;
        float gi = ax_madd(pi, l2, g[i]);
        m[i] = ax_madd(gi, keep1, m[i] * b1);
        v[i] = ax_madd(keep2 * gi, gi, v[i] * b2);
        float denom = sqrtf(v[i]) / bias2_sqrt + eps;
        p[i] = pi + neg_step * m[i] / denom;
    }
}
