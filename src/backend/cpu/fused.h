/* Fused row kernels behind softmax / log-softmax, cross-entropy, layernorm, GELU, the Adam(W) update, the
 * recurrent cells and additive attention's scores (internal to the ops, the optimizers, the models, their tests and
 * benchmark). Each works on one contiguous row or chunk; the callers spread rows over OpenMP threads.
 *
 * There is one implementation per instruction set, all from the same portable C (fused_kernels.h) compiled
 * for AVX-512, for AVX2 + FMA and for baseline x86-64 / any CPU, with a vectorisable exponential instead of
 * libm's (simd_math.h). The best one the CPU runs is chosen at the first call; the environment variable
 * AX_ISA=generic|avx2|avx512 (shared with the GEMM and attention kernels) forces one. */
#ifndef AX_BACKEND_CPU_FUSED_H
#define AX_BACKEND_CPU_FUSED_H

#include <stdbool.h>
#include <stdint.h>

/* Adam's per-step scalars (see optim/adam.c):
 *   p ← p·shrink;  g ← g + l2·p;  m ← β1·m + keep1·g;  v ← β2·v + keep2·g²;
 *   p ← p + neg_step·m / (√v / bias2_sqrt + ε) */
typedef struct {
    float beta1, beta2;       // β1, β2
    float keep1, keep2;       // 1 − β1, 1 − β2
    float l2;                 // Adam's L2 penalty (0 for AdamW)
    float shrink;             // AdamW's decoupled decay factor 1 − lr·wd (1 for Adam or no decay)
    float neg_step;           // −lr / (1 − β1^t)
    float bias2_sqrt;         // √(1 − β2^t)
    float eps;                // ε
} ax_adam_step;

typedef struct {
    const char *name;        // "avx512", "avx2", "generic": the AX_ISA value that selects it
    bool (*supported)(void); // can this CPU run it?

    // max of x[0 .. n) (NaNs skipped; −∞ for n = 0)
    float (*max_row)(const float *x, int64_t n);
    // Σ e^(x[k] − m)
    float (*sumexp_row)(const float *x, int64_t n, float m);
    // y = softmax(x), or log_softmax(x) when as_log
    void (*softmax_row)(const float *x, float *y, int64_t n, bool as_log);
    // dx += y·(g − Σ g·y) (softmax), or g − e^y·Σ g (log_softmax), given its output y and gradient g
    void (*softmax_row_grad)(const float *y, const float *g, float *dx, int64_t n, bool as_log);
    // cross-entropy's dx += scale·(e^(x − lse) − off): the softmax minus the smoothed target's uniform part
    void (*ce_row_grad)(const float *x, int64_t n, float lse, float scale, float off, float *dx);

    // y = (x − μ)·r·w + b over one row, w and b may be NULL (1, 0); stores μ and r = 1/√(σ² + ε)
    void (*layernorm_row)(const float *x, const float *w, const float *b, int64_t n, float eps, float *y, float *mean,
                          float *rstd);
    /* one row of the backward with x̂ = (x − μ)·r, g = dy·w: dx += r·(g − mean g − x̂·mean(g·x̂)) (dx may be
     * NULL), dw += dy·x̂ and db += dy (either may be NULL) */
    void (*layernorm_row_grad)(const float *x, const float *dy, const float *w, int64_t n, float mu, float r,
                               float *dx, float *dw, float *db);

    // y = x·Φ(x) (exact, erf) or x·σ(2u), u = √(2/π)·(x + 0.044715x³) (tanh approximation)
    void (*gelu)(const float *x, float *y, int64_t n, bool tanh_approx);
    // dx += g·GELU'(x)
    void (*gelu_grad)(const float *x, const float *g, float *dx, int64_t n, bool tanh_approx);

    /* inverted dropout of elements [first, first + n) of a tensor: keep[i] = 1 when the 24-bit uniform
     * ax_dropout_bits(key, first + i) ≥ cut, y[i] = keep[i] ? x[i]·scale : 0 */
    void (*dropout)(const float *x, float *y, uint8_t *keep, int64_t n, uint32_t first, uint64_t key, uint32_t cut,
                    float scale);

    // one Adam(W) update of p, m, v (n) from the gradient g
    void (*adam)(const ax_adam_step *s, float *p, const float *g, float *m, float *v, int64_t n);

    /* Recurrent cells on one batch row of H units (src/ops/rnn_cell.c), gate k at [k·H, (k+1)·H) in torch's
     * order. Forward: pre-activations a = xw + gh + b; the activated gates, aux values and new state are stored.
     * Backward: dh (H) holds dL/dh' from later steps and dout its output's gradient; the kernel writes
     * d(pre-activations) to dgh, adds their input part to dx (may be NULL), and leaves in dh the direct part of
     * dL/dh (GRU: dh'·z, else 0; the caller adds dgh·W_hh) and in dc dL/dc. */
    // h' = tanh a, or max(a, 0) when relu; gate = h'
    void (*rnn_cell)(const float *xw, const float *gh, const float *b, float *gate, float *h_out, int64_t H,
                     bool relu);
    void (*rnn_cell_grad)(const float *gate, const float *dout, float *dh, float *dgh, float *dx, int64_t H,
                          bool relu);
    // i, f, o = σ(a), g = tanh a (gates i f g o); c' = f·c + i·g, h' = o·tanh c' (tanh_c = tanh c')
    void (*lstm_cell)(const float *xw, const float *gh, const float *b, const float *c, float *gate, float *tanh_c,
                      float *c_out, float *h_out, int64_t H);
    void (*lstm_cell_grad)(const float *gate, const float *tanh_c, const float *c, const float *dout, float *dh,
                           float *dc, float *dgh, float *dx, int64_t H);
    // r, z = σ(a), hn = gh_n + b_n, n = tanh(xw_n + r·hn) (gates r z n); h' = (1 − z)·n + z·h
    void (*gru_cell)(const float *xw, const float *gh, const float *b, const float *h, float *gate, float *hn,
                     float *h_out, int64_t H);
    void (*gru_cell_grad)(const float *gate, const float *hn, const float *h, const float *dout, float *dh,
                          float *dgh, float *dx, int64_t H);

    // additive attention's score: e = tanh(k + q) stored (n), returns Σ v·e
    float (*tanh_dot)(const float *k, const float *q, const float *v, float *e, int64_t n);
    // its backward for the score's gradient ds: dk += ds·v·(1 − e²), dq likewise (either may be NULL)
    void (*tanh_dot_grad)(const float *e, const float *v, float ds, float *dk, float *dq, int64_t n);
} ax_fused_isa;

/* The dropout mask's random bits: a 24-bit uniform integer for element i of a call keyed by key, from two rounds
 * of a 32-bit integer mixer (lowbias32), which every instruction set vectorises (a 64-bit mixer would not).
 * Counter-based: element i's bits do not depend on the thread or the chunk that draws them. */
static inline uint32_t ax_mix32(uint32_t h) {
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    h *= 0x846ca68bu;
    return h ^ (h >> 16);
}
static inline uint32_t ax_dropout_bits(uint64_t key, uint32_t i) {
    return ax_mix32(ax_mix32(i ^ (uint32_t)key) + (uint32_t)(key >> 32)) >> 8;
}

extern const ax_fused_isa ax_fused_avx512, ax_fused_avx2, ax_fused_generic;

const ax_fused_isa *ax_fused(void); // the kernels in use, chosen on first use

/* Selects the kernels by name ("avx512", "avx2", "generic"); false if unknown or not supported by this CPU.
 * NULL goes back to the automatic choice (AX_ISA, else the best the CPU runs). */
bool ax_fused_force_isa(const char *name);
const char *ax_fused_isa_name(void); // the kernels in use

#endif
