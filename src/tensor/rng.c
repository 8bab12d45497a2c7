/* PCG-XSH-RR random numbers (M. O'Neill, "PCG: A Family of Simple Fast Space-Efficient Statistically
 * Good Algorithms for Random Number Generation", 2014). */
#include "axon/tensor.h"

#include <math.h>

#define PCG_MULT 6364136223846793005ULL

uint32_t ax_rng_u32(ax_rng *rng) {
    uint64_t old = rng->state;
    rng->state = old * PCG_MULT + rng->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

void ax_rng_seed(ax_rng *rng, uint64_t seed) {
    rng->state = 0;
    rng->inc = (seed << 1u) | 1u;
    ax_rng_u32(rng);
    rng->state += 0x853c49e6748fea9bULL ^ seed;
    ax_rng_u32(rng);
}

float ax_rng_uniform(ax_rng *rng) { return (float)(ax_rng_u32(rng) >> 8) * (1.0f / 16777216.0f); }

double ax_rng_normal(ax_rng *rng) {
    // Box–Muller; u1 in (0, 1] so the log is finite
    double u1 = ((double)ax_rng_u32(rng) + 1.0) / 4294967296.0;
    double u2 = (double)ax_rng_u32(rng) / 4294967296.0;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static ax_rng global_rng = {0x853c49e6748fea9bULL, 0xda3e39cb94b95bdbULL};

ax_rng *ax_rng_global(void) { return &global_rng; }

void ax_manual_seed(uint64_t seed) { ax_rng_seed(&global_rng, seed); }
