/* tests/abort_check.h — checking that a programmer error aborts (AX_ASSERT) with a useful message.
 * The code runs in a forked child; the check passes if the child dies of SIGABRT and its stderr
 * contains every one of the given substrings. */
#ifndef AX_TESTS_ABORT_CHECK_H
#define AX_TESTS_ABORT_CHECK_H

#include "check.h"

#define CHECK_ABORTS(fn, ctx, ...)                                                                 \
    check_aborts((fn), (ctx), (const char *[]){__VA_ARGS__, NULL}, __FILE__, __LINE__, #fn)

bool check_aborts(void (*fn)(void *ctx), void *ctx, const char *const *needles, const char *file, int line,
                  const char *what); // needles: NULL-terminated substrings expected in the child's stderr

#endif
