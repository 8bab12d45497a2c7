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

/* ---- recurrent cells: one batch row of H units, gate k of a cell at [k·H, (k+1)·H) (torch's order) ---- */

static void rnn_cell(const float *xw, const float *gh, const float *b, float *gate, float *h_out, int64_t H,
                     bool relu) {
    if (relu) {
#pragma omp simd
        for (int64_t j = 0; j < H; j++) h_out[j] = gate[j] = fmaxf(xw[j] + gh[j] + b[j], 0.0f);
    } else {
#pragma omp simd
        for (int64_t j = 0; j < H; j++) h_out[j] = gate[j] = ax_tanh_poly(xw[j] + gh[j] + b[j]);
    }
}

// tanh' = 1 − h'², relu' = [h' > 0]
static void rnn_cell_grad(const float *gate, const float *dout, float *dh, float *dgh, float *dx, int64_t H,
                          bool relu) {
#pragma omp simd
    for (int64_t j = 0; j < H; j++) {
        float d = dh[j] + dout[j];
        dgh[j] = relu ? (gate[j] > 0.0f ? d : 0.0f) : d * (1.0f - gate[j] * gate[j]);
        dh[j] = 0.0f;
    }
    if (dx) {
#pragma omp simd
        for (int64_t j = 0; j < H; j++) dx[j] += dgh[j];
    }
}

static void lstm_cell(const float *xw, const float *gh, const float *b, const float *c, float *gate, float *tanh_c,
                      float *c_out, float *h_out, int64_t H) {
#pragma omp simd
    for (int64_t j = 0; j < H; j++) {
        float i = ax_sigmoid_poly(xw[j] + gh[j] + b[j]);
        float f = ax_sigmoid_poly(xw[H + j] + gh[H + j] + b[H + j]);
        float g = ax_tanh_poly(xw[2 * H + j] + gh[2 * H + j] + b[2 * H + j]);
        float o = ax_sigmoid_poly(xw[3 * H + j] + gh[3 * H + j] + b[3 * H + j]);
        float cn = f * c[j] + i * g, tc = ax_tanh_poly(cn);
        gate[j] = i, gate[H + j] = f, gate[2 * H + j] = g, gate[3 * H + j] = o;
        c_out[j] = cn, tanh_c[j] = tc, h_out[j] = o * tc;
    }
}

// c' = f·c + i·g, h' = o·tanh c': dc' = dc + dh'·o·(1 − tanh² c'), then σ' = s(1 − s) and tanh' = 1 − t²
static void lstm_cell_grad(const float *gate, const float *tanh_c, const float *c, const float *dout, float *dh,
                           float *dc, float *dgh, float *dx, int64_t H) {
#pragma omp simd
    for (int64_t j = 0; j < H; j++) {
        float i = gate[j], f = gate[H + j], g = gate[2 * H + j], o = gate[3 * H + j], tc = tanh_c[j];
        float d = dh[j] + dout[j], dct = dc[j] + d * o * (1.0f - tc * tc);
        dgh[j] = dct * g * i * (1.0f - i);
        dgh[H + j] = dct * c[j] * f * (1.0f - f);
        dgh[2 * H + j] = dct * i * (1.0f - g * g);
        dgh[3 * H + j] = d * tc * o * (1.0f - o);
        dc[j] = dct * f, dh[j] = 0.0f;
    }
    if (dx) {
#pragma omp simd
        for (int64_t k = 0; k < 4 * H; k++) dx[k] += dgh[k];
    }
}

static void gru_cell(const float *xw, const float *gh, const float *b, const float *h, float *gate, float *hn,
                     float *h_out, int64_t H) {
#pragma omp simd
    for (int64_t j = 0; j < H; j++) {
        float r = ax_sigmoid_poly(xw[j] + gh[j] + b[j]);
        float z = ax_sigmoid_poly(xw[H + j] + gh[H + j] + b[H + j]);
        float a = gh[2 * H + j] + b[2 * H + j], n = ax_tanh_poly(xw[2 * H + j] + r * a);
        gate[j] = r, gate[H + j] = z, gate[2 * H + j] = n;
        hn[j] = a, h_out[j] = (1.0f - z) * n + z * h[j];
    }
}

/* h' = (1 − z)·n + z·h, n = tanh(x_n + r·hn): dn = dh'·(1 − z)·(1 − n²), dr = dn·hn·r(1 − r),
 * dz = dh'·(h − n)·z(1 − z) */
static void gru_cell_grad(const float *gate, const float *hn, const float *h, const float *dout, float *dh, float *dgh,
                          float *dx, int64_t H) {
#pragma omp simd
    for (int64_t j = 0; j < H; j++) {
        float r = gate[j], z = gate[H + j], n = gate[2 * H + j], d = dh[j] + dout[j];
        float dn = d * (1.0f - z) * (1.0f - n * n);
        dgh[j] = dn * hn[j] * r * (1.0f - r);
        dgh[H + j] = d * (h[j] - n) * z * (1.0f - z);
        dgh[2 * H + j] = dn * r;
        dh[j] = d * z;
        if (dx) dx[2 * H + j] += dn;
    }
    if (dx) {
#pragma omp simd
        for (int64_t k = 0; k < 2 * H; k++) dx[k] += dgh[k];
    }
}

/* ---- additive (Bahdanau) attention score ---- */

static float tanh_dot(const float *k, const float *q, const float *v, float *e, int64_t n) {
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t d = 0; d < n; d++) {
        e[d] = ax_tanh_poly(k[d] + q[d]);
        s += v[d] * e[d];
    }
    return s;
}

// d(k + q) = ds·v·(1 − e²)
static void tanh_dot_grad(const float *e, const float *v, float ds, float *dk, float *dq, int64_t n) {
#pragma omp simd
    for (int64_t d = 0; d < n; d++) {
        float g = ds * v[d] * (1.0f - e[d] * e[d]);
        if (dk) dk[d] += g;
        if (dq) dq[d] += g;
    }
}

/* ---- dropout ---- */

static void dropout(const float *x, float *y, uint8_t *keep, int64_t n, uint32_t first, uint64_t key, uint32_t cut,
                    float scale) {
#pragma omp simd
    for (int64_t i = 0; i < n; i++) {
        uint8_t k = ax_dropout_bits(key, first + (uint32_t)i) >= cut;
        keep[i] = k;
        y[i] = k ? x[i] * scale : 0.0f;
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

const ax_fused_isa FUSED_ISA = {FUSED_NAME,    supported,    max_row,        sumexp_row, softmax_row,
                                softmax_row_grad, ce_row_grad, layernorm_row, layernorm_row_grad, gelu,
                                gelu_grad,     dropout,      adam,         rnn_cell,       rnn_cell_grad, lstm_cell,
                                lstm_cell_grad, gru_cell,    gru_cell_grad,  tanh_dot,      tanh_dot_grad};
