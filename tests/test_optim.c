/* optim: 10 training steps of the same tiny MLP as PyTorch under SGD (plain, momentum + dampening + weight
 * decay, nesterov), Adam, AdamW and Adam under a schedule; learning-rate schedules; gradient clipping;
 * gradient accumulation. The fixture comes from tools/fixtures/optim.py. */
#include "check.h"
#include "fixture.h"

#include <math.h>
#include <string.h>

#define STEPS 10 // training steps per run, as in the fixture

/* Trajectories are compared at 1e-5 relative to each value, or to the largest value of the tensor where a
 * value is the result of cancellation (a momentum passing through zero): each update matches torch's op by
 * op (see src/optim/), but forward and backward (GEMM summation order, tanh) differ in the last bits and
 * ten steps carry that forward. Measured: within 2e-7 (2 ulp) on this problem. */
#define TRAJ_RTOL 1e-5

static void check_traj(const ax_tensor *actual, fx *f, const char *run, const char *name) {
    ax_tensor *expected = fx_get(f, run, name);
    float scale = 0.0f;
    for (int64_t i = 0, n = ax_numel(expected); i < n; i++) scale = fmaxf(scale, fabsf(ax_f32(expected)[i]));
    char what[64];
    snprintf(what, sizeof what, "%s: %s", run, name);
    check_close(actual, expected, TRAJ_RTOL, TRAJ_RTOL * scale, __FILE__, __LINE__, what);
}

typedef struct {
    ax_params *params;  // fc1.weight, fc1.bias, fc2.weight, fc2.bias
    ax_linear_layer fc1; // 4 → 8, tanh
    ax_linear_layer fc2; // 8 → 3
} mlp;

static const char *param_names[] = {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"};

// the fixture's MLP with its initial weights
static mlp mlp_load(fx *f) {
    mlp m = {.params = ax_params_new()};
    ax_linear_layer_init(&m.fc1, m.params, "fc1", 4, 8, true);
    ax_linear_layer_init(&m.fc2, m.params, "fc2", 8, 3, true);
    for (int i = 0; i < 4; i++) {
        ax_tensor *src = fx_get(f, "problem", param_names[i]), *dst = ax_params_get(m.params, param_names[i]);
        AX_ASSERT(ax_same_shape(src, dst), "fixture %s is %s, expected %s", param_names[i], ax_shape_str(src),
                  ax_shape_str(dst));
        memcpy(dst->data, src->data, (size_t)ax_numel(src) * sizeof(float));
    }
    return m;
}

// mean((tanh(x·W1ᵀ + b1)·W2ᵀ + b2 − target)²)
static ax_tensor *mlp_loss(const mlp *m, ax_tensor *x, ax_tensor *target) {
    ax_tensor *h = ax_tanh(ax_linear_layer_forward(&m->fc1, x));
    return ax_mse_loss(ax_linear_layer_forward(&m->fc2, h), target, AX_REDUCE_MEAN);
}

/* ---- training runs against PyTorch ---- */

static const struct {
    const char *name;   // fixture case
    ax_optim_kind kind; // optimizer
    bool nesterov;      // SGD only
    bool scheduled;     // lr from the warm-up + cosine schedule at every step
} runs[] = {
    {"sgd_plain", AX_OPTIM_SGD, false, false}, {"sgd_momentum", AX_OPTIM_SGD, false, false},
    {"sgd_nesterov", AX_OPTIM_SGD, true, false}, {"adam", AX_OPTIM_ADAM, false, false},
    {"adamw", AX_OPTIM_ADAMW, false, false},    {"adam_sched", AX_OPTIM_ADAM, false, true},
};

// a fixture number, or `fallback` when the run leaves it at torch's default
static float num_or(fx *f, const char *c, const char *name, float fallback) {
    return fx_has(f, c, name) ? (float)fx_num(f, c, name) : fallback;
}

static ax_optim_config run_config(fx *f, int r) {
    const char *c = runs[r].name;
    ax_optim_config cfg = ax_optim_defaults(runs[r].kind);
    cfg.lr = (float)fx_num(f, c, "lr");
    cfg.weight_decay = num_or(f, c, "weight_decay", 0.0f);
    cfg.momentum = num_or(f, c, "momentum", cfg.momentum);
    cfg.dampening = num_or(f, c, "dampening", cfg.dampening);
    cfg.nesterov = runs[r].nesterov;
    cfg.beta1 = num_or(f, c, "beta1", cfg.beta1);
    cfg.beta2 = num_or(f, c, "beta2", cfg.beta2);
    cfg.eps = num_or(f, c, "eps", cfg.eps);
    return cfg;
}

// the schedule of the "adam_sched" run (SCHED in the fixture script)
static const ax_lr_schedule run_schedule = {
    .kind = AX_LR_WARMUP_COSINE, .base_lr = 0.01f, .warmup = 3, .total_steps = 10, .min_lr = 0.001f};

static void test_training(fx *f) {
    ax_tensor *x = ax_tensor_keep(fx_get(f, "problem", "x")), *target = ax_tensor_keep(fx_get(f, "problem", "target"));
    for (int r = 0; r < (int)(sizeof runs / sizeof *runs); r++) {
        const char *c = runs[r].name;
        mlp m = mlp_load(f);
        ax_optim *o = ax_optim_new(m.params, run_config(f, r));
        float losses[STEPS];
        for (int s = 0; s < STEPS; s++) {
            if (runs[r].scheduled) ax_optim_set_lr(o, ax_lr_at(&run_schedule, s));
            ax_optim_zero_grad(o);
            ax_tensor *loss = mlp_loss(&m, x, target);
            losses[s] = ax_item(loss);
            ax_backward(loss);
            ax_optim_step(o);
            ax_arena_reset();
        }
        printf("%-13s loss %.6f → %.6f\n", c, losses[0], losses[STEPS - 1]);
        CHECK(losses[STEPS - 1] < losses[0], "%s: the loss goes down", c);
        CHECK(ax_optim_steps(o) == STEPS, "%s: %lld steps", c, (long long)ax_optim_steps(o));
        check_traj(ax_from_f32(AX_SHAPE(STEPS), losses), f, c, "losses");
        for (int i = 0; i < 4; i++) check_traj(m.params->items[i].t, f, c, param_names[i]);
        for (int slot = 0; slot < 2; slot++) {
            char key[8];
            snprintf(key, sizeof key, "state%d", slot);
            ax_tensor *state = ax_optim_state(o, 0, slot);
            CHECK((state != NULL) == fx_has(f, c, key), "%s: state slot %d present", c, slot);
            if (state && fx_has(f, c, key)) check_traj(state, f, c, key);
        }
        ax_optim_free(o);
        ax_params_free(m.params);
        ax_arena_reset();
    }
    ax_tensor_free(x);
    ax_tensor_free(target);
}

/* A parameter that backward never reaches has no gradient and is left alone (torch skips .grad None),
 * even by AdamW's decoupled decay; the others still train. */
static void test_skip_without_grad(fx *f) {
    mlp m = mlp_load(f);
    ax_tensor *unused = ax_params_add(m.params, "unused", AX_SHAPE(5));
    ax_init_ones(unused);
    ax_optim_config cfg = ax_optim_defaults(AX_OPTIM_ADAMW);
    cfg.weight_decay = 0.5f;
    ax_optim *o = ax_optim_new(m.params, cfg);
    for (int s = 0; s < 3; s++) {
        ax_optim_zero_grad(o);
        ax_backward(mlp_loss(&m, fx_get(f, "problem", "x"), fx_get(f, "problem", "target")));
        ax_optim_step(o);
        ax_arena_reset();
    }
    bool ones = unused->grad == NULL;
    for (int i = 0; i < 5; i++) ones &= ax_f32(unused)[i] == 1.0f;
    CHECK(ones, "a parameter without a gradient is not updated");
    CHECK(ax_f32(ax_optim_state(o, 0, 1))[0] > 0.0f, "the others are");
    ax_optim_free(o);
    ax_params_free(m.params);
}

/* ---- configuration and state ---- */

static void test_config_and_state(void) {
    ax_optim_config adamw = ax_optim_defaults(AX_OPTIM_ADAMW), adam = ax_optim_defaults(AX_OPTIM_ADAM);
    CHECK(adamw.lr == 1e-3f && adamw.weight_decay == 0.01f && adamw.beta1 == 0.9f && adamw.beta2 == 0.999f &&
              adamw.eps == 1e-8f,
          "AdamW defaults as torch");
    CHECK(adam.weight_decay == 0.0f && adam.kind == AX_OPTIM_ADAM, "Adam defaults as torch");
    ax_optim_config sgd = ax_optim_defaults(AX_OPTIM_SGD);
    CHECK(sgd.momentum == 0.0f && sgd.dampening == 0.0f && !sgd.nesterov && sgd.weight_decay == 0.0f, "SGD defaults");

    ax_params *p = ax_params_new();
    ax_params_add(p, "w", AX_SHAPE(3, 2));
    ax_optim *o = ax_optim_new(p, sgd);
    CHECK(ax_optim_state(o, 0, 0) == NULL && ax_optim_state(o, 0, 1) == NULL, "plain SGD keeps no state");
    ax_optim_set_lr(o, 0.25f);
    CHECK(ax_optim_lr(o) == 0.25f && ax_optim_steps(o) == 0, "set_lr");
    ax_optim_free(o);
    sgd.momentum = 0.9f;
    o = ax_optim_new(p, sgd);
    CHECK(ax_optim_state(o, 0, 0) && ax_optim_state(o, 0, 1) == NULL, "SGD with momentum keeps one buffer");
    ax_optim_free(o);
    o = ax_optim_new(p, adam);
    ax_tensor *m = ax_optim_state(o, 0, 0), *v = ax_optim_state(o, 0, 1);
    CHECK(m && v && m->persistent && ax_same_shape(m, p->items[0].t), "Adam keeps two persistent buffers");
    CHECK(ax_f32(m)[5] == 0.0f && ax_f32(v)[5] == 0.0f, "Adam state starts at zero");
    ax_optim_free(o);
    ax_params_free(p);
}

/* ---- learning-rate schedules ---- */

// ax_lr_at over the fixture's steps against torch's scheduler (1e-6: both are doubles rounded to float)
static void check_schedule(fx *f, const char *c, const ax_lr_schedule *s) {
    ax_tensor *expected = fx_get(f, c, "lr");
    int64_t n = ax_numel(expected);
    ax_tensor *got = ax_empty(AX_SHAPE(n));
    for (int64_t i = 0; i < n; i++) ax_f32(got)[i] = ax_lr_at(s, i);
    CHECK_CLOSE(got, expected, 1e-6, 0.0);
}

static void test_schedules(fx *f) {
    ax_lr_schedule step = {.kind = AX_LR_STEP, .base_lr = (float)fx_num(f, "sched_step", "base_lr"),
                           .step_size = (int64_t)fx_num(f, "sched_step", "step_size"),
                           .gamma = (float)fx_num(f, "sched_step", "gamma")};
    check_schedule(f, "sched_step", &step);

    ax_lr_schedule cosine = {.kind = AX_LR_WARMUP_COSINE, .base_lr = (float)fx_num(f, "sched_cosine", "base"),
                             .warmup = (int64_t)fx_num(f, "sched_cosine", "warmup"),
                             .total_steps = (int64_t)fx_num(f, "sched_cosine", "total"),
                             .min_lr = (float)fx_num(f, "sched_cosine", "min_lr")};
    check_schedule(f, "sched_cosine", &cosine);
    CHECK(ax_lr_at(&cosine, 0) == cosine.base_lr / (float)cosine.warmup && ax_lr_at(&cosine, 9) == cosine.base_lr &&
              ax_lr_at(&cosine, 10) == cosine.base_lr && ax_lr_at(&cosine, 50) == cosine.min_lr &&
              ax_lr_at(&cosine, 100000) == cosine.min_lr,
          "warm-up + cosine end points");

    ax_lr_schedule noam = {.kind = AX_LR_NOAM, .base_lr = (float)fx_num(f, "sched_noam", "base"),
                           .warmup = (int64_t)fx_num(f, "sched_noam", "warmup"),
                           .d_model = (int64_t)fx_num(f, "sched_noam", "d_model")};
    check_schedule(f, "sched_noam", &noam);
    CHECK(ax_lr_at(&noam, 398) < ax_lr_at(&noam, 399) && ax_lr_at(&noam, 400) < ax_lr_at(&noam, 399),
          "noam peaks at step warmup − 1");

    ax_lr_schedule constant = {.kind = AX_LR_CONSTANT, .base_lr = 3e-4f};
    CHECK(ax_lr_at(&constant, 0) == 3e-4f && ax_lr_at(&constant, 123456) == 3e-4f, "constant");
}

/* ---- gradient clipping against torch.nn.utils.clip_grad_norm_ ---- */

static void test_clip(fx *f) {
    static const char *cases[] = {"clip_active", "clip_inactive"};
    for (int k = 0; k < 2; k++) {
        const char *c = cases[k];
        ax_params *p = ax_params_new();
        char name[16];
        for (int i = 0; i < 3; i++) {
            snprintf(name, sizeof name, "g%d", i);
            ax_tensor *g = fx_get(f, c, name);
            ax_tensor *t = ax_params_add(p, name, g->ndim, g->shape);
            ax_backward_from(ax_add(t, ax_zeros_like(t)), g); // t.grad = g
        }
        ax_params_add(p, "no_grad", AX_SHAPE(4)); // skipped, as torch skips .grad None
        float norm = ax_clip_grad_norm(p, (float)fx_num(f, c, "max_norm"));
        CHECK_NEAR(norm, fx_num(f, c, "norm"), 1e-6 * fx_num(f, c, "norm"));
        for (int i = 0; i < 3; i++) {
            snprintf(name, sizeof name, "clipped%d", i);
            CHECK_CLOSE(p->items[i].t->grad, fx_get(f, c, name), FP32_RTOL, FP32_ATOL);
        }
        CHECK(p->items[3].t->grad == NULL, "a parameter without a gradient stays without one");
        ax_params_free(p);
        ax_arena_reset();
    }
}

/* ---- gradient accumulation: two half-batches with loss/2 each = one full batch ---- */

static void test_accumulation(fx *f) {
    mlp m = mlp_load(f);
    ax_tensor *x = fx_get(f, "problem", "x"), *target = fx_get(f, "problem", "target");
    ax_backward(mlp_loss(&m, x, target));
    ax_tensor *full[4];
    for (int i = 0; i < 4; i++) full[i] = ax_tensor_keep(m.params->items[i].t->grad);
    ax_params_zero_grad(m.params);
    for (int half = 0; half < 2; half++) {
        ax_tensor *loss = mlp_loss(&m, ax_narrow(x, 0, 3 * half, 3), ax_narrow(target, 0, 3 * half, 3));
        ax_backward(ax_mul(loss, ax_scalar(0.5f)));
    }
    for (int i = 0; i < 4; i++) {
        CHECK_CLOSE(m.params->items[i].t->grad, full[i], FP32_RTOL, FP32_ATOL);
        ax_tensor_free(full[i]);
    }
    ax_params_free(m.params);
    ax_arena_reset();
}

/* ---- big tensors: the multi-threaded loops compute exactly what the small (serial) ones do ---- */

// sets t.grad = g through backward
static void set_grad(ax_tensor *t, ax_tensor *g) { ax_backward_from(ax_add(t, ax_zeros_like(t)), g); }

static void test_large(void) {
    enum { SMALL = 8, REPEAT = 8192 }; // the big parameter (65536) tiles the small one
    for (int kind = AX_OPTIM_SGD; kind <= AX_OPTIM_ADAMW; kind++) {
        ax_params *p = ax_params_new();
        ax_tensor *small = ax_params_add(p, "small", AX_SHAPE(SMALL));
        ax_tensor *big = ax_params_add(p, "big", AX_SHAPE(REPEAT, SMALL));
        for (int i = 0; i < SMALL; i++) ax_f32(small)[i] = 0.1f * (float)i - 0.3f;
        for (int i = 0; i < SMALL * REPEAT; i++) ax_f32(big)[i] = ax_f32(small)[i % SMALL];
        ax_optim_config cfg = ax_optim_defaults((ax_optim_kind)kind);
        cfg.momentum = kind == AX_OPTIM_SGD ? 0.9f : 0.0f;
        cfg.weight_decay = 0.1f;
        ax_optim *o = ax_optim_new(p, cfg);
        for (int s = 0; s < 3; s++) {
            ax_tensor *g = ax_empty(AX_SHAPE(REPEAT, SMALL));
            for (int i = 0; i < SMALL * REPEAT; i++) ax_f32(g)[i] = (float)((i % SMALL) * (s + 1)) - 4.0f;
            set_grad(small, ax_narrow(ax_reshape(g, AX_SHAPE(-1)), 0, 0, SMALL));
            set_grad(big, g);
            ax_optim_step(o);
            ax_optim_zero_grad(o);
            ax_arena_reset();
        }
        bool same = true;
        for (int i = 0; i < SMALL * REPEAT; i++) same &= ax_f32(big)[i] == ax_f32(small)[i % SMALL];
        CHECK(same && ax_f32(small)[0] != -0.3f, "optimizer %d: the threaded update equals the serial one", kind);

        // clipping: the norm of big·grad is √REPEAT times the small one's
        set_grad(small, ax_full(AX_SHAPE(SMALL), 0.5f));
        set_grad(big, ax_full(AX_SHAPE(REPEAT, SMALL), 0.5f));
        float norm = ax_clip_grad_norm(p, 1.0f), expected = 0.5f * sqrtf((float)(SMALL * (REPEAT + 1)));
        CHECK_NEAR(norm, expected, 1e-6 * expected);
        CHECK_NEAR(ax_f32(big->grad)[SMALL * REPEAT - 1], 0.5f / (expected + 1e-6f), 1e-9);
        ax_optim_free(o);
        ax_params_free(p);
        ax_arena_reset();
    }
}

int main(void) {
    fx *f = fx_open("optim");
    test_training(f);
    test_skip_without_grad(f);
    test_config_and_state();
    test_schedules(f);
    test_clip(f);
    test_accumulation(f);
    fx_close(f);
    test_large();
    return check_report();
}
