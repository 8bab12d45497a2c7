/* Matrix × vector (and a few rows), as generation with a KV cache runs every layer: C = alpha·A·B + beta·C
 * with M ≤ a few rows. Such a product is bound by memory bandwidth: each element of B is used M times. So B
 * is read once, as long contiguous streams: K is cut into chunks of AX_GEMV_KCHUNK whole rows of B, each
 * thread streams its chunks into their own partial rows (chunks, M, N), and the partials are then summed in
 * chunk order, column blocks in parallel. */
#include "backend/cpu/gemv.h"

#include "backend/cpu/scratch.h"

#define COLS 256 // columns per work item of the final sum

// Scratch for the partial rows, the calling thread's (see scratch.h).
static float *partials(size_t floats) { return ax_thread_scratch(AX_SCRATCH_GEMV, floats); }

// part (M×N) = A[:, k0 .. k0+kn) · B[k0 .. k0+kn, :]
static void chunk_product(int64_t M, int64_t N, int64_t k0, int64_t kn, const float *A, int64_t a_rs, int64_t a_cs,
                          const float *B, int64_t ldb, float *restrict part) {
    for (int64_t i = 0; i < M; i++) {
        float *p = part + i * N;
        const float *a = A + i * a_rs + k0 * a_cs;
#pragma omp simd
        for (int64_t j = 0; j < N; j++) p[j] = 0.0f;
        for (int64_t k = 0; k < kn; k++) {
            float ak = a[k * a_cs];
            const float *b = B + (k0 + k) * ldb;
#pragma omp simd
            for (int64_t j = 0; j < N; j++) p[j] += ak * b[j];
        }
    }
}

void ax_gemv_rows(int nt, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t a_rs, int64_t a_cs,
                  const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    int64_t chunks = (K + AX_GEMV_KCHUNK - 1) / AX_GEMV_KCHUNK;
    float *part = partials((size_t)(chunks * M * N));
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t k0 = c * AX_GEMV_KCHUNK, kn = K - k0 < AX_GEMV_KCHUNK ? K - k0 : AX_GEMV_KCHUNK;
        chunk_product(M, N, k0, kn, A, a_rs, a_cs, B, ldb, part + c * M * N);
    }
#pragma omp parallel for num_threads(nt) collapse(2) if (nt > 1)
    for (int64_t i = 0; i < M; i++)
        for (int64_t j0 = 0; j0 < N; j0 += COLS) {
            int64_t n = N - j0 < COLS ? N - j0 : COLS;
            float sum[COLS];
#pragma omp simd
            for (int64_t j = 0; j < n; j++) sum[j] = 0.0f;
            for (int64_t c = 0; c < chunks; c++) {
                const float *p = part + (c * M + i) * N + j0;
#pragma omp simd
                for (int64_t j = 0; j < n; j++) sum[j] += p[j];
            }
            float *out = C + i * ldc + j0;
#pragma omp simd
            for (int64_t j = 0; j < n; j++) out[j] = alpha * sum[j] + (beta == 0.0f ? 0.0f : beta * out[j]);
        }
}
