/* Initialisers, as torch.nn.init defines them, drawing from the global RNG. They write in place through
 * the tensor's strides (a view of a parameter initialises that part), one element at a time in row-major
 * order so a seed gives the same values on any thread count. */
#include "axon/nn.h"

#include <math.h>

typedef enum { DIST_CONSTANT, DIST_UNIFORM, DIST_NORMAL } dist_kind;

typedef struct {
    dist_kind kind; // what to draw
    double a;       // CONSTANT: the value; UNIFORM: low end; NORMAL: mean
    double b;       // UNIFORM: high end; NORMAL: standard deviation
} dist;

static float draw(const dist *d) {
    switch (d->kind) {
    case DIST_CONSTANT: return (float)d->a;
    case DIST_UNIFORM: {
        float lo = (float)d->a, hi = (float)d->b;
        return lo + (hi - lo) * ax_rng_uniform(ax_rng_global());
    }
    default: return (float)(d->a + d->b * ax_rng_normal(ax_rng_global()));
    }
}

// every element of t (any strides) ← a fresh draw from d
static void fill(ax_tensor *t, dist d) {
    float *p = ax_f32(t);
    const int64_t *s = t->shape, *st = t->stride; // unused trailing dims have size 1
    for (int64_t i0 = 0; i0 < s[0]; i0++)
        for (int64_t i1 = 0; i1 < s[1]; i1++)
            for (int64_t i2 = 0; i2 < s[2]; i2++)
                for (int64_t i3 = 0; i3 < s[3]; i3++) p[i0 * st[0] + i1 * st[1] + i2 * st[2] + i3 * st[3]] = draw(&d);
}

void ax_init_zeros(ax_tensor *t) { fill(t, (dist){DIST_CONSTANT, 0.0, 0.0}); }
void ax_init_ones(ax_tensor *t) { fill(t, (dist){DIST_CONSTANT, 1.0, 0.0}); }
void ax_init_constant(ax_tensor *t, float value) { fill(t, (dist){DIST_CONSTANT, value, 0.0}); }

void ax_init_uniform(ax_tensor *t, float lo, float hi) {
    AX_ASSERT(lo <= hi, "uniform init needs lo <= hi, got [%g, %g)", lo, hi);
    fill(t, (dist){DIST_UNIFORM, lo, hi});
}

void ax_init_normal(ax_tensor *t, float mean, float std) {
    AX_ASSERT(std >= 0.0f, "normal init needs std >= 0, got %g", std);
    fill(t, (dist){DIST_NORMAL, mean, std});
}

/* torch.nn.init._calculate_fan_in_and_fan_out: for a (out, in, k…) weight, receptive field = Π k…,
 * fan_in = in · receptive field, fan_out = out · receptive field. */
static void fans(const ax_tensor *t, double *fan_in, double *fan_out) {
    AX_ASSERT(t->ndim >= 2, "fan in and fan out need a tensor with at least 2 dims, got %s", ax_shape_str(t));
    int64_t receptive = 1;
    for (int d = 2; d < t->ndim; d++) receptive *= t->shape[d];
    *fan_in = (double)(t->shape[1] * receptive);
    *fan_out = (double)(t->shape[0] * receptive);
}

static double fan_of(const ax_tensor *t, ax_fan_mode mode) {
    double fan_in, fan_out;
    fans(t, &fan_in, &fan_out);
    return mode == AX_FAN_IN ? fan_in : fan_out;
}

// std = gain·√(2 / (fan_in + fan_out)); the uniform bound is √3·std
static double xavier_std(const ax_tensor *t, float gain) {
    double fan_in, fan_out;
    fans(t, &fan_in, &fan_out);
    return gain * sqrt(2.0 / (fan_in + fan_out));
}

void ax_init_xavier_uniform(ax_tensor *t, float gain) {
    if (ax_numel(t) == 0) return;
    double a = sqrt(3.0) * xavier_std(t, gain);
    fill(t, (dist){DIST_UNIFORM, -a, a});
}

void ax_init_xavier_normal(ax_tensor *t, float gain) {
    if (ax_numel(t) == 0) return;
    fill(t, (dist){DIST_NORMAL, 0.0, xavier_std(t, gain)});
}

// std = gain / √fan; the uniform bound is √3·std
void ax_init_kaiming_uniform(ax_tensor *t, float gain, ax_fan_mode mode) {
    if (ax_numel(t) == 0) return; // torch: initialising a zero-element tensor is a no-op
    double bound = sqrt(3.0) * (gain / sqrt(fan_of(t, mode)));
    fill(t, (dist){DIST_UNIFORM, -bound, bound});
}

void ax_init_kaiming_normal(ax_tensor *t, float gain, ax_fan_mode mode) {
    if (ax_numel(t) == 0) return;
    fill(t, (dist){DIST_NORMAL, 0.0, gain / sqrt(fan_of(t, mode))});
}

float ax_init_gain_relu(void) { return (float)sqrt(2.0); }
float ax_init_gain_leaky_relu(float slope) { return (float)sqrt(2.0 / (1.0 + (double)slope * slope)); }
float ax_init_gain_tanh(void) { return (float)(5.0 / 3.0); }
