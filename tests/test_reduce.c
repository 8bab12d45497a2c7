/* Reductions (sum, mean, max over a dim; sum_all, mean_all): forward, backward and argmax against PyTorch
 * fixtures for dims 0/1/−1, keepdim, 4-D and transposed inputs, finite differences, ties of max, NaN, empty
 * dims, the parallel kernels against plain loops, and the programmer-error aborts. */
#include "abort_check.h"
#include "check.h"
#include "op_check.h"
#include "op_values.h"

#include <math.h>
#include <string.h>

typedef ax_tensor *(*dim_op)(ax_tensor *x, int dim, bool keepdim);

typedef struct {
    fx *f;         // the fixture
    const char *c; // case name
    dim_op op;     // sum, mean or max (values only)
    int dim;       // the reduced dim
    bool keepdim;  // keep it as size 1
} reduce_case;

static const char *const x_in[] = {"x"};

static ax_tensor *max_values(ax_tensor *x, int dim, bool keepdim) { return ax_max(x, dim, keepdim, NULL); }

static ax_tensor *run_dim(ax_tensor **in, void *ctx) {
    reduce_case *k = ctx;
    return k->op(fx_view(k->f, k->c, "x", in[0]), k->dim, k->keepdim);
}

static ax_tensor *run_all(ax_tensor **in, void *ctx) {
    reduce_case *k = ctx;
    ax_tensor *x = fx_view(k->f, k->c, "x", in[0]);
    return k->op == ax_mean ? ax_mean_all(x) : ax_sum_all(x);
}

static bool same_i32(const ax_tensor *a, const ax_tensor *b) {
    return ax_same_shape(a, b) && memcmp(ax_i32(a), ax_i32(b), (size_t)ax_numel(a) * sizeof(int32_t)) == 0;
}

// ax_max's argmax (shape and values) against the fixture's PyTorch indices
static void check_argmax(const reduce_case *k) {
    ax_tensor *arg = NULL;
    ax_max(fx_view(k->f, k->c, "x", fx_get(k->f, k->c, "x")), k->dim, k->keepdim, &arg);
    ax_tensor *expected = fx_get(k->f, k->c, "argmax");
    CHECK(arg && arg->dtype == AX_I32 && same_i32(arg, expected), "%s: argmax %s differs from PyTorch's %s", k->c,
          arg ? ax_shape_str(arg) : "NULL", ax_shape_str(expected));
}

static void test_fixture_cases(fx *f) {
    static const struct {
        const char *name; // op name in the fixture
        dim_op op;        // the op
    } ops[] = {{"sum", ax_sum}, {"mean", ax_mean}, {"max", max_values}};
    static const char *variants[] = {"d0", "d1_keep", "neg", "neg_keep", "T", "4d", "1d"};
    for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) {
        for (size_t v = 0; v < sizeof variants / sizeof *variants; v++) {
            char c[64];
            snprintf(c, sizeof c, "%s_%s", ops[o].name, variants[v]);
            reduce_case k = {f, c, ops[o].op, (int)fx_num(f, c, "dim"), fx_num(f, c, "keepdim") != 0};
            if (ops[o].op == max_values) check_argmax(&k);
            check_op_case(f, c, run_dim, &k, x_in, 1);
        }
    }
    // ties: PyTorch picks, and sends the gradient to, the first maximum; finite differences are meaningless there
    static const char *ties[] = {"max_ties", "max_ties_d0"};
    for (int i = 0; i < 2; i++) {
        reduce_case k = {f, ties[i], max_values, (int)fx_num(f, ties[i], "dim"), false};
        check_argmax(&k);
        check_op_values(f, ties[i], run_dim, &k, x_in, 1, FP32_RTOL, FP32_ATOL);
    }
    static const char *all[] = {"sum_all", "sum_all_T", "sum_all_0d", "mean_all", "mean_all_T", "mean_all_0d"};
    for (int i = 0; i < 6; i++) {
        reduce_case k = {f, all[i], i < 3 ? ax_sum : ax_mean, 0, false};
        check_op_case(f, all[i], run_all, &k, x_in, 1);
    }
}

/* ---- NaN, empty dims ---- */

static void test_special_values(void) {
    ax_tensor *arg;
    ax_tensor *m = ax_max(ax_from_f32(AX_SHAPE(1, 4), (const float[]){1.0f, NAN, 3.0f, NAN}), 1, false, &arg);
    CHECK(isnan(ax_item(m)) && ax_i32(arg)[0] == 1, "max with NaN: %g at %d, expected NaN at 1 (PyTorch)",
          (double)ax_item(m), ax_i32(arg)[0]);
    ax_tensor *empty = ax_zeros(AX_SHAPE(2, 0));
    ax_tensor *s = ax_sum(empty, 1, false), *mean = ax_mean(empty, -1, true);
    CHECK(ax_numel(s) == 2 && ax_f32(s)[0] == 0.0f && ax_f32(s)[1] == 0.0f, "sum over an empty dim is 0");
    CHECK(mean->ndim == 2 && isnan(ax_f32(mean)[0]), "mean over an empty dim is NaN (PyTorch)");
    CHECK(ax_sum_all(empty)->ndim == 0 && ax_item(ax_sum_all(empty)) == 0.0f, "sum_all of no elements is 0");
    CHECK(isnan(ax_item(ax_mean_all(empty))), "mean_all of no elements is NaN (PyTorch)");
    ax_arena_reset();
}

/* ---- above the threading threshold: sum, mean, max over each dim against plain loops ---- */

static void check_large(const int64_t *shape, int d) {
    ax_tensor *x = ax_randn(3, shape, 0.0f, 1.0f);
    ax_requires_grad(x, true);
    int64_t rshape[3], n = shape[d];
    memcpy(rshape, shape, sizeof rshape);
    rshape[d] = 1;
    ax_tensor *sum_ref = ax_zeros(3, rshape), *max_ref = ax_full(3, rshape, -INFINITY),
              *r = ax_randn(3, rshape, 0.0f, 1.0f);
    ax_tensor *dmax_ref = ax_zeros(3, shape), *dmean_ref = ax_empty(3, shape);
    const float *px = ax_f32(x);
    double *sums = ax_arena_alloc((size_t)ax_numel(sum_ref) * sizeof *sums);
    memset(sums, 0, (size_t)ax_numel(sum_ref) * sizeof *sums);
    for (int pass = 0; pass < 2; pass++) // pass 0: sums and maxima; pass 1: gradients from them
        for (int64_t i = 0; i < shape[0]; i++)
            for (int64_t j = 0; j < shape[1]; j++)
                for (int64_t l = 0; l < shape[2]; l++) {
                    int64_t idx[3] = {i, j, l}, e = (i * shape[1] + j) * shape[2] + l;
                    idx[d] = 0;
                    int64_t o = (idx[0] * rshape[1] + idx[1]) * rshape[2] + idx[2];
                    if (pass == 0) {
                        sums[o] += px[e];
                        ax_f32(max_ref)[o] = fmaxf(ax_f32(max_ref)[o], px[e]);
                    } else {
                        ax_f32(sum_ref)[o] = (float)sums[o];
                        ax_f32(dmean_ref)[e] = ax_f32(r)[o] / (float)n;
                        ax_f32(dmax_ref)[e] = px[e] == ax_f32(max_ref)[o] ? ax_f32(r)[o] : 0.0f;
                    }
                }
    // float sums of ~50 terms vs exact ones: a few ulp of the largest partial sum (|x| ≲ 4, so ≲ 1e-5)
    CHECK_CLOSE(ax_sum(x, d, true), sum_ref, FP32_RTOL, 1e-5);
    ax_tensor *mx = ax_max(x, d, true, NULL);
    CHECK_CLOSE(mx, max_ref, 0, 0);
    ax_backward_from(mx, r);
    CHECK_CLOSE(x->grad, dmax_ref, 0, 0);
    ax_zero_grad(x);
    ax_backward_from(ax_mean(x, d, true), r);
    CHECK_CLOSE(x->grad, dmean_ref, FP32_RTOL, FP32_ATOL);
    ax_arena_reset();
}

static void test_large(void) {
    int threads = ax_threads();
    ax_set_threads(4);
    for (int d = 0; d < 3; d++) check_large((const int64_t[]){40, 50, 30}, d); // 60000 elements
    ax_set_threads(threads);
}

/* ---- programmer errors ---- */

static void max_empty(void *ctx) { ax_max(ax_zeros(AX_SHAPE(3, 0)), 1, false, NULL); }
static void sum_bad_dim(void *ctx) { ax_sum(ax_zeros(AX_SHAPE(3, 2)), 2, false); }
static void mean_bad_dim(void *ctx) { ax_mean(ax_zeros(AX_SHAPE(3, 2)), -3, false); }

static void test_aborts(void) {
    CHECK_ABORTS(max_empty, NULL, "max", "empty dim 1", "(3, 0)");
    CHECK_ABORTS(sum_bad_dim, NULL, "dim 2 out of range", "(3, 2)");
    CHECK_ABORTS(mean_bad_dim, NULL, "dim -3 out of range", "(3, 2)");
}

int main(void) {
    fx *f = fx_open("reduce");
    test_fixture_cases(f);
    fx_close(f);
    test_special_values();
    test_large();
    test_aborts();
    return check_report();
}
