/* GEMM against a B packed once and used many times: the recurrent layers multiply the same W_hh by a new
 * state every step (src/ops/rnn_cell.c). ax_gemm repacks B on every call; here the caller packs op(B) once into
 * the micro-kernel's sliver layout (gemm_kernel.h) and then runs products on any thread it likes, each one
 * single-threaded, so that a caller owning a slice of rows needs no synchronisation. The K blocking and the order
 * of the sums are ax_gemm's blocked path's. Internal to the library. */
#ifndef AX_BACKEND_CPU_GEMM_PACKED_H
#define AX_BACKEND_CPU_GEMM_PACKED_H

#include "backend/cpu/gemm_kernel.h"

#include <stddef.h>

typedef struct {
    const ax_gemm_isa *isa; // the micro-kernel the slivers are laid out for
    int64_t K, N;           // op(B) is K × N
    int64_t n_pad;          // N rounded up to the kernel's nr
    float *data;            // per K block of kc rows (p0): slivers of kb × nr at data + p0·n_pad + jr·kb
} ax_gemm_packed;

// floats that packing a K × N op(B) takes (allocate them 64-byte aligned)
size_t ax_gemm_packed_floats(int64_t K, int64_t N);

// packs op(B) — B stored K × N (row stride ldb), or N × K with trans_b — into buf, for the current GEMM ISA
ax_gemm_packed ax_gemm_pack_b(bool trans_b, int64_t K, int64_t N, const float *B, int64_t ldb, float *buf);

// C (M × N, row stride ldc) = A·op(B) + beta·C on the calling thread; A is M × K with row stride lda
void ax_gemm_packed_run(const ax_gemm_packed *b, int64_t M, const float *A, int64_t lda, float beta, float *C,
                        int64_t ldc);

#endif
