/* AVX-512 attention primitives (see attention_simd.h).
 *
 * The product keeps an MR × (16·NV) block of C in up to 6 × 4 zmm accumulators: per k, NV loads of a B row,
 * MR broadcasts of A, MR·NV FMAs. Edge columns use load/store masks; MR and NV are compile-time constants
 * of each inlined instance. The exponential is the same Cephes polynomial as the portable one, with FMAs
 * and vscalefps for 2^n. */
#include "backend/cpu/attention_simd.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <math.h>

#define AVX512 __attribute__((target("avx512f,fma")))
#define INLINE_AVX512 __attribute__((target("avx512f,fma"), always_inline)) static inline

typedef struct {
    const float *a;    // A row 0 of the block
    int64_t sar, sak;  // A's strides between rows and along k
    const float *b;    // B column 0 of the block
    int64_t ldb, kc;   // B's row stride; the length of the sum
    float *c;          // C element (0, 0) of the block
    int64_t ldc;       // C's row stride
    __mmask16 last;    // lanes of the block's last column vector inside C
    float alpha;       // C = alpha·Σ, or C += Σ
    bool accumulate;   // which of the two
} block;

INLINE_AVX512 void block_product(const int MR, const int NV, const block *t) {
    __m512 acc[6][4];
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
    const float *a = t->a, *b = t->b;
    for (int64_t k = 0; k < t->kc; k++, a += t->sak, b += t->ldb) {
        __m512 bv[4];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            bv[v] = v == NV - 1 ? _mm512_maskz_loadu_ps(t->last, b + 16 * v) : _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 6
        for (int r = 0; r < MR; r++) {
            __m512 ar = _mm512_set1_ps(a[r * t->sar]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(ar, bv[v], acc[r][v]);
        }
    }
    __m512 alpha = _mm512_set1_ps(t->alpha);
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) {
            float *c = t->c + r * t->ldc + 16 * v;
            __mmask16 mask = v == NV - 1 ? t->last : (__mmask16)0xffff;
            __m512 out = t->accumulate ? _mm512_add_ps(_mm512_maskz_loadu_ps(mask, c), acc[r][v])
                                       : _mm512_mul_ps(alpha, acc[r][v]);
            _mm512_mask_storeu_ps(c, mask, out);
        }
    }
}

// MR rows (a constant) by nv column vectors (1..4)
INLINE_AVX512 void rows_product(const int MR, int nv, const block *t) {
    switch (nv) {
    case 4: block_product(MR, 4, t); break;
    case 3: block_product(MR, 3, t); break;
    case 2: block_product(MR, 2, t); break;
    default: block_product(MR, 1, t); break;
    }
}

AVX512 static void gemm_avx512(int64_t m, int64_t n, int64_t kc, const float *a, int64_t sar, int64_t sak,
                               const float *b, int64_t ldb, float *c, int64_t ldc, float alpha, bool accumulate) {
    for (int64_t j0 = 0; j0 < n; j0 += 64) {
        int64_t nn = n - j0 < 64 ? n - j0 : 64;
        int nv = (int)((nn + 15) / 16), tail = (int)(nn - 16 * (nv - 1));
        block t = {a, sar, sak, b + j0, ldb, kc, c + j0, ldc, (__mmask16)((1u << tail) - 1), alpha, accumulate};
        int64_t r = 0;
        for (; r + 6 <= m; r += 6, t.a += 6 * sar, t.c += 6 * ldc) rows_product(6, nv, &t);
        for (; r + 4 <= m; r += 4, t.a += 4 * sar, t.c += 4 * ldc) rows_product(4, nv, &t);
        for (; r + 2 <= m; r += 2, t.a += 2 * sar, t.c += 2 * ldc) rows_product(2, nv, &t);
        if (r < m) rows_product(1, nv, &t);
    }
}

// e^x, 0 below −87 (see ax_exp_poly in simd_math.h)
INLINE_AVX512 __m512 exp16(__m512 x) {
    const __m512 lo = _mm512_set1_ps(-87.0f);
    __mmask16 keep = _mm512_cmp_ps_mask(x, lo, _CMP_NLT_UQ); // x ≥ −87 or NaN
    x = _mm512_min_ps(_mm512_set1_ps(88.0f), _mm512_max_ps(lo, x));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
    return _mm512_maskz_mov_ps(keep, _mm512_scalef_ps(p, n));
}

AVX512 static float exp_row_avx512(float *x, int64_t n, float shift) {
    __m512 sum = _mm512_setzero_ps(), s = _mm512_set1_ps(shift);
    for (int64_t j = 0; j < n; j += 16) {
        __mmask16 mask = n - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1);
        __m512 e = _mm512_maskz_mov_ps(mask, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, x + j), s)));
        _mm512_mask_storeu_ps(x + j, mask, e);
        sum = _mm512_add_ps(sum, e);
    }
    return _mm512_reduce_add_ps(sum);
}

AVX512 static float max_row_avx512(const float *x, int64_t n) {
    __m512 m = _mm512_set1_ps(-INFINITY);
    for (int64_t j = 0; j < n; j += 16) {
        __mmask16 mask = n - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1);
        m = _mm512_mask_max_ps(m, mask, m, _mm512_maskz_loadu_ps(mask, x + j));
    }
    return _mm512_reduce_max_ps(m);
}

static bool supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
}

const ax_attn_isa ax_attn_isa_avx512 = {"avx512", supported, gemm_avx512, exp_row_avx512, max_row_avx512,
                                       &ax_gemm_isa_avx512};
#else // not x86: never selected
static bool supported(void) { return false; }
const ax_attn_isa ax_attn_isa_avx512 = {.name = "avx512", .supported = supported};
#endif
