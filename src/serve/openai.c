/* Request bodies of POST /v1/completions and /v1/chat/completions, field by field as OpenAI documents them
 * (https://platform.openai.com/docs/api-reference/completions), with their types and ranges checked; a bad
 * field is a 400 naming it. Fields axon cannot honour (logprobs, tools, …) are ignored, as are unknown ones.
 * Extensions: top_k and repetition_penalty (Hugging Face's meaning). */
#include "serve/gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// an optional number field into *out (left alone when absent or null); AX_ERR unless lo ≤ value ≤ hi
static int get_number(const cJSON *body, const char *key, double lo, double hi, double *out, serve_error *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    if (!v || cJSON_IsNull(v)) return AX_OK;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) return serve_fail(e, key, "'%s' must be a number", key);
    if (v->valuedouble < lo || v->valuedouble > hi)
        return serve_fail(e, key, "'%s' must be between %g and %g (got %g)", key, lo, hi, v->valuedouble);
    *out = v->valuedouble;
    return AX_OK;
}

// an optional integer field: a number with no fraction in [lo, hi]
static int get_int(const cJSON *body, const char *key, double lo, double hi, double *out, serve_error *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    if (v && cJSON_IsNumber(v) && v->valuedouble != floor(v->valuedouble))
        return serve_fail(e, key, "'%s' must be an integer", key);
    if (v && !cJSON_IsNull(v) && !cJSON_IsNumber(v)) return serve_fail(e, key, "'%s' must be an integer", key);
    return get_number(body, key, lo, hi, out, e);
}

static int get_bool(const cJSON *body, const char *key, bool *out, serve_error *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    if (!v || cJSON_IsNull(v)) return AX_OK;
    if (!cJSON_IsBool(v)) return serve_fail(e, key, "'%s' must be true or false", key);
    *out = cJSON_IsTrue(v);
    return AX_OK;
}

// "stop": null, a string, or an array of up to 4 strings
static int get_stop(const cJSON *body, gen_params *p, serve_error *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "stop");
    if (!v || cJSON_IsNull(v)) return AX_OK;
    if (cJSON_IsString(v)) return (p->stop[p->n_stop++] = strdup(v->valuestring)) ? AX_OK : AX_ERR;
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > GEN_MAX_STOP)
        return serve_fail(e, "stop", "'stop' must be a string or an array of at most %d strings", GEN_MAX_STOP);
    const cJSON *s;
    cJSON_ArrayForEach(s, v) {
        if (!cJSON_IsString(s)) return serve_fail(e, "stop", "'stop' must hold strings");
        if (*s->valuestring && !(p->stop[p->n_stop++] = strdup(s->valuestring))) return AX_ERR;
    }
    return AX_OK;
}

// completions: "prompt" is a string, or an array holding one string
static int get_prompt(const cJSON *body, gen_params *p, serve_error *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "prompt");
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1) v = cJSON_GetArrayItem(v, 0);
    if (!v) return serve_fail(e, "prompt", "'prompt' is required");
    if (!cJSON_IsString(v))
        return serve_fail(e, "prompt", "'prompt' must be a string (or an array of one string; token arrays and "
                                       "several prompts per request are not supported)");
    p->prompt_len = strlen(v->valuestring);
    p->prompt = strdup(v->valuestring);
    return p->prompt ? AX_OK : AX_ERR;
}

// the text of a message's content: a string, or an array of {"type": "text", "text": …} parts
static int content_text(const cJSON *content, const char **parts, int *n_parts, int max, serve_error *e) {
    if (cJSON_IsString(content)) {
        if (*n_parts >= max) return serve_fail(e, "messages", "too many message parts");
        parts[(*n_parts)++] = content->valuestring;
        return AX_OK;
    }
    if (!cJSON_IsArray(content)) return serve_fail(e, "messages", "a message's 'content' must be a string or parts");
    const cJSON *part;
    cJSON_ArrayForEach(part, content) {
        const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(part, "text"));
        if (!text) return serve_fail(e, "messages", "only text content parts are supported");
        if (*n_parts >= max) return serve_fail(e, "messages", "too many message parts");
        parts[(*n_parts)++] = text;
    }
    return AX_OK;
}

/* chat: "messages" [{role, content}, …]; axon's GPTs are plain language models with no chat template, so the
 * prompt is the contents joined by newlines. */
static int get_messages(const cJSON *body, gen_params *p, serve_error *e) {
    enum { MAX_PARTS = 1024 };
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(body, "messages"), *m;
    if (!cJSON_IsArray(msgs) || cJSON_GetArraySize(msgs) == 0)
        return serve_fail(e, "messages", "'messages' must be a non-empty array of {\"role\", \"content\"}");
    const char *parts[MAX_PARTS];
    int n = 0;
    cJSON_ArrayForEach(m, msgs) {
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "role")))
            return serve_fail(e, "messages", "every message needs a string 'role'");
        if (content_text(cJSON_GetObjectItemCaseSensitive(m, "content"), parts, &n, MAX_PARTS, e) != AX_OK)
            return AX_ERR;
    }
    size_t len = 0;
    for (int i = 0; i < n; i++) len += strlen(parts[i]) + 1;
    if (!(p->prompt = malloc(len + 1))) return AX_ERR;
    p->prompt_len = 0;
    for (int i = 0; i < n; i++) {
        size_t k = strlen(parts[i]);
        memcpy(p->prompt + p->prompt_len, parts[i], k);
        p->prompt_len += k;
        if (i + 1 < n) p->prompt[p->prompt_len++] = '\n';
    }
    p->prompt[p->prompt_len] = '\0';
    return AX_OK;
}

static uint64_t fresh_seed(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    static _Atomic uint64_t counter;
    return (uint64_t)ts.tv_nsec * 6364136223846793005ull ^ (uint64_t)ts.tv_sec ^ ++counter << 32;
}

static int parse_fields(const cJSON *body, bool chat, const serve_config *cfg, gen_params *p, serve_error *e) {
    double temperature = 1, top_p = 1, top_k = 0, penalty = 1, n = 1, seed = -1, max_tokens = chat ? 0 : 16;
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(body, "stream_options");
    if (get_number(body, "temperature", 0, 2, &temperature, e) || get_number(body, "top_p", 0, 1, &top_p, e) ||
        get_int(body, "top_k", 0, 1e9, &top_k, e) || get_number(body, "repetition_penalty", 0.01, 100, &penalty, e) ||
        get_int(body, "n", 1, cfg->max_n, &n, e) || get_int(body, "seed", -9.2e18, 9.2e18, &seed, e) ||
        get_int(body, "max_tokens", 1, cfg->max_tokens, &max_tokens, e) ||
        (chat && get_int(body, "max_completion_tokens", 1, cfg->max_tokens, &max_tokens, e)) ||
        get_bool(body, "stream", &p->stream, e) || (opts && get_bool(opts, "include_usage", &p->include_usage, e)))
        return AX_ERR;
    p->chat = chat;
    p->max_tokens = (int)max_tokens;
    p->n = (int)n;
    p->seed = cJSON_GetObjectItemCaseSensitive(body, "seed") && seed >= 0 ? (uint64_t)seed : fresh_seed();
    // top_p 0 (allowed by OpenAI) keeps only the most likely token, as the smallest positive top_p does
    p->sampler = (ax_sampler_config){.temperature = (float)temperature, .top_k = (int)top_k,
                                     .top_p = top_p > 0 ? (float)top_p : 1e-9f, .repetition_penalty = (float)penalty};
    if (opts && !cJSON_IsNull(opts) && !cJSON_IsObject(opts))
        return serve_fail(e, "stream_options", "'stream_options' must be an object");
    return AX_OK;
}

int openai_parse(const cJSON *body, bool chat, const serve_config *cfg, gen_params *p, serve_error *e) {
    memset(p, 0, sizeof *p);
    int rc = parse_fields(body, chat, cfg, p, e);
    if (rc == AX_OK) rc = get_stop(body, p, e);
    if (rc == AX_OK) rc = chat ? get_messages(body, p, e) : get_prompt(body, p, e);
    if (rc != AX_OK && e->status == 0) { // a strdup or malloc failed
        e->status = 500;
        e->type = "server_error";
        snprintf(e->message, sizeof e->message, "out of memory");
    }
    if (rc != AX_OK) gen_params_free(p);
    return rc;
}

void gen_params_free(gen_params *p) {
    for (int i = 0; i < p->n_stop; i++) free(p->stop[i]);
    free(p->prompt);
    memset(p, 0, sizeof *p);
}
