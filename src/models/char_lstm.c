/* The char-LSTM language model (include/axon/rnn.h): one-hot characters → LSTM stack → dense softmax. */
#include "axon/io.h"
#include "axon/rnn.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WIDTH 65536 // largest vocabulary or hidden size accepted from a config

int ax_char_lstm_config_check(const ax_char_lstm_config *cfg) {
    if (cfg->vocab < 2 || cfg->vocab > MAX_WIDTH) return ax_error("char-lstm: vocab_size must be 2..%d", MAX_WIDTH);
    if (cfg->hidden < 1 || cfg->hidden > MAX_WIDTH) return ax_error("char-lstm: hidden_size must be 1..%d", MAX_WIDTH);
    if (cfg->layers < 1 || cfg->layers > AX_RNN_MAX_LAYERS)
        return ax_error("char-lstm: num_layers must be 1..%d", AX_RNN_MAX_LAYERS);
    if (!(cfg->dropout >= 0.0f && cfg->dropout < 1.0f)) return ax_error("char-lstm: dropout must be in [0, 1)");
    return AX_OK;
}

char *ax_char_lstm_config_to_json(const ax_char_lstm_config *cfg) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "axon_model", "char-lstm");
    cJSON_AddNumberToObject(j, "vocab_size", (double)cfg->vocab);
    cJSON_AddNumberToObject(j, "hidden_size", (double)cfg->hidden);
    cJSON_AddNumberToObject(j, "num_layers", cfg->layers);
    char p[32];
    snprintf(p, sizeof p, "%.6g", (double)cfg->dropout);
    cJSON_AddRawToObject(j, "dropout", p);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    AX_ASSERT(text, "out of memory printing a char-lstm config");
    return text;
}

// member `key` as a number (whole when `whole`); AX_ERR naming it otherwise
static int json_number(const cJSON *j, const char *key, bool whole, double *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!cJSON_IsNumber(v) || (whole && v->valuedouble != (double)(int64_t)v->valuedouble))
        return ax_error("char-lstm config: \"%s\" is missing or not a%s number", key, whole ? " whole" : "");
    *out = v->valuedouble;
    return AX_OK;
}

int ax_char_lstm_config_from_json(const char *json, ax_char_lstm_config *cfg) {
    cJSON *j = cJSON_Parse(json);
    const char *model = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "axon_model"));
    double v[4];
    int rc = model && strcmp(model, "char-lstm") == 0 ? AX_OK : ax_error("config is not a char-lstm's");
    static const char *const keys[4] = {"vocab_size", "hidden_size", "num_layers", "dropout"};
    for (int i = 0; i < 4 && rc == AX_OK; i++) rc = json_number(j, keys[i], i < 3, &v[i]);
    cJSON_Delete(j);
    if (rc != AX_OK) return rc;
    ax_char_lstm_config c = {.vocab = v[0] <= MAX_WIDTH ? (int64_t)v[0] : -1,
                             .hidden = v[1] <= MAX_WIDTH ? (int64_t)v[1] : -1,
                             .layers = v[2] <= AX_RNN_MAX_LAYERS ? (int)v[2] : -1,
                             .dropout = (float)v[3]};
    if (ax_char_lstm_config_check(&c) != AX_OK) return AX_ERR;
    *cfg = c;
    return AX_OK;
}

ax_char_lstm *ax_char_lstm_new(const ax_char_lstm_config *cfg) {
    AX_ASSERT(ax_char_lstm_config_check(cfg) == AX_OK, "ax_char_lstm_new: %s", ax_last_error());
    ax_char_lstm *m = calloc(1, sizeof *m);
    AX_ASSERT(m, "out of memory for a char-lstm");
    m->cfg = *cfg;
    m->params = ax_params_new();
    ax_rnn_init(&m->lstm, m->params, "lstm.", AX_LSTM, cfg->vocab, cfg->hidden, cfg->layers, false, cfg->dropout, true);
    ax_linear_layer_init(&m->fc, m->params, "fc", cfg->hidden, cfg->vocab, true);
    return m;
}

void ax_char_lstm_free(ax_char_lstm *m) {
    if (!m) return;
    ax_params_free(m->params);
    free(m);
}

int ax_char_lstm_load(const char *dir, ax_char_lstm **out) {
    *out = NULL;
    char *json, model[AX_MODEL_NAME_MAX];
    if (ax_checkpoint_read_config(dir, &json, model) != AX_OK) return AX_ERR;
    ax_char_lstm_config cfg;
    int rc = ax_char_lstm_config_from_json(json, &cfg);
    free(json);
    if (rc != AX_OK) return rc;
    ax_char_lstm *m = ax_char_lstm_new(&cfg);
    if (ax_checkpoint_load_params(dir, m->params) != AX_OK) {
        ax_char_lstm_free(m);
        return AX_ERR;
    }
    *out = m;
    return AX_OK;
}

// idx (B, T) → one-hot (B, T, V); an id outside [0, V) is a programmer error
static ax_tensor *one_hot(const ax_tensor *idx, int64_t V) {
    int64_t n = ax_numel(idx);
    ax_tensor *x = ax_zeros(AX_SHAPE(idx->shape[0], idx->shape[1], V));
    const int32_t *id = ax_i32(idx);
    float *p = x->data;
    for (int64_t i = 0; i < n; i++) {
        AX_ASSERT(id[i] >= 0 && id[i] < V, "char-lstm: id %d outside the vocabulary of %lld", id[i], (long long)V);
        p[i * V + id[i]] = 1.0f;
    }
    return x;
}

ax_tensor *ax_char_lstm_forward(const ax_char_lstm *m, ax_tensor *idx, ax_tensor *h0, ax_tensor *c0, bool train,
                                ax_tensor **h_n, ax_tensor **c_n) {
    AX_ASSERT(idx->ndim == 2 && idx->dtype == AX_I32 && ax_is_contiguous(idx), "char-lstm: ids %s, want I32 (B, T)",
              ax_shape_str(idx));
    ax_tensor *y = ax_rnn_forward(&m->lstm, one_hot(idx, m->cfg.vocab), h0, c0, NULL, train, h_n, c_n);
    return ax_linear_layer_forward(&m->fc, ax_dropout(y, m->cfg.dropout, train));
}
