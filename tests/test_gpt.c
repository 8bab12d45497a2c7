/* GPT-2 against PyTorch (tools/fixtures/gpt.py, a tiny GPT: V 64, T 8, C 32, 2 layers, 4 heads): parameter
 * names, shapes and layout of a Hugging Face GPT-2 state_dict, logits, loss, every gradient, 10 AdamW steps;
 * GPT-2 initialisation; the KV-cache path against the full forward; checkpoint round trip, Hugging Face
 * variants, and bad checkpoints (one clear error, model untouched). */
#include "check.h"

#include <cjson/cJSON.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIX_DIR AX_FIXTURE_DIR "/gpt"

/* Gradients: 1e-4 relative (the bound) + 1e-6 absolute. Each is a sum over B·T positions of products
 * through 2 blocks; float32 summation in a different order (GEMM blocking, fused softmax) moves the last bits. */
#define GRAD_RTOL 1e-4
#define GRAD_ATOL 1e-6

static ax_safetensors *parity; // tests/fixtures/gpt/parity.safetensors

// a step tensor holding a fixture entry (f32 or i32)
static ax_tensor *fixture(const char *name) {
    const ax_st_entry *e = ax_safetensors_find(parity, name);
    AX_ASSERT(e, "fixture tensor %s is missing", name);
    AX_ASSERT(e->ndim <= AX_MAX_DIMS && (e->dtype == AX_F32 || e->dtype == AX_I32), "fixture tensor %s", name);
    ax_tensor *t = ax_empty_dtype(e->dtype, e->ndim, e->shape);
    memcpy(t->data, e->data, e->nbytes);
    return t;
}

static float meta(const char *key) {
    const char *v = ax_safetensors_meta(parity, key);
    AX_ASSERT(v, "fixture metadata %s is missing", key);
    return strtof(v, NULL);
}

static ax_gpt *load_fixture_model(void) {
    ax_gpt *m;
    int rc = ax_gpt_load(FIX_DIR, &m);
    AX_ASSERT(rc == AX_OK, "loading the fixture: %s", ax_last_error());
    return m;
}

/* Names, order and shapes equal those of the reference model's state_dict (HF GPT2LMHeadModel's, less the
 * tied lm_head.weight), in the order model.safetensors stores them. */
static void test_hf_names(void) {
    ax_safetensors *st;
    CHECK(ax_safetensors_read(FIX_DIR "/model.safetensors", &st) == AX_OK, "%s", ax_last_error());
    ax_gpt_config cfg;
    CHECK(ax_gpt_config_read(FIX_DIR, &cfg) == AX_OK, "%s", ax_last_error());
    CHECK(cfg.vocab_size == 64 && cfg.block_size == 8 && cfg.n_layer == 2 && cfg.n_head == 4 && cfg.n_embd == 32 &&
              cfg.bias && cfg.ln_eps == 1e-5f,
          "fixture config read back");
    ax_params *p = ax_params_new();
    ax_gpt *m = ax_gpt_new(&cfg, p);
    CHECK(p->n == st->n && p->n == 4 + 12 * cfg.n_layer, "%d parameters, reference has %d", p->n, st->n);
    for (int i = 0; i < p->n && i < st->n; i++) {
        const ax_st_entry *e = &st->entries[i];
        const ax_tensor *t = p->items[i].t;
        bool same = strcmp(p->items[i].name, e->name) == 0 && t->ndim == e->ndim;
        for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == e->shape[d];
        CHECK(same, "parameter %d: axon %s %s, PyTorch %s", i, p->items[i].name, ax_shape_str(t), e->name);
        CHECK(p->items[i].no_decay == (t->ndim == 1), "%s: no_decay exactly for 1-D parameters", p->items[i].name);
    }
    CHECK(strcmp(p->items[4].name, "transformer.h.0.attn.c_attn.weight") == 0 && m->h[0].attn_w == p->items[4].t &&
              m->h[0].attn_w->shape[0] == 32 && m->h[0].attn_w->shape[1] == 96,
          "c_attn is Conv1D (in, out) = (32, 96)");
    CHECK(ax_params_count(p) == ax_gpt_config_n_params(&cfg), "n_params %lld vs registry %lld",
          (long long)ax_gpt_config_n_params(&cfg), (long long)ax_params_count(p));
    ax_gpt_config g2 = ax_gpt_config_default();
    CHECK(ax_gpt_config_n_params(&g2) == 124439808, "GPT-2 124M has 124,439,808 parameters, got %lld",
          (long long)ax_gpt_config_n_params(&g2));
    ax_gpt_free(m);
    ax_params_free(p);
    ax_safetensors_free(st);
}

// logits of the batch and of a shorter sequence (T < block_size), and the loss with one ignored target
static void test_forward(ax_gpt *m) {
    ax_tensor *logits = ax_gpt_forward(m, fixture("idx"), false);
    CHECK(logits->ndim == 3 && logits->shape[0] == 3 && logits->shape[1] == 8 && logits->shape[2] == 64, "logits %s",
          ax_shape_str(logits));
    CHECK_CLOSE(logits, fixture("logits"), FP32_RTOL, FP32_ATOL);
    CHECK_CLOSE(ax_gpt_forward(m, fixture("idx_short"), false), fixture("logits_short"), FP32_RTOL, FP32_ATOL);
    ax_arena_reset();
}

static void test_gradients(ax_gpt *m) {
    ax_params_zero_grad(m->params);
    ax_tensor *loss = ax_gpt_loss(m, fixture("idx"), fixture("targets"), true); // dropout 0: train == eval
    CHECK_CLOSE(loss, fixture("loss"), FP32_RTOL, FP32_ATOL);
    ax_backward(loss);
    for (int i = 0; i < m->params->n; i++) {
        char name[160];
        snprintf(name, sizeof name, "grad.%s", m->params->items[i].name);
        check_close(m->params->items[i].t->grad, fixture(name), GRAD_RTOL, GRAD_ATOL, __FILE__, __LINE__, name);
    }
    ax_arena_reset();
}

/* 10 AdamW steps (decay on the 2-D weights, gradient clipping at 1.0), as the fixture: the loss before each
 * step and after the last, within 1e-5 relative. */
static void test_adamw(ax_gpt *m) {
    ax_optim_config oc = ax_optim_defaults(AX_OPTIM_ADAMW);
    oc.lr = meta("lr");
    oc.beta1 = meta("beta1");
    oc.beta2 = meta("beta2");
    oc.eps = meta("eps");
    oc.weight_decay = meta("weight_decay");
    ax_optim *opt = ax_optim_new(m->params, oc);
    ax_tensor *expected = ax_tensor_keep(fixture("adamw_losses"));
    int n = (int)ax_numel(expected);
    for (int step = 0; step < n; step++) {
        ax_tensor *loss = ax_gpt_loss(m, fixture("idx"), fixture("targets"), true);
        float got = ax_item(loss), want = ax_f32(expected)[step];
        CHECK(fabsf(got - want) <= 1e-5f * fabsf(want), "AdamW loss before step %d: %.7f, PyTorch %.7f", step, got, want);
        if (step < n - 1) {
            ax_optim_zero_grad(opt);
            ax_backward(loss);
            ax_clip_grad_norm(m->params, meta("clip"));
            ax_optim_step(opt);
        }
        ax_arena_reset();
    }
    CHECK(ax_f32(expected)[n - 1] < 0.5f * ax_f32(expected)[0], "the fixture's loss falls");
    ax_tensor_free(expected);
    ax_optim_free(opt);
}

/* GPT-2 init: weights N(0, 0.02), residual projections N(0, 0.02/√(2L)), biases 0, LayerNorm 1 / 0. */
static double std_of(const ax_tensor *t) {
    double s = 0, s2 = 0;
    int64_t n = ax_numel(t);
    for (int64_t i = 0; i < n; i++) s += ax_f32(t)[i], s2 += (double)ax_f32(t)[i] * ax_f32(t)[i];
    return sqrt(s2 / (double)n - (s / (double)n) * (s / (double)n));
}

static void test_init(void) {
    ax_gpt_config cfg = {.vocab_size = 512, .block_size = 64, .n_layer = 8, .n_head = 4, .n_embd = 64, .bias = true,
                         .ln_eps = 1e-5f};
    ax_params *p = ax_params_new();
    ax_gpt *m = ax_gpt_new(&cfg, p);
    ax_manual_seed(7);
    ax_gpt_init(m);
    const double proj = 0.02 / sqrt(16.0);
    CHECK(fabs(std_of(m->wte) - 0.02) < 0.001, "wte std %.5f", std_of(m->wte));
    CHECK(fabs(std_of(m->wpe) - 0.02) < 0.002, "wpe std %.5f", std_of(m->wpe));
    CHECK(fabs(std_of(m->h[3].fc_w) - 0.02) < 0.001, "c_fc std %.5f", std_of(m->h[3].fc_w));
    CHECK(fabs(std_of(m->h[3].attn_w) - 0.02) < 0.001, "c_attn std %.5f", std_of(m->h[3].attn_w));
    CHECK(fabs(std_of(m->h[5].mlp_proj_w) - proj) < 0.1 * proj, "mlp c_proj std %.5f, want %.5f",
          std_of(m->h[5].mlp_proj_w), proj);
    CHECK(fabs(std_of(m->h[5].attn_proj_w) - proj) < 0.1 * proj, "attn c_proj std %.5f, want %.5f",
          std_of(m->h[5].attn_proj_w), proj);
    bool ln_ok = true;
    for (int c = 0; c < cfg.n_embd; c++)
        ln_ok = ln_ok && ax_f32(m->h[1].ln_2_w)[c] == 1.0f && ax_f32(m->h[1].ln_2_b)[c] == 0.0f &&
                ax_f32(m->ln_f_w)[c] == 1.0f && ax_f32(m->h[2].attn_proj_b)[c] == 0.0f;
    CHECK(ln_ok, "LayerNorm 1 / 0, biases 0");
    ax_gpt_free(m);
    ax_params_free(p);
}

/* The KV-cache path against the full forward: logits at every position, fed one token at a time and as a
 * prompt chunk followed by single tokens, after a reset. Same math in a different order: 1e-5 relative. */
static void test_kv_cache(ax_gpt *m) {
    ax_tensor *idx = fixture("idx");
    ax_tensor *full = ax_gpt_forward(m, ax_narrow(idx, 0, 1, 1), false); // (1, 8, 64), sequence 1
    const int32_t *tok = ax_i32(idx) + 8;
    ax_gpt_kv *kv = ax_gpt_kv_new(m);
    for (int round = 0; round < 2; round++) {
        ax_gpt_kv_reset(kv);
        int t = 0;
        if (round == 1) { // a 5-token prompt in one chunk
            const float *lg = ax_gpt_kv_forward(m, kv, tok, 5);
            t = 5;
            CHECK_CLOSE(ax_from_f32(AX_SHAPE(64), lg), ax_narrow(ax_narrow(full, 1, 4, 1), 0, 0, 1), FP32_RTOL, FP32_ATOL);
        }
        for (; t < 8; t++) {
            const float *lg = ax_gpt_kv_forward(m, kv, tok + t, 1);
            check_close(ax_from_f32(AX_SHAPE(64), lg), ax_narrow(full, 1, t, 1), FP32_RTOL, FP32_ATOL, __FILE__, __LINE__,
                        round ? "kv logits after a prompt chunk" : "kv logits one token at a time");
        }
        CHECK(ax_gpt_kv_len(kv) == 8, "kv holds %d positions", ax_gpt_kv_len(kv));
    }
    ax_gpt_kv_free(kv);
    ax_arena_reset();
}

/* ---- checkpoints ---- */

static char tmp_root[64]; // a fresh directory under /tmp for this run

static const char *tmp_path(const char *name) {
    static char buf[4][256];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, 256, "%s/%s", tmp_root, name);
    return p;
}

static void write_text(const char *path, const char *text) {
    CHECK(ax_write_file_atomic(path, text, strlen(text)) == AX_OK, "%s", ax_last_error());
}

static bool params_equal(const ax_params *a, const ax_params *b) {
    if (a->n != b->n) return false;
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->items[i].name, b->items[i].name) != 0 || !ax_same_shape(a->items[i].t, b->items[i].t) ||
            memcmp(a->items[i].t->data, b->items[i].t->data, (size_t)ax_numel(a->items[i].t) * sizeof(float)) != 0)
            return false;
    return true;
}

static void test_round_trip(const ax_gpt *m) {
    const char *dir = tmp_path("ckpt/nested");
    CHECK(ax_gpt_save(m, dir, "{\"axon_tokenizer\": \"char\", \"eos_token_id\": 3}") == AX_OK, "%s", ax_last_error());
    ax_gpt *back;
    CHECK(ax_gpt_load(dir, &back) == AX_OK, "%s", ax_last_error());
    if (!back) return;
    const ax_gpt_config *a = &back->cfg, *b = &m->cfg;
    CHECK(a->vocab_size == b->vocab_size && a->block_size == b->block_size && a->n_layer == b->n_layer &&
              a->n_head == b->n_head && a->n_embd == b->n_embd && a->dropout == b->dropout && a->bias == b->bias &&
              a->ln_eps == b->ln_eps,
          "config round trip");
    CHECK(params_equal(back->params, m->params), "weights round trip bit for bit");
    void *text;
    size_t len;
    CHECK(ax_read_file(tmp_path("ckpt/nested/config.json"), 1 << 20, &text, &len) == AX_OK, "%s", ax_last_error());
    cJSON *j = cJSON_Parse(text);
    const char *want[][2] = {{"axon_tokenizer", "char"}, {"model_type", "gpt2"}, {"axon_model", "gpt"},
                             {"activation_function", "gelu_new"}};
    for (int i = 0; i < 4; i++)
        CHECK(cJSON_IsString(cJSON_GetObjectItem(j, want[i][0])) &&
                  strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(j, want[i][0])), want[i][1]) == 0,
              "config.json %s = %s: %s", want[i][0], want[i][1], (char *)text);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "eos_token_id")) == 3 &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(j, "n_positions")) == 8 &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(j, "layer_norm_epsilon")) == 1e-5,
          "config.json numbers: %s", (char *)text);
    cJSON_Delete(j);
    free(text);
    CHECK(ax_gpt_save(m, dir, "[1, 2]") == AX_ERR && strstr(ax_last_error(), "not a JSON object"), "bad extra: %s",
          ax_last_error());
    ax_gpt_free(back);
}

/* A checkpoint as older transformers versions save it: no "transformer." prefix, the attn.bias and
 * attn.masked_bias buffers, a tied lm_head.weight, and an HF config without axon's keys. */
static void test_hf_variant(ax_gpt *m) {
    int n = m->params->n;
    ax_st_entry *e = calloc((size_t)n + 5, sizeof *e);
    char (*names)[128] = calloc((size_t)n + 5, sizeof *names);
    ax_tensor *mask = ax_tensor_new(AX_F32, AX_SHAPE(1, 1, 8, 8)), *masked = ax_tensor_new(AX_F32, AX_SHAPE(1));
    for (int i = 0; i < n; i++) {
        const ax_tensor *t = m->params->items[i].t;
        snprintf(names[i], sizeof names[i], "%s", m->params->items[i].name + strlen("transformer."));
        e[i] = (ax_st_entry){.name = names[i], .dtype = AX_F32, .ndim = t->ndim, .data = t->data,
                             .nbytes = (size_t)ax_numel(t) * 4};
        memcpy(e[i].shape, t->shape, sizeof t->shape);
    }
    for (int l = 0; l < 2; l++) {
        snprintf(names[n + 2 * l], 128, "h.%d.attn.bias", l);
        snprintf(names[n + 2 * l + 1], 128, "h.%d.attn.masked_bias", l);
        e[n + 2 * l] = (ax_st_entry){.name = names[n + 2 * l], .dtype = AX_F32, .ndim = 4, .shape = {1, 1, 8, 8},
                                     .data = mask->data, .nbytes = 64 * 4};
        e[n + 2 * l + 1] = (ax_st_entry){.name = names[n + 2 * l + 1], .dtype = AX_F32, .ndim = 0, .data = masked->data,
                                         .nbytes = 4};
    }
    e[n + 4] = e[0]; // wte
    e[n + 4].name = "lm_head.weight";
    CHECK(ax_gpt_save(m, tmp_path("hf"), NULL) == AX_OK, "%s", ax_last_error());
    CHECK(ax_safetensors_write(tmp_path("hf/model.safetensors"), e, n + 5, NULL, NULL, 0) == AX_OK, "%s",
          ax_last_error());
    write_text(tmp_path("hf/config.json"),
               "{\"activation_function\": \"gelu_new\", \"model_type\": \"gpt2\", \"n_ctx\": 8, \"n_embd\": 32,"
               " \"n_head\": 4, \"n_layer\": 2, \"n_positions\": 8, \"resid_pdrop\": 0.1, \"vocab_size\": 64}");
    ax_gpt *hf;
    CHECK(ax_gpt_load(tmp_path("hf"), &hf) == AX_OK, "HF variant: %s", ax_last_error());
    if (hf) {
        CHECK(params_equal(hf->params, m->params) && hf->cfg.dropout == 0.1f && hf->cfg.bias, "HF variant loads");
        ax_gpt_free(hf);
    }
    // an lm_head that is not wte cannot be represented
    e[n + 4].data = e[2].data; // ln_1.weight's bytes, sized wrong on purpose: differs
    e[n + 4].ndim = 1;
    e[n + 4].shape[0] = 32;
    e[n + 4].nbytes = 32 * 4;
    CHECK(ax_safetensors_write(tmp_path("hf/model.safetensors"), e, n + 5, NULL, NULL, 0) == AX_OK, "%s",
          ax_last_error());
    CHECK(ax_gpt_load(tmp_path("hf"), &hf) == AX_ERR && strstr(ax_last_error(), "lm_head"), "untied: %s",
          ax_last_error());
    ax_tensor_free(mask);
    ax_tensor_free(masked);
    free(names);
    free(e);
}

/* Loading `dir` fails with one line containing `want`, through ax_gpt_load and (when the weights are at fault)
 * through ax_gpt_load_weights into m, which keeps its weights. */
static void expect_load_error(ax_gpt *m, const char *dir, const char *want, bool weights_at_fault) {
    ax_params *before = ax_params_new();
    for (int i = 0; i < m->params->n; i++) {
        ax_tensor *t = ax_params_add(before, m->params->items[i].name, m->params->items[i].t->ndim,
                                     m->params->items[i].t->shape);
        memcpy(t->data, m->params->items[i].t->data, (size_t)ax_numel(t) * 4);
    }
    ax_gpt *other = NULL;
    bool failed = ax_gpt_load(dir, &other) == AX_ERR && !other;
    const char *msg = ax_last_error();
    CHECK(failed && strstr(msg, want) && !strchr(msg, '\n'), "%s: want one line with '%s', got '%s'", dir, want, msg);
    if (weights_at_fault) {
        failed = ax_gpt_load_weights(m, dir) == AX_ERR;
        msg = ax_last_error();
        CHECK(failed && strstr(msg, want), "load_weights %s: want '%s', got '%s'", dir, want, msg);
    }
    CHECK(params_equal(before, m->params), "%s: the model is unchanged after a failed load", dir);
    ax_params_free(before);
}

static void test_bad_checkpoints(ax_gpt *m) {
    ax_gpt_config wide = m->cfg;
    wide.vocab_size = 65;
    ax_params *p = ax_params_new();
    ax_gpt *other = ax_gpt_new(&wide, p);
    CHECK(ax_gpt_save(other, tmp_path("wide"), NULL) == AX_OK, "%s", ax_last_error());
    ax_gpt_free(other);
    ax_params_free(p);
    // weights of another config (model.safetensors of vocab 65, config.json of ours)
    CHECK(ax_gpt_save(m, tmp_path("mismatch"), NULL) == AX_OK, "%s", ax_last_error());
    rename(tmp_path("wide/model.safetensors"), tmp_path("mismatch/model.safetensors"));
    expect_load_error(m, tmp_path("mismatch"), "has shape (65, 32) but the config", true);
    expect_load_error(m, tmp_path("absent"), "cannot open", true);
    CHECK(ax_gpt_save(m, tmp_path("corrupt"), NULL) == AX_OK, "%s", ax_last_error());
    write_text(tmp_path("corrupt/config.json"), "{\"vocab_size\": 64, \"n_layer\": ");
    expect_load_error(m, tmp_path("corrupt"), "not valid JSON", false);
    write_text(tmp_path("corrupt/config.json"), "{\"axon_model\": \"mlp\"}");
    expect_load_error(m, tmp_path("corrupt"), "a 'mlp' checkpoint", false);
    write_text(tmp_path("corrupt/config.json"), "{\"vocab_size\": 64, \"n_layer\": 2, \"n_head\": 5, \"n_embd\": 32, \"n_positions\": 8}");
    expect_load_error(m, tmp_path("corrupt"), "multiple of n_head", false);
    write_text(tmp_path("corrupt/config.json"), "{\"model_type\": \"llama\"}");
    expect_load_error(m, tmp_path("corrupt"), "model_type 'llama'", false);
    CHECK(ax_gpt_save(m, tmp_path("corrupt"), NULL) == AX_OK, "%s", ax_last_error());
    write_text(tmp_path("corrupt/model.safetensors"), "not a safetensors file at all");
    expect_load_error(m, tmp_path("corrupt"), "model.safetensors", true);
}

/* Without biases (LayerNorm weight only, Conv1D without bias) the KV path still equals the full forward; with
 * dropout, training mode perturbs the logits and eval mode does not. */
static void test_no_bias_and_dropout(void) {
    ax_gpt_config cfg = {.vocab_size = 40, .block_size = 12, .n_layer = 2, .n_head = 2, .n_embd = 16, .bias = false,
                         .dropout = 0.5f, .ln_eps = 1e-5f};
    ax_params *p = ax_params_new();
    ax_gpt *m = ax_gpt_new(&cfg, p);
    CHECK(p->n == 2 + 6 * 2 + 1 && ax_params_count(p) == ax_gpt_config_n_params(&cfg) && !m->h[0].attn_b &&
              !m->ln_f_b,
          "no biases: %d parameters", p->n);
    ax_manual_seed(11);
    ax_gpt_init(m);
    int32_t ids[12];
    for (int t = 0; t < 12; t++) ids[t] = (t * 7 + 3) % 40;
    ax_tensor *idx = ax_from_i32(AX_SHAPE(1, 12), ids);
    ax_tensor *eval = ax_gpt_forward(m, idx, false), *train = ax_gpt_forward(m, idx, true);
    float diff = 0;
    for (int64_t i = 0; i < ax_numel(eval); i++) diff = fmaxf(diff, fabsf(ax_f32(eval)[i] - ax_f32(train)[i]));
    CHECK(diff > 1e-3f, "dropout 0.5 changes the training logits (max diff %g)", diff);
    ax_gpt_kv *kv = ax_gpt_kv_new(m);
    const float *lg = ax_gpt_kv_forward(m, kv, ids, 7);
    CHECK_CLOSE(ax_from_f32(AX_SHAPE(40), lg), ax_narrow(eval, 1, 6, 1), FP32_RTOL, FP32_ATOL);
    for (int t = 7; t < 12; t++) lg = ax_gpt_kv_forward(m, kv, ids + t, 1);
    CHECK_CLOSE(ax_from_f32(AX_SHAPE(40), lg), ax_narrow(eval, 1, 11, 1), FP32_RTOL, FP32_ATOL);
    ax_gpt_kv_free(kv);
    ax_arena_reset();
    ax_gpt_free(m);
    ax_params_free(p);
}

int main(void) {
    CHECK(ax_safetensors_read(FIX_DIR "/parity.safetensors", &parity) == AX_OK, "%s", ax_last_error());
    test_hf_names();
    ax_gpt *m = load_fixture_model();
    test_forward(m);
    test_kv_cache(m);
    snprintf(tmp_root, sizeof tmp_root, "/tmp/axon_gpt_XXXXXX");
    CHECK(mkdtemp(tmp_root) != NULL, "mkdtemp");
    test_round_trip(m);
    test_hf_variant(m);
    test_bad_checkpoints(m);
    test_gradients(m);
    test_adamw(m);
    ax_gpt_free(m);
    test_init();
    test_no_bias_and_dropout();
    ax_safetensors_free(parity);
    ax_arena_release();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_root);
    CHECK(system(cmd) == 0, "%s", cmd);
    return check_report();
}
