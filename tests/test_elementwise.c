/* Elementwise ops: forward and backward against PyTorch fixtures, plus finite differences. */
#include "check.h"
#include "fixture.h"

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

int main(void) {
    fx *f = fx_open("elementwise");
    test_binary(f);
    fx_close(f);
    return check_report();
}
