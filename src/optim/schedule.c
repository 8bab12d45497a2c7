/* Learning-rate schedules: the rate as a pure function of the 0-based step, computed in double.
 *   CONSTANT       base_lr
 *   STEP           base_lr · gamma^⌊step / step_size⌋                         (torch StepLR)
 *   WARMUP_COSINE  base_lr · (step + 1) / warmup               for step < warmup (the first step is not 0)
 *                  min_lr + ½(1 + cos(π·r))·(base_lr − min_lr), r = (step − warmup) / (total_steps − warmup)
 *                  min_lr                                      for step ≥ total_steps
 *   NOAM           base_lr · d_model^−½ · min(s^−½, s · warmup^−3/2), s = step + 1
 *                  (Vaswani et al., "Attention is all you need", 2017) */
#include "axon/optim.h"

#include <math.h>

static double warmup_cosine(const ax_lr_schedule *s, int64_t step) {
    if (step < s->warmup) return (double)s->base_lr * (double)(step + 1) / (double)s->warmup;
    if (step >= s->total_steps) return s->min_lr;
    double r = (double)(step - s->warmup) / (double)(s->total_steps - s->warmup);
    return s->min_lr + 0.5 * (1.0 + cos(M_PI * r)) * ((double)s->base_lr - s->min_lr);
}

static double noam(const ax_lr_schedule *s, int64_t step) {
    AX_ASSERT(s->warmup > 0 && s->d_model > 0, "noam schedule needs warmup > 0 and d_model > 0 (got %lld, %lld)",
              (long long)s->warmup, (long long)s->d_model);
    double t = (double)(step + 1);
    return s->base_lr / sqrt((double)s->d_model) * fmin(1.0 / sqrt(t), t * pow((double)s->warmup, -1.5));
}

float ax_lr_at(const ax_lr_schedule *s, int64_t step) {
    AX_ASSERT(step >= 0, "learning-rate schedule at negative step %lld", (long long)step);
    switch (s->kind) {
    case AX_LR_CONSTANT: return s->base_lr;
    case AX_LR_STEP:
        AX_ASSERT(s->step_size > 0, "step schedule needs step_size > 0, got %lld", (long long)s->step_size);
        return (float)(s->base_lr * pow(s->gamma, (double)(step / s->step_size)));
    case AX_LR_WARMUP_COSINE: return (float)warmup_cosine(s, step);
    case AX_LR_NOAM: return (float)noam(s, step);
    }
    AX_ASSERT(false, "unknown learning-rate schedule %d", (int)s->kind);
    return 0.0f;
}
