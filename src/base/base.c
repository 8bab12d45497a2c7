/* Versions, dtypes, error messages and the thread setting. */
#include "axon/base.h"

#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#ifndef AX_VERSION_STRING
#define AX_VERSION_STRING "0.0.0"
#endif

const char *ax_version(void) { return AX_VERSION_STRING; }

/* ---- dtypes ---- */

static const struct {
    const char *name; // short name used in messages
    size_t size;      // bytes per element
} dtype_info[AX_DTYPE_COUNT] = {
    [AX_F32] = {"f32", 4}, [AX_F16] = {"f16", 2}, [AX_BF16] = {"bf16", 2}, [AX_I32] = {"i32", 4},
    [AX_I64] = {"i64", 8}, [AX_I8] = {"i8", 1},   [AX_BOOL] = {"bool", 1},
};

size_t ax_dtype_size(ax_dtype dtype) {
    AX_ASSERT(dtype >= 0 && dtype < AX_DTYPE_COUNT, "bad dtype %d", (int)dtype);
    return dtype_info[dtype].size;
}

const char *ax_dtype_name(ax_dtype dtype) {
    return (dtype >= 0 && dtype < AX_DTYPE_COUNT) ? dtype_info[dtype].name : "?";
}

/* ---- errors ---- */

static _Thread_local char last_error[512];

// Formats into a scratch buffer first: callers may pass ax_last_error() itself as an argument (to add context).
int ax_error(const char *fmt, ...) {
    char message[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    memcpy(last_error, message, sizeof message);
    return AX_ERR;
}

const char *ax_last_error(void) { return last_error; }

_Noreturn void ax_fatal(const char *file, int line, const char *fmt, ...) {
    fprintf(stderr, "axon: %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

/* ---- threads ---- */

void ax_set_threads(int n) {
    if (n <= 0) {
        const char *env = getenv("AX_THREADS");
        n = env ? atoi(env) : 0;
        if (n <= 0) n = omp_get_num_procs();
    }
    omp_set_num_threads(n);
}

int ax_threads(void) { return omp_get_max_threads(); }
