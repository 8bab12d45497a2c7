/* GEMM driver: ISA dispatch, cache blocking, threads, batches.
 *
 * Blocking (Goto/BLIS, with A and B in swapped roles because C is row-major and the register tile is wide):
 *   for i0 in M step mc:            packed A block (mc×kc) lives in L3
 *     for p0 in K step kc:          pack A[i0.., p0..] into mr-row slivers
 *       for j0 in N step nc:        pack B[p0.., j0..] into nr-column slivers; the block (kc×nc) lives in L2
 *         for ir in mc step mr:     one A sliver (kc×mr) stays in L1 ...
 *           for jr in nc step nr:   ... while B slivers stream from L2 through the micro-kernel
 * Packing reads any layout through (row, column) strides, so NN/NT/TN/TT all run the same kernel. The
 * first K block applies beta, later ones accumulate. Threads split C into column (or row) stripes, each
 * with its own packing buffer (scratch.h: kept per thread, freed with the thread). Small products, and thin
 * ones (a few rows or columns, e.g. matrix × vector), skip packing and run direct loops. */
#include "backend/cpu/gemm.h"
#include "backend/cpu/gemv.h"

#include "axon/base.h"
#include "backend/cpu/gemm_kernel.h"
#include "backend/cpu/scratch.h"

#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMALL_MACS 32768       // below this many multiply-adds: direct loops, no packing
#define THIN 4                 // C with at most this many rows or columns: direct loops (packing would cost more)
#define LINE 16                // floats per 64-byte cache line (stripe granularity of the direct loops)
#define MACS_PER_THREAD 262144 // each extra thread needs at least this much work
#define STRIPES_PER_THREAD 4   // work items per thread when C is split for threads ...
#define MIN_STRIPE 1536        // ... no narrower than this: each stripe repacks the other operand

/* ---- ISA dispatch ---- */

static const ax_gemm_isa *const isas[] = {&ax_gemm_isa_avx512, &ax_gemm_isa_avx2, &ax_gemm_isa_generic}; // best first
static const ax_gemm_isa *_Atomic current;

static const ax_gemm_isa *find_isa(const char *name) {
    for (size_t i = 0; i < sizeof isas / sizeof *isas; i++)
        if (isas[i]->supported() && (!name || strcmp(name, isas[i]->name) == 0)) return isas[i];
    return NULL;
}

static const ax_gemm_isa *isa(void) {
    const ax_gemm_isa *cur = atomic_load(&current);
    if (cur) return cur;
    const char *env = getenv("AX_ISA");
    cur = env ? find_isa(env) : NULL;
    if (!cur) {
        cur = find_isa(NULL);
        if (env) fprintf(stderr, "axon: AX_ISA=%s is not available here, using %s\n", env, cur->name);
    }
    atomic_store(&current, cur);
    return cur;
}

bool ax_gemm_force_isa(const char *name) {
    const ax_gemm_isa *want = name ? find_isa(name) : NULL;
    if (name && !want) return false;
    atomic_store(&current, want); // NULL: choose again (AX_ISA or the best) on the next call
    return true;
}

const char *ax_gemm_isa_name(void) { return isa()->name; }

/* ---- the blocked product on one thread ---- */

// This thread's packing memory, at least `floats` (see scratch.h: kept, grown, freed when the thread ends).
static float *thread_buffer(size_t floats) { return ax_thread_scratch(AX_SCRATCH_GEMM, floats); }

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// C (M×N) = alpha · A · B + beta · C where A (M×K) and B (K×N) are views of op(A) and op(B).
static void gemm_blocked(const ax_gemm_isa *s, int64_t M, int64_t N, int64_t K, float alpha, ax_gemm_view A,
                         ax_gemm_view B, float beta, float *C, int64_t ldc) {
    int64_t a_size = round_up(round_up(s->mc, s->mr) * s->kc, LINE); // B's block starts 64-byte aligned
    float *abuf = thread_buffer((size_t)(a_size + round_up(s->nc, s->nr) * s->kc)), *bbuf = abuf + a_size;
    for (int64_t i0 = 0; i0 < M; i0 += s->mc) {
        int64_t mb = min64(s->mc, M - i0);
        for (int64_t p0 = 0; p0 < K; p0 += s->kc) {
            int64_t kb = min64(s->kc, K - p0);
            float beta_p = p0 == 0 ? beta : 1.0f;
            ax_gemm_pack(abuf, (ax_gemm_view){A.p + i0 * A.rs + p0 * A.cs, A.rs, A.cs}, mb, kb, s->mr, s->pack_t);
            for (int64_t j0 = 0; j0 < N; j0 += s->nc) {
                int64_t nb = min64(s->nc, N - j0);
                ax_gemm_pack(bbuf, (ax_gemm_view){B.p + p0 * B.rs + j0 * B.cs, B.cs, B.rs}, nb, kb, s->nr, s->pack_t);
                for (int64_t ir = 0; ir < mb; ir += s->mr) {
                    float *c = C + (i0 + ir) * ldc + j0;
                    int m = (int)min64(s->mr, mb - ir);
                    for (int64_t jr = 0; jr < nb; jr += s->nr)
                        s->kernel(kb, abuf + ir * kb, bbuf + jr * kb, c + jr, ldc, m, (int)min64(s->nr, nb - jr), alpha,
                                  beta_p);
                }
            }
        }
    }
}

/* ---- small or thin products: direct loops, no packing ---- */

// Σ_k a[k]·b[k] over contiguous vectors, with 16 partial sums (vectorised, and independent chains)
static float dot(const float *a, const float *b, int64_t K) {
    float part[LINE] = {0};
    int64_t k = 0;
    for (; k + LINE <= K; k += LINE)
#pragma omp simd
        for (int u = 0; u < LINE; u++) part[u] += a[k + u] * b[k + u];
    float sum = 0.0f;
    for (; k < K; k++) sum += a[k] * b[k];
    for (int u = 0; u < LINE; u++) sum += part[u];
    return sum;
}

static void gemm_direct(const ax_gemm_isa *s, int64_t M, int64_t N, int64_t K, float alpha, ax_gemm_view A,
                        ax_gemm_view B, float beta, float *C, int64_t ldc) {
    float *row = A.cs == 1 ? NULL : thread_buffer((size_t)K); // a row of op(A), gathered when strided
    for (int64_t i = 0; i < M; i++) {
        float *c = C + i * ldc;
        const float *a = A.p + i * A.rs;
        if (row) {
            for (int64_t k = 0; k < K; k++) row[k] = a[k * A.cs];
            a = row;
        }
        if (B.cs == 1) { // rows of op(B) are contiguous: c += (alpha · a_k) · b_k, row by row
#pragma omp simd
            for (int64_t j = 0; j < N; j++) c[j] = beta == 0.0f ? 0.0f : beta * c[j];
            for (int64_t k = 0; k < K; k++) {
                float ak = alpha * a[k];
                const float *b = B.p + k * B.rs;
#pragma omp simd
                for (int64_t j = 0; j < N; j++) c[j] += ak * b[j];
            }
        } else { // columns of op(B) are contiguous: one dot product per element
            for (int64_t j = 0; j < N; j++)
                c[j] = alpha * dot(a, B.p + j * B.cs, K) + (beta == 0.0f ? 0.0f : beta * c[j]);
        }
    }
}

// C = beta · C, without reading C when beta = 0 (K = 0 or alpha = 0: no product to add).
static void scale_c(int64_t M, int64_t N, float beta, float *C, int64_t ldc) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
}

/* ---- threads: stripes of C ---- */

static int threads_for(int64_t macs, int max_threads) {
    if (omp_in_parallel() || macs < SMALL_MACS) return 1;
    int64_t by_work = macs / MACS_PER_THREAD;
    int nt = max_threads < omp_get_max_threads() ? max_threads : omp_get_max_threads();
    return by_work < nt ? (int)(by_work > 1 ? by_work : 1) : nt;
}

typedef void (*gemm_fn)(const ax_gemm_isa *s, int64_t M, int64_t N, int64_t K, float alpha, ax_gemm_view A,
                        ax_gemm_view B, float beta, float *C, int64_t ldc);

// Stripes of C for the threads, whole rows or whole columns (whichever has more tiles). Big products get a
// few per thread, so that a thread slowed by other work on the machine hands its share to the others.
typedef struct {
    bool by_cols;  // stripes of columns (else of rows)
    int64_t width; // columns (rows) per stripe, a multiple of the tile
    int64_t count; // number of stripes
} stripes;

static stripes plan_stripes(int64_t M, int64_t N, int mr, int nr, int nt) {
    stripes p = {.by_cols = (N + nr - 1) / nr >= (M + mr - 1) / mr};
    int64_t len = p.by_cols ? N : M, tile = p.by_cols ? nr : mr;
    int64_t per_thread = len / (nt * MIN_STRIPE); // a multiple of nt stripes keeps the threads even
    per_thread = per_thread < 1 ? 1 : per_thread > STRIPES_PER_THREAD ? STRIPES_PER_THREAD : per_thread;
    int64_t count = nt * per_thread;
    p.width = round_up((len + count - 1) / count, tile);
    p.count = (len + p.width - 1) / p.width;
    return p;
}

// The product on up to max_threads threads: direct loops when small or thin, else packed and blocked.
static void gemm_views(int max_threads, int64_t M, int64_t N, int64_t K, float alpha, ax_gemm_view A,
                       ax_gemm_view B, float beta, float *C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == 0.0f) {
        scale_c(M, N, beta, C, ldc);
        return;
    }
    const ax_gemm_isa *s = isa();
    int64_t macs = M * N * K;
    if (M <= THIN && B.cs == 1 && K >= 2 * AX_GEMV_KCHUNK) { // matrix × vector: B streamed once, in chunks of K
        ax_gemv_rows(threads_for(macs, max_threads), M, N, K, alpha, A.p, A.rs, A.cs, B.p, B.rs, beta, C, ldc);
        return;
    }
    bool direct = macs < SMALL_MACS || M <= THIN || N <= THIN; // packing would cost more than it saves
    gemm_fn run = direct ? gemm_direct : gemm_blocked;
    int nt = threads_for(macs, max_threads);
    stripes p = direct ? plan_stripes(M, N, 1, LINE, nt) : plan_stripes(M, N, s->mr, s->nr, nt);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
    for (int64_t i = 0; i < p.count; i++) {
        int64_t lo = i * p.width, n = min64(p.width, (p.by_cols ? N : M) - lo);
        if (p.by_cols)
            run(s, M, n, K, alpha, A, (ax_gemm_view){B.p + lo * B.cs, B.rs, B.cs}, beta, C + lo, ldc);
        else
            run(s, n, N, K, alpha, (ax_gemm_view){A.p + lo * A.rs, A.rs, A.cs}, B, beta, C + lo * ldc, ldc);
    }
}

/* ---- entry points ---- */

// op(X) for X stored row-major with leading dimension ld, or its transpose
static ax_gemm_view view_op(bool trans, const float *X, int64_t ld) {
    return trans ? (ax_gemm_view){X, 1, ld} : (ax_gemm_view){X, ld, 1};
}

void ax_gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
             const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    gemm_views(omp_get_max_threads(), M, N, K, alpha, view_op(trans_a, A, lda), view_op(trans_b, B, ldb), beta, C,
               ldc);
}

void ax_gemm_batched(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                     int64_t lda, int64_t stride_a, const float *B, int64_t ldb, int64_t stride_b, float beta, float *C,
                     int64_t ldc, int64_t stride_c, int64_t batch) {
    if (batch <= 0 || M <= 0 || N <= 0) return;
    if (batch == 1 || (stride_b == 0 && !trans_a && stride_a == M * lda && stride_c == M * ldc)) {
        // a shared B under row-stacked A and C is one tall product
        ax_gemm(trans_a, trans_b, M * batch, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    } else if (stride_c == 0 && trans_a && !trans_b && stride_a == K * lda && stride_b == K * ldb) {
        // a sum of products whose A and B stack along K is one deep product
        ax_gemm(true, false, M, N, K * batch, alpha, A, lda, B, ldb, beta, C, ldc);
    } else if (stride_c == 0) { // a sum into one C: in order, beta once
        for (int64_t i = 0; i < batch; i++)
            ax_gemm(trans_a, trans_b, M, N, K, alpha, A + i * stride_a, lda, B + i * stride_b, ldb, i ? 1.0f : beta, C,
                    ldc);
    } else {
        int nt = threads_for(M * N * K * batch, omp_get_max_threads());
        bool whole = nt > 1 && (batch % nt == 0 || batch >= 4 * nt); // whole products per thread, else one by one
#pragma omp parallel for num_threads(nt) schedule(static) if (whole)
        for (int64_t i = 0; i < batch; i++)
            gemm_views(whole ? 1 : nt, M, N, K, alpha, view_op(trans_a, A + i * stride_a, lda),
                       view_op(trans_b, B + i * stride_b, ldb), beta, C + i * stride_c, ldc);
    }
}
