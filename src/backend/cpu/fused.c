/* The choice among the builds of the fused kernels (see fused.h). */
#include "backend/cpu/fused.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const ax_fused_isa *const all[] = {&ax_fused_avx512, &ax_fused_avx2, &ax_fused_generic}; // best first
static const ax_fused_isa *_Atomic current; // NULL until the first call

// the named build if this CPU runs it (NULL name: the best one), else NULL
static const ax_fused_isa *find(const char *name) {
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (all[i]->supported() && (!name || strcmp(name, all[i]->name) == 0)) return all[i];
    return NULL;
}

// AX_ISA if this CPU runs it, else the best (the GEMM warns about an unusable AX_ISA)
static const ax_fused_isa *automatic(void) {
    const char *env = getenv("AX_ISA");
    const ax_fused_isa *isa = env ? find(env) : NULL;
    return isa ? isa : find(NULL);
}

const ax_fused_isa *ax_fused(void) {
    const ax_fused_isa *isa = atomic_load(&current);
    if (!isa) {
        isa = automatic();
        atomic_store(&current, isa);
    }
    return isa;
}

bool ax_fused_force_isa(const char *name) {
    const ax_fused_isa *isa = name ? find(name) : automatic();
    if (isa) atomic_store(&current, isa);
    return isa != NULL;
}

const char *ax_fused_isa_name(void) { return ax_fused()->name; }
