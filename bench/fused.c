/* Fused kernels (softmax, cross-entropy, layernorm, GELU, AdamW) timed through axon's ops on GPT-2-small
 * shapes; tools/bench_fused_torch.py times their PyTorch equivalents on the same shapes (see its docstring
 * for the list) and bench/fused.sh joins the two.
 *
 * Usage: fused [threads ...]   (default: 2). One line per kernel, shape and thread count:
 *   axon <kernel> <shape> <threads> <ms>
 * "<kernel>_bwd" is forward + backward from a fixed random gradient (cross-entropy: from the loss), with the
 * inputs' gradients zeroed before each run (a fresh gradient, as in a training step). Each figure is the
 * best of several timed runs after a warm-up (the box is shared and noisy). */
#include "axon.h"
#include "autograd/tape.h"
#include "backend/cpu/fused.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define V 50257 // GPT-2 vocabulary
#define C 768   // GPT-2-small width

typedef enum { SOFTMAX, CE, LAYERNORM, GELU_TANH, GELU_ERF } op;

typedef struct {
    op op;              // what runs
    const char *kernel; // its name in the output
    int ndim;           // dims of the input
    int64_t shape[3];   // the input's shape
} bench_case;

static const bench_case cases[] = {
    {SOFTMAX, "softmax", 2, {C, V}},       {SOFTMAX, "softmax", 3, {12, 64, 128}}, {CE, "ce", 2, {C, V}},
    {LAYERNORM, "layernorm", 2, {C, C}},   {LAYERNORM, "layernorm", 2, {12 * 64 * 4, C}},
    {GELU_TANH, "gelu_tanh", 2, {C, 4 * C}}, {GELU_ERF, "gelu_erf", 2, {C, 4 * C}},
};

typedef struct {
    ax_tensor *x;      // the input (persistent, requires grad)
    ax_tensor *w, *b;  // layernorm's weight and bias (C), else NULL
    ax_tensor *target; // cross-entropy's targets (rows), else NULL
    ax_tensor *r;      // the output's gradient (shape of x), NULL for cross-entropy
} inputs;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

// persistent, U[−1, 1)
static ax_tensor *random_tensor(int ndim, const int64_t *shape, bool grad) {
    ax_tensor *x = ax_tensor_new(AX_F32, ndim, shape);
    float *p = ax_f32(x);
    for (int64_t i = 0; i < ax_numel(x); i++) p[i] = 2.0f * ax_rng_uniform(ax_rng_global()) - 1.0f;
    ax_requires_grad(x, grad);
    return x;
}

static inputs make_inputs(const bench_case *c) {
    inputs in = {random_tensor(c->ndim, c->shape, true), NULL, NULL, NULL, NULL};
    if (c->op == LAYERNORM) {
        in.w = random_tensor(AX_SHAPE(C), true);
        in.b = random_tensor(AX_SHAPE(C), true);
    }
    if (c->op == CE) {
        in.target = ax_tensor_new(AX_I32, AX_SHAPE(c->shape[0]));
        for (int64_t i = 0; i < c->shape[0]; i++) ax_i32(in.target)[i] = (int32_t)(ax_rng_u32(ax_rng_global()) % V);
    } else {
        in.r = random_tensor(c->ndim, c->shape, false);
    }
    return in;
}

static void free_inputs(inputs *in) {
    ax_tensor *all[] = {in->x, in->w, in->b, in->target, in->r};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) ax_tensor_free(all[i]);
}

static ax_tensor *forward(op o, const inputs *in) {
    switch (o) {
    case SOFTMAX: return ax_softmax(in->x, -1);
    case CE: return ax_cross_entropy(in->x, in->target, AX_CE_DEFAULTS);
    case LAYERNORM: return ax_layernorm(in->x, in->w, in->b, 1e-5f);
    case GELU_TANH: return ax_gelu(in->x, AX_GELU_TANH);
    default: return ax_gelu(in->x, AX_GELU_ERF);
    }
}

typedef struct {
    op op;            // the kernel
    const inputs *in; // its inputs
    bool backward;    // forward + backward, else forward under no_grad
} run_args;

static void run_op(const void *arg) {
    const run_args *a = arg;
    bool was = ax_set_grad_enabled(a->backward);
    if (a->backward) {
        ax_zero_grad(a->in->x);
        if (a->in->w) ax_zero_grad(a->in->w), ax_zero_grad(a->in->b);
    }
    ax_tensor *y = forward(a->op, a->in);
    if (a->backward) a->in->r ? ax_backward_from(y, a->in->r) : ax_backward(y);
    ax_set_grad_enabled(was);
    ax_arena_reset();
}

static void run_adamw(const void *arg) { ax_optim_step((ax_optim *)arg); }

// Best milliseconds over runs totalling at least ~1 s (at least 3 runs) after one warm-up.
static double measure(void (*fn)(const void *), const void *arg) {
    double best = 1e30, spent = 0;
    fn(arg);
    for (int run = 0; run < 3 || (spent < 1.0 && run < 500); run++) {
        double t = now();
        fn(arg);
        t = now() - t;
        spent += t;
        if (t < best) best = t;
    }
    return best * 1e3;
}

static void print_shape(char *buf, size_t cap, const bench_case *c) {
    int at = snprintf(buf, cap, "%lld", (long long)c->shape[0]);
    for (int d = 1; d < c->ndim; d++) at += snprintf(buf + at, cap - (size_t)at, "x%lld", (long long)c->shape[d]);
}

static void bench_ops(const int *threads, int n_threads) {
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const bench_case *c = &cases[i];
        inputs in = make_inputs(c);
        char shape[64];
        print_shape(shape, sizeof shape, c);
        for (int backward = 0; backward <= 1; backward++) {
            run_args a = {c->op, &in, backward};
            for (int t = 0; t < n_threads; t++) {
                ax_set_threads(threads[t]);
                printf("axon %s%s %s %d %.3f\n", c->kernel, backward ? "_bwd" : "", shape, threads[t],
                       measure(run_op, &a));
                fflush(stdout);
            }
        }
        free_inputs(&in);
    }
}

// one AdamW step over the twelve parameters of a GPT-2-small block, random values and gradients
static void bench_adamw(const int *threads, int n_threads) {
    static const int64_t shapes[12][2] = {{C, 0},     {C, 0},     {C, 3 * C}, {3 * C, 0}, {C, C}, {C, 0},
                                          {C, 0},     {C, 0},     {C, 4 * C}, {4 * C, 0}, {4 * C, C}, {C, 0}};
    ax_params *p = ax_params_new();
    for (int i = 0; i < 12; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        int ndim = shapes[i][1] ? 2 : 1;
        ax_tensor *t = ax_params_add(p, name, ndim, shapes[i]);
        float *v = ax_f32(t), *g = ax_grad_buf(t);
        for (int64_t k = 0; k < ax_numel(t); k++) {
            v[k] = 2.0f * ax_rng_uniform(ax_rng_global()) - 1.0f;
            g[k] = 2.0f * ax_rng_uniform(ax_rng_global()) - 1.0f;
        }
    }
    ax_optim_config cfg = ax_optim_defaults(AX_OPTIM_ADAMW);
    cfg.lr = 6e-4f;
    cfg.weight_decay = 0.1f;
    ax_optim *o = ax_optim_new(p, cfg);
    for (int t = 0; t < n_threads; t++) {
        ax_set_threads(threads[t]);
        printf("axon adamw %lld %d %.3f\n", (long long)ax_params_count(p), threads[t], measure(run_adamw, o));
        fflush(stdout);
    }
    ax_optim_free(o);
    ax_params_free(p);
}

int main(int argc, char **argv) {
    int threads[8] = {2}, n_threads = 1;
    if (argc > 1) {
        n_threads = 0;
        for (int i = 1; i < argc && n_threads < 8; i++) threads[n_threads++] = atoi(argv[i]);
    }
    ax_manual_seed(1);
    const char *wait = getenv("OMP_WAIT_POLICY");
    printf("# axon fused kernels %s, OMP_WAIT_POLICY=%s\n", ax_fused_isa_name(), wait ? wait : "(default)");
    bench_ops(threads, n_threads);
    bench_adamw(threads, n_threads);
    return 0;
}
