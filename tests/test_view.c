/* Views: each view op alone and in chains against PyTorch fixtures (values, gradients routed back to the
 * base, finite differences), storage sharing and strides, copies of non-contiguous views, non-f32 views,
 * persistent bases, no-grad mode and shape errors. */
#include "abort_check.h"
#include "autograd/tape.h"
#include "check.h"
#include "op_check.h"

enum { OP_RESHAPE, OP_PERMUTE, OP_TRANSPOSE, OP_NARROW, OP_UNSQUEEZE, OP_SQUEEZE, OP_CONTIGUOUS };
#define STEP_WIDTH 6 // a program row: opcode, then up to 5 arguments (tools/fixtures/view.py)

// x with one program step applied: a = the step's arguments
static ax_tensor *apply_step(ax_tensor *x, const int32_t *step) {
    const int32_t *a = step + 1;
    switch (step[0]) {
    case OP_RESHAPE: {
        int64_t shape[AX_MAX_DIMS];
        for (int d = 0; d < a[0]; d++) shape[d] = a[1 + d];
        return ax_reshape(x, a[0], shape);
    }
    case OP_PERMUTE: return ax_permute(x, (const int[]){a[0], a[1], a[2], a[3]});
    case OP_TRANSPOSE: return ax_transpose(x, a[0], a[1]);
    case OP_NARROW: return ax_narrow(x, a[0], a[1], a[2]);
    case OP_UNSQUEEZE: return ax_unsqueeze(x, a[0]);
    case OP_SQUEEZE: return ax_squeeze(x, a[0]);
    case OP_CONTIGUOUS: return ax_contiguous(x);
    }
    ax_fatal(__FILE__, __LINE__, "unknown view opcode %d", step[0]);
}

// The case's program (i32 (steps, STEP_WIDTH)) applied to in[0].
static ax_tensor *run_program(ax_tensor **in, void *ctx) {
    const ax_tensor *program = ctx;
    ax_tensor *y = in[0];
    for (int64_t s = 0; s < program->shape[0]; s++) y = apply_step(y, ax_i32(program) + s * STEP_WIDTH);
    return y;
}

static void test_programs(fx *f) {
    static const char *const cases[] = {
        "reshape", "reshape_infer", "reshape_flat", "reshape_4d", "reshape_0d", "reshape_of_T",
        "permute_3d", "permute_4d", "transpose", "transpose_neg", "transpose_same",
        "narrow_0", "narrow_last", "narrow_mid",
        "unsqueeze_0", "unsqueeze_mid", "unsqueeze_neg", "squeeze", "squeeze_neg", "squeeze_0d",
        "contiguous_T", "chain_T_narrow_reshape", "chain_long", "chain_narrow_narrow"};
    static const char *const names[] = {"x"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ax_tensor *program = ax_tensor_keep(fx_get(f, cases[i], "program")); // survives the case's arena reset
        check_op_case(f, cases[i], run_program, program, names, 1);
        ax_tensor_free(program);
    }
}

static ax_tensor *run_twice(ax_tensor **in, void *ctx) {
    return ax_mul(ax_transpose(in[0], 0, 1), ax_narrow(in[0], 0, 0, 4));
}

// one base read through two views: both gradients reach it
static void test_twice(fx *f) { check_op_case(f, "twice", run_twice, NULL, (const char *const[]){"x"}, 1); }

/* ---- storage, strides and copies ---- */

static bool shares(const ax_tensor *view, const ax_tensor *base, int64_t offset) {
    return (const float *)view->data == ax_f32(base) + offset;
}

static void test_storage(void) {
    ax_tensor *x = ax_zeros(AX_SHAPE(2, 3, 4));
    ax_tensor *t = ax_transpose(x, 0, 2);
    CHECK(shares(t, x, 0) && t->shape[0] == 4 && t->shape[2] == 2 && t->stride[0] == 1 && t->stride[1] == 4 &&
              t->stride[2] == 12 && !ax_is_contiguous(t),
          "transpose: shape %s strides %lld %lld %lld", ax_shape_str(t), (long long)t->stride[0],
          (long long)t->stride[1], (long long)t->stride[2]);
    ax_tensor *p = ax_permute(x, (const int[]){1, 2, 0});
    CHECK(shares(p, x, 0) && p->stride[0] == 4 && p->stride[1] == 1 && p->stride[2] == 12, "permute strides");
    ax_tensor *nw = ax_narrow(x, 1, 1, 2);
    CHECK(shares(nw, x, 4) && nw->shape[1] == 2 && nw->stride[0] == 12 && !ax_is_contiguous(nw), "narrow offset");
    CHECK(ax_is_contiguous(ax_narrow(x, 0, 1, 1)), "a narrow of the outer dim stays contiguous");
    ax_tensor *u = ax_unsqueeze(x, 1), *s = ax_squeeze(u, 1);
    CHECK(shares(u, x, 0) && u->ndim == 4 && ax_is_contiguous(u) && shares(s, x, 0) && ax_same_shape(s, x),
          "unsqueeze/squeeze share storage");
    ax_tensor *r = ax_reshape(x, AX_SHAPE(6, -1));
    CHECK(shares(r, x, 0) && r->shape[1] == 4, "reshape of a contiguous tensor is a view");
    CHECK(ax_contiguous(x) == x, "contiguous of a contiguous tensor is the tensor itself");
    ax_tensor *rt = ax_reshape(t, AX_SHAPE(-1));
    CHECK(!shares(rt, x, 0) && ax_is_contiguous(rt), "reshape of a transposed view copies");
    ax_f32(x)[5] = 7.0f; // x[0][1][1]: the views see it, the copy does not
    CHECK(ax_get(t, (const int64_t[]){1, 1, 0}) == 7.0f && ax_get(nw, (const int64_t[]){0, 0, 1}) == 7.0f &&
              ax_f32(rt)[1 * 6 + 1 * 2] == 0.0f,
          "writes through the base");
    ax_arena_reset();
}

// Views and copies of non-f32 tensors (index tensors get reshaped and transposed too).
static void test_i32(void) {
    int32_t v[6] = {0, 1, 2, 3, 4, 5};
    ax_tensor *x = ax_from_i32(AX_SHAPE(2, 3), v);
    ax_tensor *t = ax_reshape(ax_transpose(x, 0, 1), AX_SHAPE(6));
    const int32_t expected[6] = {0, 3, 1, 4, 2, 5};
    bool ok = t->dtype == AX_I32;
    for (int i = 0; ok && i < 6; i++) ok = ax_i32(t)[i] == expected[i];
    CHECK(ok, "reshape of a transposed i32 tensor");
    CHECK(ax_i32(ax_narrow(x, 1, 2, 1))[0] == 2, "narrow of an i32 tensor");
    ax_arena_reset();
}

// A view of a persistent parameter routes its gradient into the parameter's persistent gradient.
static void test_persistent_base(void) {
    ax_tensor *w = ax_tensor_new(AX_F32, AX_SHAPE(2, 3));
    for (int i = 0; i < 6; i++) ax_f32(w)[i] = (float)i;
    ax_requires_grad(w, true);
    for (int step = 0; step < 2; step++) {
        ax_tensor *y = ax_narrow(ax_transpose(w, 0, 1), 0, 1, 2); // w[:, 1:3]ᵀ
        ax_backward_from(ax_mul(y, y), ax_ones(y->ndim, y->shape)); // d Σy² = 2y
        ax_arena_reset();
    }
    const float expected[6] = {0, 4, 8, 0, 16, 20}; // two steps of 2·w on the narrowed columns
    bool ok = w->grad && w->grad->persistent;
    for (int i = 0; ok && i < 6; i++) ok = ax_f32(w->grad)[i] == expected[i];
    CHECK(ok, "view of a persistent tensor: gradient accumulates in the persistent grad");
    ax_tensor_free(w);
}

static void test_no_grad(void) {
    ax_tensor *x = ax_ones(AX_SHAPE(3, 4));
    ax_requires_grad(x, true);
    bool prev = ax_set_grad_enabled(false);
    ax_tensor *y = ax_reshape(ax_narrow(ax_transpose(x, 0, 1), 0, 1, 2), AX_SHAPE(-1));
    ax_set_grad_enabled(prev);
    CHECK(!y->requires_grad && ax_tape_len() == 0, "no-grad views record nothing");
    ax_tensor *z = ax_transpose(x, 0, 1);
    CHECK(z->requires_grad && z->node, "views of a grad tensor require grad");
    ax_arena_reset();
}

/* ---- programmer errors abort with the shapes ---- */

static void reshape_two_infer(void *ctx) { ax_reshape(ax_zeros(AX_SHAPE(2, 3)), AX_SHAPE(-1, -1)); }
static void reshape_bad_numel(void *ctx) { ax_reshape(ax_zeros(AX_SHAPE(2, 3)), AX_SHAPE(4, 2)); }
static void reshape_negative(void *ctx) { ax_reshape(ax_zeros(AX_SHAPE(2, 3)), AX_SHAPE(-2, -3)); }
static void reshape_ambiguous(void *ctx) { ax_reshape(ax_zeros(AX_SHAPE(2, 0)), AX_SHAPE(0, -1)); }
static void narrow_out_of_range(void *ctx) { ax_narrow(ax_zeros(AX_SHAPE(2, 3)), 1, 2, 2); }
static void squeeze_not_one(void *ctx) { ax_squeeze(ax_zeros(AX_SHAPE(2, 3)), 0); }
static void permute_repeat(void *ctx) { ax_permute(ax_zeros(AX_SHAPE(2, 3)), (const int[]){0, 0}); }
static void transpose_bad_dim(void *ctx) { ax_transpose(ax_zeros(AX_SHAPE(2, 3)), 0, 2); }

static void test_errors(void) {
    CHECK_ABORTS(reshape_two_infer, NULL, "more than one -1", "(2, 3)");
    CHECK_ABORTS(reshape_bad_numel, NULL, "(2, 3)", "8 elements");
    CHECK_ABORTS(reshape_negative, NULL, "invalid size -2", "(2, 3)");
    CHECK_ABORTS(reshape_ambiguous, NULL, "ambiguous", "(2, 0)");
    CHECK_ABORTS(narrow_out_of_range, NULL, "[2, 4)", "(2, 3)");
    CHECK_ABORTS(squeeze_not_one, NULL, "size 2", "(2, 3)");
    CHECK_ABORTS(permute_repeat, NULL, "permutation", "(2, 3)");
    CHECK_ABORTS(transpose_bad_dim, NULL, "dim 2", "(2, 3)");
}

int main(void) {
    fx *f = fx_open("view");
    test_programs(f);
    test_twice(f);
    fx_close(f);
    test_storage();
    test_i32();
    test_persistent_base();
    test_no_grad();
    test_errors();
    return check_report();
}
