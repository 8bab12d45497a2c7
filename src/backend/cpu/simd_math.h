/* Branch-free float math for the CPU kernels, written so that gcc vectorises loops calling it (`omp simd`)
 * for whatever instruction set the including function is compiled for; libm's expf and erfcf are calls that
 * stop vectorisation. Internal to src/backend/cpu/. */
#ifndef AX_BACKEND_CPU_SIMD_MATH_H
#define AX_BACKEND_CPU_SIMD_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* e^x for −87 ≤ x ≤ 88 within 2 ulp (Cephes expf: x = n·ln 2 + r with |r| ≤ ln 2 / 2, a degree-7 polynomial
 * for e^r, 2^n built in the exponent bits); 0 below −87 (the exact value is ≤ 1.6e-38 there), +∞ above 88
 * (where 2^n leaves the exponent's range; e^x overflows from 88.72), NaN for NaN. */
static inline float ax_exp_poly(float x) {
    const float magic = 12582912.0f; // 1.5·2^23: adding it rounds to an integer kept in the low mantissa bits
    float xc = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
    float t = xc * 1.44269504088896341f + magic, n = t - magic;
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f; // ln 2 in two parts, so that n·ln 2 loses nothing
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    uint32_t bits;
    memcpy(&bits, &t, sizeof bits);
    bits = (bits - 0x4B400000u + 127u) << 23; // n + 127 in the exponent field: 2^n
    float two_n;
    memcpy(&two_n, &bits, sizeof two_n);
    return x < -87.0f ? 0.0f : x > 88.0f ? INFINITY : p * two_n;
}

// σ(x) = 1 / (1 + e^(−x)) within 3 ulp; 0 below −88 (where σ is subnormal) and 1 above 87
static inline float ax_sigmoid_poly(float x) { return 1.0f / (1.0f + ax_exp_poly(-x)); }

/* tanh x within 3 ulp: tanh |x| with the sign of x (so tanh −0 = −0), where tanh a = a + a³·P(a²) for a < 0.625
 * (Cephes' tanhf polynomial: no cancellation near 0), else 1 − 2 / (e^(2a) + 1) (1 from a ≥ 44: e^(2a) = +∞) */
static inline float ax_tanh_poly(float x) {
    float a = fabsf(x), z = x * x;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    float small = p * z * a + a, large = 1.0f - 2.0f / (ax_exp_poly(2.0f * a) + 1.0f);
    return copysignf(a < 0.625f ? small : large, x);
}

/* erfc a for a ≥ 0 given e = e^(−a²), within 2e-7 relative (+ the rounding of a² in e): t·e·Q(t) with
 * t = 1/(1 + a/2) ∈ (0, 1] and Q a degree-10 polynomial fitted to erfc(a)·e^(a²)/t (tools/fit_erfc.py). */
static inline float ax_erfc_pos(float a, float e) {
    static const float q[] = {0.282094806f, 0.282093763f,  0.246884391f, 0.175318047f, 0.0934500098f, -0.0591670685f,
                              0.132078797f, -0.454837203f, 0.493578762f, -0.234678641f, 0.0431843363f};
    float t = 1.0f / (1.0f + 0.5f * a), p = q[10];
#pragma GCC unroll 10
    for (int k = 9; k >= 0; k--) p = p * t + q[k];
    return t * e * p;
}

#endif
