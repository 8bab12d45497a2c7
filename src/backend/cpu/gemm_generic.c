/* Portable micro-kernel in plain C: a 4×8 tile, vectorised by the compiler for whatever the baseline ISA
 * is (SSE2 on x86-64). The reference path every machine can run. */
#include "backend/cpu/gemm_kernel.h"

#define MR 4
#define NR 8

static void kernel_4x8(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int m, int n, float alpha,
                       float beta) {
    float acc[MR][NR] = {{0}};
    for (int64_t k = 0; k < kc; k++, a += MR, b += NR)
        for (int r = 0; r < MR; r++)
#pragma omp simd
            for (int j = 0; j < NR; j++) acc[r][j] += a[r] * b[j];
    ax_gemm_store_tile(&acc[0][0], NR, c, ldc, m, n, alpha, beta);
}

static bool supported(void) { return true; }

const ax_gemm_isa ax_gemm_isa_generic = {
    .name = "generic", .supported = supported, .kernel = kernel_4x8,
    .mr = MR, .nr = NR, .kc = 256, .nc = 512, .mc = 512,
};
