/* softmax, log_softmax and layernorm: forward and backward against PyTorch fixtures (dims 0/1/−1, 4-D,
 * transposed inputs, logits around ±100, layernorm with and without weight/bias, other eps, offset rows),
 * finite differences, the parallel kernels against double-precision loops, and shape errors. */
#include "abort_check.h"
#include "check.h"
#include "op_check.h"
#include "op_values.h"

#include <math.h>
#include <string.h>

typedef ax_tensor *(*softmax_op)(ax_tensor *x, int dim);

typedef struct {
    fx *f;             // the fixture
    const char *c;     // case name
    softmax_op op;     // softmax or log_softmax
    int dim;           // softmax: the dim
    float eps;         // layernorm: ε
    bool has_w, has_b; // layernorm: inputs after x are w then b, when present
} sm_case;

static ax_tensor *run_softmax(ax_tensor **in, void *ctx) {
    sm_case *k = ctx;
    return k->op(fx_view(k->f, k->c, "x", in[0]), k->dim);
}

static ax_tensor *run_layernorm(ax_tensor **in, void *ctx) {
    sm_case *k = ctx;
    ax_tensor *w = k->has_w ? in[1] : NULL, *b = k->has_b ? in[k->has_w ? 2 : 1] : NULL;
    return ax_layernorm(fx_view(k->f, k->c, "x", in[0]), w, b, k->eps);
}

static const char *const x_in[] = {"x"};

static void test_softmax_cases(fx *f) {
    static const struct {
        const char *name; // op name in the fixture
        softmax_op op;    // the op
    } ops[] = {{"softmax", ax_softmax}, {"log_softmax", ax_log_softmax}};
    static const char *variants[] = {"d0", "d1",    "neg",      "T",          "T_d0",      "4d",
                                     "1d", "large", "large_d0", "extreme_d0", "extreme_d1"};
    for (int o = 0; o < 2; o++) {
        for (size_t v = 0; v < sizeof variants / sizeof *variants; v++) {
            char c[64];
            snprintf(c, sizeof c, "%s_%s", ops[o].name, variants[v]);
            sm_case k = {.f = f, .c = c, .op = ops[o].op, .dim = (int)fx_num(f, c, "dim")};
            // log-probabilities of −200 carry float32 rounding of 1.5e-5, which central differences over
            // 2ε = 2e-3 blow up past the gradcheck tolerance: values only (still exact against PyTorch)
            if (ops[o].op == ax_log_softmax && strstr(c, "extreme"))
                check_op_values(f, c, run_softmax, &k, x_in, 1, FP32_RTOL, FP32_ATOL);
            else
                check_op_case(f, c, run_softmax, &k, x_in, 1);
        }
    }
}

// ln_offset: rows at ~100 with spread ~1, against a float64 reference. Float32 row statistics (ours and
// PyTorch's) carry |μ|·2⁻²⁴ ≈ 6e-6 of rounding into x − μ, hence atol 1e-5 (a one-pass E[x²] − μ² variance
// would be off by ~1e-3). The same rounding over 2ε = 2e-3 swamps central differences, so those use ε = 1e-2
// (the O(ε²) truncation error stays ~1e-4).
static void check_offset_case(fx *f, sm_case *k, const char *const *names, int n) {
    check_op_values(f, k->c, run_layernorm, k, names, n, FP32_RTOL, 1e-5);
    ax_tensor *in[3];
    for (int i = 0; i < n; i++) in[i] = fx_param(f, k->c, names[i]);
    CHECK(ax_gradcheck(run_layernorm, k, in, n, 1e-2, GC_RTOL, GC_ATOL) == 0, "%s: gradcheck", k->c);
    ax_arena_reset();
}

static void test_layernorm_cases(fx *f) {
    static const char *cases[] = {"ln_affine", "ln_3d",  "ln_plain", "ln_w_only",
                                  "ln_T",      "ln_eps", "ln_1d",    "ln_offset"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *c = cases[i], *names[3] = {"x"};
        sm_case k = {
            .f = f, .c = c, .eps = (float)fx_num(f, c, "eps"), .has_w = fx_has(f, c, "w"), .has_b = fx_has(f, c, "b")};
        int n = 1;
        if (k.has_w) names[n++] = "w";
        if (k.has_b) names[n++] = "b";
        if (strcmp(c, "ln_offset") == 0)
            check_offset_case(f, &k, names, n);
        else
            check_op_case(f, c, run_layernorm, &k, names, n);
    }
}

// a strided weight (a column of a matrix) acts as its packed copy, and its gradient reaches that column
static void test_strided_weight(void) {
    ax_tensor *x = ax_randn(AX_SHAPE(3, 4), 0.0f, 1.0f), *r = ax_randn(AX_SHAPE(3, 4), 0.0f, 1.0f);
    ax_tensor *wm = ax_randn(AX_SHAPE(4, 2), 1.0f, 0.5f);
    ax_requires_grad(wm, true);
    ax_tensor *w = ax_squeeze(ax_narrow(wm, 1, 1, 1), 1), *packed = ax_contiguous(ax_detach(w));
    ax_requires_grad(packed, true);
    ax_tensor *y = ax_layernorm(x, w, NULL, 1e-5f);
    ax_backward_from(y, r);
    ax_tensor *y_packed = ax_layernorm(x, packed, NULL, 1e-5f);
    CHECK_CLOSE(y, y_packed, 0, 0);
    ax_backward_from(y_packed, r);
    bool same = true;
    for (int i = 0; i < 4; i++)
        same &= ax_f32(wm->grad)[2 * i] == 0.0f && ax_f32(wm->grad)[2 * i + 1] == ax_f32(packed->grad)[i];
    CHECK(same, "layernorm: gradient of a strided weight");
    ax_arena_reset();
}

/* ---- above the threading threshold, against double-precision loops ---- */

// softmax / log_softmax of x (R, C) along `dim` and its gradient for dy = r, each lane in double
static void check_large_softmax(bool as_log, int dim, int64_t R, int64_t C) {
    ax_tensor *x = ax_randn(AX_SHAPE(R, C), 0.0f, 2.0f), *r = ax_randn(AX_SHAPE(R, C), 0.0f, 1.0f);
    ax_requires_grad(x, true);
    ax_tensor *y_ref = ax_empty(AX_SHAPE(R, C)), *dx_ref = ax_empty(AX_SHAPE(R, C));
    int64_t lanes = dim ? R : C, n = dim ? C : R, step = dim ? 1 : C; // lane j starts at j·(dim ? C : 1)
    for (int64_t j = 0; j < lanes; j++) {
        const float *xl = ax_f32(x) + j * (dim ? C : 1), *rl = ax_f32(r) + j * (dim ? C : 1);
        float *yl = ax_f32(y_ref) + j * (dim ? C : 1), *dl = ax_f32(dx_ref) + j * (dim ? C : 1);
        double m = -INFINITY, s = 0, dot = 0;
        for (int64_t k = 0; k < n; k++) m = fmax(m, xl[k * step]);
        for (int64_t k = 0; k < n; k++) s += exp(xl[k * step] - m);
        for (int64_t k = 0; k < n; k++) {
            double p = exp(xl[k * step] - m) / s;
            yl[k * step] = (float)(as_log ? xl[k * step] - m - log(s) : p);
            dot += as_log ? rl[k * step] : rl[k * step] * p;
        }
        for (int64_t k = 0; k < n; k++) {
            double p = exp(xl[k * step] - m) / s;
            dl[k * step] = (float)(as_log ? rl[k * step] - p * dot : p * (rl[k * step] - dot));
        }
    }
    ax_tensor *y = as_log ? ax_log_softmax(x, dim) : ax_softmax(x, dim);
    CHECK_CLOSE(y, y_ref, FP32_RTOL, FP32_ATOL);
    ax_backward_from(y, r);
    CHECK_CLOSE(x->grad, dx_ref, FP32_RTOL, FP32_ATOL);
    ax_arena_reset();
}

// layernorm of x (R, C) with w, b and its gradients for dy = r, row statistics in double
static void check_large_layernorm(int64_t R, int64_t C) {
    ax_tensor *x = ax_randn(AX_SHAPE(R, C), 1.0f, 2.0f), *w = ax_randn(AX_SHAPE(C), 1.0f, 0.5f);
    ax_tensor *b = ax_randn(AX_SHAPE(C), 0.0f, 1.0f), *r = ax_randn(AX_SHAPE(R, C), 0.0f, 1.0f);
    ax_requires_grad(x, true);
    ax_requires_grad(w, true);
    ax_requires_grad(b, true);
    ax_tensor *y_ref = ax_empty(AX_SHAPE(R, C)), *dx_ref = ax_empty(AX_SHAPE(R, C));
    double *dw = ax_arena_alloc((size_t)C * sizeof *dw), *db = ax_arena_alloc((size_t)C * sizeof *db);
    memset(dw, 0, (size_t)C * sizeof *dw);
    memset(db, 0, (size_t)C * sizeof *db);
    const float *px = ax_f32(x), *pw = ax_f32(w), *pb = ax_f32(b), *pr = ax_f32(r);
    for (int64_t i = 0; i < R; i++) {
        const float *xi = px + i * C, *ri = pr + i * C;
        double mu = 0, var = 0, sg = 0, sgx = 0;
        for (int64_t c = 0; c < C; c++) mu += xi[c] / (double)C;
        for (int64_t c = 0; c < C; c++) var += (xi[c] - mu) * (xi[c] - mu) / (double)C;
        double rstd = 1 / sqrt(var + 1e-5);
        for (int64_t c = 0; c < C; c++) {
            double xh = (xi[c] - mu) * rstd;
            ax_f32(y_ref)[i * C + c] = (float)(xh * pw[c] + pb[c]);
            sg += ri[c] * pw[c];
            sgx += ri[c] * pw[c] * xh;
            dw[c] += ri[c] * xh;
            db[c] += ri[c];
        }
        for (int64_t c = 0; c < C; c++)
            ax_f32(dx_ref)[i * C + c] = (float)(rstd * (ri[c] * pw[c] - sg / C - (xi[c] - mu) * rstd * sgx / C));
    }
    ax_tensor *dw_ref = ax_empty(AX_SHAPE(C)), *db_ref = ax_empty(AX_SHAPE(C));
    for (int64_t c = 0; c < C; c++) ax_f32(dw_ref)[c] = (float)dw[c], ax_f32(db_ref)[c] = (float)db[c];
    ax_tensor *y = ax_layernorm(x, w, b, 1e-5f);
    CHECK_CLOSE(y, y_ref, FP32_RTOL, FP32_ATOL);
    ax_backward_from(y, r);
    CHECK_CLOSE(x->grad, dx_ref, FP32_RTOL, FP32_ATOL);
    // dw, db: float sums of 200 terms of size ~1 vs double ones; partial sums reach ~10, whose ulp is 1e-6
    CHECK_CLOSE(w->grad, dw_ref, FP32_RTOL, 2e-5);
    CHECK_CLOSE(b->grad, db_ref, FP32_RTOL, 2e-5);
    ax_arena_reset();
}

static void test_large(void) {
    int threads = ax_threads();
    ax_set_threads(4);
    for (int as_log = 0; as_log < 2; as_log++)
        for (int dim = 0; dim < 2; dim++) check_large_softmax(as_log, dim, 200, 300);
    check_large_layernorm(200, 300);
    ax_set_threads(threads);
}

/* ---- programmer errors ---- */

static void ln_bad_weight(void *ctx) { ax_layernorm(ax_zeros(AX_SHAPE(2, 5)), ax_ones(AX_SHAPE(4)), NULL, 1e-5f); }
static void ln_bad_bias(void *ctx) { ax_layernorm(ax_zeros(AX_SHAPE(2, 5)), NULL, ax_ones(AX_SHAPE(5, 1)), 1e-5f); }
static void softmax_bad_dim(void *ctx) { ax_softmax(ax_zeros(AX_SHAPE(2, 5)), 2); }

static void test_aborts(void) {
    CHECK_ABORTS(ln_bad_weight, NULL, "layernorm", "weight (4)", "(2, 5)");
    CHECK_ABORTS(ln_bad_bias, NULL, "layernorm", "bias (5, 1)", "(2, 5)");
    CHECK_ABORTS(softmax_bad_dim, NULL, "dim 2 out of range", "(2, 5)");
}

int main(void) {
    fx *f = fx_open("softmax");
    test_softmax_cases(f);
    test_layernorm_cases(f);
    fx_close(f);
    test_strided_weight();
    test_large();
    test_aborts();
    return check_report();
}
