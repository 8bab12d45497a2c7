/* concat, stack, split: forward and backward against PyTorch fixtures (negative dims, transposed inputs,
 * pieces partly used), finite differences, inputs without gradients, and shape errors. */
#include "abort_check.h"
#include "check.h"
#include "op_check.h"

#define MAX_CASES 6 // fixture cases per op

#define MAX_PIECES 4

static const char *const x_names[OP_CHECK_MAX_IN] = {"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7"};

typedef struct {
    fx *f;                      // the fixture
    const char *c;              // case name
    int n;                      // inputs x0 .. x{n-1}
    int dim;                    // the op's dim
    int n_pieces;               // split: number of pieces
    int64_t sizes[MAX_PIECES];  // split: (n_pieces) piece sizes along dim
    ax_tensor *use;             // split: I32 (k) pieces concatenated into the output
    bool mul;                   // split: the output is piece0·piece1 instead
} combine_case;

// The inputs as the op sees them (transposed when the case says so).
static ax_tensor **views(const combine_case *k, ax_tensor **in) {
    ax_tensor **v = ax_arena_alloc((size_t)k->n * sizeof *v);
    for (int i = 0; i < k->n; i++) v[i] = fx_view(k->f, k->c, x_names[i], in[i]);
    return v;
}

static ax_tensor *run_concat(ax_tensor **in, void *ctx) {
    combine_case *k = ctx;
    return ax_concat(views(k, in), k->n, k->dim);
}

static ax_tensor *run_stack(ax_tensor **in, void *ctx) {
    combine_case *k = ctx;
    return ax_stack(views(k, in), k->n, k->dim);
}

static void split_pieces(const combine_case *k, ax_tensor **in, ax_tensor **pieces) {
    ax_split(views(k, in)[0], k->dim, k->sizes, k->n_pieces, pieces);
}

static ax_tensor *run_split(ax_tensor **in, void *ctx) {
    combine_case *k = ctx;
    ax_tensor *p[MAX_PIECES], *used[MAX_PIECES];
    split_pieces(k, in, p);
    if (k->mul) return ax_mul(p[0], p[1]);
    int n_used = (int)ax_numel(k->use);
    for (int i = 0; i < n_used; i++) used[i] = p[ax_i32(k->use)[i]];
    return ax_concat(used, n_used, k->dim);
}

static combine_case load_case(fx *f, const char *c) {
    combine_case k = {.f = f, .c = c, .n = (int)fx_num(f, c, "n"), .dim = (int)fx_num(f, c, "dim")};
    if (fx_has(f, c, "sizes")) {
        ax_tensor *sizes = fx_get(f, c, "sizes");
        k.n_pieces = (int)ax_numel(sizes);
        for (int i = 0; i < k.n_pieces; i++) k.sizes[i] = ax_i32(sizes)[i];
        k.use = fx_get(f, c, "use");
        k.mul = fx_num(f, c, "mul") != 0;
    }
    return k;
}

// Each piece of a split matches PyTorch's.
static void check_pieces(fx *f, const char *c) {
    combine_case k = load_case(f, c);
    ax_tensor *x = fx_get(f, c, "x0"), *p[MAX_PIECES];
    split_pieces(&k, &x, p);
    for (int i = 0; i < k.n_pieces; i++) {
        char name[16];
        snprintf(name, sizeof name, "piece%d", i);
        ax_tensor *expected = fx_get(f, c, name);
        CHECK(ax_same_shape(p[i], expected), "%s %s: shape %s, expected %s", c, name, ax_shape_str(p[i]), ax_shape_str(expected));
        CHECK_CLOSE(p[i], expected, 0, 0);
    }
    ax_arena_reset();
}

static void test_fixture_cases(fx *f) {
    static const struct {
        const char *cases[MAX_CASES]; // fixture cases (NULL-terminated)
        ax_grad_fn fn;        // runs the op
    } ops[] = {
        {{"cat_0", "cat_neg", "cat_T", "cat_4d"}, run_concat},
        {{"stack_0", "stack_neg", "stack_mid_T"}, run_stack},
        {{"split_0", "split_neg_T", "split_partial", "split_one", "split_mul"}, run_split},
    };
    for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) {
        for (int i = 0; i < MAX_CASES && ops[o].cases[i]; i++) {
            const char *c = ops[o].cases[i];
            combine_case k = load_case(f, c);
            check_op_case(f, c, ops[o].fn, &k, x_names, k.n);
            if (ops[o].fn == run_split) check_pieces(f, c);
        }
    }
}

// Inputs that need no gradient are skipped; an input passed twice receives the sum of both slabs.
static void test_mixed_grad(void) {
    ax_tensor *a = ax_randn(AX_SHAPE(2, 3), 0.0f, 1.0f), *b = ax_randn(AX_SHAPE(2, 2), 0.0f, 1.0f);
    ax_requires_grad(a, true);
    ax_tensor *y = ax_concat((ax_tensor *[]){b, a, a}, 3, 1), *r = ax_randn(AX_SHAPE(2, 8), 0.0f, 1.0f);
    ax_backward_from(y, r);
    CHECK(b->grad == NULL, "an input without requires_grad got a gradient");
    CHECK_CLOSE(a->grad, ax_add(ax_narrow(r, 1, 2, 3), ax_narrow(r, 1, 5, 3)), 0, 0);
    ax_arena_reset();
}

static void concat_mismatch(void *ctx) { ax_concat((ax_tensor *[]){ax_zeros(AX_SHAPE(2, 3)), ax_zeros(AX_SHAPE(3, 3))}, 2, 1); }
static void stack_mismatch(void *ctx) { ax_stack((ax_tensor *[]){ax_zeros(AX_SHAPE(2, 3)), ax_zeros(AX_SHAPE(2, 4))}, 2, 0); }
static void split_bad_sizes(void *ctx) {
    ax_tensor *out[2];
    ax_split(ax_zeros(AX_SHAPE(2, 5)), -1, (const int64_t[]){2, 2}, 2, out);
}

static void test_aborts(void) {
    CHECK_ABORTS(concat_mismatch, NULL, "concat", "(3, 3)", "(2, 3)");
    CHECK_ABORTS(stack_mismatch, NULL, "stack", "(2, 4)", "(2, 3)");
    CHECK_ABORTS(split_bad_sizes, NULL, "split", "4", "(2, 5)");
}

int main(void) {
    fx *f = fx_open("combine");
    test_fixture_cases(f);
    fx_close(f);
    test_mixed_grad();
    test_aborts();
    return check_report();
}
