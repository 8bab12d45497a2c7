/* GEMM: the matrix multiply every dense layer runs on (internal to the library and its benchmarks).
 *
 * Row-major. C (M×N) = alpha · op(A) · op(B) + beta · C, where op(A) is A (M×K, row stride lda) or, with
 * trans_a, Aᵀ for A stored K×M; likewise op(B) is B (K×N) or Bᵀ for B stored N×K. beta = 0 overwrites C
 * (C may hold garbage); beta = 1 accumulates (backward).
 *
 * The micro-kernel is chosen at the first call from the CPU (cpuid): avx512, else avx2 (with FMA), else
 * generic C. The environment variable AX_ISA=generic|avx2|avx512 forces one the CPU supports. */
#ifndef AX_BACKEND_CPU_GEMM_H
#define AX_BACKEND_CPU_GEMM_H

#include <stdbool.h>
#include <stdint.h>

void ax_gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
             const float *B, int64_t ldb, float beta, float *C, int64_t ldc);

/* batch independent GEMMs; matrix i uses A + i·stride_a, B + i·stride_b, C + i·stride_c (stride_b = 0 shares B). */
void ax_gemm_batched(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                     int64_t lda, int64_t stride_a, const float *B, int64_t ldb, int64_t stride_b, float beta, float *C,
                     int64_t ldc, int64_t stride_c, int64_t batch);

/* Selects the micro-kernel by name ("avx512", "avx2", "generic"); false if unknown or not supported by this
 * CPU. NULL goes back to the automatic choice. Not thread-safe against GEMMs running at the same time. */
bool ax_gemm_force_isa(const char *name);
const char *ax_gemm_isa_name(void); // the micro-kernel in use
#endif
