/* axon/base.h — versions, dtypes, errors and threads: what every layer needs. */
#ifndef AXON_BASE_H
#define AXON_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AX_MAX_DIMS 4 // a tensor has at most this many dimensions

/* ---- dtypes ---------------------------------------------------------------------------------- */

typedef enum {
    AX_F32 = 0, // float32: every op today
    AX_F16,     // IEEE half: storage only (safetensors)
    AX_BF16,    // bfloat16: storage only until the CUDA / quantised backends
    AX_I32,     // int32: indices and class targets
    AX_I64,     // int64: storage only (safetensors)
    AX_I8,      // int8: reserved for quantised inference
    AX_BOOL,    // one byte per element, 0 or 1: masks
    AX_DTYPE_COUNT
} ax_dtype;

size_t ax_dtype_size(ax_dtype dtype);      // bytes per element
const char *ax_dtype_name(ax_dtype dtype); // "f32", "bf16", ...

/* ---- errors ----------------------------------------------------------------------------------
 * Programmer errors (shape mismatch, wrong dtype) abort via AX_ASSERT with file:line and a message.
 * User-data errors (missing file, corrupt checkpoint) make the function return AX_ERR after
 * recording a one-line message that ax_last_error() returns. */

#define AX_OK 0
#define AX_ERR (-1)

int ax_error(const char *fmt, ...) __attribute__((format(printf, 1, 2))); // records the message, returns AX_ERR
const char *ax_last_error(void); // the last recorded message ("" if none)
_Noreturn void ax_fatal(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define AX_ASSERT(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond)) ax_fatal(__FILE__, __LINE__, __VA_ARGS__);                                    \
    } while (0)

/* ---- library-wide settings -------------------------------------------------------------------- */

const char *ax_version(void); // "0.1.0"
void ax_set_threads(int n);   // OpenMP threads for kernels; n <= 0 means all cores (also env AX_THREADS)
int ax_threads(void);         // current thread count

#endif
