/* GEMM packing: copies a block of op(A) or op(B) into the sliver layout the micro-kernels stream through
 * (see gemm_kernel.h), so every layout (NN, NT, TN, TT) runs the same kernel and nothing is transposed in
 * memory beforehand. Also the spill-to-C epilogue edge tiles share. */
#include "backend/cpu/gemm_kernel.h"

#include <string.h>

#define LINE 16         // floats per 64-byte cache line
#define PREFETCH_ROWS 4 // the copying pack prefetches this many rows ahead

// The portable transposing pack: a cache line of each row at a time, so rows a power-of-two apart do
// not evict each other from L1.
static void pack_t_portable(float *dst, const float *src, int64_t rs, int rows, int64_t kc, int w) {
    for (int64_t k0 = 0; k0 < kc; k0 += LINE) {
        int kn = kc - k0 < LINE ? (int)(kc - k0) : LINE;
        float *d = dst + k0 * w;
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < kn; k++) d[k * w + r] = src[r * rs + k0 + k];
        for (int k = 0; k < kn; k++)
            for (int r = rows; r < w; r++) d[k * w + r] = 0.0f;
    }
}

// Sliver columns contiguous in memory (rs = 1): one pass per k along the whole block row, so reads run
// along memory (rows of B in NN, of A in TN), with the next rows prefetched: they are a stride apart.
static void pack_copy(float *dst, ax_gemm_view v, int64_t rows, int64_t kc, int w) {
    for (int64_t k = 0; k < kc; k++) {
        const float *s = v.p + k * v.cs;
        if (k + PREFETCH_ROWS < kc)
            for (int64_t r = 0; r < rows; r += LINE) __builtin_prefetch(s + PREFETCH_ROWS * v.cs + r);
        for (int64_t r0 = 0; r0 < rows; r0 += w) {
            float *d = dst + r0 * kc + k * w;
            int n = rows - r0 < w ? (int)(rows - r0) : w;
            memcpy(d, s + r0, (size_t)n * sizeof(float));
            if (n < w) memset(d + n, 0, (size_t)(w - n) * sizeof(float));
        }
    }
}

void ax_gemm_pack(float *dst, ax_gemm_view v, int64_t rows, int64_t kc, int w, ax_gemm_pack_fn pack_t) {
    if (v.rs == 1 && v.cs != 1) {
        pack_copy(dst, v, rows, kc, w);
        return;
    }
    for (int64_t r0 = 0; r0 < rows; r0 += w) { // v.cs = 1: transpose sliver by sliver
        int n = rows - r0 < w ? (int)(rows - r0) : w;
        (pack_t ? pack_t : pack_t_portable)(dst + r0 * kc, v.p + r0 * v.rs, v.rs, n, kc, w);
    }
}

void ax_gemm_store_tile(const float *tile, int nr, float *c, int64_t ldc, int m, int n, float alpha, float beta) {
    for (int r = 0; r < m; r++) {
        const float *t = tile + r * nr;
        float *cr = c + r * ldc;
        if (beta == 0.0f)
            for (int j = 0; j < n; j++) cr[j] = alpha * t[j];
        else
            for (int j = 0; j < n; j++) cr[j] = alpha * t[j] + beta * cr[j];
    }
}
