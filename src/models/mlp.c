/* The MLP image classifier: configuration (and its config.json form), parameters, forward.
 *   h_0 = (x − mean) / std,   h_i = dropout(act(h_{i−1}·W_iᵀ + b_i)) for i = 1..n_hidden,
 *   logits = h_n·W_outᵀ + b_out */
#include "axon/models.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MLP_MAX_WIDTH (1 << 20)        // widest layer a config may ask for
#define MLP_MAX_PARAMS ((int64_t)1 << 31) // most parameters in total

static const char *const act_names[] = {"relu", "tanh", "sigmoid", "gelu"};
#define N_ACTS (int)(sizeof act_names / sizeof *act_names)

int ax_activation_parse(const char *name, ax_activation *act) {
    for (int i = 0; i < N_ACTS; i++)
        if (strcmp(name, act_names[i]) == 0) {
            *act = (ax_activation)i;
            return AX_OK;
        }
    return ax_error("unknown activation '%s' (choose relu, tanh, sigmoid or gelu)", name);
}

const char *ax_activation_name(ax_activation act) {
    AX_ASSERT(act >= 0 && (int)act < N_ACTS, "unknown activation %d", (int)act);
    return act_names[act];
}

ax_tensor *ax_activation_apply(ax_activation act, ax_tensor *x) {
    switch (act) {
    case AX_ACT_RELU: return ax_relu(x);
    case AX_ACT_TANH: return ax_tanh(x);
    case AX_ACT_SIGMOID: return ax_sigmoid(x);
    case AX_ACT_GELU: return ax_gelu(x, AX_GELU_ERF);
    }
    AX_ASSERT(false, "unknown activation %d", (int)act);
}

ax_mlp_config ax_mlp_defaults(void) {
    return (ax_mlp_config){.in = 784, .classes = 10, .n_hidden = 2, .hidden = {256, 128}, .act = AX_ACT_RELU,
                           .dropout = 0.1f, .input_mean = 0.0f, .input_std = 1.0f};
}

int ax_mlp_config_check(const ax_mlp_config *c) {
    if (c->in < 1 || c->in > MLP_MAX_WIDTH)
        return ax_error("mlp: input size %lld outside 1..%d", (long long)c->in, MLP_MAX_WIDTH);
    if (c->classes < 2 || c->classes > MLP_MAX_WIDTH)
        return ax_error("mlp: %lld classes (need 2..%d)", (long long)c->classes, MLP_MAX_WIDTH);
    if (c->n_hidden < 0 || c->n_hidden > AX_MLP_MAX_HIDDEN)
        return ax_error("mlp: %d hidden layers (at most %d)", c->n_hidden, AX_MLP_MAX_HIDDEN);
    int64_t params = 0, prev = c->in;
    for (int i = 0; i <= c->n_hidden; i++) {
        int64_t width = i < c->n_hidden ? c->hidden[i] : c->classes;
        if (width < 1 || width > MLP_MAX_WIDTH)
            return ax_error("mlp: hidden layer %d has width %lld (need 1..%d)", i + 1, (long long)width, MLP_MAX_WIDTH);
        params += (prev + 1) * width;
        prev = width;
    }
    if (params > MLP_MAX_PARAMS) return ax_error("mlp: %lld parameters is too many", (long long)params);
    if ((int)c->act < 0 || (int)c->act >= N_ACTS) return ax_error("mlp: unknown activation %d", (int)c->act);
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f))
        return ax_error("mlp: dropout %g outside [0, 1)", (double)c->dropout);
    if (!isfinite(c->input_mean) || !(c->input_std > 0.0f && isfinite(c->input_std)))
        return ax_error("mlp: input mean %g / std %g (need a finite mean and std > 0)", (double)c->input_mean,
                        (double)c->input_std);
    return AX_OK;
}

int ax_mlp_parse_hidden(const char *list, ax_mlp_config *cfg) {
    cfg->n_hidden = 0;
    if (!*list || strcmp(list, "none") == 0) return AX_OK;
    for (const char *p = list;;) {
        char *end;
        long long w = strtoll(p, &end, 10);
        if (end == p || w < 1 || w > MLP_MAX_WIDTH || (*end && *end != ','))
            return ax_error("bad hidden layer list '%s' (expected widths like 256,128 or none)", list);
        if (cfg->n_hidden == AX_MLP_MAX_HIDDEN)
            return ax_error("at most %d hidden layers: '%s'", AX_MLP_MAX_HIDDEN, list);
        cfg->hidden[cfg->n_hidden++] = w;
        if (!*end) return AX_OK;
        p = end + 1;
    }
}

// f as the shortest decimal that reads back as the same float (0.1f is written 0.1, not 0.100000001)
static void add_float(cJSON *j, const char *key, float f) {
    char text[32];
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, (double)f);
        if (strtof(text, NULL) == f) break;
    }
    cJSON_AddRawToObject(j, key, text);
}

char *ax_mlp_config_to_json(const ax_mlp_config *cfg) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "axon_model", "mlp");
    cJSON_AddNumberToObject(j, "in", (double)cfg->in);
    cJSON *hidden = cJSON_AddArrayToObject(j, "hidden");
    for (int i = 0; i < cfg->n_hidden; i++) cJSON_AddItemToArray(hidden, cJSON_CreateNumber((double)cfg->hidden[i]));
    cJSON_AddNumberToObject(j, "classes", (double)cfg->classes);
    cJSON_AddStringToObject(j, "activation", ax_activation_name(cfg->act));
    add_float(j, "dropout", cfg->dropout);
    add_float(j, "input_mean", cfg->input_mean);
    add_float(j, "input_std", cfg->input_std);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    AX_ASSERT(text, "out of memory printing an MLP config");
    return text;
}

// a whole number in [lo, hi] from member `key`; AX_ERR naming it otherwise
static int json_int(const cJSON *j, const char *key, int64_t lo, int64_t hi, int64_t *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!v) return ax_error("mlp config: \"%s\" is missing", key);
    double d = cJSON_IsNumber(v) ? v->valuedouble : -1e300;
    if (!(d >= (double)lo && d <= (double)hi && d == (double)(int64_t)d))
        return ax_error("mlp config: \"%s\" must be a whole number in %lld..%lld", key, (long long)lo, (long long)hi);
    *out = (int64_t)d;
    return AX_OK;
}

// an optional number member (absent: fallback)
static int json_float(const cJSON *j, const char *key, float fallback, float *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (v && !cJSON_IsNumber(v)) return ax_error("mlp config: \"%s\" is not a number", key);
    *out = v ? (float)v->valuedouble : fallback;
    return AX_OK;
}

static int json_hidden(const cJSON *j, ax_mlp_config *cfg) {
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "hidden");
    int n = cJSON_GetArraySize(h);
    if (!cJSON_IsArray(h) || n > AX_MLP_MAX_HIDDEN)
        return ax_error("mlp config: \"hidden\" must be a list of at most %d widths", AX_MLP_MAX_HIDDEN);
    cfg->n_hidden = n;
    for (int i = 0; i < n; i++) {
        const cJSON *w = cJSON_GetArrayItem(h, i);
        if (!cJSON_IsNumber(w) || w->valuedouble != (double)(int64_t)w->valuedouble)
            return ax_error("mlp config: hidden width %d is not a whole number", i + 1);
        cfg->hidden[i] = (int64_t)w->valuedouble;
    }
    return AX_OK;
}

int ax_mlp_config_from_json(const char *json, ax_mlp_config *cfg) {
    cJSON *j = cJSON_Parse(json);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return ax_error("mlp config is not a JSON object");
    }
    ax_mlp_config c = {0};
    const char *model = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "axon_model"));
    const char *act = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "activation"));
    int rc = model && strcmp(model, "mlp") == 0 ? AX_OK
                                                : ax_error("config is for a '%s' model, not mlp", model ? model : "?");
    if (rc == AX_OK) rc = json_int(j, "in", 1, MLP_MAX_WIDTH, &c.in);
    if (rc == AX_OK) rc = json_int(j, "classes", 2, MLP_MAX_WIDTH, &c.classes);
    if (rc == AX_OK) rc = json_hidden(j, &c);
    if (rc == AX_OK) rc = act ? ax_activation_parse(act, &c.act) : ax_error("mlp config: \"activation\" is missing");
    if (rc == AX_OK) rc = json_float(j, "dropout", 0.0f, &c.dropout);
    if (rc == AX_OK) rc = json_float(j, "input_mean", 0.0f, &c.input_mean);
    if (rc == AX_OK) rc = json_float(j, "input_std", 1.0f, &c.input_std);
    if (rc == AX_OK) rc = ax_mlp_config_check(&c);
    if (rc == AX_OK) *cfg = c;
    cJSON_Delete(j);
    return rc;
}

ax_mlp *ax_mlp_new(const ax_mlp_config *cfg) {
    AX_ASSERT(ax_mlp_config_check(cfg) == AX_OK, "ax_mlp_new: %s", ax_last_error());
    ax_mlp *m = calloc(1, sizeof *m);
    AX_ASSERT(m, "out of memory for an MLP");
    m->cfg = *cfg;
    m->params = ax_params_new();
    int64_t prev = cfg->in;
    for (int i = 0; i <= cfg->n_hidden; i++) {
        int64_t width = i < cfg->n_hidden ? cfg->hidden[i] : cfg->classes;
        char name[16];
        snprintf(name, sizeof name, "fc%d", i + 1);
        ax_linear_layer_init(&m->fc[i], m->params, name, prev, width, true);
        prev = width;
    }
    return m;
}

void ax_mlp_free(ax_mlp *m) {
    if (!m) return;
    ax_params_free(m->params);
    free(m);
}

ax_tensor *ax_mlp_forward(const ax_mlp *m, ax_tensor *x, bool train) {
    AX_ASSERT(x->ndim == 2 && x->shape[1] == m->cfg.in, "mlp: input %s does not fit (B, %lld)", ax_shape_str(x),
              (long long)m->cfg.in);
    if (m->cfg.input_mean != 0.0f || m->cfg.input_std != 1.0f)
        x = ax_mul_scalar(ax_add_scalar(x, -m->cfg.input_mean), 1.0f / m->cfg.input_std);
    for (int i = 0; i < m->cfg.n_hidden; i++) {
        x = ax_activation_apply(m->cfg.act, ax_linear_layer_forward(&m->fc[i], x));
        x = ax_dropout(x, m->cfg.dropout, train);
    }
    return ax_linear_layer_forward(&m->fc[m->cfg.n_hidden], x);
}
