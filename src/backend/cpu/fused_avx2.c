/* The fused kernels (fused_kernels.h) compiled for AVX2 + FMA: 8 floats per vector. */
#include "backend/cpu/fused.h"

#if defined(__x86_64__) || defined(__i386__)
#include <math.h>
#include <stdint.h>
#include <string.h>

static bool supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#define FUSED_ISA ax_fused_avx2
#define FUSED_NAME "avx2"
#ifdef __clang__
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#include "backend/cpu/fused_kernels.h"
#pragma clang attribute pop
#else
#pragma GCC target("avx2,fma")
#include "backend/cpu/fused_kernels.h"
#endif
#else // not x86: never selected
static bool supported(void) { return false; }
const ax_fused_isa ax_fused_avx2 = {.name = "avx2", .supported = supported};
#endif
