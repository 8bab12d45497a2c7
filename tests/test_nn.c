/* nn: the parameter registry, the initialisers' statistics, and the layers (init like PyTorch's modules;
 * forward and backward against PyTorch fixtures). */
#include "check.h"
#include "fixture.h"

#include <math.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ---- */

// does fn(ctx) abort (AX_ASSERT)? Runs it in a child process with stderr silenced.
static bool aborts(void (*fn)(void *), void *ctx) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr)) _exit(2);
        fn(ctx);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

typedef struct {
    double mean, std, min, max; // sample statistics of every element
} stats;

static stats stats_of(const ax_tensor *t) {
    const float *p = ax_f32(t);
    int64_t n = ax_numel(t);
    stats s = {0.0, 0.0, INFINITY, -INFINITY};
    for (int64_t i = 0; i < n; i++) {
        s.mean += p[i];
        s.min = fmin(s.min, p[i]);
        s.max = fmax(s.max, p[i]);
    }
    s.mean /= (double)n;
    for (int64_t i = 0; i < n; i++) s.std += (p[i] - s.mean) * (p[i] - s.mean);
    s.std = sqrt(s.std / (double)(n - 1));
    return s;
}

/* Sample mean within 5 standard errors of `mean` and sample std within 1.5% of `std` (its standard error
 * is ≤ 0.2% for n ≥ 131072 normal or uniform draws; a wrong fan or gain is off by ≥ 20%). */
static void check_moments(const ax_tensor *t, double mean, double std, const char *what) {
    stats s = stats_of(t);
    double n = (double)ax_numel(t);
    CHECK(fabs(s.mean - mean) <= 5.0 * std / sqrt(n), "%s: mean %g, expected %g", what, s.mean, mean);
    CHECK(fabs(s.std - std) <= 0.015 * std, "%s: std %g, expected %g", what, s.std, std);
}

/* Uniform on [−b, b): moments of U(−b, b), every value inside, and both ends reached to within 0.1%
 * (n ≥ 10⁴ draws leave a gap that large with probability < e^−10). */
static void check_uniform(const ax_tensor *t, double lo, double hi, const char *what) {
    stats s = stats_of(t);
    check_moments(t, (lo + hi) / 2.0, (hi - lo) / sqrt(12.0), what);
    CHECK(s.min >= (float)lo && s.max <= (float)hi, "%s: range [%g, %g] outside [%g, %g]", what, s.min, s.max, lo, hi);
    CHECK(s.min < lo + 1e-3 * (hi - lo) && s.max > hi - 1e-3 * (hi - lo), "%s: range [%g, %g] short of [%g, %g]", what,
          s.min, s.max, lo, hi);
}

static bool all_equal(const ax_tensor *t, float v) {
    const float *p = ax_f32(t);
    for (int64_t i = 0, n = ax_numel(t); i < n; i++)
        if (p[i] != v) return false;
    return true;
}

static bool param_no_decay(const ax_params *p, const char *name) {
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->items[i].name, name) == 0) return p->items[i].no_decay;
    CHECK(false, "no parameter %s", name);
    return false;
}

/* ---- the registry ---- */

static void add_duplicate(void *ctx) {
    ax_params *p = ctx;
    ax_params_add(p, "fc.weight", AX_SHAPE(2));
}

static void test_registry(void) {
    ax_params *p = ax_params_new();
    ax_tensor *w = ax_params_add(p, "fc.weight", AX_SHAPE(3, 4));
    ax_tensor *b = ax_params_add(p, "fc.bias", AX_SHAPE(4));
    CHECK(p->n == 2 && ax_params_count(p) == 16, "2 parameters, 16 scalars (got %d, %lld)", p->n,
          (long long)ax_params_count(p));
    CHECK(ax_params_get(p, "fc.weight") == w && ax_params_get(p, "fc.bias") == b, "get by name");
    CHECK(ax_params_get(p, "fc") == NULL && ax_params_get(p, "fc.weight2") == NULL, "absent names give NULL");
    CHECK(w->requires_grad && w->persistent && w->ndim == 2 && w->shape[0] == 3 && w->shape[1] == 4, "weight %s",
          ax_shape_str(w));
    CHECK(all_equal(w, 0.0f) && all_equal(b, 0.0f), "new parameters are zero");
    CHECK(strcmp(w->name, "fc.weight") == 0 && !p->items[0].no_decay, "name and default decay");
    CHECK(aborts(add_duplicate, p), "a duplicate name aborts");

    // gradients reach the parameters, accumulate, and zero_grad clears them in place
    ax_tensor *r = ax_full(AX_SHAPE(3, 4), 1.0f);
    ax_backward_from(ax_add(ax_mul(w, ax_full(AX_SHAPE(3, 4), 2.0f)), b), r);
    ax_backward_from(ax_add(w, b), r);
    CHECK(w->grad && all_equal(w->grad, 3.0f) && all_equal(b->grad, 6.0f), "accumulated gradients");
    ax_tensor *grad = w->grad;
    ax_params_zero_grad(p);
    CHECK(w->grad == grad && all_equal(w->grad, 0.0f) && all_equal(b->grad, 0.0f), "zero_grad keeps zeroed buffers");
    ax_arena_reset();

    // growth keeps registration order and lookups valid
    char name[32];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "h.%d.w", i);
        ax_params_add(p, name, AX_SHAPE(i + 1));
    }
    bool ok = p->n == 42;
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "h.%d.w", i);
        ax_tensor *t = ax_params_get(p, name);
        ok &= t == p->items[i + 2].t && ax_numel(t) == i + 1;
    }
    CHECK(ok && ax_params_count(p) == 16 + 40 * 41 / 2, "40 more parameters in order");
    ax_params_free(p);
}

/* ---- initialisers ---- */

static void init_vector_fan(void *ctx) { ax_init_kaiming_uniform(ctx, 1.0f, AX_FAN_IN); }

static void test_init(void) {
    ax_manual_seed(1);
    // (out 128, in 64, 4×4 kernel): fan_in = 64·16 = 1024, fan_out = 128·16 = 2048
    ax_tensor *t = ax_tensor_new(AX_F32, AX_SHAPE(128, 64, 4, 4));
    const double fan_in = 1024, fan_out = 2048;

    ax_init_ones(t);
    CHECK(all_equal(t, 1.0f), "ones");
    ax_init_constant(t, -2.5f);
    CHECK(all_equal(t, -2.5f), "constant");
    ax_init_zeros(t);
    CHECK(all_equal(t, 0.0f), "zeros");

    ax_init_uniform(t, -0.3f, 0.7f);
    check_uniform(t, -0.3, 0.7, "uniform");
    ax_init_normal(t, 0.5f, 2.0f);
    check_moments(t, 0.5, 2.0, "normal");

    double a = 5.0 / 3.0 * sqrt(6.0 / (fan_in + fan_out));
    ax_init_xavier_uniform(t, ax_init_gain_tanh());
    check_uniform(t, -a, a, "xavier_uniform");
    ax_init_xavier_normal(t, 1.0f);
    check_moments(t, 0.0, sqrt(2.0 / (fan_in + fan_out)), "xavier_normal");

    ax_init_kaiming_uniform(t, ax_init_gain_relu(), AX_FAN_IN);
    check_uniform(t, -sqrt(2.0 * 3.0 / fan_in), sqrt(2.0 * 3.0 / fan_in), "kaiming_uniform fan_in");
    ax_init_kaiming_uniform(t, ax_init_gain_relu(), AX_FAN_OUT);
    check_uniform(t, -sqrt(2.0 * 3.0 / fan_out), sqrt(2.0 * 3.0 / fan_out), "kaiming_uniform fan_out");
    double leaky = sqrt(2.0 / (1.0 + 0.2 * 0.2));
    ax_init_kaiming_normal(t, ax_init_gain_leaky_relu(0.2f), AX_FAN_OUT);
    check_moments(t, 0.0, leaky / sqrt(fan_out), "kaiming_normal fan_out");
    ax_init_kaiming_normal(t, 1.0f, AX_FAN_IN);
    check_moments(t, 0.0, 1.0 / sqrt(fan_in), "kaiming_normal fan_in");

    // 2-D (out 300, in 200): fan_in 200, fan_out 300
    ax_tensor *w = ax_tensor_new(AX_F32, AX_SHAPE(300, 200));
    ax_init_kaiming_uniform(w, 1.0f, AX_FAN_IN);
    check_uniform(w, -sqrt(3.0 / 200), sqrt(3.0 / 200), "2-D kaiming fan_in");
    ax_init_xavier_uniform(w, 1.0f);
    check_uniform(w, -sqrt(6.0 / 500), sqrt(6.0 / 500), "2-D xavier");
    ax_tensor_free(w);
    ax_tensor *v = ax_tensor_new(AX_F32, AX_SHAPE(10));
    CHECK(aborts(init_vector_fan, v), "fan of a 1-D tensor aborts");
    ax_tensor_free(v);

    CHECK_NEAR(ax_init_gain_relu(), sqrt(2.0), 1e-7);
    CHECK_NEAR(ax_init_gain_leaky_relu(0.01f), sqrt(2.0 / (1.0 + 0.01 * 0.01)), 1e-7);
    CHECK_NEAR(ax_init_gain_tanh(), 5.0 / 3.0, 1e-7);

    // the same seed gives the same values
    ax_manual_seed(7);
    ax_init_normal(t, 0.0f, 1.0f);
    ax_tensor *first = ax_tensor_keep(t);
    ax_manual_seed(7);
    ax_init_normal(t, 0.0f, 1.0f);
    CHECK(memcmp(first->data, t->data, (size_t)ax_numel(t) * sizeof(float)) == 0, "seeded init is reproducible");
    ax_tensor_free(first);
    ax_tensor_free(t);

    // an initialiser writes through a view's strides and nowhere else
    ax_tensor *m = ax_tensor_new(AX_F32, AX_SHAPE(4, 6));
    ax_init_constant(ax_narrow(m, 1, 2, 3), 5.0f);
    bool ok = true;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 6; j++) ok &= ax_f32(m)[i * 6 + j] == (j >= 2 && j < 5 ? 5.0f : 0.0f);
    CHECK(ok, "init of a narrowed view");
    ax_tensor_free(m);
    ax_arena_reset();
}

/* Orthogonal init: orthonormal columns (tall), rows (wide) or both (square), times the gain; the first vector is the
 * normalised first vector of the same normal draw (Q of a QR with diag(R) > 0, as torch.nn.init.orthogonal_). */
static void test_orthogonal(void) {
    static const struct {
        int64_t shape[3];
        int ndim;
        float gain;
    } cases[] = {{{12, 3}, 2, 1.0f}, {{3, 12}, 2, 1.0f}, {{5, 5}, 2, 2.0f}, {{4, 2, 3}, 3, 1.0f}, {{1024, 256}, 2, 1.0f}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        ax_tensor *t = ax_tensor_new(AX_F32, cases[k].ndim, cases[k].shape);
        ax_manual_seed(3);
        ax_init_orthogonal(t, cases[k].gain);
        int64_t rows = t->shape[0], cols = ax_numel(t) / rows;
        bool tall = rows >= cols;
        int64_t n = tall ? cols : rows, m = tall ? rows : cols;
        const float *q = ax_f32(t);
        double worst = 0, g2 = (double)cases[k].gain * cases[k].gain;
        for (int64_t u = 0; u < n; u++)
            for (int64_t v = 0; v < n; v++) {
                double dot = 0;
                for (int64_t i = 0; i < m; i++)
                    dot += (double)(tall ? q[i * cols + u] * q[i * cols + v] : q[u * cols + i] * q[v * cols + i]);
                worst = fmax(worst, fabs(dot - (u == v ? g2 : 0.0)));
            }
        CHECK(worst < 1e-5 * g2, "case %zu: Gram matrix off the identity by %g", k, worst);
        ax_manual_seed(3); // the draw again: its first vector, normalised
        double *first = malloc((size_t)m * sizeof *first), norm = 0;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t c = 0; c < cols; c++) {
                double x = ax_rng_normal(ax_rng_global());
                if (tall ? c == 0 : r == 0) first[tall ? r : c] = x, norm += x * x;
            }
        double off = 0;
        for (int64_t i = 0; i < m; i++)
            off = fmax(off, fabs((tall ? q[i * cols] : q[i]) - cases[k].gain * first[i] / sqrt(norm)));
        CHECK(off < 1e-6, "case %zu: the first vector is the draw's, normalised (off by %g)", k, off);
        free(first);
        ax_tensor_free(t);
    }
}

/* ---- layers: initialisation ---- */

static void test_layer_init(void) {
    ax_manual_seed(3);
    ax_params *p = ax_params_new();
    ax_linear_layer fc;
    ax_linear_layer_init(&fc, p, "fc", 400, 300, true);
    CHECK(ax_params_get(p, "fc.weight") == fc.weight && ax_params_get(p, "fc.bias") == fc.bias, "linear names");
    CHECK(fc.weight->shape[0] == 300 && fc.weight->shape[1] == 400 && fc.bias->shape[0] == 300, "linear shapes %s %s",
          ax_shape_str(fc.weight), ax_shape_str(fc.bias));
    check_uniform(fc.weight, -0.05, 0.05, "linear weight U(−1/√in, 1/√in)");
    stats sb = stats_of(fc.bias); // 300 draws: only the range is sharp
    CHECK(sb.min >= -0.05f && sb.max <= 0.05f && sb.max - sb.min > 0.09, "linear bias range [%g, %g]", sb.min, sb.max);
    CHECK(!param_no_decay(p, "fc.weight") && param_no_decay(p, "fc.bias"), "linear: the bias has no decay");

    ax_linear_layer head;
    ax_linear_layer_init(&head, p, "head", 8, 4, false);
    CHECK(head.bias == NULL && p->n == 3, "linear without bias registers only the weight");

    ax_embedding_layer emb;
    ax_embedding_layer_init(&emb, p, "wte", 2048, 64);
    check_moments(emb.weight, 0.0, 1.0, "embedding N(0, 1)");
    CHECK(emb.weight->shape[0] == 2048 && emb.weight->shape[1] == 64 && !param_no_decay(p, "wte.weight"),
          "embedding shape %s and decay", ax_shape_str(emb.weight));

    ax_layernorm_layer ln, plain;
    ax_layernorm_layer_init(&ln, p, "ln_f", 16, 1e-5f, true);
    CHECK(all_equal(ln.weight, 1.0f) && all_equal(ln.bias, 0.0f) && ln.eps == 1e-5f, "layernorm weight 1, bias 0");
    CHECK(param_no_decay(p, "ln_f.weight") && param_no_decay(p, "ln_f.bias"), "layernorm parameters have no decay");
    int before = p->n;
    ax_layernorm_layer_init(&plain, p, "ln_plain", 16, 1e-3f, false);
    CHECK(plain.weight == NULL && plain.bias == NULL && p->n == before && plain.eps == 1e-3f,
          "layernorm without affine");
    CHECK(ax_params_count(p) == 400 * 300 + 300 + 32 + 2048 * 64 + 32, "count %lld", (long long)ax_params_count(p));
    ax_params_free(p);
}

/* ---- layers: forward and backward against PyTorch ---- */

// copies a fixture tensor into a parameter
static void load(ax_tensor *param, fx *f, const char *c, const char *name) {
    ax_tensor *src = fx_get(f, c, name);
    AX_ASSERT(ax_same_shape(param, src), "fixture %s.%s is %s, the parameter %s", c, name, ax_shape_str(src),
              ax_shape_str(param));
    memcpy(param->data, src->data, (size_t)ax_numel(src) * sizeof(float));
}

static void test_linear_forward(fx *f) {
    static const char *cases[] = {"linear_3d", "linear_2d_nobias"};
    for (int k = 0; k < 2; k++) {
        const char *c = cases[k];
        bool bias = fx_has(f, c, "bias");
        ax_params *p = ax_params_new();
        ax_linear_layer fc;
        ax_linear_layer_init(&fc, p, "fc", 5, 6, bias);
        load(fc.weight, f, c, "weight");
        if (bias) load(fc.bias, f, c, "bias");
        ax_tensor *x = fx_param(f, c, "x");
        ax_tensor *out = ax_linear_layer_forward(&fc, x);
        CHECK_CLOSE(out, fx_get(f, c, "out"), FP32_RTOL, FP32_ATOL);
        ax_backward_from(out, fx_get(f, c, "r"));
        CHECK_CLOSE(x->grad, fx_get(f, c, "grad_x"), FP32_RTOL, FP32_ATOL);
        CHECK_CLOSE(fc.weight->grad, fx_get(f, c, "grad_weight"), FP32_RTOL, FP32_ATOL);
        if (bias) CHECK_CLOSE(fc.bias->grad, fx_get(f, c, "grad_bias"), FP32_RTOL, FP32_ATOL);
        ax_params_free(p);
        ax_arena_reset();
    }
}

static void test_embedding_forward(fx *f) {
    ax_params *p = ax_params_new();
    ax_embedding_layer emb;
    ax_embedding_layer_init(&emb, p, "wte", 7, 3);
    load(emb.weight, f, "embedding", "weight");
    ax_tensor *out = ax_embedding_layer_forward(&emb, fx_get(f, "embedding", "idx"));
    CHECK_CLOSE(out, fx_get(f, "embedding", "out"), FP32_RTOL, FP32_ATOL);
    ax_backward_from(out, fx_get(f, "embedding", "r"));
    CHECK_CLOSE(emb.weight->grad, fx_get(f, "embedding", "grad_weight"), FP32_RTOL, FP32_ATOL);
    ax_params_free(p);
    ax_arena_reset();
}

static void test_layernorm_forward(fx *f) {
    static const char *cases[] = {"layernorm", "layernorm_plain"};
    for (int k = 0; k < 2; k++) {
        const char *c = cases[k];
        bool affine = fx_has(f, c, "weight");
        ax_params *p = ax_params_new();
        ax_layernorm_layer ln;
        ax_layernorm_layer_init(&ln, p, "ln", 6, (float)fx_num(f, c, "eps"), affine);
        if (affine) {
            load(ln.weight, f, c, "weight");
            load(ln.bias, f, c, "bias");
        }
        ax_tensor *x = fx_param(f, c, "x");
        ax_tensor *out = ax_layernorm_layer_forward(&ln, x);
        CHECK_CLOSE(out, fx_get(f, c, "out"), FP32_RTOL, FP32_ATOL);
        ax_backward_from(out, fx_get(f, c, "r"));
        CHECK_CLOSE(x->grad, fx_get(f, c, "grad_x"), FP32_RTOL, FP32_ATOL);
        if (affine) {
            CHECK_CLOSE(ln.weight->grad, fx_get(f, c, "grad_weight"), FP32_RTOL, FP32_ATOL);
            CHECK_CLOSE(ln.bias->grad, fx_get(f, c, "grad_bias"), FP32_RTOL, FP32_ATOL);
        }
        ax_params_free(p);
        ax_arena_reset();
    }
}

// eval passes x through; train with p = 0.25 zeroes about a quarter and scales the rest by 4/3
static void test_dropout_layer(void) {
    ax_manual_seed(11);
    ax_dropout_layer drop = {.p = 0.25f};
    const int64_t n = 100000;
    ax_tensor *x = ax_full(AX_SHAPE(n), 1.0f);
    ax_tensor *eval = ax_dropout_layer_forward(&drop, x, false);
    CHECK(all_equal(eval, 1.0f), "dropout in eval mode is the identity");
    ax_tensor *y = ax_dropout_layer_forward(&drop, x, true);
    int64_t zeros = 0, scaled = 0;
    for (int64_t i = 0; i < n; i++) {
        zeros += ax_f32(y)[i] == 0.0f;
        scaled += fabsf(ax_f32(y)[i] - 1.0f / 0.75f) < 1e-6f;
    }
    double sd = sqrt(n * 0.25 * 0.75); // binomial standard deviation of the zero count
    CHECK(fabs((double)zeros - 0.25 * n) < 5 * sd && zeros + scaled == n, "dropout: %lld zeros, %lld scaled",
          (long long)zeros, (long long)scaled);
    ax_arena_reset();
}

int main(void) {
    test_registry();
    test_init();
    test_orthogonal();
    test_layer_init();
    fx *f = fx_open("nn");
    test_linear_forward(f);
    test_embedding_forward(f);
    test_layernorm_forward(f);
    fx_close(f);
    test_dropout_layer();
    return check_report();
}
