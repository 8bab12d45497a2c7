/* Portable attention primitives (see attention_simd.h) and the choice between them and the AVX2 / AVX-512 ones.
 * The loops run along contiguous rows so that gcc vectorises them at -O2 (`omp simd`); the exponential's selects
 * become vector blends only without -ftrapping-math (see fused_kernels.h), set before the includes so that the
 * inlined ax_exp_poly is compiled the same way. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include "backend/cpu/attention_kernels.h"
#include "backend/cpu/attention_simd.h"
#include "backend/cpu/simd_math.h"

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

static float exp_row_generic(float *x, int64_t n, float shift) {
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < n; j++) {
        x[j] = ax_exp_poly(x[j] - shift);
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

static const ax_attn_isa *const all[] = {&ax_attn_isa_avx512, &ax_attn_isa_avx2, &ax_attn_isa_generic}; // best first

// the named kernels if this CPU runs them (NULL name: the best ones), else NULL
static const ax_attn_isa *by_name(const char *name) {
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (all[i]->supported() && (!name || strcmp(all[i]->name, name) == 0)) return all[i];
    return NULL;
}

// AX_ISA (it names the GEMM's kernels too) if this CPU runs it, else the best (the GEMM warns about it)
static const ax_attn_isa *automatic(void) {
    const char *env = getenv("AX_ISA");
    const ax_attn_isa *isa = env ? by_name(env) : NULL;
    return isa ? isa : by_name(NULL);
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
