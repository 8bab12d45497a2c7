/* Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_ (PyTorch 1.13):
 *   norm = √(Σ over every gradient element g²);  coef = max_norm / (norm + 1e-6);  g ← g·coef if coef < 1.
 * Squares are summed in double, so the norm is at least as accurate as torch's float one. */
#include "optim/optim_internal.h"

#include <math.h>

double ax_grad_sum_squares(const float *g, int64_t n) {
    double s = 0.0;
#pragma omp parallel for simd reduction(+ : s) if (n > AX_OPTIM_PAR_MIN)
    for (int64_t i = 0; i < n; i++) s += (double)g[i] * g[i];
    return s;
}

void ax_grad_scale(float *g, int64_t n, float k) {
#pragma omp parallel for simd if (n > AX_OPTIM_PAR_MIN)
    for (int64_t i = 0; i < n; i++) g[i] *= k;
}

float ax_clip_grad_norm(ax_params *p, float max_norm) {
    double sq = 0.0;
    for (int i = 0; i < p->n; i++) {
        const ax_tensor *t = p->items[i].t;
        if (t->grad) sq += ax_grad_sum_squares(ax_f32(t->grad), ax_numel(t->grad));
    }
    float norm = (float)sqrt(sq);
    float coef = max_norm / (norm + 1e-6f);
    if (coef < 1.0f)
        for (int i = 0; i < p->n; i++) {
            ax_tensor *t = p->items[i].t;
            if (t->grad) ax_grad_scale(ax_f32(t->grad), ax_numel(t->grad), coef);
        }
    return norm;
}
