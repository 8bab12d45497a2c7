/* tests/check.h — the tiny test harness every tests/test_<module>.c uses.
 * Each CHECK counts a pass or prints file:line and counts a failure; check_report() prints
 * "N passed, N failed" last and returns the exit code. */
#ifndef AX_TESTS_CHECK_H
#define AX_TESTS_CHECK_H

#include "axon.h"

#include <stdio.h>

#define CHECK(cond, ...) check_true((cond), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_CLOSE(actual, expected, rtol, atol)                                                  \
    check_close((actual), (expected), (rtol), (atol), __FILE__, __LINE__, #actual)
#define CHECK_NEAR(actual, expected, tol)                                                          \
    check_near((double)(actual), (double)(expected), (tol), __FILE__, __LINE__, #actual)

/* Default tolerances for float32 ops against PyTorch: 1e-5 relative, plus 1e-6 absolute for values
 * that are ~0 (where a relative bound is meaningless). */
#define FP32_RTOL 1e-5
#define FP32_ATOL 1e-6

/* Finite-difference gradcheck tolerances: central differences on float32 with ε = 1e-3 carry ~1e-4
 * relative noise; a wrong gradient is off by O(1). */
#define GC_EPS 1e-3
#define GC_RTOL 1e-2
#define GC_ATOL 1e-3

bool check_true(bool ok, const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
bool check_close(const ax_tensor *actual, const ax_tensor *expected, double rtol, double atol, const char *file,
                 int line, const char *what); // same numel; |a − e| ≤ atol + rtol·|e| everywhere
bool check_near(double actual, double expected, double tol, const char *file, int line, const char *what);
int check_report(void); // prints the summary; returns 0 if nothing failed

/* Runs a shell command, captures up to cap-1 bytes of its stdout+stderr into out; returns the exit code. */
int check_run(const char *cmd, char *out, size_t cap);
const char *check_axon_bin(void); // path of the axon CLI (env AXON_BIN, set by ctest)
/* Runs `axon <printf-formatted args>` capturing its output into out; returns the exit code. */
int check_axon(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *check_join(const char *dir, const char *name); // "dir/name" in one of 8 rotating static buffers
char *check_slurp(const char *path);                       // a whole file, NUL-terminated, malloc'd; NULL if unreadable

#endif
