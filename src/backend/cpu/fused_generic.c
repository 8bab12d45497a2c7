/* The fused kernels (fused_kernels.h) compiled for the build's baseline target (SSE2 on x86-64), any CPU. */
#include "backend/cpu/fused.h"

static bool supported(void) { return true; }

#define FUSED_ISA ax_fused_generic
#define FUSED_NAME "generic"
#include "backend/cpu/fused_kernels.h"
