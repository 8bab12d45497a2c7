/* The Transformer's configurations, config.json and checkpoints (include/axon/transformer.h). */
#include "axon/io.h"
#include "axon/transformer.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VOCAB 4000000 // largest vocabulary accepted from a config
#define MAX_WIDTH 65536   // largest d_model or d_ff
#define MAX_LAYERS 64     // most layers per stack
#define MAX_LEN 65536     // most positions

ax_transformer_config ax_transformer_config_small(int vocab, int32_t eot) {
    return (ax_transformer_config){.vocab = vocab, .d_model = 256, .n_head = 4, .d_ff = 1024, .enc_layers = 3,
                                   .dec_layers = 3, .dropout = 0.1f, .pre_ln = false, .learned_pos = false,
                                   .max_len = 128, .ln_eps = 1e-5f, .eot = eot};
}

ax_transformer_config ax_transformer_config_base(int vocab, int32_t eot) {
    return (ax_transformer_config){.vocab = vocab, .d_model = 512, .n_head = 8, .d_ff = 2048, .enc_layers = 6,
                                   .dec_layers = 6, .dropout = 0.1f, .pre_ln = false, .learned_pos = false,
                                   .max_len = 256, .ln_eps = 1e-5f, .eot = eot};
}

int ax_transformer_config_check(const ax_transformer_config *c) {
    if (c->vocab < 1 || c->vocab > MAX_VOCAB) return ax_error("transformer config: vocab must be 1..%d", MAX_VOCAB);
    if (c->eot < 0 || c->eot >= c->vocab)
        return ax_error("transformer config: eot id %d is outside the vocabulary (%d)", c->eot, c->vocab);
    if (c->n_head < 1 || c->d_model < 1 || c->d_model > MAX_WIDTH || c->d_model % c->n_head != 0)
        return ax_error("transformer config: d_model (%d) must be a multiple of n_head (%d), at most %d", c->d_model,
                        c->n_head, MAX_WIDTH);
    if (c->d_ff < 1 || c->d_ff > MAX_WIDTH) return ax_error("transformer config: d_ff must be 1..%d", MAX_WIDTH);
    if (c->enc_layers < 1 || c->enc_layers > MAX_LAYERS || c->dec_layers < 1 || c->dec_layers > MAX_LAYERS)
        return ax_error("transformer config: enc_layers and dec_layers must be 1..%d", MAX_LAYERS);
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f)) return ax_error("transformer config: dropout must be in [0, 1)");
    if (c->max_len < 2 || c->max_len > MAX_LEN) return ax_error("transformer config: max_len must be 2..%d", MAX_LEN);
    if (!(c->ln_eps > 0.0f && c->ln_eps < 1.0f)) return ax_error("transformer config: ln_eps must be in (0, 1)");
    return AX_OK;
}

// a float member written with 6 significant digits ("0.1", not 0.10000000149011612)
static void add_float(cJSON *j, const char *key, float v) {
    char text[32];
    snprintf(text, sizeof text, "%.6g", (double)v);
    cJSON_AddRawToObject(j, key, text);
}

char *ax_transformer_config_to_json(const ax_transformer_config *c) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "axon_model", "transformer");
    cJSON_AddNumberToObject(j, "vocab_size", c->vocab);
    cJSON_AddNumberToObject(j, "d_model", c->d_model);
    cJSON_AddNumberToObject(j, "n_head", c->n_head);
    cJSON_AddNumberToObject(j, "d_ff", c->d_ff);
    cJSON_AddNumberToObject(j, "enc_layers", c->enc_layers);
    cJSON_AddNumberToObject(j, "dec_layers", c->dec_layers);
    add_float(j, "dropout", c->dropout);
    cJSON_AddBoolToObject(j, "pre_ln", c->pre_ln);
    cJSON_AddBoolToObject(j, "learned_pos", c->learned_pos);
    cJSON_AddNumberToObject(j, "max_len", c->max_len);
    add_float(j, "ln_eps", c->ln_eps);
    cJSON_AddNumberToObject(j, "eot_id", c->eot);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    AX_ASSERT(text, "out of memory printing a transformer config");
    return text;
}

// member `key` as a whole number in [0, max], or (max < 0) any number
static int json_number(const cJSON *j, const char *key, double max, double *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    bool whole = max >= 0;
    if (!cJSON_IsNumber(v) || (whole && (v->valuedouble != (double)(int64_t)v->valuedouble || v->valuedouble < 0 ||
                                         v->valuedouble > max)))
        return ax_error("transformer config: \"%s\" is missing or not a%s number", key, whole ? " valid whole" : "");
    *out = v->valuedouble;
    return AX_OK;
}

static int json_bool(const cJSON *j, const char *key, bool *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!cJSON_IsBool(v)) return ax_error("transformer config: \"%s\" is missing or not true/false", key);
    *out = cJSON_IsTrue(v);
    return AX_OK;
}

int ax_transformer_config_from_json(const char *json, ax_transformer_config *cfg) {
    static const char *const keys[] = {"vocab_size", "d_model", "n_head", "d_ff",   "enc_layers",
                                       "dec_layers", "max_len", "eot_id", "dropout", "ln_eps"};
    static const double max[] = {MAX_VOCAB, MAX_WIDTH, MAX_WIDTH, MAX_WIDTH, MAX_LAYERS,
                                 MAX_LAYERS, MAX_LEN,  MAX_VOCAB, -1,        -1};
    enum { N_KEYS = sizeof keys / sizeof *keys };
    double v[N_KEYS];
    ax_transformer_config c = {0};
    cJSON *j = cJSON_Parse(json);
    const char *model = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "axon_model"));
    int rc = model && strcmp(model, "transformer") == 0 ? AX_OK : ax_error("config is not a transformer model's");
    for (int i = 0; i < N_KEYS && rc == AX_OK; i++) rc = json_number(j, keys[i], max[i], &v[i]);
    if (rc == AX_OK) rc = json_bool(j, "pre_ln", &c.pre_ln);
    if (rc == AX_OK) rc = json_bool(j, "learned_pos", &c.learned_pos);
    cJSON_Delete(j);
    if (rc != AX_OK) return rc;
    c.vocab = (int)v[0], c.d_model = (int)v[1], c.n_head = (int)v[2], c.d_ff = (int)v[3], c.enc_layers = (int)v[4];
    c.dec_layers = (int)v[5], c.max_len = (int)v[6], c.eot = (int32_t)v[7], c.dropout = (float)v[8];
    c.ln_eps = (float)v[9];
    if (ax_transformer_config_check(&c) != AX_OK) return AX_ERR;
    *cfg = c;
    return AX_OK;
}

int ax_transformer_save(const ax_transformer *m, const char *dir) {
    char *json = ax_transformer_config_to_json(&m->cfg);
    int rc = ax_checkpoint_save(dir, json, m->params);
    free(json);
    return rc;
}

int ax_transformer_load(const char *dir, ax_transformer **out) {
    *out = NULL;
    char *json, model[AX_MODEL_NAME_MAX];
    if (ax_checkpoint_read_config(dir, &json, model) != AX_OK) return AX_ERR;
    ax_transformer_config cfg;
    int rc = ax_transformer_config_from_json(json, &cfg);
    free(json);
    if (rc != AX_OK) {
        char why[256];
        snprintf(why, sizeof why, "%s", ax_last_error());
        return ax_error("%s/%s: %s", dir, AX_CKPT_CONFIG, why);
    }
    ax_transformer *m = ax_transformer_new(&cfg);
    if (ax_checkpoint_load_params(dir, m->params) != AX_OK) {
        ax_transformer_free(m);
        return AX_ERR;
    }
    *out = m;
    return AX_OK;
}
