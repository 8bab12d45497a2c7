/* The BiLSTM-CRF tagger's checkpoint (include/axon/tagger.h): config.json with the architecture and the tag set,
 * model.safetensors, words.txt, chars.txt. */
#include "axon/io.h"
#include "axon/tagger.h"
#include "ner/tagset_json.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *key; // config.json member
    size_t offset;   // of the int64_t field in ax_tagger_config
} SIZES[] = {
    {"word_vocab_size", offsetof(ax_tagger_config, words)}, {"char_vocab_size", offsetof(ax_tagger_config, chars)},
    {"word_dim", offsetof(ax_tagger_config, word_dim)},     {"case_dim", offsetof(ax_tagger_config, case_dim)},
    {"char_dim", offsetof(ax_tagger_config, char_dim)},     {"char_hidden", offsetof(ax_tagger_config, char_hidden)},
    {"hidden_size", offsetof(ax_tagger_config, hidden)},
};
#define N_SIZES ((int)(sizeof SIZES / sizeof *SIZES))

static int64_t *size_field(ax_tagger_config *c, int i) { return (int64_t *)((char *)c + SIZES[i].offset); }

static cJSON *config_json(const ax_tagger *m) {
    cJSON *j = cJSON_CreateObject();
    AX_ASSERT(j, "out of memory");
    cJSON_AddStringToObject(j, "axon_model", "ner");
    cJSON_AddStringToObject(j, "arch", "bilstm-crf");
    ner_tagset_to_json(&m->tags, true, j);
    ax_tagger_config c = m->cfg;
    for (int i = 0; i < N_SIZES; i++) cJSON_AddNumberToObject(j, SIZES[i].key, (double)*size_field(&c, i));
    cJSON_AddNumberToObject(j, "num_layers", c.layers);
    char p[32];
    snprintf(p, sizeof p, "%.6g", (double)c.dropout);
    cJSON_AddRawToObject(j, "dropout", p);
    cJSON_AddNumberToObject(j, "max_word_chars", c.max_word_chars);
    cJSON_AddNumberToObject(j, "gaz_dim", (double)c.gaz_dim);
    return j;
}

int ax_tagger_save(const ax_tagger *m, const char *dir, const char *extra_json) {
    char path[4096];
    if (ax_mkdir_p(dir) != AX_OK) return AX_ERR;
    snprintf(path, sizeof path, "%s/%s", dir, AX_TAGGER_WORDS);
    if (ax_vocab_save(m->words, path) != AX_OK) return AX_ERR;
    snprintf(path, sizeof path, "%s/%s", dir, AX_TAGGER_CHARS);
    if (ax_vocab_save(m->chars, path) != AX_OK) return AX_ERR;
    snprintf(path, sizeof path, "%s/%s", dir, AX_TAGGER_GAZ);
    if (m->gaz && ax_weak_labeler_save(m->gaz, path) != AX_OK) return AX_ERR;
    cJSON *j = config_json(m), *extra = extra_json ? cJSON_Parse(extra_json) : NULL;
    AX_ASSERT(!extra_json || cJSON_IsObject(extra), "tagger save: extra_json is not a JSON object");
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

// whole number member `key` in [0, max]
static int whole(const cJSON *j, const char *key, double max, double *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble || v->valuedouble < 0 ||
        v->valuedouble > max)
        return ax_error("\"%s\" is missing or not a valid whole number", key);
    *out = v->valuedouble;
    return AX_OK;
}

// the architecture and tag set of a config.json
static int parse_config(const char *json, ax_tagger_config *cfg, ax_tagset *ts) {
    cJSON *j = cJSON_Parse(json);
    const char *model = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "axon_model"));
    const char *arch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "arch"));
    const cJSON *drop = cJSON_GetObjectItemCaseSensitive(j, "dropout");
    ax_tagger_config c = {0};
    double v;
    int rc = model && strcmp(model, "ner") == 0 && arch && strcmp(arch, "bilstm-crf") == 0
                 ? ner_tagset_from_json(j, 1, ts)
                 : ax_error("not a BiLSTM-CRF tagger's config (\"axon_model\": \"ner\", \"arch\": \"bilstm-crf\")");
    for (int i = 0; i < N_SIZES && rc == AX_OK; i++)
        if ((rc = whole(j, SIZES[i].key, 1e9, &v)) == AX_OK) *size_field(&c, i) = (int64_t)v;
    if (rc == AX_OK && (rc = whole(j, "num_layers", AX_RNN_MAX_LAYERS, &v)) == AX_OK) c.layers = (int)v;
    if (rc == AX_OK && (rc = whole(j, "max_word_chars", 1e6, &v)) == AX_OK) c.max_word_chars = (int)v;
    bool has_gaz = cJSON_GetObjectItemCaseSensitive(j, "gaz_dim"); // checkpoints before gazetteer features: none
    if (rc == AX_OK && has_gaz && (rc = whole(j, "gaz_dim", 1e9, &v)) == AX_OK) c.gaz_dim = (int64_t)v;
    if (rc == AX_OK && !cJSON_IsNumber(drop)) rc = ax_error("\"dropout\" is missing");
    if (rc == AX_OK) c.dropout = (float)drop->valuedouble, rc = ax_tagger_config_check(&c);
    cJSON_Delete(j);
    *cfg = c;
    return rc;
}

static int load_vocab(const char *dir, const char *name, int64_t size, ax_vocab **v) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (ax_vocab_load(path, v) != AX_OK) return AX_ERR;
    if (ax_vocab_size(*v) == size) return AX_OK;
    return ax_error("%s has %d entries, config.json says %lld", path, ax_vocab_size(*v), (long long)size);
}

int ax_tagger_load(const char *dir, ax_tagger **out) {
    *out = NULL;
    char *json, model[AX_MODEL_NAME_MAX];
    if (ax_checkpoint_read_config(dir, &json, model) != AX_OK) return AX_ERR;
    ax_tagger_config cfg;
    ax_tagset ts;
    int rc = parse_config(json, &cfg, &ts);
    free(json);
    if (rc != AX_OK) {
        char why[256];
        snprintf(why, sizeof why, "%s", ax_last_error());
        return ax_error("%s/%s: %s", dir, AX_CKPT_CONFIG, why);
    }
    ax_vocab *words = NULL, *chars = NULL;
    ax_weak_labeler *gaz = NULL;
    char gaz_dir[4096];
    snprintf(gaz_dir, sizeof gaz_dir, "%s/%s", dir, AX_TAGGER_GAZ);
    if (load_vocab(dir, AX_TAGGER_WORDS, cfg.words, &words) != AX_OK ||
        load_vocab(dir, AX_TAGGER_CHARS, cfg.chars, &chars) != AX_OK ||
        (cfg.gaz_dim && ax_weak_labeler_load(gaz_dir, &gaz) != AX_OK)) {
        ax_vocab_free(words), ax_vocab_free(chars);
        return AX_ERR;
    }
    ax_tagger *m = ax_tagger_new(&cfg, &ts, words, chars, gaz);
    if (ax_checkpoint_load_params(dir, m->params) != AX_OK) {
        ax_tagger_free(m);
        return AX_ERR;
    }
    *out = m;
    return AX_OK;
}

bool ax_tagger_is_checkpoint(const char *dir) {
    char *json, model[AX_MODEL_NAME_MAX];
    if (ax_checkpoint_read_config(dir, &json, model) != AX_OK) return false;
    cJSON *j = cJSON_Parse(json);
    const char *arch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "arch"));
    bool yes = strcmp(model, "ner") == 0 && arch && strcmp(arch, "bilstm-crf") == 0;
    cJSON_Delete(j);
    free(json);
    return yes;
}
