/* The translator's config.json and checkpoint loading (include/axon/seq2seq.h). */
#include "axon/io.h"
#include "axon/seq2seq.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VOCAB 4000000 // largest vocabulary accepted from a config
#define MAX_WIDTH 65536   // largest embedding or hidden size
#define MAX_LEN 4096      // longest sentence

int ax_seq2seq_config_check(const ax_seq2seq_config *c) {
    if (c->src_vocab <= AX_N_SPECIAL || c->src_vocab > MAX_VOCAB || c->tgt_vocab <= AX_N_SPECIAL ||
        c->tgt_vocab > MAX_VOCAB)
        return ax_error("seq2seq: vocabulary sizes must be %d..%d", AX_N_SPECIAL + 1, MAX_VOCAB);
    if (c->emb < 1 || c->emb > MAX_WIDTH || c->hidden < 1 || c->hidden > MAX_WIDTH / 2)
        return ax_error("seq2seq: emb_dim must be 1..%d, hidden_size 1..%d", MAX_WIDTH, MAX_WIDTH / 2);
    if (c->enc_layers < 1 || c->enc_layers > AX_RNN_MAX_LAYERS)
        return ax_error("seq2seq: enc_layers must be 1..%d", AX_RNN_MAX_LAYERS);
    if ((unsigned)c->attn > AX_ATTN_DOT) return ax_error("seq2seq: unknown attention kind %d", (int)c->attn);
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f)) return ax_error("seq2seq: dropout must be in [0, 1)");
    if (c->max_len < 1 || c->max_len > MAX_LEN) return ax_error("seq2seq: max_len must be 1..%d", MAX_LEN);
    return AX_OK;
}

char *ax_seq2seq_config_to_json(const ax_seq2seq_config *c) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "axon_model", "seq2seq");
    cJSON_AddNumberToObject(j, "src_vocab_size", (double)c->src_vocab);
    cJSON_AddNumberToObject(j, "tgt_vocab_size", (double)c->tgt_vocab);
    cJSON_AddNumberToObject(j, "emb_dim", (double)c->emb);
    cJSON_AddNumberToObject(j, "hidden_size", (double)c->hidden);
    cJSON_AddNumberToObject(j, "enc_layers", c->enc_layers);
    cJSON_AddStringToObject(j, "attention", ax_attn_name(c->attn));
    char p[32];
    snprintf(p, sizeof p, "%.6g", (double)c->dropout);
    cJSON_AddRawToObject(j, "dropout", p);
    cJSON_AddNumberToObject(j, "max_len", c->max_len);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    AX_ASSERT(text, "out of memory printing a seq2seq config");
    return text;
}

// member `key` as a whole number in [0, max] (any number when max < 0)
static int json_number(const cJSON *j, const char *key, double max, double *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    bool whole = max >= 0;
    if (!cJSON_IsNumber(v) || (whole && (v->valuedouble != (double)(int64_t)v->valuedouble || v->valuedouble < 0 ||
                                         v->valuedouble > max)))
        return ax_error("seq2seq config: \"%s\" is missing or not a%s number", key, whole ? " valid whole" : "");
    *out = v->valuedouble;
    return AX_OK;
}

int ax_seq2seq_config_from_json(const char *json, ax_seq2seq_config *cfg) {
    cJSON *j = cJSON_Parse(json);
    const char *model = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "axon_model"));
    const char *attn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "attention"));
    static const char *const keys[] = {"src_vocab_size", "tgt_vocab_size", "emb_dim", "hidden_size",
                                       "enc_layers",     "max_len",        "dropout"};
    static const double max[] = {MAX_VOCAB, MAX_VOCAB, MAX_WIDTH, MAX_WIDTH, AX_RNN_MAX_LAYERS, MAX_LEN, -1};
    double v[7];
    ax_seq2seq_config c = {0};
    int rc = model && strcmp(model, "seq2seq") == 0 ? AX_OK : ax_error("config is not a seq2seq model's");
    for (int i = 0; i < 7 && rc == AX_OK; i++) rc = json_number(j, keys[i], max[i], &v[i]);
    if (rc == AX_OK) rc = attn ? ax_attn_parse(attn, &c.attn) : ax_error("seq2seq config: \"attention\" is missing");
    cJSON_Delete(j);
    if (rc != AX_OK) return rc;
    c.src_vocab = (int64_t)v[0], c.tgt_vocab = (int64_t)v[1], c.emb = (int64_t)v[2], c.hidden = (int64_t)v[3];
    c.enc_layers = (int)v[4], c.max_len = (int)v[5], c.dropout = (float)v[6];
    if (ax_seq2seq_config_check(&c) != AX_OK) return AX_ERR;
    *cfg = c;
    return AX_OK;
}

int ax_seq2seq_load(const char *dir, ax_seq2seq **out) {
    *out = NULL;
    char *json, model[AX_MODEL_NAME_MAX];
    if (ax_checkpoint_read_config(dir, &json, model) != AX_OK) return AX_ERR;
    ax_seq2seq_config cfg;
    int rc = ax_seq2seq_config_from_json(json, &cfg);
    free(json);
    if (rc != AX_OK) {
        char why[256];
        snprintf(why, sizeof why, "%s", ax_last_error());
        return ax_error("%s/%s: %s", dir, AX_CKPT_CONFIG, why);
    }
    ax_seq2seq *m = ax_seq2seq_new(&cfg);
    if (ax_checkpoint_load_params(dir, m->params) != AX_OK) {
        ax_seq2seq_free(m);
        return AX_ERR;
    }
    *out = m;
    return AX_OK;
}
