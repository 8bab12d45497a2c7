/* axon/tensor.h — n-dimensional arrays, the step arena, and the random number generator.
 *
 * Where tensors live:
 *   - step tensors (everything an op returns, ax_empty/ax_zeros/..., gradients of step tensors and the
 *     autograd tape) live in the step arena. ax_arena_reset() frees them all at once; after a warm-up
 *     step the arena owns one block big enough for a whole step, so training does no malloc per step.
 *   - persistent tensors (parameters, optimizer state, data the caller keeps) are made with
 *     ax_tensor_new() and freed with ax_tensor_free(); their gradients are persistent too. */
#ifndef AXON_TENSOR_H
#define AXON_TENSOR_H

#include "base.h"

typedef struct ax_node ax_node; // an autograd tape entry (src/autograd/tape.h)

typedef struct ax_tensor ax_tensor;
struct ax_tensor {
    void *data;                   // the element at index (0,..,0); views point into their base's storage
    ax_dtype dtype;               // element type
    int ndim;                     // number of dimensions, 0 (scalar) .. AX_MAX_DIMS
    int64_t shape[AX_MAX_DIMS];   // size of each dimension, outermost first; unused dims are 1
    int64_t stride[AX_MAX_DIMS];  // distance in elements between neighbours along each dimension
    bool requires_grad;           // backward computes a gradient for this tensor
    bool persistent;              // malloc-owned (survives ax_arena_reset); else lives in the arena
    bool owns_data;               // ax_tensor_free releases data (false for views)
    ax_tensor *grad;              // same shape, contiguous; NULL until backward reaches this tensor
    ax_node *node;                // the op that produced this tensor; NULL for leaves
    const char *name;             // optional, for messages
};

/* Shape literal: ax_zeros(AX_SHAPE(B, T, C)) passes ndim and a compound-literal shape array. */
#define AX_SHAPE(...)                                                                              \
    (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (const int64_t[]) { __VA_ARGS__ }

/* ---- creation in the step arena (float32 unless _dtype) ---------------------------------------- */
ax_tensor *ax_empty(int ndim, const int64_t *shape);                 // uninitialised
ax_tensor *ax_empty_dtype(ax_dtype dtype, int ndim, const int64_t *shape); // uninitialised, any dtype
ax_tensor *ax_zeros(int ndim, const int64_t *shape);                 // all 0
ax_tensor *ax_ones(int ndim, const int64_t *shape);                  // all 1
ax_tensor *ax_full(int ndim, const int64_t *shape, float value);     // all `value`
ax_tensor *ax_scalar(float value);                                   // 0-dim tensor
ax_tensor *ax_from_f32(int ndim, const int64_t *shape, const float *src);   // copy of src
ax_tensor *ax_from_i32(int ndim, const int64_t *shape, const int32_t *src); // int32 copy of src
ax_tensor *ax_rand(int ndim, const int64_t *shape, float lo, float hi);     // U[lo, hi) from the global RNG
ax_tensor *ax_randn(int ndim, const int64_t *shape, float mean, float std); // N(mean, std²) from the global RNG
ax_tensor *ax_empty_like(const ax_tensor *t);                        // same shape and dtype, contiguous
ax_tensor *ax_zeros_like(const ax_tensor *t);                        // same shape and dtype, zeroed

/* ---- persistent tensors ------------------------------------------------------------------------- */
ax_tensor *ax_tensor_new(ax_dtype dtype, int ndim, const int64_t *shape); // zeroed, malloc-owned
ax_tensor *ax_tensor_keep(const ax_tensor *t); // persistent contiguous copy of any tensor (no grad)
void ax_tensor_free(ax_tensor *t);             // frees a persistent tensor, its data and its gradient

/* ---- inspection ---------------------------------------------------------------------------------- */
int64_t ax_numel(const ax_tensor *t);           // product of the shape
bool ax_is_contiguous(const ax_tensor *t);      // row-major with no gaps
bool ax_same_shape(const ax_tensor *a, const ax_tensor *b);
float *ax_f32(const ax_tensor *t);              // data as float*, asserts dtype F32
int32_t *ax_i32(const ax_tensor *t);            // data as int32_t*, asserts dtype I32
float ax_item(const ax_tensor *t);              // the value of a one-element F32 tensor
float ax_get(const ax_tensor *t, const int64_t *index); // one element by index (any strides)
int ax_norm_dim(const ax_tensor *t, int dim);   // -1 → ndim-1 ...; aborts when out of range
const char *ax_shape_str(const ax_tensor *t);   // "(2, 3, 4)"; a rotating static buffer, for messages
void ax_copy_to_f32(const ax_tensor *t, float *dst); // gathers any-strided F32 tensor into dst (numel floats)

/* ---- the step arena ------------------------------------------------------------------------------ */
void *ax_arena_alloc(size_t bytes);  // 64-byte aligned scratch memory valid until ax_arena_reset()
void ax_arena_reset(void);           // frees every step tensor and clears the autograd tape
typedef struct {
    size_t used;        // bytes handed out since the last reset
    size_t capacity;    // bytes owned by the arena
    size_t peak;        // most bytes used in any step so far
    uint64_t n_mallocs; // blocks obtained from malloc since start
} ax_arena_stats;
ax_arena_stats ax_arena_get_stats(void);
void ax_arena_release(void);         // returns all arena memory to the system (end of program)

/* ---- random numbers --------------------------------------------------------------------------------
 * PCG-XSH-RR 32-bit generator (O'Neill 2014): 64-bit state, 64-bit odd increment. Same seed ⇒ same
 * stream on every machine and thread count. Normals by Box–Muller in double precision. The state is two
 * integers, saved in checkpoints for bit-exact resume. Numbers differ from PyTorch's generator. */
typedef struct {
    uint64_t state; // current state
    uint64_t inc;   // stream selector, always odd
} ax_rng;

void ax_rng_seed(ax_rng *rng, uint64_t seed);  // deterministic initialisation
uint32_t ax_rng_u32(ax_rng *rng);              // uniform 32-bit integer
float ax_rng_uniform(ax_rng *rng);             // uniform in [0, 1) with 24 random bits
double ax_rng_normal(ax_rng *rng);             // standard normal
ax_rng *ax_rng_global(void);                   // the generator ax_rand/ax_randn/dropout/init use
void ax_manual_seed(uint64_t seed);            // seeds the global generator

#endif
