/* GEMM against a B packed once (see gemm_packed.h): the blocked loops of gemm.c without the N blocking (the
 * caller's B is one block); the packing spreads B's slivers over threads, a product runs on its caller's thread. */
#include "backend/cpu/gemm_packed.h"

#include "backend/cpu/gemm.h"
#include "backend/cpu/scratch.h"

#include <string.h>

#define PACK_PAR_MIN 65536 // elements of B below which one thread packs it

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// the ISA ax_gemm uses now
static const ax_gemm_isa *current_isa(void) {
    static const ax_gemm_isa *const isas[] = {&ax_gemm_isa_avx512, &ax_gemm_isa_avx2, &ax_gemm_isa_generic};
    const char *name = ax_gemm_isa_name();
    for (size_t i = 0; i < sizeof isas / sizeof *isas; i++)
        if (strcmp(name, isas[i]->name) == 0) return isas[i];
    return &ax_gemm_isa_generic;
}

size_t ax_gemm_packed_floats(int64_t K, int64_t N) { return (size_t)(K * round_up(N, current_isa()->nr)); }

ax_gemm_packed ax_gemm_pack_b(bool trans_b, int64_t K, int64_t N, const float *B, int64_t ldb, float *buf) {
    const ax_gemm_isa *s = current_isa();
    ax_gemm_packed p = {.isa = s, .K = K, .N = N, .n_pad = round_up(N, s->nr), .data = buf};
    ax_gemm_view v = trans_b ? (ax_gemm_view){B, 1, ldb} : (ax_gemm_view){B, ldb, 1}; // op(B): element (k, j)
    int64_t n_slivers = p.n_pad / s->nr;
    // the slivers run along N: pack op(B)'s transpose, K block by K block, slivers spread over threads
#pragma omp parallel for collapse(2) if (K * N > PACK_PAR_MIN)
    for (int64_t p0 = 0; p0 < K; p0 += s->kc)
        for (int64_t i = 0; i < n_slivers; i++) {
            int64_t kb = min64(s->kc, K - p0), j0 = i * s->nr;
            ax_gemm_pack(buf + p0 * p.n_pad + j0 * kb, (ax_gemm_view){v.p + p0 * v.rs + j0 * v.cs, v.cs, v.rs},
                         min64(s->nr, N - j0), kb, s->nr, s->pack_t);
        }
    return p;
}

void ax_gemm_packed_run(const ax_gemm_packed *b, int64_t M, const float *A, int64_t lda, float beta, float *C,
                        int64_t ldc) {
    const ax_gemm_isa *s = b->isa;
    float *abuf = ax_thread_scratch(AX_SCRATCH_GEMM, (size_t)(round_up(min64(s->mc, M), s->mr) * s->kc));
    for (int64_t i0 = 0; i0 < M; i0 += s->mc) {
        int64_t mb = min64(s->mc, M - i0);
        for (int64_t p0 = 0; p0 < b->K; p0 += s->kc) {
            int64_t kb = min64(s->kc, b->K - p0);
            float beta_p = p0 == 0 ? beta : 1.0f;
            ax_gemm_pack(abuf, (ax_gemm_view){A + i0 * lda + p0, lda, 1}, mb, kb, s->mr, s->pack_t);
            const float *bblock = b->data + p0 * b->n_pad;
            for (int64_t jr = 0; jr < b->N; jr += s->nr)
                for (int64_t ir = 0; ir < mb; ir += s->mr)
                    s->kernel(kb, abuf + ir * kb, bblock + jr * kb, C + (i0 + ir) * ldc + jr, ldc,
                              (int)min64(s->mr, mb - ir), (int)min64(s->nr, b->N - jr), 1.0f, beta_p);
        }
    }
}
