/* Unary elementwise ops: scalar arithmetic, exp/log/sqrt/pow, and the activations.
 *
 * Each op is one UNARY_OP line: its forward y = f(x) and its derivative f'(x), written with x, y and
 * the op's scalar argument a. The macro expands them into two tight loops over contiguous chunks; one
 * driver (unary) packs a non-contiguous input, runs the chunks in parallel and records the backward
 * dx += dy·f'(x). */
#include "autograd/tape.h"
#include "axon/ops.h"
#include "backend/cpu/fused.h"

#include <math.h>
#include <string.h>

#define CHUNK 4096      // elements per task handed to a thread
#define PAR_MIN 32768   // elements below which the loops stay single-threaded

typedef void (*unary_fwd)(const float *x, float *y, int64_t n, float a);
typedef void (*unary_bwd)(const float *x, const float *y, const float *g, float *dx, int64_t n, float a, bool set);

typedef struct {
    const char *name; // op name on the tape
    unary_fwd fwd;    // y[i] = f(x[i])
    unary_bwd bwd;    // dx[i] += g[i]·f'(x[i]) given x and y = f(x), or dx[i] = … when set
} unary_op;

typedef struct {
    const unary_op *op; // the op that recorded the node
    const float *x;     // (numel) the input packed row-major: x itself when contiguous
} unary_saved;

#define UNARY_OP(NAME, FWD, GRAD)                                                                  \
    static void NAME##_fwd(const float *restrict xs, float *restrict ys, int64_t n, float a) {     \
        _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                                          \
            float x = xs[i];                                                                       \
            ys[i] = (FWD);                                                                         \
        }                                                                                          \
    }                                                                                              \
    static void NAME##_bwd(const float *restrict xs, const float *restrict ys,                    \
                           const float *restrict gs, float *restrict dx, int64_t n, float a, bool set) { \
        if (set) {                                                                                 \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                  \
                float x = xs[i], y = ys[i];                                                        \
                (void)x, (void)y;                                                                  \
                dx[i] = gs[i] * (GRAD);                                                            \
            }                                                                                      \
        } else {                                                                                   \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                  \
                float x = xs[i], y = ys[i];                                                        \
                (void)x, (void)y;                                                                  \
                dx[i] += gs[i] * (GRAD);                                                           \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    static const unary_op NAME##_op = {#NAME, NAME##_fwd, NAME##_bwd};

/* tanh through one expf, ~4× faster than libm's tanhf and within 3e-7 relative of the exact value:
 * tanh |x| = (1 − e)/(1 + e) with e = e^(−2|x|); below |x| = 0.1, where 1 − e would cancel, its Taylor
 * series x − x³/3 + 2x⁵/15 − 17x⁷/315 (next term < 1e-9 relative). */
static inline float tanh_f(float x) {
    float ax = fabsf(x);
    if (ax < 0.1f) {
        float x2 = x * x;
        return x * (1.0f + x2 * (-1.0f / 3.0f + x2 * (2.0f / 15.0f + x2 * (-17.0f / 315.0f))));
    }
    float e = expf(-2.0f * ax);
    return copysignf((1.0f - e) / (1.0f + e), x);
}

/* ---- GELU: x·Φ(x) exactly (erf), or PyTorch's tanh approximation (a = 1), on the fused SIMD kernels ---- */

static void gelu_fwd(const float *x, float *y, int64_t n, float a) { ax_fused()->gelu(x, y, n, a != 0.0f); }
static void gelu_bwd(const float *x, const float *y, const float *g, float *dx, int64_t n, float a, bool set) {
    if (set) memset(dx, 0, (size_t)n * sizeof *dx);
    ax_fused()->gelu_grad(x, g, dx, n, a != 0.0f);
}
static const unary_op gelu_op = {"gelu", gelu_fwd, gelu_bwd}, gelu_tanh_op = {"gelu_tanh", gelu_fwd, gelu_bwd};

/*        name        forward y = f(x)                derivative f'(x)                              */
UNARY_OP(add_scalar,  x + a,                          1.0f)
UNARY_OP(mul_scalar,  x * a,                          a)
UNARY_OP(rsub_scalar, a - x,                          -1.0f)
UNARY_OP(rdiv_scalar, a / x,                          -y / x)                 // −a/x²
UNARY_OP(pow_scalar,  powf(x, a),                     a == 0.0f ? 0.0f : a * powf(x, a - 1.0f))
UNARY_OP(neg,         -x,                             -1.0f)
UNARY_OP(exp,         expf(x),                        y)
UNARY_OP(log,         logf(x),                        1.0f / x)
UNARY_OP(sqrt,        sqrtf(x),                       0.5f / y)
UNARY_OP(relu,        x < 0.0f ? 0.0f : x,            x > 0.0f ? 1.0f : 0.0f) // NaN stays NaN
UNARY_OP(leaky_relu,  x > 0.0f ? x : a * x,           x > 0.0f ? 1.0f : a)
UNARY_OP(sigmoid,     1.0f / (1.0f + expf(-x)),       y * (1.0f - y))
UNARY_OP(tanh,        tanh_f(x),                      1.0f - y * y)

/* ---- the driver ---- */

static inline int64_t chunk_len(int64_t c, int64_t n) { return n - c * CHUNK < CHUNK ? n - c * CHUNK : CHUNK; }

static void unary_backward(ax_node *n) {
    bool fresh;
    float *dx = ax_grad_buf_fresh(n->in[0], &fresh);
    if (!dx) return;
    const unary_saved *s = n->saved;
    const float *y = n->out->data, *g = n->out->grad->data;
    int64_t len = ax_numel(n->out), n_chunks = (len + CHUNK - 1) / CHUNK;
    float a = n->farg[0];
#pragma omp parallel for if (len > PAR_MIN)
    for (int64_t c = 0; c < n_chunks; c++) {
        int64_t o = c * CHUNK;
        s->op->bwd(s->x + o, y + o, g + o, dx + o, chunk_len(c, len), a, fresh);
    }
}

// y = f(x) elementwise, contiguous, for x of any strides; a is the op's scalar argument
static ax_tensor *unary(const unary_op *op, ax_tensor *x, float a) {
    const float *xs = ax_f32(x);
    int64_t len = ax_numel(x), n_chunks = (len + CHUNK - 1) / CHUNK;
    if (!ax_is_contiguous(x)) {
        float *packed = ax_arena_alloc((size_t)len * sizeof *packed);
        ax_copy_to_f32(x, packed);
        xs = packed;
    }
    ax_tensor *y = ax_empty(x->ndim, x->shape);
    float *ys = y->data;
#pragma omp parallel for if (len > PAR_MIN)
    for (int64_t c = 0; c < n_chunks; c++) op->fwd(xs + c * CHUNK, ys + c * CHUNK, chunk_len(c, len), a);
    ax_node *n = AX_RECORD(op->name, unary_backward, y, x);
    if (n) {
        unary_saved *s = ax_arena_alloc(sizeof *s);
        *s = (unary_saved){op, xs};
        n->saved = s;
        n->farg[0] = a;
    }
    return y;
}

ax_tensor *ax_add_scalar(ax_tensor *a, float s) { return unary(&add_scalar_op, a, s); }
ax_tensor *ax_mul_scalar(ax_tensor *a, float s) { return unary(&mul_scalar_op, a, s); }
ax_tensor *ax_rsub_scalar(ax_tensor *a, float s) { return unary(&rsub_scalar_op, a, s); }
ax_tensor *ax_rdiv_scalar(ax_tensor *a, float s) { return unary(&rdiv_scalar_op, a, s); }
ax_tensor *ax_pow_scalar(ax_tensor *a, float p) { return unary(&pow_scalar_op, a, p); }
ax_tensor *ax_neg(ax_tensor *a) { return unary(&neg_op, a, 0.0f); }
ax_tensor *ax_exp(ax_tensor *a) { return unary(&exp_op, a, 0.0f); }
ax_tensor *ax_log(ax_tensor *a) { return unary(&log_op, a, 0.0f); }
ax_tensor *ax_sqrt(ax_tensor *a) { return unary(&sqrt_op, a, 0.0f); }
ax_tensor *ax_relu(ax_tensor *a) { return unary(&relu_op, a, 0.0f); }
ax_tensor *ax_leaky_relu(ax_tensor *a, float slope) { return unary(&leaky_relu_op, a, slope); }
ax_tensor *ax_sigmoid(ax_tensor *a) { return unary(&sigmoid_op, a, 0.0f); }
ax_tensor *ax_tanh(ax_tensor *a) { return unary(&tanh_op, a, 0.0f); }

ax_tensor *ax_gelu(ax_tensor *a, ax_gelu_approx approx) {
    AX_ASSERT(approx == AX_GELU_ERF || approx == AX_GELU_TANH, "unknown gelu approximation %d", (int)approx);
    return unary(approx == AX_GELU_TANH ? &gelu_tanh_op : &gelu_op, a, approx == AX_GELU_TANH ? 1.0f : 0.0f);
}
