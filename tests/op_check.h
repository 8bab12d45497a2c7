/* tests/op_check.h — the standard check of a differentiable op against one fixture case: forward shape
 * and values and backward (seeded with the case's `r`) against PyTorch, then finite differences. */
#ifndef AX_TESTS_OP_CHECK_H
#define AX_TESTS_OP_CHECK_H

#include "fixture.h"

#define OP_CHECK_MAX_IN 8 // differentiable inputs per case

/* x, or x transposed on dims (<name>_t0, <name>_t1) when the case has them: a non-contiguous view of a
 * stored tensor whose gradient the fixture gives for the stored layout. */
ax_tensor *fx_view(fx *f, const char *test_case, const char *name, ax_tensor *x);

/* Loads the inputs `names` as leaves, runs fn(inputs, ctx), compares it with "out", backward from "r"
 * with each "grad_<name>", then ax_gradcheck(fn) on fresh inputs. Resets the arena. */
void check_op_case(fx *f, const char *test_case, ax_grad_fn fn, void *ctx, const char *const *names, int n_in);

#endif
