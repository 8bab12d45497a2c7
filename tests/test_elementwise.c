/* Elementwise ops: forward and backward against PyTorch fixtures, plus finite differences.
 * Binary ops broadcast; unary and scalar ops are also run on transposed (non-contiguous) inputs. */
#include "check.h"
#include "fixture.h"
#include "op_check.h"

#include <math.h>

typedef ax_tensor *(*binary_fn)(ax_tensor *, ax_tensor *);

static ax_tensor *call_binary(ax_tensor **in, void *ctx) { return ((binary_fn)ctx)(in[0], in[1]); }

static void test_binary(fx *f) {
    static const struct {
        const char *name; // op name in the fixture
        binary_fn fn;     // the op
    } ops[] = {{"add", ax_add}, {"sub", ax_sub}, {"mul", ax_mul}, {"div", ax_div}};
    static const char *shapes[] = {"same", "row", "col", "scalar", "4d"};
    for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) {
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
            char c[64];
            snprintf(c, sizeof c, "%s_%s", ops[o].name, shapes[s]);
            ax_tensor *a = fx_param(f, c, "a"), *b = fx_param(f, c, "b");
            ax_tensor *out = ops[o].fn(a, b);
            CHECK_CLOSE(out, fx_get(f, c, "out"), FP32_RTOL, FP32_ATOL);
            ax_backward_from(out, fx_get(f, c, "r"));
            CHECK_CLOSE(a->grad, fx_get(f, c, "grad_a"), FP32_RTOL, FP32_ATOL);
            CHECK_CLOSE(b->grad, fx_get(f, c, "grad_b"), FP32_RTOL, FP32_ATOL);
            ax_tensor *in[2] = {fx_param(f, c, "a"), fx_param(f, c, "b")};
            CHECK(ax_gradcheck(call_binary, (void *)ops[o].fn, in, 2, GC_EPS, GC_RTOL, GC_ATOL) == 0, "gradcheck %s", c);
            ax_arena_reset();
        }
    }
}

/* ---- unary and scalar ops ---- */

static ax_tensor *gelu_erf(ax_tensor *x) { return ax_gelu(x, AX_GELU_ERF); }
static ax_tensor *gelu_tanh(ax_tensor *x) { return ax_gelu(x, AX_GELU_TANH); }

#define MAX_VARIANTS 7

typedef struct {
    const char *name;                         // op name: the fixture's cases are <name>_<variant>
    ax_tensor *(*fn)(ax_tensor *);            // the op, when it takes no scalar
    ax_tensor *(*fn_a)(ax_tensor *, float);   // the op, when it takes the case's scalar `a`
    const char *variants[MAX_VARIANTS];       // the fixture's cases for this op (NULL-terminated)
} unary_op;

#define STD_VARIANTS "2d", "T"
static const unary_op unary_ops[] = {
    {"add_scalar", NULL, ax_add_scalar, {STD_VARIANTS}},
    {"mul_scalar", NULL, ax_mul_scalar, {STD_VARIANTS}},
    {"rsub_scalar", NULL, ax_rsub_scalar, {STD_VARIANTS}},
    {"rdiv_scalar", NULL, ax_rdiv_scalar, {STD_VARIANTS}},
    {"pow_scalar", NULL, ax_pow_scalar, {"2", "half", "neg", "one", "zero", "T"}},
    {"neg", ax_neg, NULL, {STD_VARIANTS}},
    {"exp", ax_exp, NULL, {STD_VARIANTS, "0d"}},
    {"log", ax_log, NULL, {STD_VARIANTS}},
    {"sqrt", ax_sqrt, NULL, {STD_VARIANTS}},
    {"relu", ax_relu, NULL, {STD_VARIANTS, "4d"}},
    {"leaky_relu", NULL, ax_leaky_relu, {STD_VARIANTS, "big"}},
    {"gelu", gelu_erf, NULL, {STD_VARIANTS, "wide"}},
    {"gelu_tanh", gelu_tanh, NULL, {STD_VARIANTS, "wide"}},
    {"sigmoid", ax_sigmoid, NULL, {STD_VARIANTS, "wide"}},
    {"tanh", ax_tanh, NULL, {STD_VARIANTS, "wide"}},
};

typedef struct {
    fx *f;              // the fixture
    const char *c;      // case name
    const unary_op *op; // the op under test
    float a;            // the op's scalar argument
} unary_case;

static ax_tensor *run_unary(ax_tensor **in, void *ctx) {
    const unary_case *k = ctx;
    ax_tensor *x = fx_view(k->f, k->c, "x", in[0]);
    return k->op->fn ? k->op->fn(x) : k->op->fn_a(x, k->a);
}

static void test_unary(fx *f) {
    static const char *const names[] = {"x"};
    for (size_t o = 0; o < sizeof unary_ops / sizeof *unary_ops; o++) {
        for (const char *const *v = unary_ops[o].variants; *v; v++) {
            char c[64];
            snprintf(c, sizeof c, "%s_%s", unary_ops[o].name, *v);
            unary_case k = {f, c, &unary_ops[o], (float)fx_num(f, c, "a")};
            check_op_case(f, c, run_unary, &k, names, 1);
        }
    }
}

// Non-finite inputs propagate as PyTorch's do; saturated tails give exact 0/1 and no NaN.
static void test_unary_special_values(void) {
    float v[] = {NAN, INFINITY, -INFINITY, -200.0f, 200.0f, 0.0f};
    ax_tensor *x = ax_from_f32(AX_SHAPE(6), v);
    const float *relu = ax_f32(ax_relu(x)), *sig = ax_f32(ax_sigmoid(x)), *th = ax_f32(ax_tanh(x));
    const float *g = ax_f32(ax_gelu(x, AX_GELU_ERF)), *gt = ax_f32(ax_gelu(x, AX_GELU_TANH));
    CHECK(isnan(relu[0]) && relu[1] == INFINITY && relu[2] == 0.0f && relu[5] == 0.0f, "relu special values");
    CHECK(isnan(sig[0]) && sig[1] == 1.0f && sig[2] == 0.0f && sig[3] == 0.0f && sig[4] == 1.0f && sig[5] == 0.5f,
          "sigmoid special values");
    CHECK(isnan(th[0]) && th[1] == 1.0f && th[2] == -1.0f && th[3] == -1.0f && th[4] == 1.0f, "tanh special values");
    CHECK(g[3] == 0.0f && g[4] == 200.0f && gt[3] == 0.0f && gt[4] == 200.0f, "gelu tails: %g %g %g %g", g[3], g[4],
          gt[3], gt[4]);
    ax_arena_reset();
}

// At the kink x = 0 the gradients follow PyTorch: relu'(0) = 0, leaky_relu'(0) = slope.
static void test_kinks(void) {
    ax_tensor *x = ax_from_f32(AX_SHAPE(3), (const float[]){-1.0f, 0.0f, 2.0f});
    ax_requires_grad(x, true);
    ax_tensor *ones = ax_ones(AX_SHAPE(3));
    ax_backward_from(ax_relu(x), ones);
    const float *g = ax_f32(x->grad);
    CHECK(g[0] == 0.0f && g[1] == 0.0f && g[2] == 1.0f, "relu grad at the kink: %g %g %g", g[0], g[1], g[2]);
    ax_zero_grad(x);
    ax_backward_from(ax_leaky_relu(x, 0.25f), ones);
    CHECK(g[0] == 0.25f && g[1] == 0.25f && g[2] == 1.0f, "leaky_relu grad at the kink: %g %g %g", g[0], g[1], g[2]);
    ax_arena_reset();
}

// Large inputs take the parallel path; every element must still match a sequential reference.
static void test_unary_large(void) {
    ax_manual_seed(7);
    int64_t rows = 300, cols = 257; // 77100 elements: several threads and a ragged last chunk
    ax_tensor *x = ax_randn(AX_SHAPE(rows, cols), 0.0f, 2.0f);
    ax_requires_grad(x, true);
    ax_tensor *xt = ax_transpose(x, 0, 1), *y = ax_tanh(xt);
    ax_tensor *r = ax_randn(AX_SHAPE(cols, rows), 0.0f, 1.0f);
    ax_backward_from(y, r);
    int bad_y = 0, bad_g = 0;
    for (int64_t i = 0; i < cols; i++) {
        for (int64_t j = 0; j < rows; j++) {
            double yv = tanh((double)ax_f32(x)[j * cols + i]), gv = ax_f32(r)[i * rows + j] * (1.0 - yv * yv);
            bad_y += fabs(ax_f32(y)[i * rows + j] - yv) > FP32_RTOL * fabs(yv) + FP32_ATOL;
            bad_g += fabs(ax_f32(x->grad)[j * cols + i] - gv) > FP32_RTOL * fabs(gv) + FP32_ATOL;
        }
    }
    CHECK(bad_y == 0 && bad_g == 0, "large tanh: %d values and %d gradients off", bad_y, bad_g);
    ax_arena_reset();
}

int main(void) {
    fx *f = fx_open("elementwise");
    test_binary(f);
    test_unary(f);
    test_unary_special_values();
    test_kinks();
    test_unary_large();
    fx_close(f);
    return check_report();
}
