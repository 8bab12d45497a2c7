/* torch.optim.Adam and AdamW (PyTorch 1.13, single-tensor path), per parameter at update t ≥ 1:
 *   AdamW only:  p ← p·(1 − lr·wd)                       (decoupled decay; skipped for no_decay)
 *   Adam only:   g ← g + wd·p                            (L2 penalty in the gradient)
 *   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1^t))·m / (√v / √(1 − β2^t) + ε)
 * Scalars are formed in double and rounded to float where torch's Python floats meet a float tensor. The
 * update itself is one fused SIMD loop (backend/cpu/fused.h) over chunks spread on the threads. */
#include "optim/optim_internal.h"

#include "backend/cpu/fused.h"

#include <math.h>

#define CHUNK 16384 // floats per task handed to a thread

void ax_adam_update(const ax_optim_config *c, float *p, const float *g, float *m, float *v, int64_t n, int64_t t,
                    bool decay) {
    const bool adamw = c->kind == AX_OPTIM_ADAMW;
    const double bias1 = 1.0 - pow(c->beta1, (double)t), bias2 = 1.0 - pow(c->beta2, (double)t);
    // shrink = 1 and l2 = 0 change nothing (exactly), so the loop needs no branch on them
    const ax_adam_step s = {
        .beta1 = c->beta1,
        .beta2 = c->beta2,
        .keep1 = (float)(1.0 - c->beta1),
        .keep2 = (float)(1.0 - c->beta2),
        .l2 = adamw ? 0.0f : c->weight_decay,
        .shrink = adamw && decay ? (float)(1.0 - (double)c->lr * c->weight_decay) : 1.0f,
        .neg_step = (float)(-(c->lr / bias1)),
        .bias2_sqrt = (float)sqrt(bias2),
        .eps = c->eps,
    };
    const ax_fused_isa *k = ax_fused();
    int64_t chunks = (n + CHUNK - 1) / CHUNK;
#pragma omp parallel for if (n > AX_OPTIM_PAR_MIN)
    for (int64_t i = 0; i < chunks; i++) {
        int64_t o = i * CHUNK, len = n - o < CHUNK ? n - o : CHUNK;
        k->adam(&s, p + o, g + o, m + o, v + o, len);
    }
}
