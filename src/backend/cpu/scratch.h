/* Per-thread scratch memory of the CPU kernels (internal to src/backend/cpu/): a buffer per thread and
 * purpose, grown on demand (never shrunk), kept between calls, and freed when its thread ends, so that
 * changing the OpenMP thread count (libgomp ends the threads a smaller team no longer needs and starts new
 * ones later) neither leaks nor shares memory. */
#ifndef AX_BACKEND_CPU_SCRATCH_H
#define AX_BACKEND_CPU_SCRATCH_H

#include <stddef.h>

typedef enum {
    AX_SCRATCH_GEMM, // the GEMM's packed blocks (or a gathered row of A)
    AX_SCRATCH_GEMV, // the matrix × vector partial rows
    AX_SCRATCH_SLOTS // the number of purposes
} ax_scratch_slot;

/* This thread's buffer for `slot`, at least `floats` long, 64-byte aligned; its contents survive only until
 * the next call for the same slot that grows it. Aborts when out of memory. */
float *ax_thread_scratch(ax_scratch_slot slot, size_t floats);

#endif
