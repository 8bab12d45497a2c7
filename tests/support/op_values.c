/* Forward and backward against a fixture case, no finite differences (see tests/op_values.h). */
#include "op_values.h"

#include "check.h"

#define MAX_IN 8 // differentiable inputs per case

void check_op_values(fx *f, const char *test_case, ax_grad_fn fn, void *ctx, const char *const *names, int n_in,
                     double rtol, double atol) {
    AX_ASSERT(n_in <= MAX_IN, "check_op_values: %d inputs", n_in);
    char what[128], key[64];
    ax_tensor *in[MAX_IN];
    for (int i = 0; i < n_in; i++) in[i] = fx_param(f, test_case, names[i]);
    ax_tensor *out = fn(in, ctx), *expected = fx_get(f, test_case, "out");
    check_true(ax_same_shape(out, expected), __FILE__, __LINE__, "%s: shape %s, expected %s", test_case,
               ax_shape_str(out), ax_shape_str(expected));
    snprintf(what, sizeof what, "%s: out", test_case);
    check_close(out, expected, rtol, atol, __FILE__, __LINE__, what);
    ax_backward_from(out, fx_get(f, test_case, "r"));
    for (int i = 0; i < n_in; i++) {
        snprintf(key, sizeof key, "grad_%s", names[i]);
        snprintf(what, sizeof what, "%s: %s", test_case, key);
        if (check_true(in[i]->grad != NULL, __FILE__, __LINE__, "%s missing", what))
            check_close(in[i]->grad, fx_get(f, test_case, key), rtol, atol, __FILE__, __LINE__, what);
    }
    ax_arena_reset();
}
