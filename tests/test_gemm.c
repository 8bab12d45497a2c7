/* The GEMM backend against a naive double-precision reference, on every micro-kernel this CPU can run.
 *
 * Two kinds of data:
 *  - exact: small integers, alpha and beta with at most two fraction bits. Every product and partial sum
 *    is exact in float32, so any correct summation order gives the reference bit for bit: the check is
 *    equality.
 *  - float: uniform [-1, 1) with arbitrary alpha and beta. Each element may differ from the reference by
 *    (K + 3) · FLT_EPSILON · (|alpha| · Σ_k |a_ik · b_kj| + |beta · c_ij|): twice the worst-case bound of
 *    recursive summation of K products plus the alpha and beta roundings (u = FLT_EPSILON / 2 each).
 * Padding is poisoned: NaN between rows of A and B (lda, ldb > cols) and in C when beta = 0 (must not be
 * read), a sentinel between rows of C (must not be written). */
#include "backend/cpu/gemm.h"
#include "check.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SENTINEL 12345.0f

typedef struct {
    bool ta, tb;        // transpose flags
    int64_t M, N, K;    // product sizes
    float alpha, beta;  // scalars
    int64_t pad;        // extra elements per stored row (lda, ldb, ldc beyond the minimum)
    bool exact;         // integer data, equality check
    int64_t row_step;   // verify rows i ≡ 0 mod row_step and the last 16 (0: every row; big cases save time)
} gemm_case;

typedef struct {
    float *a, *b, *c;     // stored operands
    int64_t lda, ldb, ldc; // leading dimensions
    int64_t a_rows, b_rows; // stored row counts
} operands;

static float draw(bool exact) {
    ax_rng *g = ax_rng_global();
    return exact ? (float)((int)(ax_rng_u32(g) % 9) - 4) : 2.0f * ax_rng_uniform(g) - 1.0f;
}

// rows×cols values with row stride ld, padding filled with `pad_value`
static float *fill(int64_t rows, int64_t cols, int64_t ld, bool exact, float pad_value) {
    float *m = malloc((size_t)(rows * ld + 1) * sizeof *m);
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < ld; j++) m[i * ld + j] = j < cols ? draw(exact) : pad_value;
    return m;
}

static void poison(float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = NAN;
}

static operands make_operands(const gemm_case *g) {
    operands o;
    int64_t a_cols = g->ta ? g->M : g->K, b_cols = g->tb ? g->K : g->N;
    o.a_rows = g->ta ? g->K : g->M;
    o.b_rows = g->tb ? g->N : g->K;
    o.lda = a_cols + g->pad;
    o.ldb = b_cols + g->pad;
    o.ldc = g->N + g->pad;
    o.a = fill(o.a_rows, a_cols, o.lda, g->exact, NAN);
    o.b = fill(o.b_rows, b_cols, o.ldb, g->exact, NAN);
    o.c = fill(g->M, g->N, o.ldc, g->exact, SENTINEL);
    if (g->beta == 0.0f) // C's values must not be read; its padding must not be written
        for (int64_t i = 0; i < g->M; i++) poison(o.c + i * o.ldc, g->N);
    return o;
}

static void free_operands(operands *o) {
    free(o->a);
    free(o->b);
    free(o->c);
}

static float op_a(const gemm_case *g, const operands *o, int64_t i, int64_t k) {
    return g->ta ? o->a[k * o->lda + i] : o->a[i * o->lda + k];
}
static float op_b(const gemm_case *g, const operands *o, int64_t k, int64_t j) {
    return g->tb ? o->b[j * o->ldb + k] : o->b[k * o->ldb + j];
}

// Compares o->c (after the GEMM) with the reference computed from c0 (C before); returns the bad count.
static int64_t verify(const gemm_case *g, const operands *o, const float *c0, char *worst, size_t cap) {
    int64_t bad = 0;
    double worst_ratio = 0;
    for (int64_t i = 0; i < g->M; i++) {
        if (g->row_step && i % g->row_step && i < g->M - 16) continue;
        for (int64_t j = 0; j < o->ldc; j++) {
            float got = o->c[i * o->ldc + j];
            if (j >= g->N) { // padding of C
                bad += got != SENTINEL;
                continue;
            }
            double dot = 0, mag = 0;
            for (int64_t k = 0; k < g->K; k++) {
                double p = (double)op_a(g, o, i, k) * op_b(g, o, k, j);
                dot += p;
                mag += fabs(p);
            }
            double c_old = g->beta == 0.0f ? 0.0 : c0[i * o->ldc + j];
            double ref = g->alpha * dot + g->beta * c_old;
            double tol = g->exact ? 0.0 : (g->K + 3) * FLT_EPSILON * (fabs(g->alpha) * mag + fabs(g->beta * c_old));
            double err = fabs(got - ref);
            if (!(err <= tol)) {
                bad++;
                double ratio = isnan(err) ? INFINITY : err / (tol + 1e-30);
                if (ratio >= worst_ratio) {
                    worst_ratio = ratio;
                    snprintf(worst, cap, "C[%lld][%lld] = %.9g, reference %.9g, tolerance %.3g", (long long)i,
                             (long long)j, got, ref, tol);
                }
            }
        }
    }
    return bad;
}

static void run_case(const char *isa, const gemm_case *g) {
    operands o = make_operands(g);
    size_t c_bytes = (size_t)(g->M * o.ldc) * sizeof(float);
    float *c0 = malloc(c_bytes + sizeof(float));
    memcpy(c0, o.c, c_bytes);
    ax_gemm(g->ta, g->tb, g->M, g->N, g->K, g->alpha, o.a, o.lda, o.b, o.ldb, g->beta, o.c, o.ldc);
    char worst[160] = "";
    int64_t bad = verify(g, &o, c0, worst, sizeof worst);
    CHECK(bad == 0, "%s %c%c M=%lld N=%lld K=%lld alpha=%g beta=%g pad=%lld %s: %lld bad; worst %s", isa,
          g->ta ? 'T' : 'N', g->tb ? 'T' : 'N', (long long)g->M, (long long)g->N, (long long)g->K, g->alpha,
          g->beta, (long long)g->pad, g->exact ? "exact" : "float", (long long)bad, worst);
    free(c0);
    free_operands(&o);
}

static const int64_t sizes[] = {1, 2, 3, 7, 16, 17, 31, 33, 64, 65, 127, 255, 256, 257};
#define N_SIZES (int)(sizeof sizes / sizeof *sizes)

// Every layout on squares and on mixed triples of the size list, exact data, several alpha/beta/padding.
static void test_sizes(const char *isa) {
    static const float alphas[] = {1.0f, -0.5f, 2.0f}, betas[] = {0.0f, 1.0f, 0.5f};
    int v = 0;
    for (int layout = 0; layout < 4; layout++) {
        for (int i = 0; i < N_SIZES; i++) {
            for (int shape = 0; shape < 3; shape++, v++) {
                gemm_case g = {.ta = layout & 1, .tb = layout >> 1, .exact = true};
                g.M = sizes[i];
                g.N = shape == 0 ? sizes[i] : sizes[(i + 3 * shape) % N_SIZES];
                g.K = shape == 0 ? sizes[i] : sizes[(i + 5 * shape) % N_SIZES];
                g.alpha = alphas[v % 3];
                g.beta = betas[(v / 3) % 3];
                g.pad = v % 2 ? 3 : 0;
                run_case(isa, &g);
            }
        }
    }
}

// Long thin shapes, each past one cache block (mc, nc or kc), a shape past all three at once, thin ones
// (direct loops, threaded): exact data with alpha, beta that need two fraction bits; then float data
// with a long K against the rounding bound.
static void test_big(const char *isa) {
    static const int64_t shapes[][3] = {{4097, 33, 65}, {33, 65, 4097}, {65, 4097, 33},  {1543, 517, 389},
                                        {1, 5000, 300},  {3000, 3, 200},  {1, 700, 1000}, {3, 300, 777},
                                        {4, 1000, 257},  {33, 65, 4097}}; // 1 × … to 4 × …: matrix × vector
    for (int s = 0; s < 10; s++) {
        for (int layout = 0; layout < 4; layout++) {
            if (s == 3 && (layout == 1 || layout == 2)) continue; // NN and TT: the thin shapes cover every layout
            gemm_case g = {.ta = layout & 1, .tb = layout >> 1, .M = shapes[s][0], .N = shapes[s][1],
                           .K = shapes[s][2], .alpha = 0.75f, .beta = layout % 2 ? 0.0f : -1.25f, .pad = 5,
                           .exact = s < 9, .row_step = 7}; // 7 is coprime to every mr: all kernel rows are checked
            run_case(isa, &g);
        }
    }
}

// alpha = 0 and K = 0 leave beta · C; beta = 0 must still overwrite garbage.
static void test_degenerate(const char *isa) {
    static const gemm_case cases[] = {
        {.M = 5, .N = 7, .K = 0, .alpha = 1.0f, .beta = 0.0f, .exact = true},
        {.M = 5, .N = 7, .K = 0, .alpha = 1.0f, .beta = 2.0f, .exact = true},
        {.M = 40, .N = 70, .K = 30, .alpha = 0.0f, .beta = 0.5f, .exact = true, .pad = 2},
        {.M = 40, .N = 70, .K = 30, .alpha = 0.0f, .beta = 0.0f, .exact = true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) run_case(isa, &cases[i]);
}

// One, two and three threads give bit-identical results (the split does not change summation order).
static void test_threads(void) {
    // wide C: split by columns; tall: by rows; a vector × matrix: chunks of K summed in a fixed order
    static const int64_t shapes[][4] = {{300, 1000, 500, 1}, {1000, 300, 500, 1}, {1, 1000, 1000, 0}};
    int saved = ax_threads();
    for (int s = 0; s < 3; s++) {
        gemm_case g = {.tb = shapes[s][3], .M = shapes[s][0], .N = shapes[s][1], .K = shapes[s][2], .alpha = 1.0f};
        operands o = make_operands(&g);
        size_t c_bytes = (size_t)(g.M * o.ldc) * sizeof(float);
        float *c1 = malloc(c_bytes);
        ax_set_threads(1);
        ax_gemm(false, g.tb, g.M, g.N, g.K, 1.0f, o.a, o.lda, o.b, o.ldb, 0.0f, c1, o.ldc);
        for (int threads = 2; threads <= 3; threads++) {
            ax_set_threads(threads);
            ax_gemm(false, g.tb, g.M, g.N, g.K, 1.0f, o.a, o.lda, o.b, o.ldb, 0.0f, o.c, o.ldc);
            CHECK(memcmp(c1, o.c, c_bytes) == 0, "1 vs %d threads differ for M=%lld N=%lld K=%lld", threads,
                  (long long)g.M, (long long)g.N, (long long)g.K);
        }
        free(c1);
        free_operands(&o);
    }
    ax_set_threads(saved);
}

/* Batched: `batch` products whose operands sit `gap` rows apart beyond their own size; B is shared when
 * stride_b = 0. */
static void run_batched(const char *isa, const gemm_case *g, int64_t batch, bool shared_b, int64_t gap) {
    operands o = make_operands(g); // one product's shapes and leading dimensions
    free_operands(&o);
    int64_t nb = shared_b ? 1 : batch;
    o.a = fill((o.a_rows + gap) * batch, o.lda, o.lda, true, NAN);
    o.b = fill((o.b_rows + gap) * nb, o.ldb, o.ldb, true, NAN);
    o.c = fill((g->M + gap) * batch, o.ldc, o.ldc, true, 0.0f);
    if (g->beta == 0.0f) poison(o.c, (g->M + gap) * batch * o.ldc);
    int64_t stride_a = (o.a_rows + gap) * o.lda, stride_b = shared_b ? 0 : (o.b_rows + gap) * o.ldb;
    int64_t stride_c = (g->M + gap) * o.ldc, c_len = stride_c * batch;
    float *c0 = malloc((size_t)c_len * sizeof(float));
    memcpy(c0, o.c, (size_t)c_len * sizeof(float));
    ax_gemm_batched(g->ta, g->tb, g->M, g->N, g->K, g->alpha, o.a, o.lda, stride_a, o.b, o.ldb, stride_b, g->beta,
                    o.c, o.ldc, stride_c, batch);
    int64_t bad = 0;
    char worst[160] = "";
    for (int64_t i = 0; i < batch; i++) {
        operands m = o;
        m.a = o.a + i * stride_a;
        m.b = o.b + i * stride_b;
        m.c = o.c + i * stride_c;
        bad += verify(g, &m, c0 + i * stride_c, worst, sizeof worst);
    }
    CHECK(bad == 0, "%s batched %c%c M=%lld N=%lld K=%lld batch=%lld shared_b=%d gap=%lld: %lld bad; worst %s", isa,
          g->ta ? 'T' : 'N', g->tb ? 'T' : 'N', (long long)g->M, (long long)g->N, (long long)g->K, (long long)batch,
          shared_b, (long long)gap, (long long)bad, worst);
    free(c0);
    free_operands(&o);
}

/* stride_c = 0: C = alpha · Σ_i op(A_i)·op(B_i) + beta · C. The reference is one product over the batches
 * laid side by side along K: A_cat = [A_1 … A_n] (M × nK), B_cat = [B_1; …; B_n] (nK × N). */
static void run_summed(const char *isa, const gemm_case *g, int64_t batch) {
    gemm_case cat = *g;
    cat.K = g->K * batch;
    operands o = make_operands(&cat); // stored as A_cat, B_cat
    // product i inside the concatenation: rows i·K.. when stored K-major (Aᵀ, B: the one deep product
    // path), else columns i·K.. (the summing loop)
    int64_t step_a = g->ta ? g->K * o.lda : g->K, step_b = g->tb ? g->K : g->K * o.ldb;
    float *c0 = malloc((size_t)(g->M * o.ldc) * sizeof(float));
    memcpy(c0, o.c, (size_t)(g->M * o.ldc) * sizeof(float));
    ax_gemm_batched(g->ta, g->tb, g->M, g->N, g->K, g->alpha, o.a, o.lda, step_a, o.b, o.ldb, step_b, g->beta, o.c,
                    o.ldc, 0, batch);
    char worst[160] = "";
    int64_t bad = verify(&cat, &o, c0, worst, sizeof worst);
    CHECK(bad == 0, "%s summed %c%c M=%lld N=%lld K=%lld batch=%lld: %lld bad; worst %s", isa, g->ta ? 'T' : 'N',
          g->tb ? 'T' : 'N', (long long)g->M, (long long)g->N, (long long)g->K, (long long)batch, (long long)bad,
          worst);
    free(c0);
    free_operands(&o);
}

static void test_batched(const char *isa) {
    for (int layout = 0; layout < 4; layout++) {
        gemm_case g = {.ta = layout & 1, .tb = layout >> 1, .alpha = 1.0f, .beta = layout % 2 ? 0.0f : 0.5f,
                       .exact = true};
        g.M = 17, g.N = 33, g.K = 9; // small products
        run_batched(isa, &g, 5, true, 0);
        run_batched(isa, &g, 5, false, 2);
        g.M = 70, g.N = 65, g.K = 64; // threaded: whole products per thread (batch 4), or one after another (3)
        run_batched(isa, &g, 4, true, 0);
        run_batched(isa, &g, 4, false, 1);
        run_batched(isa, &g, 3, true, 3);
        run_summed(isa, &g, 3);
        g.M = 9, g.N = 5, g.K = 4; // small
        run_summed(isa, &g, 4);
    }
}

// AX_ISA picks the kernel at the first call after a reset; an unusable value falls back to the best.
static void test_env(void) {
    const char *best = ax_gemm_isa_name();
    setenv("AX_ISA", "generic", 1);
    ax_gemm_force_isa(NULL);
    CHECK(strcmp(ax_gemm_isa_name(), "generic") == 0, "AX_ISA=generic gave %s", ax_gemm_isa_name());
    setenv("AX_ISA", "no-such-isa", 1);
    ax_gemm_force_isa(NULL);
    CHECK(strcmp(ax_gemm_isa_name(), best) == 0, "AX_ISA=no-such-isa gave %s, not %s", ax_gemm_isa_name(), best);
    unsetenv("AX_ISA");
    ax_gemm_force_isa(NULL);
}

int main(void) {
    unsetenv("AX_ISA");
    test_env();
    CHECK(!ax_gemm_force_isa("no-such-isa"), "an unknown ISA name is refused");
    static const char *names[] = {"generic", "avx2", "avx512"};
    for (int i = 0; i < 3; i++) {
        if (!ax_gemm_force_isa(names[i])) {
            printf("skipping %s: not supported by this CPU\n", names[i]);
            continue;
        }
        CHECK(strcmp(ax_gemm_isa_name(), names[i]) == 0, "forced %s, running %s", names[i], ax_gemm_isa_name());
        test_sizes(names[i]);
        test_big(names[i]);
        test_degenerate(names[i]);
        test_batched(names[i]);
        test_threads();
    }
    ax_gemm_force_isa(NULL);
    return check_report();
}
