/* AVX2 + FMA micro-kernel: a 6×16 tile of C in 12 ymm accumulators. Per k: two loads of B (16 floats),
 * six broadcasts of A, 12 FMAs. Edge tiles spill the accumulators and go through ax_gemm_store_tile. */
#include "backend/cpu/gemm_kernel.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define MR 6
#define NR 16

#define PREFETCH 32 // floats ahead along each row that the transposing pack prefetches

#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static void kernel_6x16(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int m, int n,
                             float alpha, float beta) {
    __m256 acc[MR][2];
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int r = 0; r < m; r++) _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
    for (int64_t k = 0; k < kc; k++, a += MR, b += NR) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
        for (int r = 0; r < MR; r++) {
            __m256 ar = _mm256_broadcast_ss(a + r);
            acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
        }
    }
    if (m < MR || n < NR) {
        float tile[MR * NR];
#pragma GCC unroll 6
        for (int r = 0; r < MR; r++) {
            _mm256_storeu_ps(tile + r * NR, acc[r][0]);
            _mm256_storeu_ps(tile + r * NR + 8, acc[r][1]);
        }
        ax_gemm_store_tile(tile, NR, c, ldc, m, n, alpha, beta);
        return;
    }
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
        float *cr = c + r * ldc;
        __m256 c0 = _mm256_mul_ps(va, acc[r][0]), c1 = _mm256_mul_ps(va, acc[r][1]);
        if (beta != 0.0f) {
            c0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr), c0);
            c1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr + 8), c1);
        }
        _mm256_storeu_ps(cr, c0);
        _mm256_storeu_ps(cr + 8, c1);
    }
}

// In-place transpose of an 8×8 block held in 8 registers: r[i][j] → r[j][i].
AVX2 static void transpose8(__m256 r[8]) {
    __m256 t[8], u[8];
    for (int i = 0; i < 8; i += 2) { // pairs of rows, 32-bit interleave within 128-bit lanes
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) { // u[i + c], lane L: rows i..i+3 of column 4L + c
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    for (int c = 0; c < 4; c++) {
        r[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
        r[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
    }
}

// lanes [0, n) set: a maskload / maskstore mask
AVX2 static __m256i first(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Transposing pack (see ax_gemm_pack_fn) in 8×8 blocks, masked at the edges.
AVX2 static void pack_t8(float *dst, const float *src, int64_t rs, int rows, int64_t kc, int w) {
    __m256 v[8];
    for (int64_t k0 = 0; k0 < kc; k0 += 8) {
        int kn = kc - k0 < 8 ? (int)(kc - k0) : 8;
        __m256i kmask = first(kn);
        for (int r0 = 0; r0 < w; r0 += 8) {
            __m256i rmask = first(w - r0);
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++) {
                const float *row = src + (r0 + i) * rs + k0;
                v[i] = r0 + i < rows ? _mm256_maskload_ps(row, kmask) : _mm256_setzero_ps();
                if (r0 + i < rows) _mm_prefetch((const char *)(row + PREFETCH), _MM_HINT_T0);
            }
            transpose8(v);
            for (int k = 0; k < kn; k++) _mm256_maskstore_ps(dst + (k0 + k) * w + r0, rmask, v[k]);
        }
    }
}

static bool supported(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

const ax_gemm_isa ax_gemm_isa_avx2 = {
    .name = "avx2", .supported = supported, .kernel = kernel_6x16, .pack_t = pack_t8,
    .mr = MR, .nr = NR, .kc = 256, .nc = 512, .mc = 1536,
};
#else // not x86: never selected
static bool supported(void) { return false; }
const ax_gemm_isa ax_gemm_isa_avx2 = {.name = "avx2", .supported = supported};
#endif
