/* GEMM internals shared by the driver (gemm.c), the packing (gemm_pack.c) and the per-ISA micro-kernels.
 *
 * The driver packs a kc×mr sliver of op(A) (element (r, k) at a[k·mr + r]) and a kc×nr sliver of op(B)
 * (element (k, j) at b[k·nr + j]), zero-padded past the matrix edge, and a micro-kernel multiplies them:
 *   C[r][j] = alpha · Σ_k a[k·mr + r] · b[k·nr + j] + beta · C[r][j]     for r < m, j < n,
 * with m ≤ mr, n ≤ nr (edge tiles) and C read only when beta ≠ 0. */
#ifndef AX_BACKEND_CPU_GEMM_KERNEL_H
#define AX_BACKEND_CPU_GEMM_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*ax_gemm_ukernel)(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int m, int n,
                                float alpha, float beta);

/* Packs one sliver whose rows run along k (element (r, k) at src[r·rs + k]): dst[k·w + r], zeros for
 * rows ≤ r < w. A transpose, which SIMD does far faster than scalar loads and stores. */
typedef void (*ax_gemm_pack_fn)(float *dst, const float *src, int64_t rs, int rows, int64_t kc, int w);

typedef struct {
    const char *name;        // "avx512", "avx2", "generic": the AX_ISA value that forces it
    bool (*supported)(void); // can this CPU (and OS) run it?
    ax_gemm_ukernel kernel;  // the micro-kernel
    ax_gemm_pack_fn pack_t;  // transposing pack (NULL: the portable one)
    int mr, nr;              // register tile: rows of C × columns of C per kernel call
    int kc;                  // K block: an A sliver (kc×mr) stays in L1
    int nc;                  // N block: the packed B block (kc×nc) stays in L2
    int mc;                  // M block: the packed A block (mc×kc) stays in L3
} ax_gemm_isa;

extern const ax_gemm_isa ax_gemm_isa_avx512, ax_gemm_isa_avx2, ax_gemm_isa_generic;

/* A strided read-only matrix: element (i, k) is p[i·rs + k·cs]; one of the strides is 1. */
typedef struct {
    const float *p; // element (0, 0)
    int64_t rs, cs; // strides between rows and between columns
} ax_gemm_view;

/* Packs rows [0, rows) × columns [0, kc) of v into ceil(rows / w) slivers of kc×w, element (r, k) of
 * sliver s at dst[s·kc·w + k·w + r], zeros past `rows`. For B pass its transpose (rs ↔ cs). */
void ax_gemm_pack(float *dst, ax_gemm_view v, int64_t rows, int64_t kc, int w, ax_gemm_pack_fn pack_t);

/* Edge-tile epilogue for kernels that spill their accumulators: tile (mr×nr, row stride nr) → C. */
void ax_gemm_store_tile(const float *tile, int nr, float *c, int64_t ldc, int m, int n, float alpha, float beta);

#endif
