/* The MLP classifier: configuration parsing and its config.json round trip, forward shapes and
 * standardisation, finite-difference gradients through the whole network for every activation, and one
 * training epoch on the committed Fashion-MNIST slice reaching accuracy far above chance (a broken gradient,
 * optimizer or data path fails here). */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SLICE AX_FIXTURE_DIR "/fashion-mnist-slice"

static void test_names_and_lists(void) {
    static const char *const names[] = {"relu", "tanh", "sigmoid", "gelu"};
    for (int i = 0; i < 4; i++) {
        ax_activation a;
        CHECK(ax_activation_parse(names[i], &a) == AX_OK && strcmp(ax_activation_name(a), names[i]) == 0,
              "activation %s round trip", names[i]);
    }
    ax_activation a;
    CHECK(ax_activation_parse("swish", &a) == AX_ERR && strstr(ax_last_error(), "unknown activation 'swish'"),
          "unknown activation: %s", ax_last_error());
    ax_mlp_config c = ax_mlp_defaults();
    CHECK(ax_mlp_parse_hidden("512,64,32", &c) == AX_OK && c.n_hidden == 3 && c.hidden[0] == 512 && c.hidden[2] == 32,
          "hidden list 512,64,32");
    CHECK(ax_mlp_parse_hidden("none", &c) == AX_OK && c.n_hidden == 0, "hidden none");
    CHECK(ax_mlp_parse_hidden("", &c) == AX_OK && c.n_hidden == 0, "hidden empty");
    static const char *const bad[] = {"256,", ",256", "0", "-5", "12a", "256;128", "1,2,3,4,5,6,7,8,9", "99999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(ax_mlp_parse_hidden(bad[i], &c) == AX_ERR, "hidden list '%s' rejected", bad[i]);
}

static void test_config_json(void) {
    ax_mlp_config c = ax_mlp_defaults(), back;
    c.act = AX_ACT_GELU;
    c.dropout = 0.3f;
    c.input_mean = 0.2860402f;
    c.input_std = 0.3530239f;
    char *json = ax_mlp_config_to_json(&c);
    CHECK(strstr(json, "\"axon_model\":\t\"mlp\"") && strstr(json, "\"dropout\":\t0.3,"), "config json: %s", json);
    CHECK(ax_mlp_config_from_json(json, &back) == AX_OK && memcmp(&c, &back, sizeof c) == 0, "round trip: %s",
          ax_last_error());
    free(json);
    CHECK(ax_mlp_config_from_json("{\"axon_model\": \"mlp\", \"in\": 4, \"hidden\": [], \"classes\": 3, "
                                  "\"activation\": \"tanh\"}",
                                  &back) == AX_OK &&
              back.n_hidden == 0 && back.dropout == 0.0f && back.input_std == 1.0f,
          "optional fields default: %s", ax_last_error());
    static const struct {
        const char *json, *want; // a bad config and a piece of its message
    } bad[] = {
        {"[1]", "not a JSON object"},
        {"{\"axon_model\": \"gpt\"}", "'gpt' model"},
        {"{\"axon_model\": \"mlp\", \"hidden\": [8], \"classes\": 3, \"activation\": \"relu\"}", "\"in\" is missing"},
        {"{\"axon_model\": \"mlp\", \"in\": 4.5, \"hidden\": [8], \"classes\": 3, \"activation\": \"relu\"}", "\"in\""},
        {"{\"axon_model\": \"mlp\", \"in\": 4, \"hidden\": [8, \"x\"], \"classes\": 3, \"activation\": \"relu\"}",
         "hidden width 2"},
        {"{\"axon_model\": \"mlp\", \"in\": 4, \"hidden\": [0], \"classes\": 3, \"activation\": \"relu\"}", "width 0"},
        {"{\"axon_model\": \"mlp\", \"in\": 4, \"hidden\": 8, \"classes\": 3, \"activation\": \"relu\"}",
         "\"hidden\" must be a list"},
        {"{\"axon_model\": \"mlp\", \"in\": 4, \"hidden\": [8], \"classes\": 1, \"activation\": \"relu\"}",
         "\"classes\""},
        {"{\"axon_model\": \"mlp\", \"in\": 4, \"hidden\": [8], \"classes\": 3, \"activation\": \"elu\"}",
         "unknown activation"},
        {"{\"axon_model\": \"mlp\", \"in\": 4, \"hidden\": [8], \"classes\": 3, \"activation\": \"relu\", \"dropout\": "
         "1}",
         "dropout"},
        {"{\"axon_model\": \"mlp\", \"in\": 4, \"hidden\": [8], \"classes\": 3, \"activation\": \"relu\", "
         "\"input_std\": 0}",
         "std"},
        {"{\"axon_model\": \"mlp\", \"in\": 1000000, \"hidden\": [1000000], \"classes\": 3, \"activation\": \"relu\"}",
         "too many"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(ax_mlp_config_from_json(bad[i].json, &back) == AX_ERR && strstr(ax_last_error(), bad[i].want),
              "bad config %zu: '%s', want '%s'", i, ax_last_error(), bad[i].want);
}

static void test_forward(void) {
    ax_manual_seed(3);
    ax_mlp_config c = ax_mlp_defaults();
    c.in = 6, c.classes = 4, c.n_hidden = 2, c.hidden[0] = 5, c.hidden[1] = 3, c.dropout = 0.5f;
    ax_mlp *m = ax_mlp_new(&c);
    CHECK(m->params->n == 6 && ax_params_count(m->params) == 6 * 5 + 5 + 5 * 3 + 3 + 3 * 4 + 4 &&
              strcmp(m->params->items[4].name, "fc3.weight") == 0,
          "parameters fc1..fc3");
    ax_tensor *x = ax_rand(AX_SHAPE(7, 6), 0, 1);
    ax_tensor *y = ax_mlp_forward(m, x, false), *y2 = ax_mlp_forward(m, x, false);
    CHECK(y->ndim == 2 && y->shape[0] == 7 && y->shape[1] == 4, "logits shape %s", ax_shape_str(y));
    CHECK_CLOSE(y, y2, 0, 0); // eval mode is deterministic (no dropout)
    // standardisation: a model with mean/std sees (x − mean) / std
    ax_mlp_config cs = c;
    cs.input_mean = 0.25f, cs.input_std = 0.5f;
    ax_mlp *ms = ax_mlp_new(&cs);
    for (int i = 0; i < m->params->n; i++)
        memcpy(ms->params->items[i].t->data, m->params->items[i].t->data, (size_t)ax_numel(m->params->items[i].t) * 4);
    ax_tensor *ys = ax_mlp_forward(ms, ax_add_scalar(ax_mul_scalar(x, 0.5f), 0.25f), false);
    CHECK_CLOSE(ys, y, 1e-5, 1e-6);
    ax_mlp_free(ms);
    ax_mlp_free(m);
    ax_arena_reset();
}

typedef struct {
    ax_mlp *m;    // the network under test
    ax_tensor *x; // (B, in) inputs
    ax_tensor *t; // (B) targets
} mlp_case;

static ax_tensor *mlp_loss(ax_tensor **inputs, void *ctx) {
    (void)inputs; // the parameters, perturbed in place by gradcheck
    mlp_case *c = ctx;
    return ax_cross_entropy(ax_mlp_forward(c->m, c->x, false), c->t, AX_CE_DEFAULTS);
}

static void test_gradients(void) {
    for (int act = AX_ACT_RELU; act <= AX_ACT_GELU; act++) {
        ax_manual_seed(10 + (uint64_t)act);
        ax_mlp_config c = ax_mlp_defaults();
        c.in = 5, c.classes = 3, c.n_hidden = 2, c.hidden[0] = 4, c.hidden[1] = 4, c.act = (ax_activation)act;
        c.input_mean = 0.1f, c.input_std = 0.7f;
        mlp_case k = {ax_mlp_new(&c), ax_randn(AX_SHAPE(6, 5), 0, 1),
                      ax_from_i32(AX_SHAPE(6), (int32_t[]){0, 1, 2, 2, 1, 0})};
        ax_tensor *params[6];
        for (int i = 0; i < 6; i++) params[i] = k.m->params->items[i].t;
        int bad = ax_gradcheck(mlp_loss, &k, params, 6, GC_EPS, GC_RTOL, GC_ATOL);
        CHECK(bad == 0, "mlp gradcheck with %s: %d elements off", ax_activation_name((ax_activation)act), bad);
        ax_mlp_free(k.m);
        ax_arena_reset();
    }
}

typedef struct {
    int calls;      // callback invocations
    int64_t last_n; // samples reported by the last one
    bool growing;   // every call reported more samples than the one before
} batch_log;

static void count_batches(const ax_class_stats *s, void *ctx) {
    batch_log *b = ctx;
    b->growing = b->growing && s->n > b->last_n;
    b->last_n = s->n;
    b->calls++;
}

static void test_one_epoch_on_slice(void) {
    ax_image_set train, test;
    if (!CHECK(ax_image_set_load_split(SLICE, "train", &train) == AX_OK &&
                   ax_image_set_load_split(SLICE, "t10k", &test) == AX_OK,
               "slice: %s", ax_last_error()))
        return;
    ax_manual_seed(1);
    ax_mlp_config c = ax_mlp_defaults();
    c.n_hidden = 1, c.hidden[0] = 64;
    ax_mlp *m = ax_mlp_new(&c);
    ax_optim_config oc = ax_optim_defaults(AX_OPTIM_ADAMW);
    oc.lr = 3e-3f;
    ax_optim *opt = ax_optim_new(m->params, oc);
    int64_t order[500];
    ax_rng rng;
    ax_rng_seed(&rng, 2);
    ax_permutation(&rng, order, train.n);
    ax_class_stats before = ax_mlp_evaluate(m, &test, NULL, test.n, 64, NULL);
    ax_class_stats tr = ax_mlp_train_epoch(m, opt, NULL, &train, order, train.n, 20, NULL, NULL);
    int64_t conf[100] = {0};
    ax_class_stats after = ax_mlp_evaluate(m, &test, NULL, test.n, 64, conf);
    double acc = (double)after.correct / (double)after.n;
    CHECK(tr.n == 500 && ax_optim_steps(opt) == 25, "one epoch: %lld samples, %lld steps", (long long)tr.n,
          (long long)ax_optim_steps(opt));
    CHECK(acc > 0.5, "test accuracy after one epoch %.3f (chance 0.1, expect ~0.7)", acc);
    CHECK(after.loss_sum < 0.6 * before.loss_sum, "test loss %.3f → %.3f", before.loss_sum / 150, after.loss_sum / 150);
    int64_t total = 0, diag = 0;
    for (int i = 0; i < 100; i++) total += conf[i], diag += i % 11 == 0 ? conf[i] : 0;
    CHECK(total == 150 && diag == after.correct, "confusion matrix: %lld entries, %lld on the diagonal",
          (long long)total, (long long)diag);
    // predictions: probabilities summing to 1 whose arg-max agrees with evaluation
    float probs[150 * 10];
    ax_mlp_predict(m, &test, NULL, test.n, probs);
    int64_t correct = 0;
    bool sums = true;
    for (int64_t i = 0; i < test.n; i++) {
        int best = 0;
        double s = 0;
        for (int k = 0; k < 10; k++) s += probs[i * 10 + k], best = probs[i * 10 + k] > probs[i * 10 + best] ? k : best;
        sums = sums && fabs(s - 1) < 1e-5;
        correct += best == test.labels[i];
    }
    CHECK(sums && correct == after.correct, "predict: sums to 1, %lld correct vs %lld", (long long)correct,
          (long long)after.correct);
    // the callback runs once per step with growing totals; the schedule sets the lr before every step
    batch_log bl = {0, 0, true};
    ax_lr_schedule sched = {.kind = AX_LR_STEP, .base_lr = 1e-3f, .step_size = 2, .gamma = 0.5f};
    ax_mlp_train_epoch(m, opt, &sched, &train, order, 100, 30, count_batches, &bl);
    CHECK(bl.calls == 4 && bl.last_n == 100 && bl.growing, "callback: %d calls, last n %lld", bl.calls,
          (long long)bl.last_n);
    CHECK(ax_optim_lr(opt) == ax_lr_at(&sched, 28), "lr %g at step 28, schedule says %g", (double)ax_optim_lr(opt),
          (double)ax_lr_at(&sched, 28));
    ax_optim_free(opt);
    ax_mlp_free(m);
    ax_image_set_free(&train);
    ax_image_set_free(&test);
}

int main(void) {
    test_names_and_lists();
    test_config_json();
    test_forward();
    test_gradients();
    test_one_epoch_on_slice();
    return check_report();
}
