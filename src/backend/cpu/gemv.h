/* Matrix × vector, and products with a few rows (internal to gemm.c). See gemv.c. */
#ifndef AX_BACKEND_CPU_GEMV_H
#define AX_BACKEND_CPU_GEMV_H

#include <stdint.h>

#define AX_GEMV_KCHUNK 128 // rows of B per work item

/* C (M×N, row stride ldc) = alpha · A · B + beta · C for A (M×K) at A[i·a_rs + k·a_cs] and B (K×N) with
 * contiguous rows (row stride ldb), on up to nt threads. The sum over k runs in fixed chunks of
 * AX_GEMV_KCHUNK, added in order: the result does not depend on nt. */
void ax_gemv_rows(int nt, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t a_rs, int64_t a_cs,
                  const float *B, int64_t ldb, float beta, float *C, int64_t ldc);
#endif
