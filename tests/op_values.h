/* tests/op_values.h — forward and backward of an op against one fixture case, without finite differences:
 * for cases where a central difference is meaningless (at a tie of max, a kink) or drowned in float32
 * rounding (losses of ~100, whose ulp over 2ε exceeds the gradcheck tolerance). The values still have to
 * match PyTorch, to FP32_RTOL / FP32_ATOL unless the caller documents why not. */
#ifndef AX_TESTS_OP_VALUES_H
#define AX_TESTS_OP_VALUES_H

#include "fixture.h"

/* Loads the inputs `names` as leaves, runs fn(inputs, ctx), compares it with "out" and, after backward
 * from "r", each input's gradient with "grad_<name>", all to |a − e| ≤ atol + rtol·|e|. Resets the arena. */
void check_op_values(fx *f, const char *test_case, ax_grad_fn fn, void *ctx, const char *const *names, int n_in,
                     double rtol, double atol);

#endif
