/* GPT-2 checkpoint directories: config.json (Hugging Face GPT2Config keys + "axon_model": "gpt") and
 * model.safetensors (HF tensor names, Conv1D layout). Reading also accepts checkpoints written by
 * transformers: names without the "transformer." prefix, F16/BF16 weights, the attn.bias / attn.masked_bias
 * buffers of older versions and a tied lm_head.weight. Nothing is changed until the whole file checks out. */
#include "axon/gpt.h"
#include "axon/io.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX_BYTES (1u << 20) // a larger config.json is rejected
#define PREFIX "transformer."

/* ---- config.json --------------------------------------------------------------------------------------- */

// f as the shortest decimal that reads back as the same float (1e-5f is written 1e-05, not 9.99999975e-06)
static cJSON *float_number(float f) {
    char buf[32];
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, (double)f);
        if (strtof(buf, NULL) == f) break;
    }
    return cJSON_CreateNumber(strtod(buf, NULL));
}

static cJSON *config_json(const ax_gpt_config *c) {
    cJSON *j = cJSON_CreateObject();
    cJSON *arch = cJSON_AddArrayToObject(j, "architectures");
    cJSON_AddItemToArray(arch, cJSON_CreateString("GPT2LMHeadModel"));
    cJSON_AddStringToObject(j, "model_type", "gpt2");
    cJSON_AddStringToObject(j, "axon_model", "gpt");
    cJSON_AddNumberToObject(j, "vocab_size", c->vocab_size);
    cJSON_AddNumberToObject(j, "n_positions", c->block_size);
    cJSON_AddNumberToObject(j, "n_ctx", c->block_size);
    cJSON_AddNumberToObject(j, "n_embd", c->n_embd);
    cJSON_AddNumberToObject(j, "n_layer", c->n_layer);
    cJSON_AddNumberToObject(j, "n_head", c->n_head);
    cJSON_AddNullToObject(j, "n_inner"); // 4 · n_embd
    cJSON_AddStringToObject(j, "activation_function", "gelu_new");
    cJSON_AddItemToObject(j, "resid_pdrop", float_number(c->dropout));
    cJSON_AddItemToObject(j, "embd_pdrop", float_number(c->dropout));
    cJSON_AddNumberToObject(j, "attn_pdrop", 0); // the fused attention has no dropout on its probabilities
    cJSON_AddItemToObject(j, "layer_norm_epsilon", float_number(c->ln_eps));
    cJSON_AddNumberToObject(j, "initializer_range", 0.02);
    cJSON_AddBoolToObject(j, "tie_word_embeddings", true);
    cJSON_AddBoolToObject(j, "axon_bias", c->bias);
    cJSON_AddStringToObject(j, "torch_dtype", "float32");
    return j;
}

// members of the JSON object text `extra` into j (replacing keys j has); AX_ERR if it is not an object
static int merge_extra(cJSON *j, const char *extra) {
    cJSON *e = cJSON_Parse(extra);
    if (!cJSON_IsObject(e)) {
        cJSON_Delete(e);
        return ax_error("gpt save: extra config is not a JSON object: %.60s", extra);
    }
    while (e->child) {
        cJSON *item = cJSON_DetachItemViaPointer(e, e->child);
        cJSON_DeleteItemFromObjectCaseSensitive(j, item->string);
        cJSON_AddItemToObject(j, item->string, item);
    }
    cJSON_Delete(e);
    return AX_OK;
}

static void join(char *out, size_t cap, const char *dir, const char *file) { snprintf(out, cap, "%s/%s", dir, file); }

int ax_gpt_save(const ax_gpt *m, const char *dir, const char *extra_json) {
    cJSON *j = config_json(&m->cfg);
    int rc = extra_json ? merge_extra(j, extra_json) : AX_OK;
    char *text = rc == AX_OK ? cJSON_Print(j) : NULL;
    if (rc == AX_OK) rc = text ? ax_checkpoint_save(dir, text, m->params) : ax_error("out of memory saving %s", dir);
    free(text);
    cJSON_Delete(j);
    return rc;
}

/* ---- reading config.json --------------------------------------------------------------------------------- */

// an integer member; AX_ERR if absent (when required) or not a whole number
static int get_int(const cJSON *j, const char *key, bool required, int *out, const char *path) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!required && (!v || cJSON_IsNull(v))) return AX_OK;
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble)
        return ax_error("%s: '%s' %s", path, key, v ? "must be an integer" : "is missing");
    *out = (int)v->valuedouble;
    return AX_OK;
}

static int get_float(const cJSON *j, const char *key, float *out, const char *path) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!v || cJSON_IsNull(v)) return AX_OK;
    if (!cJSON_IsNumber(v)) return ax_error("%s: '%s' must be a number", path, key);
    *out = (float)v->valuedouble;
    return AX_OK;
}

// a string member equal to one of the allowed values (or absent)
static int check_string(const cJSON *j, const char *key, const char *a, const char *b, const char *path) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!v) return AX_OK;
    const char *s = cJSON_GetStringValue(v);
    if (s && (strcmp(s, a) == 0 || (b && strcmp(s, b) == 0))) return AX_OK;
    return ax_error("%s: %s '%s' is not supported (axon's GPT needs '%s')", path, key, s ? s : "?", a);
}

// a boolean member that must have the value `want` if present (HF options that change the math)
static int check_bool(const cJSON *j, const char *key, bool want, const char *path) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!v || (cJSON_IsBool(v) && cJSON_IsTrue(v) == want)) return AX_OK;
    return ax_error("%s: %s must be %s for axon's GPT", path, key, want ? "true" : "false");
}

static int parse_config(const cJSON *j, ax_gpt_config *c, const char *path) {
    if (!cJSON_IsObject(j)) return ax_error("%s: not a JSON object", path);
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "axon_model"));
    if (kind && strcmp(kind, "gpt") != 0) return ax_error("%s: a '%s' checkpoint, not a GPT", path, kind);
    if (check_string(j, "model_type", "gpt2", NULL, path) || check_string(j, "activation_function", "gelu_new", "gelu_pytorch_tanh", path) ||
        check_bool(j, "tie_word_embeddings", true, path) || check_bool(j, "scale_attn_weights", true, path) ||
        check_bool(j, "scale_attn_by_inverse_layer_idx", false, path) || check_bool(j, "add_cross_attention", false, path))
        return AX_ERR;
    *c = ax_gpt_config_default();
    int ctx = 0, inner = 0;
    if (get_int(j, "vocab_size", true, &c->vocab_size, path) || get_int(j, "n_layer", true, &c->n_layer, path) ||
        get_int(j, "n_head", true, &c->n_head, path) || get_int(j, "n_embd", true, &c->n_embd, path) ||
        get_int(j, "n_ctx", false, &ctx, path) || get_int(j, "n_positions", ctx == 0, &c->block_size, path) ||
        get_int(j, "n_inner", false, &inner, path) || get_float(j, "resid_pdrop", &c->dropout, path) ||
        get_float(j, "layer_norm_epsilon", &c->ln_eps, path))
        return AX_ERR;
    if (!cJSON_GetObjectItemCaseSensitive(j, "n_positions")) c->block_size = ctx;
    if (inner && inner != 4 * c->n_embd) return ax_error("%s: n_inner %d is not 4·n_embd", path, inner);
    const cJSON *bias = cJSON_GetObjectItemCaseSensitive(j, "axon_bias");
    if (bias) c->bias = cJSON_IsTrue(bias);
    if (ax_gpt_config_check(c) != AX_OK) {
        char why[256];
        snprintf(why, sizeof why, "%s", ax_last_error());
        return ax_error("%s: %s", path, why);
    }
    return AX_OK;
}

int ax_gpt_config_read(const char *dir, ax_gpt_config *cfg) {
    char path[4096];
    join(path, sizeof path, dir, AX_CKPT_CONFIG);
    void *text;
    size_t len;
    if (ax_read_file(path, CONFIG_MAX_BYTES, &text, &len) != AX_OK) return AX_ERR;
    cJSON *j = cJSON_ParseWithLength(text, len);
    free(text);
    int rc = j ? parse_config(j, cfg, path) : ax_error("%s: not valid JSON", path);
    cJSON_Delete(j);
    return rc;
}

/* ---- model.safetensors ----------------------------------------------------------------------------------- */

// the entry for parameter `name` ("transformer.X"), stored as "transformer.X" or as "X"
static const ax_st_entry *find_param(const ax_safetensors *st, const char *name) {
    const ax_st_entry *e = ax_safetensors_find(st, name);
    return e ? e : ax_safetensors_find(st, name + strlen(PREFIX));
}

// a tensor a GPT-2 file may hold besides the parameters: the causal-mask buffers of older transformers
static bool ignorable(const char *name) {
    size_t n = strlen(name);
    static const char *const tails[] = {".attn.bias", ".attn.masked_bias"};
    for (int i = 0; i < 2; i++) {
        size_t t = strlen(tails[i]);
        if (n > t && strcmp(name + n - t, tails[i]) == 0) return true;
    }
    return false;
}

static bool same_shape(const ax_st_entry *e, const ax_tensor *t) {
    if (e->ndim != t->ndim) return false;
    for (int d = 0; d < t->ndim; d++)
        if (e->shape[d] != t->shape[d]) return false;
    return true;
}

static const char *entry_shape(const ax_st_entry *e, char *buf, size_t cap) {
    int n = snprintf(buf, cap, "(");
    for (int d = 0; d < e->ndim && (size_t)n < cap; d++)
        n += snprintf(buf + n, cap - (size_t)n, d ? ", %lld" : "%lld", (long long)e->shape[d]);
    if ((size_t)n < cap) snprintf(buf + n, cap - (size_t)n, ")");
    return buf;
}

// a file tensor that is not a parameter: allowed if it is a mask buffer or an lm_head equal to wte
static int check_extra(const ax_gpt *m, const ax_safetensors *st, const ax_st_entry *e, const char *path) {
    char name[512];
    snprintf(name, sizeof name, "%s%s", strncmp(e->name, PREFIX, strlen(PREFIX)) == 0 ? "" : PREFIX, e->name);
    if (ax_params_get(m->params, name) || ignorable(e->name)) return AX_OK;
    if (strcmp(e->name, "lm_head.weight") == 0) {
        const ax_st_entry *wte = find_param(st, PREFIX "wte.weight");
        if (wte && wte->nbytes == e->nbytes && wte->dtype == e->dtype && memcmp(wte->data, e->data, e->nbytes) == 0)
            return AX_OK;
        return ax_error("%s: lm_head.weight differs from wte: axon's GPT needs tied embeddings", path);
    }
    char shape[160];
    return ax_error("%s: unexpected tensor '%s' %s (not a GPT-2 parameter)", path, e->name,
                    entry_shape(e, shape, sizeof shape));
}

static int check_weights(const ax_gpt *m, const ax_safetensors *st, const char *path) {
    const ax_gpt_config *c = &m->cfg;
    char shape[160];
    for (int i = 0; i < m->params->n; i++) {
        const char *name = m->params->items[i].name;
        const ax_tensor *t = m->params->items[i].t;
        const ax_st_entry *e = find_param(st, name);
        if (!e) return ax_error("%s: missing tensor '%s' (expected shape %s)", path, name, ax_shape_str(t));
        if (e->dtype != AX_F32 && e->dtype != AX_F16 && e->dtype != AX_BF16)
            return ax_error("%s: tensor '%s' has dtype %s (expected f32, f16 or bf16)", path, e->name,
                            ax_dtype_name(e->dtype));
        if (!same_shape(e, t))
            return ax_error("%s: tensor '%s' has shape %s but the config (vocab %d, block %d, %d layers, %d heads, "
                            "n_embd %d) needs %s",
                            path, e->name, entry_shape(e, shape, sizeof shape), c->vocab_size, c->block_size,
                            c->n_layer, c->n_head, c->n_embd, ax_shape_str(t));
    }
    for (int i = 0; i < st->n; i++)
        if (check_extra(m, st, &st->entries[i], path) != AX_OK) return AX_ERR;
    return AX_OK;
}

int ax_gpt_load_weights(ax_gpt *m, const char *dir) {
    char path[4096];
    join(path, sizeof path, dir, AX_CKPT_WEIGHTS);
    ax_safetensors *st;
    if (ax_safetensors_read(path, &st) != AX_OK) return AX_ERR;
    int rc = check_weights(m, st, path);
    for (int i = 0; rc == AX_OK && i < m->params->n; i++)
        ax_st_entry_to_f32(find_param(st, m->params->items[i].name), ax_f32(m->params->items[i].t));
    ax_safetensors_free(st);
    return rc;
}

int ax_gpt_load(const char *dir, ax_gpt **out) {
    *out = NULL;
    ax_gpt_config cfg;
    if (ax_gpt_config_read(dir, &cfg) != AX_OK) return AX_ERR;
    ax_gpt *m = ax_gpt_new(&cfg, ax_params_new());
    m->owns_params = true;
    if (ax_gpt_load_weights(m, dir) != AX_OK) {
        ax_gpt_free(m);
        return AX_ERR;
    }
    *out = m;
    return AX_OK;
}
