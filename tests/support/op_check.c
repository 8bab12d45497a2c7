/* The standard op check against a fixture case (see tests/op_check.h). */
#include "op_check.h"

#include "check.h"

ax_tensor *fx_view(fx *f, const char *test_case, const char *name, ax_tensor *x) {
    char t0[64], t1[64];
    snprintf(t0, sizeof t0, "%s_t0", name);
    snprintf(t1, sizeof t1, "%s_t1", name);
    if (!fx_has(f, test_case, t0)) return x;
    return ax_transpose(x, (int)fx_num(f, test_case, t0), (int)fx_num(f, test_case, t1));
}

void check_op_case(fx *f, const char *test_case, ax_grad_fn fn, void *ctx, const char *const *names, int n_in) {
    AX_ASSERT(n_in <= OP_CHECK_MAX_IN, "check_op_case: %d inputs", n_in);
    char what[128];
    ax_tensor *in[OP_CHECK_MAX_IN];
    for (int i = 0; i < n_in; i++) in[i] = fx_param(f, test_case, names[i]);
    ax_tensor *out = fn(in, ctx), *expected = fx_get(f, test_case, "out");
    check_true(ax_same_shape(out, expected), __FILE__, __LINE__, "%s: shape %s, expected %s", test_case,
               ax_shape_str(out), ax_shape_str(expected));
    snprintf(what, sizeof what, "%s: out", test_case);
    check_close(out, expected, FP32_RTOL, FP32_ATOL, __FILE__, __LINE__, what);
    ax_backward_from(out, fx_get(f, test_case, "r"));
    for (int i = 0; i < n_in; i++) {
        snprintf(what, sizeof what, "grad_%s", names[i]);
        ax_tensor *grad = fx_get(f, test_case, what);
        snprintf(what, sizeof what, "%s: grad_%s", test_case, names[i]);
        if (check_true(in[i]->grad != NULL, __FILE__, __LINE__, "%s missing", what))
            check_close(in[i]->grad, grad, FP32_RTOL, FP32_ATOL, __FILE__, __LINE__, what);
        in[i] = fx_param(f, test_case, names[i]);
    }
    int bad = ax_gradcheck(fn, ctx, in, n_in, GC_EPS, GC_RTOL, GC_ATOL);
    check_true(bad == 0, __FILE__, __LINE__, "%s: gradcheck, %d elements off", test_case, bad);
    ax_arena_reset();
}
