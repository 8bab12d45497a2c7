/* Initialisers, as torch.nn.init defines them, drawing from the global RNG. They write in place through
 * the tensor's strides (a view of a parameter initialises that part), one element at a time in row-major
 * order so a seed gives the same values on any thread count. */
#include "axon/nn.h"

#include <math.h>
#include <stdlib.h>

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

/* Modified Gram–Schmidt, in double, on the n = min(rows, cols) vectors of length m = max(rows, cols) that make up
 * the draw (columns when rows ≥ cols, else rows): each vector has its projections on the earlier ones removed and is
 * normalised, which is the Q of a QR factorisation with a positive diagonal. */
void ax_init_orthogonal(ax_tensor *t, float gain) {
    if (ax_numel(t) == 0) return;
    AX_ASSERT(t->ndim >= 2 && ax_is_contiguous(t), "orthogonal init needs a contiguous tensor of 2+ dims, got %s",
              ax_shape_str(t));
    int64_t rows = t->shape[0], cols = ax_numel(t) / rows;
    bool by_rows = rows < cols; // vector v, element i at q[v·m + i]
    int64_t m = by_rows ? cols : rows, n = by_rows ? rows : cols;
    double *q = malloc((size_t)(m * n) * sizeof *q);
    AX_ASSERT(q, "out of memory");
    for (int64_t r = 0; r < rows; r++) // the normal draw in row-major order, as torch draws it
        for (int64_t c = 0; c < cols; c++) q[by_rows ? r * m + c : c * m + r] = ax_rng_normal(ax_rng_global());
    for (int64_t v = 0; v < n; v++) {
        double *a = q + v * m;
        for (int64_t u = 0; u < v; u++) {
            const double *b = q + u * m;
            double dot = 0;
            for (int64_t i = 0; i < m; i++) dot += a[i] * b[i];
            for (int64_t i = 0; i < m; i++) a[i] -= dot * b[i];
        }
        double norm = 0;
        for (int64_t i = 0; i < m; i++) norm += a[i] * a[i];
        norm = sqrt(norm);
        for (int64_t i = 0; i < m; i++) a[i] = norm > 0 ? a[i] / norm : 0.0;
    }
    float *p = t->data;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) p[r * cols + c] = (float)(gain * q[by_rows ? r * m + c : c * m + r]);
    free(q);
}

float ax_init_gain_relu(void) { return (float)sqrt(2.0); }
float ax_init_gain_leaky_relu(float slope) { return (float)sqrt(2.0 / (1.0 + (double)slope * slope)); }
float ax_init_gain_tanh(void) { return (float)(5.0 / 3.0); }
