/* Lookup and selection ops (embedding, index_select, gather, masked_fill, where): forward and backward
 * against PyTorch fixtures, finite differences, strided indices, and the out-of-range aborts. */
#include "abort_check.h"
#include "check.h"
#include "op_check.h"

#define MAX_CASES 5 // fixture cases per op

typedef struct {
    fx *f;                    // the fixture
    const char *c;            // case name
    const char *const *names; // differentiable inputs in argument order
    ax_tensor *aux;           // the non-differentiable input: indices, mask or condition
    int dim;                  // the op's dim, when it has one
    float value;              // masked_fill's value
} op_case;

// Input i as the op sees it (transposed when the case says so).
static ax_tensor *arg(const op_case *k, ax_tensor **in, int i) { return fx_view(k->f, k->c, k->names[i], in[i]); }

static ax_tensor *run_embedding(ax_tensor **in, void *ctx) { return ax_embedding(arg(ctx, in, 0), ((op_case *)ctx)->aux); }
static ax_tensor *run_index_select(ax_tensor **in, void *ctx) {
    op_case *k = ctx;
    return ax_index_select(arg(k, in, 0), k->dim, k->aux);
}
static ax_tensor *run_gather(ax_tensor **in, void *ctx) {
    op_case *k = ctx;
    return ax_gather(arg(k, in, 0), k->dim, k->aux);
}
static ax_tensor *run_masked_fill(ax_tensor **in, void *ctx) {
    op_case *k = ctx;
    return ax_masked_fill(arg(k, in, 0), k->aux, k->value);
}
static ax_tensor *run_where(ax_tensor **in, void *ctx) {
    op_case *k = ctx;
    return ax_where(k->aux, arg(k, in, 0), arg(k, in, 1));
}

static const char *const weight_in[] = {"weight"}, *const x_in[] = {"x"}, *const ab_in[] = {"a", "b"};
static const struct {
    const char *cases[MAX_CASES];     // fixture cases (NULL-terminated)
    ax_grad_fn fn;            // runs the op on the inputs
    const char *aux;          // name of the non-differentiable input
    const char *const *names; // differentiable inputs
    int n_in;                 // how many
} ops[] = {
    {{"emb_1d", "emb_2d", "emb_3d", "emb_0d", "emb_T"}, run_embedding, "idx", weight_in, 1},
    {{"is_dim0", "is_neg", "is_last_T", "is_4d"}, run_index_select, "idx", x_in, 1},
    {{"g_dim1", "g_dim0", "g_neg_T", "g_4d"}, run_gather, "idx", x_in, 1},
    {{"mf_same", "mf_bcast", "mf_T", "mf_causal"}, run_masked_fill, "mask", x_in, 1},
    {{"w_same", "w_bcast", "w_scalar", "w_T"}, run_where, "cond", ab_in, 2},
};

static void test_fixture_cases(fx *f) {
    for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) {
        for (int i = 0; i < MAX_CASES && ops[o].cases[i]; i++) {
            const char *c = ops[o].cases[i];
            op_case k = {f, c, ops[o].names, fx_get(f, c, ops[o].aux), 0, 0.0f};
            if (fx_has(f, c, "dim")) k.dim = (int)fx_num(f, c, "dim");
            if (fx_has(f, c, "value")) k.value = (float)fx_num(f, c, "value");
            check_op_case(f, c, ops[o].fn, &k, ops[o].names, ops[o].n_in);
        }
    }
}

// Strided (transposed) index tensors read the same indices as their packed copies.
static void test_strided_indices(void) {
    ax_tensor *w = ax_randn(AX_SHAPE(6, 3), 0.0f, 1.0f), *x = ax_randn(AX_SHAPE(3, 2), 0.0f, 1.0f);
    ax_tensor *idx = ax_transpose(ax_from_i32(AX_SHAPE(2, 3), (const int32_t[]){0, 1, 5, 3, 4, 1}), 0, 1);
    ax_tensor *packed = ax_from_i32(AX_SHAPE(3, 2), (const int32_t[]){0, 3, 1, 4, 5, 1});
    CHECK_CLOSE(ax_embedding(w, idx), ax_embedding(w, packed), 0, 0);
    ax_tensor *col = ax_narrow(ax_from_i32(AX_SHAPE(3, 2), (const int32_t[]){1, 0, 0, 0, 1, 0}), 1, 0, 1);
    ax_tensor *col_packed = ax_from_i32(AX_SHAPE(3, 1), (const int32_t[]){1, 0, 1});
    CHECK_CLOSE(ax_gather(x, 1, col), ax_gather(x, 1, col_packed), 0, 0);
    ax_arena_reset();
}

/* ---- above the threading threshold, with many repeated indices: the parallel kernels match plain loops ---- */

static ax_tensor *random_indices(int ndim, const int64_t *shape, int64_t limit) {
    ax_tensor *idx = ax_empty_dtype(AX_I32, ndim, shape);
    for (int64_t i = 0; i < ax_numel(idx); i++) ax_i32(idx)[i] = (int32_t)(ax_rng_u32(ax_rng_global()) % limit);
    return idx;
}

// x (A, D, B) and idx (n): y[a, j, b] = x[a, idx[j], b], dx[a, idx[j], b] += r[a, j, b], checked by plain loops.
static void check_large_select(int64_t A, int64_t D, int64_t B, int64_t n) {
    ax_tensor *x = ax_randn(AX_SHAPE(A, D, B), 0.0f, 1.0f), *idx = random_indices(AX_SHAPE(n), D);
    ax_requires_grad(x, true);
    ax_tensor *y = A == 1 ? ax_embedding(ax_reshape(x, AX_SHAPE(D, B)), idx) : ax_index_select(x, 1, idx);
    ax_tensor *r = ax_randn(AX_SHAPE(A, n, B), 0.0f, 1.0f), *y_ref = ax_empty(AX_SHAPE(A, n, B)), *dx_ref = ax_zeros(AX_SHAPE(A, D, B));
    for (int64_t a = 0; a < A; a++)
        for (int64_t j = 0; j < n; j++)
            for (int64_t b = 0; b < B; b++) {
                int64_t src = (a * D + ax_i32(idx)[j]) * B + b, dst = (a * n + j) * B + b;
                ax_f32(y_ref)[dst] = ax_f32(x)[src];
                ax_f32(dx_ref)[src] += ax_f32(r)[dst];
            }
    CHECK_CLOSE(y, y_ref, 0, 0);
    ax_backward_from(y, r);
    CHECK_CLOSE(x->grad, dx_ref, FP32_RTOL, FP32_ATOL);
    ax_arena_reset();
}

// x (R, K), idx (M, K) along dim 0 or (R, M) along dim 1, checked by plain loops.
static void check_large_gather(int dim, int64_t R, int64_t K, int64_t M) {
    ax_tensor *x = ax_randn(AX_SHAPE(R, K), 0.0f, 1.0f);
    ax_tensor *idx = dim == 0 ? random_indices(AX_SHAPE(M, K), R) : random_indices(AX_SHAPE(R, M), K);
    ax_requires_grad(x, true);
    ax_tensor *y = ax_gather(x, dim - 2, idx), *r = ax_randn(idx->ndim, idx->shape, 0.0f, 1.0f);
    ax_tensor *y_ref = ax_empty(idx->ndim, idx->shape), *dx_ref = ax_zeros(AX_SHAPE(R, K));
    for (int64_t i = 0; i < idx->shape[0]; i++)
        for (int64_t j = 0; j < idx->shape[1]; j++) {
            int64_t k = i * idx->shape[1] + j, at = ax_i32(idx)[k], src = dim == 0 ? at * K + j : i * K + at;
            ax_f32(y_ref)[k] = ax_f32(x)[src];
            ax_f32(dx_ref)[src] += ax_f32(r)[k];
        }
    CHECK_CLOSE(y, y_ref, 0, 0);
    ax_backward_from(y, r);
    CHECK_CLOSE(x->grad, dx_ref, FP32_RTOL, FP32_ATOL);
    ax_arena_reset();
}

static void test_large(void) {
    int threads = ax_threads();
    ax_set_threads(4);
    check_large_select(1, 37, 600, 700); // embedding: 700 tokens over 37 rows, 3 column blocks
    check_large_select(6, 20, 64, 150);  // index_select in the middle dim
    check_large_gather(0, 50, 300, 400);
    check_large_gather(1, 300, 50, 400);
    ax_set_threads(threads);
}

/* ---- out-of-range indices abort with the index and the bound ---- */

static void embed_past_end(void *ctx) { ax_embedding(ax_zeros(AX_SHAPE(10, 4)), ax_from_i32(AX_SHAPE(2), (const int32_t[]){3, 10})); }
static void embed_negative(void *ctx) { ax_embedding(ax_zeros(AX_SHAPE(10, 4)), ax_from_i32(AX_SHAPE(1), (const int32_t[]){-1})); }
static void select_past_end(void *ctx) { ax_index_select(ax_zeros(AX_SHAPE(2, 7)), -1, ax_from_i32(AX_SHAPE(1), (const int32_t[]){7})); }
static void gather_past_end(void *ctx) { ax_gather(ax_zeros(AX_SHAPE(2, 3)), 0, ax_from_i32(AX_SHAPE(1, 1), (const int32_t[]){2})); }
static void fill_bad_mask(void *ctx) { ax_masked_fill(ax_zeros(AX_SHAPE(2, 3)), ax_empty_dtype(AX_BOOL, AX_SHAPE(2)), 0.0f); }

static void test_aborts(void) {
    CHECK_ABORTS(embed_past_end, NULL, "embedding", "index 10", "[0, 10)");
    CHECK_ABORTS(embed_negative, NULL, "index -1", "[0, 10)");
    CHECK_ABORTS(select_past_end, NULL, "index_select", "index 7", "[0, 7)");
    CHECK_ABORTS(gather_past_end, NULL, "gather", "index 2", "[0, 2)");
    CHECK_ABORTS(fill_bad_mask, NULL, "masked_fill", "(2)", "(2, 3)");
}

int main(void) {
    fx *f = fx_open("index");
    test_fixture_cases(f);
    fx_close(f);
    test_strided_indices();
    test_large();
    test_aborts();
    return check_report();
}
