/* AVX-512 micro-kernel: a 12×32 tile of C in 24 zmm accumulators. Per k: two loads of B (32 floats),
 * twelve broadcasts of A, 24 FMAs. Edge columns use load/store masks, edge rows are simply not stored. */
#include "backend/cpu/gemm_kernel.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define MR 12
#define NR 32

#define PREFETCH 32 // floats ahead along each row that the transposing pack prefetches

#define AVX512 __attribute__((target("avx512f")))

AVX512 static void kernel_12x32(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int m, int n,
                                float alpha, float beta) {
    __m512 acc[MR][2];
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (int r = 0; r < m; r++) _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
    for (int64_t k = 0; k < kc; k++, a += MR, b += NR) {
        __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 12
        for (int r = 0; r < MR; r++) {
            __m512 ar = _mm512_set1_ps(a[r]);
            acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
        }
    }
    __mmask16 m0 = n >= 16 ? 0xffff : (__mmask16)((1u << n) - 1);
    __mmask16 m1 = n >= 32 ? 0xffff : n <= 16 ? 0 : (__mmask16)((1u << (n - 16)) - 1);
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
        if (r >= m) break;
        float *cr = c + r * ldc;
        __m512 c0 = _mm512_mul_ps(va, acc[r][0]), c1 = _mm512_mul_ps(va, acc[r][1]);
        if (beta != 0.0f) {
            c0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, cr), c0);
            c1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16), c1);
        }
        _mm512_mask_storeu_ps(cr, m0, c0);
        _mm512_mask_storeu_ps(cr + 16, m1, c1);
    }
}

// In-place transpose of a 16×16 block held in 16 registers: r[i][j] → r[j][i].
AVX512 static void transpose16(__m512 r[16]) {
    __m512 t[16], u[16];
    for (int i = 0; i < 16; i += 2) { // pairs of rows, 32-bit interleave within 128-bit lanes
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) { // u[i + c], lane L: rows i..i+3 of column 4L + c
        __m512d t0 = _mm512_castps_pd(t[i]), t1 = _mm512_castps_pd(t[i + 1]);
        __m512d t2 = _mm512_castps_pd(t[i + 2]), t3 = _mm512_castps_pd(t[i + 3]);
        u[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
        u[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
        u[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
        u[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
    }
    for (int c = 0; c < 4; c++) { // gather lane L of u[c], u[4 + c], u[8 + c], u[12 + c] into row 4L + c
        __m512 x0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88), x1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xdd);
        __m512 y0 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88);
        __m512 y1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xdd);
        r[c] = _mm512_shuffle_f32x4(x0, y0, 0x88);
        r[8 + c] = _mm512_shuffle_f32x4(x0, y0, 0xdd);
        r[4 + c] = _mm512_shuffle_f32x4(x1, y1, 0x88);
        r[12 + c] = _mm512_shuffle_f32x4(x1, y1, 0xdd);
    }
}

// Transposing pack (see ax_gemm_pack_fn) in 16×16 blocks: a cache line per row, masks at the edges.
AVX512 static void pack_t16(float *dst, const float *src, int64_t rs, int rows, int64_t kc, int w) {
    __m512 v[16];
    for (int64_t k0 = 0; k0 < kc; k0 += 16) {
        int kn = kc - k0 < 16 ? (int)(kc - k0) : 16;
        __mmask16 kmask = (__mmask16)((1u << kn) - 1);
        for (int r0 = 0; r0 < w; r0 += 16) {
            int wn = w - r0 < 16 ? w - r0 : 16;
#pragma GCC unroll 16
            for (int i = 0; i < 16; i++) {
                const float *row = src + (r0 + i) * rs + k0;
                v[i] = r0 + i < rows ? _mm512_maskz_loadu_ps(kmask, row) : _mm512_setzero_ps();
                if (r0 + i < rows) _mm_prefetch((const char *)(row + PREFETCH), _MM_HINT_T0);
            }
            transpose16(v);
            __mmask16 rmask = (__mmask16)((1u << wn) - 1);
            for (int k = 0; k < kn; k++) _mm512_mask_storeu_ps(dst + (k0 + k) * w + r0, rmask, v[k]);
        }
    }
}

static bool supported(void) { return __builtin_cpu_supports("avx512f"); }

const ax_gemm_isa ax_gemm_isa_avx512 = {
    .name = "avx512", .supported = supported, .kernel = kernel_12x32, .pack_t = pack_t16,
    .mr = MR, .nr = NR, .kc = 384, .nc = 384, .mc = 1536,
};
#else // not x86: never selected
static bool supported(void) { return false; }
const ax_gemm_isa ax_gemm_isa_avx512 = {.name = "avx512", .supported = supported};
#endif
