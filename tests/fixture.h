/* tests/fixture.h — reading the PyTorch reference values that tools/make_fixtures.py writes.
 * A fixture file tests/fixtures/<module>.json maps case names to named tensors:
 *   {"case": {"x": {"shape": [2, 3], "dtype": "f32", "data": [...]}, "eps": 1e-5, ...}} */
#ifndef AX_TESTS_FIXTURE_H
#define AX_TESTS_FIXTURE_H

#include "axon.h"

typedef struct fx fx;
fx *fx_open(const char *module);                                // exits the test program if missing or corrupt
ax_tensor *fx_get(fx *f, const char *test_case, const char *name); // a fresh step tensor (f32, i32 or bool); exits if absent
ax_tensor *fx_param(fx *f, const char *test_case, const char *name); // same, as a leaf that requires grad
double fx_num(fx *f, const char *test_case, const char *name);   // a plain number in the case
bool fx_has(fx *f, const char *test_case, const char *name);
void fx_close(fx *f);

#endif
