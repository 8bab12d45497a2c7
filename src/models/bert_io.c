/* The BERT-style encoder's checkpoint (include/axon/bert.h): config.json with the sizes and the tag set,
 * model.safetensors, the BPE files. */
#include "axon/bert.h"
#include "axon/io.h"
#include "ner/tagset_json.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *key; // config.json member
    size_t offset;   // of the int field in ax_bert_config
} SIZES[] = {
    {"vocab_size", offsetof(ax_bert_config, vocab)}, {"d_model", offsetof(ax_bert_config, d_model)},
    {"n_head", offsetof(ax_bert_config, n_head)},    {"d_ff", offsetof(ax_bert_config, d_ff)},
    {"num_layers", offsetof(ax_bert_config, layers)}, {"max_len", offsetof(ax_bert_config, max_len)},
    {"num_labels", offsetof(ax_bert_config, n_labels)},
};
#define N_SIZES ((int)(sizeof SIZES / sizeof *SIZES))

static int *size_field(ax_bert_config *c, int i) { return (int *)((char *)c + SIZES[i].offset); }

static void add_float(cJSON *j, const char *key, float v) {
    char s[32];
    snprintf(s, sizeof s, "%.9g", (double)v);
    cJSON_AddRawToObject(j, key, s);
}

static cJSON *config_json(const ax_bert *m) {
    cJSON *j = cJSON_CreateObject();
    AX_ASSERT(j, "out of memory");
    cJSON_AddStringToObject(j, "axon_model", "ner");
    cJSON_AddStringToObject(j, "arch", "bert");
    ax_bert_config c = m->cfg;
    for (int i = 0; i < N_SIZES; i++) cJSON_AddNumberToObject(j, SIZES[i].key, *size_field(&c, i));
    add_float(j, "dropout", c.dropout);
    add_float(j, "ln_eps", c.ln_eps);
    ner_tagset_to_json(&m->tags, c.n_labels != 0, j);
    return j;
}

int ax_bert_save(const ax_bert *m, const char *dir, const char *extra_json) {
    AX_ASSERT(m->tok, "bert save: the model has no tokenizer");
    if (ax_mkdir_p(dir) != AX_OK || ax_tokenizer_save(m->tok, dir) != AX_OK) return AX_ERR;
    cJSON *j = config_json(m), *extra = extra_json ? cJSON_Parse(extra_json) : NULL;
    AX_ASSERT(!extra_json || cJSON_IsObject(extra), "bert save: extra_json is not a JSON object");
    for (cJSON *e = extra ? extra->child : NULL; e; e = e->next)
        cJSON_AddItemToObject(j, e->string, cJSON_Duplicate(e, true));
    cJSON_Delete(extra);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    AX_ASSERT(text, "out of memory");
    int rc = ax_checkpoint_save(dir, text, m->params);
    free(text);
    return rc;
}

static bool is_bert(const cJSON *j) {
    const char *model = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "axon_model"));
    const char *arch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "arch"));
    return model && strcmp(model, "ner") == 0 && arch && strcmp(arch, "bert") == 0;
}

// a number member `key`
static int number(const cJSON *j, const char *key, double *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!cJSON_IsNumber(v)) return ax_error("\"%s\" is missing or not a number", key);
    *out = v->valuedouble;
    return AX_OK;
}

static int parse_config(const char *json, ax_bert_config *cfg, ax_tagset *ts) {
    cJSON *j = cJSON_Parse(json);
    ax_bert_config c = {0};
    double v = 0;
    int rc = is_bert(j) ? AX_OK : ax_error("not a BERT-style tagger's config (\"axon_model\": \"ner\", \"arch\": \"bert\")");
    for (int i = 0; i < N_SIZES && rc == AX_OK; i++) {
        rc = number(j, SIZES[i].key, &v);
        if (rc == AX_OK && (v != (double)(int)v || v < 0 || v > 1e8)) rc = ax_error("\"%s\" is not a valid size", SIZES[i].key);
        if (rc == AX_OK) *size_field(&c, i) = (int)v;
    }
    if (rc == AX_OK && (rc = number(j, "dropout", &v)) == AX_OK) c.dropout = (float)v;
    if (rc == AX_OK && (rc = number(j, "ln_eps", &v)) == AX_OK) c.ln_eps = (float)v;
    if (rc == AX_OK) rc = ax_bert_config_check(&c);
    if (rc == AX_OK) rc = ner_tagset_from_json(j, 0, ts);
    if (rc == AX_OK && c.n_labels != 0 && c.n_labels != ax_tagset_size(ts))
        rc = ax_error("\"num_labels\" %d does not fit \"types\" (%d tags)", c.n_labels, ax_tagset_size(ts));
    cJSON_Delete(j);
    *cfg = c;
    return rc;
}

int ax_bert_load(const char *dir, ax_bert **out) {
    *out = NULL;
    char *json, model[AX_MODEL_NAME_MAX];
    if (ax_checkpoint_read_config(dir, &json, model) != AX_OK) return AX_ERR;
    ax_bert_config cfg;
    ax_tagset ts;
    int rc = parse_config(json, &cfg, &ts);
    free(json);
    if (rc != AX_OK) {
        char why[256];
        snprintf(why, sizeof why, "%s", ax_last_error());
        return ax_error("%s/%s: %s", dir, AX_CKPT_CONFIG, why);
    }
    ax_tokenizer *tok;
    if (ax_tokenizer_load(dir, &tok) != AX_OK) return AX_ERR;
    if (ax_tokenizer_kind_of(tok) != AX_TOK_BPE || ax_tokenizer_vocab_size(tok) + 1 != cfg.vocab) {
        ax_tokenizer_free(tok);
        return ax_error("%s: the tokenizer does not fit \"vocab_size\" %d (BPE ids + [MASK])", dir, cfg.vocab);
    }
    ax_bert *m = ax_bert_new(&cfg, cfg.n_labels ? &ts : NULL, tok);
    if (ax_checkpoint_load_params(dir, m->params) != AX_OK) {
        ax_bert_free(m);
        return AX_ERR;
    }
    *out = m;
    return AX_OK;
}

bool ax_bert_is_checkpoint(const char *dir) {
    char *json, model[AX_MODEL_NAME_MAX];
    if (ax_checkpoint_read_config(dir, &json, model) != AX_OK) return false;
    cJSON *j = cJSON_Parse(json);
    bool yes = is_bert(j);
    cJSON_Delete(j);
    free(json);
    return yes;
}
