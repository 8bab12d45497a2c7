/* Losses: cross_entropy (every reduction, ignore_index, label smoothing, both together, an ignored real
 * class, logits ~100 and 100 apart, transposed logits, strided targets, every target ignored), mse_loss and
 * bce_with_logits (every reduction, logits up to ±100, target gradients): forward and backward against
 * PyTorch fixtures, finite differences, the parallel kernels against double-precision loops, and aborts. */
#include "abort_check.h"
#include "check.h"
#include "op_check.h"
#include "op_values.h"

#include <math.h>
#include <string.h>

typedef struct {
    fx *f;             // the fixture
    const char *c;     // case name
    ax_tensor *target; // cross_entropy: I32 (N) class targets
    ax_ce_opts opts;   // cross_entropy: options
    ax_reduction red;  // mse, bce: reduction
} loss_case;

static ax_tensor *run_ce(ax_tensor **in, void *ctx) {
    loss_case *k = ctx;
    return ax_cross_entropy(fx_view(k->f, k->c, "x", in[0]), k->target, k->opts);
}

static ax_tensor *run_mse(ax_tensor **in, void *ctx) {
    loss_case *k = ctx;
    return ax_mse_loss(fx_view(k->f, k->c, "pred", in[0]), fx_view(k->f, k->c, "target", in[1]), k->red);
}

static ax_tensor *run_bce(ax_tensor **in, void *ctx) {
    loss_case *k = ctx;
    return ax_bce_with_logits(fx_view(k->f, k->c, "logits", in[0]), fx_view(k->f, k->c, "target", in[1]), k->red);
}

static const char *const x_in[] = {"x"}, *const mse_in[] = {"pred", "target"}, *const bce_in[] = {"logits", "target"};

static loss_case load_ce(fx *f, const char *c) {
    loss_case k = {.f = f, .c = c, .target = fx_get(f, c, "target"), .opts = AX_CE_DEFAULTS};
    k.opts.ignore_index = (int)fx_num(f, c, "ignore_index");
    k.opts.label_smoothing = (float)fx_num(f, c, "smoothing");
    k.opts.reduction = (ax_reduction)fx_num(f, c, "reduction");
    return k;
}

// every target ignored: PyTorch's mean is 0/0 = NaN (sum 0, none zeros) and the gradient is zero
static void check_all_ignored(fx *f, const char *c) {
    loss_case k = load_ce(f, c);
    if (!fx_has(f, c, "nan")) {
        check_op_case(f, c, run_ce, &k, x_in, 1);
        return;
    }
    ax_tensor *x = fx_param(f, c, "x"), *out = run_ce(&x, &k);
    CHECK(out->ndim == 0 && isnan(ax_item(out)), "%s: mean over no targets is %g, expected NaN", c,
          (double)ax_item(out));
    ax_backward_from(out, fx_get(f, c, "r"));
    CHECK(x->grad != NULL, "%s: no gradient", c);
    if (x->grad) CHECK_CLOSE(x->grad, fx_get(f, c, "grad_x"), 0, 0);
    ax_arena_reset();
}

static void test_ce_cases(fx *f) {
    static const char *reds[] = {"mean", "sum", "none"};
    static const char *variants[] = {"", "_ignore", "_smooth", "_ignore_smooth", "_extreme"};
    char c[64];
    for (int r = 0; r < 3; r++) {
        for (int v = 0; v < 5; v++) {
            snprintf(c, sizeof c, "ce_%s%s", reds[r], variants[v]);
            loss_case k = load_ce(f, c);
            // losses of ~200 carry float32 rounding that central differences blow up: values only
            if (strstr(c, "extreme"))
                check_op_values(f, c, run_ce, &k, x_in, 1, FP32_RTOL, FP32_ATOL);
            else
                check_op_case(f, c, run_ce, &k, x_in, 1);
        }
        snprintf(c, sizeof c, "ce_all_ignored_%s", reds[r]);
        check_all_ignored(f, c);
        snprintf(c, sizeof c, "ce_all_ignored_%s_smooth", reds[r]);
        check_all_ignored(f, c);
    }
    static const char *more[] = {"ce_ignore_class", "ce_large", "ce_T"};
    for (int i = 0; i < 3; i++) {
        loss_case k = load_ce(f, more[i]);
        check_op_case(f, more[i], run_ce, &k, x_in, 1);
    }
}

static void test_pointwise_cases(fx *f) {
    static const char *reds[] = {"mean", "sum", "none"};
    char c[64];
    for (int r = 0; r < 3; r++) {
        loss_case k = {.f = f, .c = c, .red = (ax_reduction)r};
        snprintf(c, sizeof c, "mse_%s", reds[r]);
        check_op_case(f, c, run_mse, &k, mse_in, 2);
        snprintf(c, sizeof c, "bce_%s", reds[r]);
        check_op_case(f, c, run_bce, &k, bce_in, 2);
        // logits ±100: losses of ~100, whose rounding swamps central differences (see above)
        snprintf(c, sizeof c, "bce_%s_extreme", reds[r]);
        check_op_values(f, c, run_bce, &k, bce_in, 2, FP32_RTOL, FP32_ATOL);
    }
    loss_case k = {.f = f, .c = "mse_T", .red = AX_REDUCE_MEAN};
    check_op_case(f, k.c, run_mse, &k, mse_in, 2);
    k = (loss_case){.f = f, .c = "bce_4d", .red = AX_REDUCE_NONE};
    check_op_case(f, k.c, run_bce, &k, bce_in, 2);
}

static double logsumexp(const float *x, int64_t n) {
    double m = -INFINITY, s = 0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, x[i]);
    for (int64_t i = 0; i < n; i++) s += exp(x[i] - m);
    return m + log(s);
}

// targets read through a stride (a column of a matrix) give the same loss as packed ones; the defaults are
// PyTorch's (ignore −100, no smoothing, mean over the rows not ignored)
static void test_strided_targets(void) {
    ax_tensor *x = ax_randn(AX_SHAPE(3, 4), 0.0f, 1.0f);
    ax_tensor *pairs = ax_from_i32(AX_SHAPE(3, 2), (const int32_t[]){2, 9, -100, 9, 0, 9});
    ax_tensor *strided = ax_squeeze(ax_narrow(pairs, 1, 0, 1), 1);
    ax_tensor *packed = ax_from_i32(AX_SHAPE(3), (const int32_t[]){2, -100, 0});
    float a = ax_item(ax_cross_entropy(x, strided, AX_CE_DEFAULTS)),
          b = ax_item(ax_cross_entropy(x, packed, AX_CE_DEFAULTS));
    const float *px = ax_f32(x);
    double expected = (logsumexp(px, 4) - px[2] + logsumexp(px + 8, 4) - px[8]) / 2;
    CHECK(a == b, "strided targets: %.9g, packed %.9g", (double)a, (double)b);
    CHECK_NEAR(a, expected, 1e-5 * fabs(expected));
    ax_arena_reset();
}

/* ---- above the threading threshold, against double-precision loops ---- */

// cross-entropy of (N, C) logits, every 7th target ignored, smoothing 0.1, mean; loss and gradient
static void check_large_ce(int64_t N, int64_t C) {
    ax_tensor *x = ax_randn(AX_SHAPE(N, C), 0.0f, 3.0f), *t = ax_empty_dtype(AX_I32, AX_SHAPE(N));
    ax_tensor *dx_ref = ax_zeros(AX_SHAPE(N, C));
    ax_requires_grad(x, true);
    const double eps = 0.1;
    int64_t count = 0;
    double loss = 0;
    for (int64_t i = 0; i < N; i++) {
        int32_t ti = ax_i32(t)[i] = i % 7 == 3 ? -100 : (int32_t)(ax_rng_u32(ax_rng_global()) % C);
        if (ti == -100) continue;
        const float *xi = ax_f32(x) + i * C;
        double lse = logsumexp(xi, C);
        count++;
        for (int64_t c = 0; c < C; c++) loss += ((c == ti) * (1 - eps) + eps / C) * (lse - xi[c]);
    }
    for (int64_t i = 0; i < N; i++) {
        int32_t ti = ax_i32(t)[i];
        if (ti == -100) continue;
        const float *xi = ax_f32(x) + i * C;
        double lse = logsumexp(xi, C);
        for (int64_t c = 0; c < C; c++)
            ax_f32(dx_ref)[i * C + c] = (float)((exp(xi[c] - lse) - (c == ti) * (1 - eps) - eps / C) / count);
    }
    ax_ce_opts opts = AX_CE_DEFAULTS;
    opts.label_smoothing = (float)eps;
    ax_tensor *out = ax_cross_entropy(x, t, opts);
    CHECK_NEAR(ax_item(out), loss / count, 1e-5 * loss / count);
    ax_backward(out);
    CHECK_CLOSE(x->grad, dx_ref, FP32_RTOL, FP32_ATOL);
    ax_arena_reset();
}

// bce_with_logits of n elements, summed; loss and both gradients
static void check_large_bce(int64_t n) {
    ax_tensor *x = ax_randn(AX_SHAPE(n), 0.0f, 10.0f), *t = ax_rand(AX_SHAPE(n), 0.0f, 1.0f);
    ax_tensor *dx_ref = ax_empty(AX_SHAPE(n)), *dt_ref = ax_empty(AX_SHAPE(n));
    ax_requires_grad(x, true);
    ax_requires_grad(t, true);
    double loss = 0;
    for (int64_t i = 0; i < n; i++) {
        double xi = ax_f32(x)[i], ti = ax_f32(t)[i];
        loss += fmax(xi, 0) - xi * ti + log1p(exp(-fabs(xi)));
        ax_f32(dx_ref)[i] = (float)(1 / (1 + exp(-xi)) - ti);
        ax_f32(dt_ref)[i] = (float)-xi;
    }
    ax_tensor *out = ax_bce_with_logits(x, t, AX_REDUCE_SUM);
    CHECK_NEAR(ax_item(out), loss, 1e-6 * loss);
    ax_backward(out);
    CHECK_CLOSE(x->grad, dx_ref, FP32_RTOL, FP32_ATOL);
    CHECK_CLOSE(t->grad, dt_ref, FP32_RTOL, FP32_ATOL);
    ax_arena_reset();
}

static void test_large(void) {
    int threads = ax_threads();
    ax_set_threads(4);
    check_large_ce(2000, 30);
    check_large_bce(50000);
    ax_set_threads(threads);
}

/* ---- programmer errors ---- */

static void ce_target_past_end(void *ctx) {
    ax_cross_entropy(ax_zeros(AX_SHAPE(2, 5)), ax_from_i32(AX_SHAPE(2), (const int32_t[]){1, 5}), AX_CE_DEFAULTS);
}
static void ce_target_negative(void *ctx) {
    ax_cross_entropy(ax_zeros(AX_SHAPE(2, 5)), ax_from_i32(AX_SHAPE(2), (const int32_t[]){-1, 0}), AX_CE_DEFAULTS);
}
static void ce_bad_shapes(void *ctx) {
    ax_cross_entropy(ax_zeros(AX_SHAPE(3, 5)), ax_from_i32(AX_SHAPE(2), (const int32_t[]){0, 0}), AX_CE_DEFAULTS);
}
static void ce_bad_smoothing(void *ctx) {
    ax_ce_opts opts = AX_CE_DEFAULTS;
    opts.label_smoothing = 1.5f;
    ax_cross_entropy(ax_zeros(AX_SHAPE(1, 5)), ax_from_i32(AX_SHAPE(1), (const int32_t[]){0}), opts);
}
static void mse_bad_shapes(void *ctx) { ax_mse_loss(ax_zeros(AX_SHAPE(2, 3)), ax_zeros(AX_SHAPE(3)), AX_REDUCE_MEAN); }
static void mse_bad_reduction(void *ctx) { ax_mse_loss(ax_zeros(AX_SHAPE(2)), ax_zeros(AX_SHAPE(2)), (ax_reduction)7); }
static void bce_bad_shapes(void *ctx) {
    ax_bce_with_logits(ax_zeros(AX_SHAPE(4)), ax_zeros(AX_SHAPE(4, 1)), AX_REDUCE_SUM);
}

static void test_aborts(void) {
    CHECK_ABORTS(ce_target_past_end, NULL, "cross_entropy", "target 5", "[0, 5)");
    CHECK_ABORTS(ce_target_negative, NULL, "cross_entropy", "target -1", "[0, 5)");
    CHECK_ABORTS(ce_bad_shapes, NULL, "cross_entropy", "(3, 5)", "(2)");
    CHECK_ABORTS(ce_bad_smoothing, NULL, "cross_entropy", "smoothing 1.5");
    CHECK_ABORTS(mse_bad_shapes, NULL, "mse_loss", "(2, 3)", "(3)");
    CHECK_ABORTS(bce_bad_shapes, NULL, "bce_with_logits", "(4)", "(4, 1)");
    CHECK_ABORTS(mse_bad_reduction, NULL, "mse_loss", "unknown reduction 7");
}

int main(void) {
    fx *f = fx_open("loss");
    test_ce_cases(f);
    test_pointwise_cases(f);
    fx_close(f);
    test_strided_targets();
    test_large();
    test_aborts();
    return check_report();
}
