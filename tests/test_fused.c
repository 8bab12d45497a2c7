/* The fused kernels (backend/cpu/fused.h) against the composed ops they replace, on every build of them this
 * CPU runs (avx512, avx2, generic), rows of 1, 3, 17, 255 and 4097 columns (9 rows: the widest runs on
 * threads), forward and backward from the same random gradient:
 *   softmax, log_softmax  vs  e^(x−m) / Σ e^(x−m) and (x−m) − log Σ e^(x−m) from exp, sub, sum, log, div
 *   cross_entropy         vs  −Σ_c q_c·log_softmax(x)_c, q one-hot or label-smoothed, an ignored row, each reduction
 *   layernorm             vs  (x − mean) / √(mean((x − mean)²) + ε)·w + b, with and without w, b
 *   gelu (tanh)           vs  ½x·(1 + tanh(√(2/π)(x + 0.044715x³))) and its derivative, in double
 *   gelu (erf)            vs  x·Φ(x) and Φ(x) + x·φ(x) in double with libm's erfc (axon has no erf op)
 *   Adam, AdamW           vs  the textbook update in double, five steps
 * plus finite differences of each fused op on the narrow rows, and the AX_ISA choice. */
#include "backend/cpu/fused.h"
#include "check.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 9
static const int64_t widths[] = {1, 3, 17, 255, 4097};
#define N_WIDTHS (sizeof widths / sizeof *widths)
#define GRADCHECK_MAX 17 // widths up to this one also get finite differences

/* ---- fused vs composed, forward and backward ---- */

typedef struct {
    const char *name;           // for messages
    ax_grad_fn fused, composed; // two ways to the same output from the same inputs
    void *ctx;                  // their argument
} pair;

// fresh persistent leaves holding vals (n), and fn's output on them
static ax_tensor *run_on_leaves(ax_grad_fn fn, void *ctx, ax_tensor *const *vals, int n, ax_tensor **leaves) {
    for (int i = 0; i < n; i++) {
        leaves[i] = ax_tensor_keep(vals[i]);
        ax_requires_grad(leaves[i], true);
    }
    return fn(leaves, ctx);
}

/* Tolerance. The composed ops round every intermediate and sum rows of `width` terms in float, which alone may
 * be off by width·u relative (u = FLT_EPSILON / 2: the bound of recursive summation), and the gradients of w
 * and b are sums over the rows that cancel to values far below their terms (of order 1). The fused kernels'
 * own error is smaller. So FP32_RTOL + width·u relative, 4·FP32_ATOL absolute; a wrong kernel is off by O(1). */
static double rtol_for(int64_t width) { return FP32_RTOL + (double)width * FLT_EPSILON / 2; }
#define ATOL (4 * FP32_ATOL)

/* fused vs composed on inputs vals (n): outputs and every input's gradient (backward from one random r); then,
 * for narrow rows, the fused op's finite differences (unless the output is a large sum: see test_cross_entropy) */
static void compare(const pair *p, const char *isa, int64_t width, ax_tensor *const *vals, int n, bool gradcheck) {
    ax_tensor *lf[3], *lc[3];
    ax_tensor *yf = run_on_leaves(p->fused, p->ctx, vals, n, lf);
    ax_tensor *r = ax_randn(yf->ndim, yf->shape, 0.0f, 1.0f);
    ax_backward_from(yf, r);
    ax_tensor *yc = run_on_leaves(p->composed, p->ctx, vals, n, lc);
    ax_backward_from(yc, r);
    char what[128];
    snprintf(what, sizeof what, "%s %s width %lld: output", isa, p->name, (long long)width);
    check_close(yf, yc, rtol_for(width), ATOL, __FILE__, __LINE__, what);
    for (int i = 0; i < n; i++) {
        snprintf(what, sizeof what, "%s %s width %lld: gradient of input %d", isa, p->name, (long long)width, i);
        if (CHECK(lf[i]->grad && lc[i]->grad, "%s missing", what))
            check_close(lf[i]->grad, lc[i]->grad, rtol_for(width), ATOL, __FILE__, __LINE__, what);
    }
    if (gradcheck && width <= GRADCHECK_MAX) {
        int bad = ax_gradcheck(p->fused, p->ctx, lf, n, GC_EPS, GC_RTOL, GC_ATOL);
        CHECK(bad == 0, "%s %s width %lld: %d gradients off the finite differences", isa, p->name, (long long)width,
              bad);
    }
    for (int i = 0; i < n; i++) {
        ax_tensor_free(lf[i]);
        ax_tensor_free(lc[i]);
    }
    ax_arena_reset();
}

// persistent ROWS × width values, N(0, scale²)
static ax_tensor *random_rows(int64_t width, float scale) {
    ax_tensor *x = ax_randn(AX_SHAPE(ROWS, width), 0.0f, scale), *kept = ax_tensor_keep(x);
    ax_arena_reset();
    return kept;
}

/* ---- softmax and log_softmax ---- */

static ax_tensor *softmax_fused(ax_tensor **in, void *ctx) { return ax_softmax(in[0], -1); }
static ax_tensor *log_softmax_fused(ax_tensor **in, void *ctx) { return ax_log_softmax(in[0], -1); }

static ax_tensor *shifted(ax_tensor *x) { return ax_sub(x, ax_detach(ax_max(x, -1, true, NULL))); } // x − max

static ax_tensor *softmax_composed(ax_tensor **in, void *ctx) {
    ax_tensor *e = ax_exp(shifted(in[0]));
    return ax_div(e, ax_sum(e, -1, true));
}

static ax_tensor *log_softmax_of(ax_tensor *x) {
    ax_tensor *s = shifted(x);
    return ax_sub(s, ax_log(ax_sum(ax_exp(s), -1, true)));
}
static ax_tensor *log_softmax_composed(ax_tensor **in, void *ctx) { return log_softmax_of(in[0]); }

static void test_softmax(const char *isa) {
    const pair sm = {"softmax", softmax_fused, softmax_composed, NULL};
    const pair lsm = {"log_softmax", log_softmax_fused, log_softmax_composed, NULL};
    for (size_t w = 0; w < N_WIDTHS; w++) {
        ax_tensor *x = random_rows(widths[w], 3.0f);
        ax_f32(x)[0] += 60.0f; // one large logit: the max must be subtracted
        compare(&sm, isa, widths[w], &x, 1, true);
        compare(&lsm, isa, widths[w], &x, 1, true);
        ax_tensor_free(x);
    }
}

/* ---- cross-entropy ---- */

typedef struct {
    ax_tensor *target; // (ROWS) classes, row 1 the ignore index when `ignore`
    ax_ce_opts opts;   // smoothing, ignore index, reduction
} ce_case;

static ax_tensor *ce_fused(ax_tensor **in, void *ctx) {
    const ce_case *c = ctx;
    return ax_cross_entropy(in[0], c->target, c->opts);
}

// −Σ_c q_c·log_softmax(x)_c per row with q = (1 − ε)·onehot(t) + ε/C (0 for an ignored row), then reduced
static ax_tensor *ce_composed(ax_tensor **in, void *ctx) {
    const ce_case *c = ctx;
    int64_t N = in[0]->shape[0], C = in[0]->shape[1], count = 0;
    float eps = c->opts.label_smoothing;
    ax_tensor *q = ax_zeros(AX_SHAPE(N, C));
    for (int64_t i = 0; i < N; i++) {
        int32_t t = ax_i32(c->target)[i];
        if (t == c->opts.ignore_index) continue;
        count++;
        for (int64_t k = 0; k < C; k++) ax_f32(q)[i * C + k] = eps / (float)C + (k == t ? 1.0f - eps : 0.0f);
    }
    ax_tensor *l = ax_neg(ax_sum(ax_mul(q, log_softmax_of(in[0])), -1, false));
    if (c->opts.reduction == AX_REDUCE_NONE) return l;
    ax_tensor *sum = ax_sum_all(l);
    return c->opts.reduction == AX_REDUCE_SUM ? sum : ax_mul_scalar(sum, 1.0f / (float)count);
}

static void test_cross_entropy(const char *isa) {
    static const struct {
        float smoothing;       // ε
        bool ignore;           // row 1 ignored
        ax_reduction reduction; // mean, sum or none
    } variants[] = {{0.0f, false, AX_REDUCE_MEAN}, {0.1f, true, AX_REDUCE_MEAN}, {0.2f, false, AX_REDUCE_SUM},
                    {0.0f, true, AX_REDUCE_NONE}};
    for (size_t w = 0; w < N_WIDTHS; w++)
        for (size_t v = 0; v < sizeof variants / sizeof *variants; v++) {
            ax_tensor *x = random_rows(widths[w], 3.0f);
            ce_case c = {ax_tensor_new(AX_I32, AX_SHAPE(ROWS)), AX_CE_DEFAULTS};
            c.opts.label_smoothing = variants[v].smoothing;
            c.opts.reduction = variants[v].reduction;
            for (int64_t i = 0; i < ROWS; i++) {
                int32_t t = (int32_t)(ax_rng_u32(ax_rng_global()) % widths[w]);
                ax_i32(c.target)[i] = i == 1 && variants[v].ignore ? -100 : t;
            }
            char name[64];
            snprintf(name, sizeof name, "cross_entropy (variant %zu)", v);
            const pair p = {name, ce_fused, ce_composed, &c};
            // a summed loss of order 10 has float noise ~1e-6, which ε = 1e-3 differences turn into ~1e-3
            compare(&p, isa, widths[w], &x, 1, variants[v].reduction != AX_REDUCE_SUM);
            ax_tensor_free(c.target);
            ax_tensor_free(x);
        }
}

/* ---- layernorm ---- */

#define LN_EPS 1e-5f

static ax_tensor *ln_fused(ax_tensor **in, void *ctx) {
    bool affine = *(const bool *)ctx;
    return ax_layernorm(in[0], affine ? in[1] : NULL, affine ? in[2] : NULL, LN_EPS);
}

static ax_tensor *ln_composed(ax_tensor **in, void *ctx) {
    bool affine = *(const bool *)ctx;
    ax_tensor *xc = ax_sub(in[0], ax_mean(in[0], -1, true));
    ax_tensor *var = ax_mean(ax_mul(xc, xc), -1, true);
    ax_tensor *y = ax_div(xc, ax_sqrt(ax_add_scalar(var, LN_EPS)));
    return affine ? ax_add(ax_mul(y, in[1]), in[2]) : y;
}

static void test_layernorm(const char *isa) {
    for (int affine = 0; affine <= 1; affine++) {
        const pair p = {affine ? "layernorm" : "layernorm (no w, b)", ln_fused, ln_composed, &(bool){affine}};
        for (size_t w = 0; w < N_WIDTHS; w++) {
            if (widths[w] == 1) continue; // a single column normalises to 0, its σ to 0: r = 1/√ε amplifies noise
            ax_tensor *in[3] = {random_rows(widths[w], 2.0f), ax_randn(AX_SHAPE(widths[w]), 1.0f, 0.5f),
                                ax_randn(AX_SHAPE(widths[w]), 0.0f, 1.0f)};
            in[1] = ax_tensor_keep(in[1]);
            in[2] = ax_tensor_keep(in[2]);
            ax_arena_reset();
            compare(&p, isa, widths[w], in, affine ? 3 : 1, true);
            for (int i = 0; i < 3; i++) ax_tensor_free(in[i]);
        }
    }
}

/* ---- GELU ----
 * Against the formulas in double: in float, ½x·(1 + tanh u) cancels where tanh u → −1 (x ≲ −2), which
 * the fused x·σ(2u) does not, so axon's composed ops would be the less accurate side. */

static ax_tensor *gelu_tanh_fused(ax_tensor **in, void *ctx) { return ax_gelu(in[0], AX_GELU_TANH); }
static ax_tensor *gelu_erf_fused(ax_tensor **in, void *ctx) { return ax_gelu(in[0], AX_GELU_ERF); }

// ½x·(1 + tanh u), u = √(2/π)·(x + 0.044715x³), and its derivative
static double gelu_tanh_ref(double x, double *grad) {
    const double k = sqrt(2.0 / M_PI), c = 0.044715;
    double th = tanh(k * (x + c * x * x * x));
    *grad = 0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * k * (1.0 + 3.0 * c * x * x);
    return 0.5 * x * (1.0 + th);
}

// x·Φ(x), Φ(x) = ½·erfc(−x/√2), and its derivative Φ(x) + x·φ(x)
static double gelu_erf_ref(double x, double *grad) {
    double cdf = 0.5 * erfc(-x * M_SQRT1_2);
    *grad = cdf + x * exp(-0.5 * x * x) / sqrt(2.0 * M_PI);
    return x * cdf;
}

static void check_gelu(const char *isa, bool tanh_approx, int64_t width) {
    const char *name = tanh_approx ? "gelu (tanh)" : "gelu (erf)";
    ax_grad_fn fused = tanh_approx ? gelu_tanh_fused : gelu_erf_fused;
    ax_tensor *x = random_rows(width, 4.0f), *r = ax_randn(AX_SHAPE(ROWS, width), 0.0f, 1.0f);
    ax_requires_grad(x, true);
    ax_tensor *y = fused(&x, NULL);
    ax_backward_from(y, r);
    ax_tensor *want_y = ax_empty_like(y), *want_g = ax_empty_like(y);
    for (int64_t i = 0; i < ax_numel(x); i++) {
        double grad, v = ax_f32(x)[i];
        ax_f32(want_y)[i] = (float)(tanh_approx ? gelu_tanh_ref(v, &grad) : gelu_erf_ref(v, &grad));
        ax_f32(want_g)[i] = (float)(grad * ax_f32(r)[i]);
    }
    char what[96];
    snprintf(what, sizeof what, "%s %s width %lld: output", isa, name, (long long)width);
    check_close(y, want_y, FP32_RTOL, FP32_ATOL, __FILE__, __LINE__, what);
    snprintf(what, sizeof what, "%s %s width %lld: gradient", isa, name, (long long)width);
    check_close(x->grad, want_g, FP32_RTOL, FP32_ATOL, __FILE__, __LINE__, what);
    if (width <= GRADCHECK_MAX) {
        int bad = ax_gradcheck(fused, NULL, &x, 1, GC_EPS, GC_RTOL, GC_ATOL);
        CHECK(bad == 0, "%s %s width %lld: %d gradients off the finite differences", isa, name, (long long)width, bad);
    }
    ax_tensor_free(x);
    ax_arena_reset();
}

static void test_gelu(const char *isa) {
    for (size_t w = 0; w < N_WIDTHS; w++) {
        check_gelu(isa, true, widths[w]);
        check_gelu(isa, false, widths[w]);
    }
}

/* ---- Adam and AdamW ---- */

typedef struct {
    const char *name;   // for messages
    ax_optim_kind kind; // Adam or AdamW
    bool no_decay;      // AdamW skips the decay for this parameter
} adam_case;

typedef struct {
    double *p, *m, *v; // (n) the parameter and its two moments
} adam_ref;

/* one textbook step t in double from the float gradient g:
 *   AdamW: p ← p·(1 − lr·wd) (unless no_decay);  Adam: g ← g + wd·p
 *   m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²,  p ← p − lr·m̂ / (√v̂ + ε)
 * with m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t) */
static void adam_ref_step(adam_ref *s, const float *g, int64_t n, const ax_optim_config *c, bool decay, int t) {
    double lr = c->lr, wd = c->weight_decay, b1 = c->beta1, b2 = c->beta2;
    for (int64_t i = 0; i < n; i++) {
        double gi = g[i];
        if (c->kind == AX_OPTIM_ADAM) gi += wd * s->p[i];
        if (c->kind == AX_OPTIM_ADAMW && decay) s->p[i] *= 1.0 - lr * wd;
        s->m[i] = b1 * s->m[i] + (1.0 - b1) * gi;
        s->v[i] = b2 * s->v[i] + (1.0 - b2) * gi * gi;
        double m_hat = s->m[i] / (1.0 - pow(b1, t)), v_hat = s->v[i] / (1.0 - pow(b2, t));
        s->p[i] -= lr * m_hat / (sqrt(v_hat) + c->eps);
    }
}

// x (n floats) against the double reference want
static void check_against(const char *isa, const adam_case *c, const char *what, int64_t n, const ax_tensor *x,
                          const double *want) {
    ax_tensor *w = ax_empty(AX_SHAPE(n));
    for (int64_t i = 0; i < n; i++) ax_f32(w)[i] = (float)want[i];
    char msg[96];
    snprintf(msg, sizeof msg, "%s %s n=%lld: %s", isa, c->name, (long long)n, what);
    check_close(x, w, FP32_RTOL, FP32_ATOL, __FILE__, __LINE__, msg);
}

// five optimizer steps on one parameter of n elements with fresh random gradients
static void check_adam(const char *isa, const adam_case *c, int64_t n) {
    ax_params *ps = ax_params_new();
    ax_tensor *t = ax_params_add(ps, "p", AX_SHAPE(n));
    ps->items[0].no_decay = c->no_decay;
    ax_optim_config cfg = ax_optim_defaults(c->kind);
    cfg.lr = 0.01f;
    cfg.weight_decay = 0.1f;
    ax_optim *o = ax_optim_new(ps, cfg);
    adam_ref ref = {calloc((size_t)n, sizeof(double)), calloc((size_t)n, sizeof(double)),
                    calloc((size_t)n, sizeof(double))};
    for (int64_t i = 0; i < n; i++) ref.p[i] = ax_f32(t)[i] = 2.0f * ax_rng_uniform(ax_rng_global()) - 1.0f;
    for (int step = 1; step <= 5; step++) {
        ax_tensor *g = ax_randn(AX_SHAPE(n), 0.0f, 1.0f);
        ax_zero_grad(t);
        ax_backward_from(ax_add(t, ax_zeros_like(t)), g); // t.grad = g
        ax_optim_step(o);
        adam_ref_step(&ref, ax_f32(g), n, &cfg, !c->no_decay, step);
        ax_arena_reset();
    }
    check_against(isa, c, "parameter", n, t, ref.p);
    check_against(isa, c, "exp_avg", n, ax_optim_state(o, 0, 0), ref.m);
    check_against(isa, c, "exp_avg_sq", n, ax_optim_state(o, 0, 1), ref.v);
    ax_arena_reset();
    free(ref.p);
    free(ref.m);
    free(ref.v);
    ax_optim_free(o);
    ax_params_free(ps);
}

static void test_adam(const char *isa) {
    static const adam_case cases[] = {
        {"adamw", AX_OPTIM_ADAMW, false}, {"adamw no_decay", AX_OPTIM_ADAMW, true}, {"adam", AX_OPTIM_ADAM, false}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        for (size_t w = 0; w < N_WIDTHS; w++) check_adam(isa, &cases[c], widths[w]);
        check_adam(isa, &cases[c], 100003); // several chunks, on threads
    }
}

/* ---- the choice of build ---- */

// AX_ISA picks the build at the next automatic choice; one this CPU cannot run (or no such) falls back to the best
static void test_choice(void) {
    ax_fused_force_isa(NULL);
    const char *best = ax_fused_isa_name();
    setenv("AX_ISA", "generic", 1);
    ax_fused_force_isa(NULL);
    CHECK(strcmp(ax_fused_isa_name(), "generic") == 0, "AX_ISA=generic gave %s", ax_fused_isa_name());
    setenv("AX_ISA", "no-such-isa", 1);
    ax_fused_force_isa(NULL);
    CHECK(strcmp(ax_fused_isa_name(), best) == 0, "AX_ISA=no-such-isa gave %s, not %s", ax_fused_isa_name(), best);
    CHECK(!ax_fused_force_isa("no-such-isa"), "forcing an unknown build succeeded");
    unsetenv("AX_ISA");
    ax_fused_force_isa(NULL);
}

int main(void) {
    static const char *const isas[] = {"avx512", "avx2", "generic"};
    ax_manual_seed(11);
    for (size_t i = 0; i < sizeof isas / sizeof *isas; i++) {
        if (!ax_fused_force_isa(isas[i])) continue; // this CPU cannot run it
        test_softmax(isas[i]);
        test_cross_entropy(isas[i]);
        test_layernorm(isas[i]);
        test_gelu(isas[i]);
        test_adam(isas[i]);
    }
    test_choice();
    return check_report();
}
