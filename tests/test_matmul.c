/* matmul and linear: forward and backward against PyTorch on every operand layout (small shapes), finite
 * differences, then larger products that run the packed, threaded GEMM path checked exactly against a
 * naive loop (integer data: every sum is exact in float32, so any summation order must match). */
#include "check.h"
#include "fixture.h"
#include "op_check.h"

/* ---- against PyTorch (tools/fixtures/matmul.py) ---- */

static ax_tensor *t(ax_tensor *x) { return ax_transpose(x, -2, -1); }

static ax_tensor *mm(ax_tensor **in, void *ctx) { return ax_matmul(in[0], in[1]); }
static ax_tensor *mm_bt(ax_tensor **in, void *ctx) { return ax_matmul(in[0], t(in[1])); }
static ax_tensor *mm_at(ax_tensor **in, void *ctx) { return ax_matmul(t(in[0]), in[1]); }
static ax_tensor *mm_tt(ax_tensor **in, void *ctx) { return ax_matmul(t(in[0]), t(in[1])); }
// (B, T, H, D) stored, (B, H, T, D) @ (B, H, D, T) seen
static ax_tensor *mm_heads(ax_tensor **in, void *ctx) {
    return ax_matmul(ax_transpose(in[0], 1, 2), t(ax_transpose(in[1], 1, 2)));
}
static ax_tensor *mm_narrow(ax_tensor **in, void *ctx) {
    return ax_matmul(ax_narrow(in[0], 1, 1, 7), ax_narrow(ax_narrow(in[1], 0, 1, 7), 1, 2, 3));
}
static ax_tensor *lin_bias(ax_tensor **in, void *ctx) { return ax_linear(in[0], in[1], in[2]); }
static ax_tensor *lin_nobias(ax_tensor **in, void *ctx) { return ax_linear(in[0], in[1], NULL); }
static ax_tensor *addmm_bias(ax_tensor **in, void *ctx) { return ax_addmm(in[0], in[1], in[2]); }
static ax_tensor *addmm_nobias(ax_tensor **in, void *ctx) { return ax_addmm(in[0], in[1], NULL); }
static ax_tensor *addmm_t(ax_tensor **in, void *ctx) { return ax_addmm(t(in[0]), in[1], in[2]); } // non-contiguous x

static void test_fixtures(fx *f) {
    static const char *const ab[] = {"a", "b"}, *const xwb[] = {"x", "w", "bias"};
    static const struct {
        const char *name; // fixture case
        ax_grad_fn fn;    // the op as the C API spells it
        bool linear;      // inputs x, w (, bias) instead of a, b
        int n_in;         // differentiable inputs
    } cases[] = {
        {"mm_2d", mm, false, 2},         {"mm_3d", mm, false, 2},         {"mm_4d", mm, false, 2},
        {"mm_shared", mm, false, 2},     {"mm_shared_4d", mm, false, 2},  {"mm_row", mm, false, 2},
        {"mm_col", mm, false, 2},        {"mm_bcast_a", mm, false, 2},    {"mm_bcast_both", mm, false, 2},
        {"mm_bcast_4d", mm, false, 2},        {"mm_bt", mm_bt, false, 2},      {"mm_at", mm_at, false, 2},
        {"mm_tt", mm_tt, false, 2},      {"mm_3d_bt", mm_bt, false, 2},   {"mm_3d_at", mm_at, false, 2},
        {"mm_shared_bt", mm_bt, false, 2}, {"mm_shared_at", mm_at, false, 2}, {"mm_row_t", mm_tt, false, 2},
        {"mm_heads", mm_heads, false, 2}, {"mm_narrow", mm_narrow, false, 2}, {"lin_bias", lin_bias, true, 3},
        {"lin_nobias", lin_nobias, true, 2}, {"lin_3d", lin_bias, true, 3}, {"lin_1d", lin_bias, true, 3},
        {"addmm_bias", addmm_bias, true, 3}, {"addmm_nobias", addmm_nobias, true, 2},
        {"addmm_3d", addmm_bias, true, 3}, {"addmm_4d_t", addmm_t, true, 3}, {"addmm_1d", addmm_bias, true, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_op_case(f, cases[i].name, cases[i].fn, NULL, cases[i].linear ? xwb : ab, cases[i].n_in);
}

/* ---- larger products through the packed GEMM, exact ---- */

#define DIMS(...) ((const int64_t[]){__VA_ARGS__})

static ax_tensor *int_tensor(int ndim, const int64_t *shape, bool leaf) {
    ax_tensor *x = ax_empty(ndim, shape);
    float *d = ax_f32(x);
    for (int64_t i = 0; i < ax_numel(x); i++) d[i] = (float)((int)(ax_rng_u32(ax_rng_global()) % 7) - 3);
    if (leaf) ax_requires_grad(x, true);
    return x;
}

// The two batch sizes of x (…, rows, cols), padded on the left with 1s.
static void batch_sizes(int ndim, const int64_t *shape, int64_t n[2]) {
    n[0] = ndim >= 4 ? shape[ndim - 4] : 1;
    n[1] = ndim >= 3 ? shape[ndim - 3] : 1;
}

// Index of the matrix of x (batch sizes nx) that output batch (i0, i1) uses under broadcasting.
static int64_t source(const int64_t nx[2], int64_t i0, int64_t i1) {
    return (nx[0] > 1 ? i0 : 0) * nx[1] + (nx[1] > 1 ? i1 : 0);
}

// out, dA, dB of C = A·B seeded with R, by the definition, for contiguous A, B, R with batch sizes na, nb.
static void reference(const float *A, const float *B, const float *R, float *C, float *dA, float *dB,
                      const int64_t na[2], const int64_t nb[2], int64_t M, int64_t N, int64_t K) {
    int64_t n0 = na[0] > nb[0] ? na[0] : nb[0], n1 = na[1] > nb[1] ? na[1] : nb[1];
    for (int64_t i = 0; i < n0 * n1 * M * N; i++) C[i] = 0;
    for (int64_t i = 0; i < na[0] * na[1] * M * K; i++) dA[i] = 0;
    for (int64_t i = 0; i < nb[0] * nb[1] * K * N; i++) dB[i] = 0;
    for (int64_t i0 = 0; i0 < n0; i0++)
        for (int64_t i1 = 0; i1 < n1; i1++) {
            int64_t ia = source(na, i0, i1), ib = source(nb, i0, i1), ic = i0 * n1 + i1;
            const float *a = A + ia * M * K, *b = B + ib * K * N, *r = R + ic * M * N;
            float *c = C + ic * M * N, *da = dA + ia * M * K, *db = dB + ib * K * N;
            for (int64_t i = 0; i < M; i++)
                for (int64_t k = 0; k < K; k++)
                    for (int64_t j = 0; j < N; j++) {
                        c[i * N + j] += a[i * K + k] * b[k * N + j];
                        da[i * K + k] += r[i * N + j] * b[k * N + j];
                        db[k * N + j] += a[i * K + k] * r[i * N + j];
                    }
        }
}

static ax_tensor *copy_of(ax_tensor *x) {
    ax_tensor *y = ax_empty(x->ndim, x->shape);
    ax_copy_to_f32(x, y->data);
    return y;
}

// a (…, M, K) @ b (…, K, N), batch dims broadcast; ta / tb: the operand is a transposed view of a leaf.
static void check_big(int ndim_a, const int64_t *shape_a, int ndim_b, const int64_t *shape_b, bool ta, bool tb) {
    int64_t sa[AX_MAX_DIMS], sb[AX_MAX_DIMS]; // stored shapes
    for (int d = 0; d < ndim_a; d++) sa[d] = shape_a[ta && d >= ndim_a - 2 ? 2 * ndim_a - 3 - d : d];
    for (int d = 0; d < ndim_b; d++) sb[d] = shape_b[tb && d >= ndim_b - 2 ? 2 * ndim_b - 3 - d : d];
    ax_tensor *la = int_tensor(ndim_a, sa, true), *lb = int_tensor(ndim_b, sb, true);
    ax_tensor *a = ta ? t(la) : la, *b = tb ? t(lb) : lb;
    ax_tensor *out = ax_matmul(a, b), *r = int_tensor(out->ndim, out->shape, false);
    ax_backward_from(out, r);
    int64_t M = shape_a[ndim_a - 2], K = shape_a[ndim_a - 1], N = shape_b[ndim_b - 1], na[2], nb[2];
    batch_sizes(ndim_a, shape_a, na);
    batch_sizes(ndim_b, shape_b, nb);
    ax_tensor *c = ax_empty_like(out), *da = ax_empty(ndim_a, shape_a), *db = ax_empty(ndim_b, shape_b);
    reference(ax_f32(copy_of(a)), ax_f32(copy_of(b)), ax_f32(r), ax_f32(c), ax_f32(da), ax_f32(db), na, nb, M, N, K);
    char what[96];
    snprintf(what, sizeof what, "%s%s @ %s%s", ax_shape_str(a), ta ? "ᵀ" : "", ax_shape_str(b), tb ? "ᵀ" : "");
    check_close(out, c, 0, 0, __FILE__, __LINE__, what);
    check_close(ta ? t(la->grad) : la->grad, da, 0, 0, __FILE__, __LINE__, what);
    check_close(tb ? t(lb->grad) : lb->grad, db, 0, 0, __FILE__, __LINE__, what);
    ax_arena_reset();
}

// linear: x (…, K) · wᵀ + bias with w (N, K), or addmm: x · w + bias with w (K, N), through the packed GEMM
static void check_layer_big(int ndim, const int64_t *shape_x, int64_t N, bool bias, bool addmm) {
    int64_t K = shape_x[ndim - 1], M = shape_x[ndim - 2], nx[2], none[2] = {1, 1};
    ax_tensor *x = int_tensor(ndim, shape_x, true), *w = int_tensor(2, addmm ? DIMS(K, N) : DIMS(N, K), true);
    ax_tensor *b = bias ? int_tensor(1, DIMS(N), true) : NULL;
    ax_tensor *out = addmm ? ax_addmm(x, w, b) : ax_linear(x, w, b), *r = int_tensor(out->ndim, out->shape, false);
    ax_backward_from(out, r);
    batch_sizes(ndim, shape_x, nx);
    ax_tensor *c = ax_empty_like(out), *dx = ax_empty_like(x), *dw = ax_empty(2, DIMS(K, N));
    reference(ax_f32(copy_of(x)), ax_f32(copy_of(addmm ? w : t(w))), ax_f32(r), ax_f32(c), ax_f32(dx), ax_f32(dw), nx,
              none, M, N, K);
    float *cv = ax_f32(c), *rv = ax_f32(r);
    ax_tensor *db = ax_zeros(1, DIMS(N));
    for (int64_t i = 0; i < ax_numel(c); i++) {
        if (bias) cv[i] += ax_f32(b)[i % N];
        ax_f32(db)[i % N] += rv[i];
    }
    const char *what = addmm ? "addmm" : "linear";
    check_close(out, c, 0, 0, __FILE__, __LINE__, what);
    check_close(x->grad, dx, 0, 0, __FILE__, __LINE__, what);
    check_close(addmm ? w->grad : t(w->grad), dw, 0, 0, __FILE__, __LINE__, what);
    if (bias) check_close(b->grad, db, 0, 0, __FILE__, __LINE__, what);
    ax_arena_reset();
}

static void test_big(void) {
    for (int addmm = 0; addmm < 2; addmm++) {
        check_layer_big(2, DIMS(150, 70), 90, true, addmm);
        check_layer_big(3, DIMS(3, 50, 64), 70, false, addmm);
        check_layer_big(4, DIMS(2, 2, 30, 64), 70, true, addmm);
    }
    for (int layout = 0; layout < 4; layout++) {
        bool ta = layout & 1, tb = layout >> 1;
        check_big(2, DIMS(150, 70), 2, DIMS(70, 90), ta, tb);       // one threaded GEMM
        check_big(3, DIMS(3, 40, 64), 3, DIMS(3, 64, 50), ta, tb);  // batched
        check_big(3, DIMS(4, 40, 64), 2, DIMS(64, 50), ta, tb);     // shared B
        check_big(4, DIMS(2, 2, 40, 64), 4, DIMS(2, 2, 64, 45), ta, tb);
        check_big(2, DIMS(40, 64), 3, DIMS(3, 64, 50), ta, tb);                   // shared A
        check_big(4, DIMS(2, 1, 40, 64), 3, DIMS(3, 64, 50), ta, tb);            // both broadcast
    }
}

int main(void) {
    fx *f = fx_open("matmul");
    test_fixtures(f);
    fx_close(f);
    ax_manual_seed(7);
    test_big();
    return check_report();
}
