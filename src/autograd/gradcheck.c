/* Finite-difference gradient check (central differences, loss accumulated in double). */
#include "autograd/tape.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

// L = Σ y·R in double, over y in logical (row-major) order
static double weighted_sum(const ax_tensor *y, const float *r) {
    int64_t n = ax_numel(y);
    float *buf = malloc((size_t)n * sizeof *buf);
    AX_ASSERT(buf, "out of memory");
    ax_copy_to_f32(y, buf);
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)buf[i] * r[i];
    free(buf);
    return s;
}

int ax_gradcheck(ax_grad_fn f, void *ctx, ax_tensor **inputs, int n_inputs, double eps, double rtol, double atol) {
    bool prev = ax_set_grad_enabled(true);
    for (int i = 0; i < n_inputs; i++) {
        AX_ASSERT(!inputs[i]->requires_grad || ax_is_contiguous(inputs[i]), "gradcheck inputs must be contiguous");
        if (inputs[i]->grad) ax_zero_grad(inputs[i]);
    }
    ax_tensor *y = f(inputs, ctx);
    ax_rng rng;
    ax_rng_seed(&rng, 1234);
    ax_tensor *r = ax_empty(y->ndim, y->shape);
    float *rp = r->data;
    for (int64_t i = 0; i < ax_numel(r); i++) rp[i] = (float)ax_rng_normal(&rng);
    ax_backward_from(y, r);

    ax_set_grad_enabled(false);
    int bad = 0;
    double worst = -1;
    char worst_msg[256] = "";
    for (int i = 0; i < n_inputs; i++) {
        ax_tensor *x = inputs[i];
        if (!x->requires_grad) continue;
        AX_ASSERT(x->grad, "gradcheck: input %d got no gradient", i);
        float *xp = x->data, *gp = x->grad->data;
        for (int64_t j = 0; j < ax_numel(x); j++) {
            float saved = xp[j];
            xp[j] = (float)(saved + eps);
            double lp = weighted_sum(f(inputs, ctx), rp);
            xp[j] = (float)(saved - eps);
            double lm = weighted_sum(f(inputs, ctx), rp);
            xp[j] = saved;
            double num = (lp - lm) / (2 * eps), ana = gp[j];
            double err = fabs(ana - num), allowed = atol + rtol * fabs(num);
            if (err > allowed) bad++;
            if (err / allowed > worst) {
                worst = err / allowed;
                snprintf(worst_msg, sizeof worst_msg, "input %d element %lld: analytic %.6g numeric %.6g", i,
                         (long long)j, ana, num);
            }
        }
    }
    ax_set_grad_enabled(prev);
    if (bad) fprintf(stderr, "gradcheck: %d elements off; worst %s\n", bad, worst_msg);
    return bad;
}
