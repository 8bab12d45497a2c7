/* AVX2 + FMA attention primitives (see attention_simd.h); the AVX-512 ones (attention_avx512.c) with 8-float
 * vectors and without mask registers.
 *
 * The product keeps an MR × (8·NV) block of C in up to 6 × 2 ymm accumulators: per k, NV loads of a B row,
 * MR broadcasts of A, MR·NV FMAs (15 of the 16 registers). A block whose last column vector sticks out of C
 * reads and writes that vector with vmaskmov; MR, NV and whether to mask are compile-time constants of
 * each inlined instance. The exponential is the Cephes polynomial of ax_exp_poly (simd_math.h) with FMAs. */
#include "backend/cpu/attention_simd.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <math.h>

#define AVX2 __attribute__((target("avx2,fma")))
#define INLINE_AVX2 __attribute__((target("avx2,fma"), always_inline)) static inline

typedef struct {
    const float *a;   // A row 0 of the block
    int64_t sar, sak; // A's strides between rows and along k
    const float *b;   // B column 0 of the block
    int64_t ldb, kc;  // B's row stride; the length of the sum
    float *c;         // C element (0, 0) of the block
    int64_t ldc;      // C's row stride
    __m256i last;     // lanes of the block's last column vector inside C (all-ones lanes)
    float alpha;      // C = alpha·Σ, or C += Σ
    bool accumulate;  // which of the two
} block;

// lanes [0, n) of a vector, n ≤ 8
INLINE_AVX2 __m256i lanes_below(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// vector v of a row: masked when it is the last one of a block that sticks out of the matrix
INLINE_AVX2 __m256 load_vec(const bool MASK, const int NV, int v, const float *p, __m256i last) {
    return MASK && v == NV - 1 ? _mm256_maskload_ps(p, last) : _mm256_loadu_ps(p);
}

INLINE_AVX2 void block_product(const int MR, const int NV, const bool MASK, const block *t) {
    __m256 acc[6][2];
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 2
        for (int v = 0; v < NV; v++) acc[r][v] = _mm256_setzero_ps();
    const float *a = t->a, *b = t->b;
    for (int64_t k = 0; k < t->kc; k++, a += t->sak, b += t->ldb) {
        __m256 bv[2];
#pragma GCC unroll 2
        for (int v = 0; v < NV; v++) bv[v] = load_vec(MASK, NV, v, b + 8 * v, t->last);
#pragma GCC unroll 6
        for (int r = 0; r < MR; r++) {
            __m256 ar = _mm256_broadcast_ss(a + r * t->sar);
#pragma GCC unroll 2
            for (int v = 0; v < NV; v++) acc[r][v] = _mm256_fmadd_ps(ar, bv[v], acc[r][v]);
        }
    }
    __m256 alpha = _mm256_set1_ps(t->alpha);
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
#pragma GCC unroll 2
        for (int v = 0; v < NV; v++) {
            float *c = t->c + r * t->ldc + 8 * v;
            __m256 out = t->accumulate ? _mm256_add_ps(load_vec(MASK, NV, v, c, t->last), acc[r][v])
                                       : _mm256_mul_ps(alpha, acc[r][v]);
            if (MASK && v == NV - 1)
                _mm256_maskstore_ps(c, t->last, out);
            else
                _mm256_storeu_ps(c, out);
        }
    }
}

// MR rows (a constant) by nv column vectors (1 or 2), the last one masked or not
INLINE_AVX2 void rows_product(const int MR, int nv, bool masked, const block *t) {
    if (nv == 2)
        masked ? block_product(MR, 2, true, t) : block_product(MR, 2, false, t);
    else
        masked ? block_product(MR, 1, true, t) : block_product(MR, 1, false, t);
}

AVX2 static void gemm_avx2(int64_t m, int64_t n, int64_t kc, const float *a, int64_t sar, int64_t sak, const float *b,
                           int64_t ldb, float *c, int64_t ldc, float alpha, bool accumulate) {
    for (int64_t j0 = 0; j0 < n; j0 += 16) {
        int64_t nn = n - j0 < 16 ? n - j0 : 16;
        int nv = (int)((nn + 7) / 8), tail = (int)(nn - 8 * (nv - 1));
        block t = {a, sar, sak, b + j0, ldb, kc, c + j0, ldc, lanes_below(tail), alpha, accumulate};
        bool masked = tail < 8;
        int64_t r = 0;
        for (; r + 6 <= m; r += 6, t.a += 6 * sar, t.c += 6 * ldc) rows_product(6, nv, masked, &t);
        for (; r + 4 <= m; r += 4, t.a += 4 * sar, t.c += 4 * ldc) rows_product(4, nv, masked, &t);
        for (; r + 2 <= m; r += 2, t.a += 2 * sar, t.c += 2 * ldc) rows_product(2, nv, masked, &t);
        if (r < m) rows_product(1, nv, masked, &t);
    }
}

// e^x, 0 below −87 (see ax_exp_poly in simd_math.h)
INLINE_AVX2 __m256 exp8(__m256 x) {
    const __m256 lo = _mm256_set1_ps(-87.0f);
    __m256 keep = _mm256_cmp_ps(x, lo, _CMP_NLT_UQ); // x ≥ −87 or NaN
    x = _mm256_min_ps(_mm256_set1_ps(88.0f), _mm256_max_ps(lo, x));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23); // 2^n
    return _mm256_and_ps(keep, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
}

// the 8 lanes of v combined by op (add or max)
INLINE_AVX2 float reduce8(__m256 v, bool max) {
    __m128 x = max ? _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1))
                   : _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    __m128 y = _mm_movehl_ps(x, x);
    x = max ? _mm_max_ps(x, y) : _mm_add_ps(x, y);
    y = _mm_movehdup_ps(x);
    return _mm_cvtss_f32(max ? _mm_max_ss(x, y) : _mm_add_ss(x, y));
}

AVX2 static float exp_row_avx2(float *x, int64_t n, float shift) {
    __m256 sum = _mm256_setzero_ps(), s = _mm256_set1_ps(shift);
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + j), s));
        _mm256_storeu_ps(x + j, e);
        sum = _mm256_add_ps(sum, e);
    }
    if (j < n) {
        __m256i mask = lanes_below(n - j);
        __m256 e = _mm256_and_ps(_mm256_castsi256_ps(mask), exp8(_mm256_sub_ps(_mm256_maskload_ps(x + j, mask), s)));
        _mm256_maskstore_ps(x + j, mask, e);
        sum = _mm256_add_ps(sum, e);
    }
    return reduce8(sum, false);
}

AVX2 static float max_row_avx2(const float *x, int64_t n) {
    __m256 m = _mm256_set1_ps(-INFINITY);
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + j));
    if (j < n) {
        __m256i mask = lanes_below(n - j);
        m = _mm256_max_ps(m, _mm256_blendv_ps(m, _mm256_maskload_ps(x + j, mask), _mm256_castsi256_ps(mask)));
    }
    return reduce8(m, true);
}

static bool supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

const ax_attn_isa ax_attn_isa_avx2 = {"avx2", supported, gemm_avx2, exp_row_avx2, max_row_avx2, &ax_gemm_isa_avx2};
#else // not x86: never selected
static bool supported(void) { return false; }
const ax_attn_isa ax_attn_isa_avx2 = {.name = "avx2", .supported = supported};
#endif
