/* The hot primitives of the attention kernels, one implementation per instruction set
 * (attention_simd.c: portable C and the dispatch; attention_avx512.c: AVX-512; attention_avx2.c: AVX2 + FMA). */
#ifndef AX_BACKEND_CPU_ATTENTION_SIMD_H
#define AX_BACKEND_CPU_ATTENTION_SIMD_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/cpu/gemm_kernel.h"

/* A small matrix product whose B rows and C rows are contiguous:
 *   C[r][j] = alpha · Σ_k A[r·sar + k·sak] · B[k·ldb + j]     (accumulate = false)
 *   C[r][j] += Σ_k A[r·sar + k·sak] · B[k·ldb + j]             (accumulate = true, alpha must be 1)
 * for r < m, j < n, k < kc. A's strides are free, so A may be read transposed (Pᵀ, dSᵀ). */
typedef void (*ax_attn_gemm_fn)(int64_t m, int64_t n, int64_t kc, const float *a, int64_t sar, int64_t sak,
                                const float *b, int64_t ldb, float *c, int64_t ldc, float alpha, bool accumulate);

/* x[j] = e^(x[j] − shift) for j < n (0 where x[j] − shift < −87, so e^−∞ = 0); returns Σ x[j]. */
typedef float (*ax_attn_exp_fn)(float *x, int64_t n, float shift);

/* max of x[0 .. n), −∞ for n = 0 */
typedef float (*ax_attn_max_fn)(const float *x, int64_t n);

typedef struct {
    const char *name;        // "avx512", "avx2", "generic": the AX_ISA value that selects it
    bool (*supported)(void); // can this CPU run it?
    ax_attn_gemm_fn gemm;    // the matrix product
    ax_attn_exp_fn exp_row;  // the exponentials of one row of scores
    ax_attn_max_fn max_row;  // the max of one row of scores
    const ax_gemm_isa *pack; // the GEMM's kernels of the same ISA, whose transposing pack packs Kᵀ, Vᵀ
} ax_attn_isa;

extern const ax_attn_isa ax_attn_isa_avx512, ax_attn_isa_avx2, ax_attn_isa_generic;

const ax_attn_isa *ax_attn_isa_current(void); // chosen on first use (see ax_attn_force_isa)

#endif
