/* Portable attention primitives (see attention_simd.h) and the choice between them and the AVX-512 ones.
 * The loops run along contiguous rows so that gcc vectorises them at -O2 (`omp simd`). */
#include "backend/cpu/attention_kernels.h"
#include "backend/cpu/attention_simd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void gemm_generic(int64_t m, int64_t n, int64_t kc, const float *a, int64_t sar, int64_t sak, const float *b,
                         int64_t ldb, float *c, int64_t ldc, float alpha, bool accumulate) {
    for (int64_t r = 0; r < m; r++) {
        float *cr = c + r * ldc;
        const float *ar = a + r * sar;
        if (!accumulate)
            for (int64_t j = 0; j < n; j++) cr[j] = 0.0f;
        for (int64_t k = 0; k < kc; k++) {
            const float s = ar[k * sak], *bk = b + k * ldb;
#pragma omp simd
            for (int64_t j = 0; j < n; j++) cr[j] += s * bk[j];
        }
        if (alpha != 1.0f)
            for (int64_t j = 0; j < n; j++) cr[j] *= alpha;
    }
}

/* e^x for x ≤ 88, branch-free so that it vectorises (Cephes expf: x = n·ln 2 + r with |r| ≤ ln 2 / 2, a
 * degree-7 polynomial for e^r, 2^n built in the exponent bits); 0 below −87 (PyTorch gives ≤ 1.6e-38 there). */
static inline float exp_poly(float x) {
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
    return x < -87.0f ? 0.0f : p * two_n;
}

static float exp_row_generic(float *x, int64_t n, float shift) {
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < n; j++) {
        x[j] = exp_poly(x[j] - shift);
        sum += x[j];
    }
    return sum;
}

// eight running maxima, so that gcc keeps them in registers instead of one reduction variable in memory
static float max_row_generic(const float *x, int64_t n) {
    float m[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int u = 0; u < 8; u++) m[u] = x[j + u] > m[u] ? x[j + u] : m[u];
    for (; j < n; j++) m[0] = x[j] > m[0] ? x[j] : m[0];
    for (int u = 1; u < 8; u++) m[0] = m[u] > m[0] ? m[u] : m[0];
    return m[0];
}

static bool always(void) { return true; }

const ax_attn_isa ax_attn_isa_generic = {"generic", always, gemm_generic, exp_row_generic, max_row_generic,
                                        &ax_gemm_isa_generic};

/* ---- the choice ---- */

static const ax_attn_isa *chosen; // NULL until the first call

static const ax_attn_isa *by_name(const char *name) {
    const ax_attn_isa *all[] = {&ax_attn_isa_avx512, &ax_attn_isa_generic};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (strcmp(all[i]->name, name) == 0) return all[i]->supported() ? all[i] : NULL;
    return NULL;
}

// AX_ISA names the GEMM's kernels too; one this file lacks (avx2) or the CPU cannot run means the portable C.
static const ax_attn_isa *automatic(void) {
    const char *env = getenv("AX_ISA");
    if (env && *env) {
        const ax_attn_isa *isa = by_name(env);
        return isa ? isa : &ax_attn_isa_generic;
    }
    return ax_attn_isa_avx512.supported() ? &ax_attn_isa_avx512 : &ax_attn_isa_generic;
}

const ax_attn_isa *ax_attn_isa_current(void) {
    if (!chosen) chosen = automatic();
    return chosen;
}

bool ax_attn_force_isa(const char *name) {
    const ax_attn_isa *isa = name ? by_name(name) : automatic();
    if (isa) chosen = isa;
    return isa != NULL;
}

const char *ax_attn_isa_name(void) { return ax_attn_isa_current()->name; }
