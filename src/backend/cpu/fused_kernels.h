/* The fused kernels (see fused.h), written once in portable C with `omp simd` loops. Included by one file
 * per instruction set (fused_generic.c, fused_avx2.c, fused_avx512.c), each of which selects its target
 * first and defines FUSED_ISA (the table's name), FUSED_NAME and a static `supported` function; gcc
 * vectorises every loop for that target. */

/* gcc turns the selects (x < 0 ? a : b) of the loops below and of simd_math.h into vector blends only when
 * floating-point operations may run speculatively, i.e. without -ftrapping-math (which these kernels do not
 * rely on); before the includes, so that the inlined helpers are compiled the same way */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "fp-contract=fast")
#endif

#include "backend/cpu/fused.h"
#include "backend/cpu/simd_math.h"

#include <math.h>

/* a·b + c rounded once, as torch's addcmul and add(alpha=) compute it on AVX2 and up; without FMA hardware
 * the double product of two floats is exact, so only the sum rounds (to double, then float: this differs
 * from a true FMA only on rare exact ties) and the loop still vectorises. */
#ifdef __FMA__
#define MADD(a, b, c) fmaf((a), (b), (c))
#else
#define MADD(a, b, c) ((float)((double)(a) * (b) + (c)))
#endif

/* ---- softmax, log-softmax, cross-entropy ---- */

static float max_row(const float *x, int64_t n) {
    float m = -INFINITY;
#pragma omp simd reduction(max : m)
    for (int64_t k = 0; k < n; k++) m = x[k] > m ? x[k] : m;
    return m;
}

static float sumexp_row(const float *x, int64_t n, float m) {
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t k = 0; k < n; k++) sum += ax_exp_poly(x[k] - m);
    return sum;
}

// y = e^(x−m) / Σ e^(x−m), or (x−m) − log Σ e^(x−m)
static void softmax_row(const float *x, float *y, int64_t n, bool as_log) {
    float m = max_row(x, n);
    if (as_log) {
        float log_sum = logf(sumexp_row(x, n, m));
#pragma omp simd
        for (int64_t k = 0; k < n; k++) y[k] = (x[k] - m) - log_sum;
        return;
    }
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t k = 0; k < n; k++) {
        y[k] = ax_exp_poly(x[k] - m);
        sum += y[k];
    }
    float inv = 1.0f / sum;
#pragma omp simd
    for (int64_t k = 0; k < n; k++) y[k] *= inv;
}

static void softmax_row_grad(const float *y, const float *g, float *dx, int64_t n, bool as_log) {
    float dot = 0.0f; // Σ g (log_softmax) or Σ g·y (softmax)
    if (as_log) {
#pragma omp simd reduction(+ : dot)
        for (int64_t k = 0; k < n; k++) dot += g[k];
#pragma omp simd
        for (int64_t k = 0; k < n; k++) dx[k] += g[k] - ax_exp_poly(y[k]) * dot;
    } else {
#pragma omp simd reduction(+ : dot)
        for (int64_t k = 0; k < n; k++) dot += g[k] * y[k];
#pragma omp simd
        for (int64_t k = 0; k < n; k++) dx[k] += y[k] * (g[k] - dot);
    }
}

static void ce_row_grad(const float *x, int64_t n, float lse, float scale, float off, float *dx) {
#pragma omp simd
    for (int64_t k = 0; k < n; k++) dx[k] += scale * (ax_exp_poly(x[k] - lse) - off);
}

/* ---- layernorm ---- */

static void layernorm_row(const float *x, const float *w, const float *b, int64_t n, float eps, float *y, float *mean,
                          float *rstd) {
    float sum = 0.0f, sq = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t c = 0; c < n; c++) sum += x[c];
    float mu = sum / (float)n;
#pragma omp simd reduction(+ : sq)
    for (int64_t c = 0; c < n; c++) sq += (x[c] - mu) * (x[c] - mu);
    float r = 1.0f / sqrtf(sq / (float)n + eps);
#pragma omp simd
    for (int64_t c = 0; c < n; c++) y[c] = (x[c] - mu) * r * w[c] + b[c];
    *mean = mu;
    *rstd = r;
}

static void layernorm_row_grad(const float *x, const float *dy, const float *w, int64_t n, float mu, float r,
                               float *dx, float *dw, float *db) {
    if (dw) {
#pragma omp simd
        for (int64_t c = 0; c < n; c++) dw[c] += dy[c] * ((x[c] - mu) * r);
    }
    if (db) {
#pragma omp simd
        for (int64_t c = 0; c < n; c++) db[c] += dy[c];
    }
    if (!dx) return;
    float sg = 0.0f, sgx = 0.0f; // Σ g, Σ g·x̂
#pragma omp simd reduction(+ : sg, sgx)
    for (int64_t c = 0; c < n; c++) {
        float g = dy[c] * w[c];
        sg += g;
        sgx += g * ((x[c] - mu) * r);
    }
    float mg = sg / (float)n, mgx = sgx / (float)n;
#pragma omp simd
    for (int64_t c = 0; c < n; c++) dx[c] += r * (dy[c] * w[c] - mg - (x[c] - mu) * r * mgx);
}

/* ---- GELU ---- */

#define SQRT_2_OVER_PI 0.7978845608028654f // √(2/π)
#define INV_SQRT_2PI 0.3989422804014327f   // 1/√(2π)
#define GELU_C 0.044715f                   // cubic coefficient of the tanh approximation

// σ(2u): ½(1 + tanh u) without the cancellation where tanh u → −1
static inline float gelu_tanh_sig(float x) {
    return 1.0f / (1.0f + ax_exp_poly(-2.0f * SQRT_2_OVER_PI * (x + GELU_C * x * x * x)));
}

// Φ(x) = ½·erfc(−x/√2), with e = e^(−x²/2) (= √(2π)·φ(x)) for the caller's derivative
static inline float normal_cdf(float x, float *e) {
    float a = fabsf(x) * 0.70710678118654752f;
    *e = ax_exp_poly(-a * a);
    float half_erfc = 0.5f * ax_erfc_pos(a, *e); // ½·erfc(|x|/√2) = Φ(−|x|)
    return x < 0.0f ? half_erfc : 1.0f - half_erfc;
}

static void gelu(const float *x, float *y, int64_t n, bool tanh_approx) {
    if (tanh_approx) {
#pragma omp simd
        for (int64_t i = 0; i < n; i++) y[i] = x[i] * gelu_tanh_sig(x[i]);
    } else {
#pragma omp simd
        for (int64_t i = 0; i < n; i++) {
            float e;
            y[i] = x[i] * normal_cdf(x[i], &e);
        }
    }
}

/* tanh: d/dx = s + 2x·s(1 − s)·√(2/π)·(1 + 3c·x²), s = σ(2u);  erf: d/dx x·Φ(x) = Φ(x) + x·φ(x) */
static void gelu_grad(const float *x, const float *g, float *dx, int64_t n, bool tanh_approx) {
    if (tanh_approx) {
#pragma omp simd
        for (int64_t i = 0; i < n; i++) {
            float v = x[i], s = gelu_tanh_sig(v);
            dx[i] += g[i] * (s + 2.0f * v * s * (1.0f - s) * SQRT_2_OVER_PI * (1.0f + 3.0f * GELU_C * v * v));
        }
    } else {
#pragma omp simd
        for (int64_t i = 0; i < n; i++) {
            float e, cdf = normal_cdf(x[i], &e);
            dx[i] += g[i] * (cdf + x[i] * INV_SQRT_2PI * e);
        }
    }
}

/* ---- Adam(W) ---- */

static void adam(const ax_adam_step *step, float *p, const float *g, float *m, float *v, int64_t n) {
    const ax_adam_step s = *step; // a local copy: the stores to p, m, v cannot change it
#pragma omp simd
    for (int64_t i = 0; i < n; i++) {
        float pi = p[i] * s.shrink;
        float gi = MADD(pi, s.l2, g[i]);
        m[i] = MADD(gi, s.keep1, m[i] * s.beta1);
        v[i] = MADD(s.keep2 * gi, gi, v[i] * s.beta2);
        float denom = sqrtf(v[i]) / s.bias2_sqrt + s.eps;
        p[i] = pi + s.neg_step * m[i] / denom;
    }
}

const ax_fused_isa FUSED_ISA = {FUSED_NAME,  supported,  max_row,   sumexp_row, softmax_row, softmax_row_grad,
                                ce_row_grad, layernorm_row, layernorm_row_grad, gelu, gelu_grad, adam};
