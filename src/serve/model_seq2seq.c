/* Translators in `axon serve`: GRU seq2seq and Transformer checkpoints, POST /v1/translate with one sentence or a
 * list of them. The connection thread checks the request and turns each sentence into ids (the vocabularies are
 * read-only; the Transformer's BPE tokenizer caches words, so its encoding holds a lock); the scheduler thread runs
 * beam search and, when asked, the (cross-)attention weights (both use the step arena, which only that thread
 * touches); the connection thread writes the answer. Beam search with beam_size 1 is `axon translate --beam 1` for
 * seq2seq; a Transformer's translation stops after the source length + 50 tokens as `axon translate` does. */
#include "cli/seq2seq_cli.h"
#include "cli/transformer_cli.h"
#include "serve/sched.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S2S_MAX_BEAM 64    // the widest beam_size a request may ask for
#define S2S_MAX_TEXTS 64   // sentences per request at most
#define S2S_MAX_LENGTH 1024 // the largest max_length a request may ask for
#define S2S_ALPHA 0.6f     // length normalisation, as `axon translate` by default

typedef struct {
    ax_seq2seq *m;        // the GRU network (run by the scheduler thread only), or NULL for a Transformer
    ax_vocab *sv, *tv;    // its source and target vocabularies (read-only after load)
    ax_transformer *tf;   // the Transformer (scheduler thread only), or NULL
    ax_tokenizer *tok;    // its joint BPE tokenizer (encoding under tok_lock; decoding is read-only)
    pthread_mutex_t tok_lock; // one connection thread encodes at a time
} s2s_impl;

static int s2s_load(serve_model *m, const char *dir, const char *config_json) {
    (void)config_json;
    s2s_impl *g = calloc(1, sizeof *g);
    bool tf = strcmp(m->kind->axon_model, "transformer") == 0;
    if (!g || (tf ? tf_open(dir, &g->tf, &g->tok) : s2s_open(dir, &g->m, &g->sv, &g->tv)) != AX_OK) {
        fprintf(stderr, "axon: %s\n", g ? ax_last_error() : "out of memory");
        if (g) ax_seq2seq_free(g->m), ax_vocab_free(g->sv), ax_vocab_free(g->tv);
        if (g) ax_transformer_free(g->tf), ax_tokenizer_free(g->tok);
        free(g);
        return AX_ERR;
    }
    pthread_mutex_init(&g->tok_lock, NULL);
    m->impl = g;
    return AX_OK;
}

static void s2s_free(serve_model *m) {
    s2s_impl *g = m->impl;
    if (!g) return;
    ax_seq2seq_free(g->m);
    ax_vocab_free(g->sv);
    ax_vocab_free(g->tv);
    ax_transformer_free(g->tf);
    ax_tokenizer_free(g->tok);
    pthread_mutex_destroy(&g->tok_lock);
    free(g);
}

static void s2s_describe(const serve_model *m, cJSON *obj) {
    const s2s_impl *g = m->impl;
    if (g->tf) {
        cJSON_AddNumberToObject(obj, "vocab_size", g->tf->cfg.vocab);
        cJSON_AddNumberToObject(obj, "max_length", g->tf->cfg.max_len - 1);
        cJSON_AddStringToObject(obj, "attention", "transformer");
        return;
    }
    const ax_seq2seq_config *c = &g->m->cfg;
    cJSON_AddNumberToObject(obj, "src_vocab_size", (double)c->src_vocab);
    cJSON_AddNumberToObject(obj, "tgt_vocab_size", (double)c->tgt_vocab);
    cJSON_AddNumberToObject(obj, "max_length", c->max_len);
    cJSON_AddStringToObject(obj, "attention", ax_attn_name(c->attn));
}

// a token's display name (malloc'd): a vocabulary word, or a BPE token's text
static char *token_name(const s2s_impl *g, int32_t id) {
    if (g->tf) return tf_token_name(g->tok, id);
    char *w = strdup(ax_vocab_word(g->tv, id));
    AX_ASSERT(w, "out of memory");
    return w;
}

/* ---- the request ---------------------------------------------------------------------------------------------- */

typedef struct {
    char *norm;      // the normalised sentence, its words NUL-separated after splitting, malloc'd (seq2seq)
    const char **words; // (n - 1) source words (pointers into norm; Transformer: malloc'd token names), malloc'd
    int32_t *src;    // (n) source ids, cut at max_length words, then <eos>; malloc'd
    int n;           // source ids with <eos>
    ax_beam_hyp hyp; // the best translation (scheduler)
    float *attn;     // (hyp.len + 1, n) attention weights, or NULL (scheduler)
} s2s_item;

typedef struct {
    const s2s_impl *g;    // the model
    ax_beam_config bc;    // search settings
    bool attention;       // compute the attention weights
    s2s_item *items;      // (n_items) the sentences
    int n_items;          // how many
} s2s_task;

// an optional integer field in lo..hi (def when absent or null); AX_ERR after filling e
static int int_field(const cJSON *body, const char *name, int lo, int hi, int def, int *out, serve_error *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
    *out = def;
    if (!v || cJSON_IsNull(v)) return AX_OK;
    double d = cJSON_GetNumberValue(v);
    if (!cJSON_IsNumber(v) || d != floor(d) || d < lo || d > hi)
        return serve_fail(e, name, "'%s' must be an integer from %d to %d", name, lo, hi);
    *out = (int)d;
    return AX_OK;
}

// the sentences of "text" (a string or a list of 1..S2S_MAX_TEXTS strings) into *texts (n_texts); AX_ERR after e
static int text_field(const cJSON *body, const cJSON **texts, int *n_texts, serve_error *e) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(body, "text");
    if (cJSON_IsString(t)) return texts[0] = t, *n_texts = 1, AX_OK;
    if (!t || cJSON_IsNull(t)) return serve_fail(e, "text", "'text' is required: a string or a list of strings");
    int n = cJSON_IsArray(t) ? cJSON_GetArraySize(t) : -1;
    if (n < 1 || n > S2S_MAX_TEXTS)
        return serve_fail(e, "text", "'text' must be a string or a list of 1 to %d strings", S2S_MAX_TEXTS);
    *n_texts = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, t) {
        if (!cJSON_IsString(s)) return serve_fail(e, "text", "every element of 'text' must be a string");
        texts[(*n_texts)++] = s;
    }
    return AX_OK;
}

// a sentence as BPE ids cut at the model's max_len − 1, then eot, and their names
static int item_encode_bpe(s2s_impl *g, const char *text, s2s_item *it) {
    size_t n, max = (size_t)g->tf->cfg.max_len - 1;
    pthread_mutex_lock(&g->tok_lock);
    int rc = ax_tokenizer_encode(g->tok, text, strlen(text), &it->src, &n);
    pthread_mutex_unlock(&g->tok_lock);
    if (rc != AX_OK) return AX_ERR;
    it->n = (int)(n < max ? n : max) + 1;
    it->src = realloc(it->src, (size_t)it->n * sizeof *it->src);
    it->words = malloc((size_t)it->n * sizeof *it->words);
    AX_ASSERT(it->src && it->words, "out of memory");
    it->src[it->n - 1] = g->tf->cfg.eot;
    for (int i = 0; i < it->n - 1; i++) it->words[i] = token_name(g, it->src[i]);
    return AX_OK;
}

// a sentence as source words and ids, cut at max_len words
static void item_encode(const s2s_impl *g, const char *text, int max_len, s2s_item *it) {
    it->norm = ax_words_normalize(text);
    int total = ax_vocab_encode(g->sv, it->norm, NULL, 0);
    it->n = (total < max_len ? total : max_len) + 1;
    it->src = malloc((size_t)it->n * sizeof *it->src);
    it->words = malloc((size_t)it->n * sizeof *it->words);
    AX_ASSERT(it->norm && it->src && it->words, "out of memory");
    ax_vocab_encode(g->sv, it->norm, it->src, it->n - 1);
    it->src[it->n - 1] = AX_EOS;
    char *p = it->norm;
    for (int i = 0; i < it->n - 1; i++, p += strcspn(p, " ") + 1) it->words[i] = p, p[strcspn(p, " ")] = '\0';
}

static void items_free(s2s_item *items, int n) {
    for (int i = 0; items && i < n; i++) {
        for (int k = 0; !items[i].norm && items[i].words && k < items[i].n - 1; k++) free((char *)items[i].words[k]);
        free(items[i].norm), free(items[i].words), free(items[i].src), free(items[i].attn);
        ax_beam_hyp_free(&items[i].hyp, items[i].hyp.ids ? 1 : 0);
    }
    free(items);
}

static void run_translate(void *ctx) { // on the scheduler thread
    s2s_task *t = ctx;
    for (int i = 0; i < t->n_items; i++) {
        s2s_item *it = &t->items[i];
        const ax_transformer *tf = t->g->tf;
        ax_beam_config bc = t->bc;
        bc.max_len = tf && it->n + TF_EXTRA_LEN < bc.max_len ? it->n + TF_EXTRA_LEN : bc.max_len;
        int got = tf ? ax_transformer_beam(tf, it->src, it->n, &bc, &it->hyp)
                     : ax_seq2seq_beam(t->g->m, it->src, it->n, &bc, &it->hyp);
        ax_arena_reset();
        AX_ASSERT(got == 1, "beam search refused a checked config: %s", ax_last_error());
        if (!t->attention) continue;
        it->attn = malloc((size_t)(it->hyp.len + 1) * (size_t)it->n * sizeof *it->attn);
        AX_ASSERT(it->attn, "out of memory");
        if (tf) ax_transformer_cross_attention(tf, it->src, it->n, it->hyp.ids, it->hyp.len, -1, -1, it->attn);
        else ax_seq2seq_attention(t->g->m, it->src, it->n, it->hyp.ids, it->hyp.len, it->attn);
        ax_arena_reset();
    }
}

/* ---- the answer ----------------------------------------------------------------------------------------------- */

// {"text", "score", "source_tokens", "target_tokens", "attention"?}: tokens end with "<eos>", as the matrix does
static cJSON *item_json(const s2s_impl *g, const s2s_item *it) {
    const ax_beam_hyp *h = &it->hyp;
    char *words = g->tf ? tf_decode(g->tok, h->ids, h->len) : ax_vocab_decode(g->tv, h->ids, h->len);
    char *text = g->tf ? strdup(words ? words : "") : ax_words_detokenize(words);
    AX_ASSERT(words && text, "out of memory");
    const char *eos = g->tf ? "</s>" : "<eos>";
    cJSON *o = cJSON_CreateObject(), *src, *tgt;
    cJSON_AddStringToObject(o, "text", text);
    cJSON_AddNumberToObject(o, "score", h->score);
    src = cJSON_AddArrayToObject(o, "source_tokens");
    for (int i = 0; i < it->n; i++)
        cJSON_AddItemToArray(src, cJSON_CreateString(i < it->n - 1 ? it->words[i] : eos));
    tgt = cJSON_AddArrayToObject(o, "target_tokens");
    for (int i = 0; i <= h->len; i++) {
        char *name = i < h->len ? token_name(g, h->ids[i]) : strdup(eos);
        cJSON_AddItemToArray(tgt, cJSON_CreateString(name));
        free(name);
    }
    if (it->attn) {
        cJSON *rows = cJSON_AddArrayToObject(o, "attention");
        for (int r = 0; r <= h->len; r++)
            cJSON_AddItemToArray(rows, cJSON_CreateFloatArray(it->attn + (size_t)r * it->n, it->n));
    }
    free(words), free(text);
    return o;
}

// {"object": "translation", "model", "translations": [...], "usage"}
static cJSON *result_json(const serve_model *m, const s2s_impl *g, const s2s_task *t) {
    cJSON *j = cJSON_CreateObject(), *list;
    cJSON_AddStringToObject(j, "object", "translation");
    cJSON_AddStringToObject(j, "model", m->name);
    list = cJSON_AddArrayToObject(j, "translations");
    int64_t in = 0, out = 0;
    for (int i = 0; i < t->n_items; i++) {
        cJSON_AddItemToArray(list, item_json(g, &t->items[i]));
        in += t->items[i].n, out += t->items[i].hyp.len + 1;
    }
    cJSON *usage = cJSON_AddObjectToObject(j, "usage");
    cJSON_AddNumberToObject(usage, "prompt_tokens", (double)in);
    cJSON_AddNumberToObject(usage, "completion_tokens", (double)out);
    cJSON_AddNumberToObject(usage, "total_tokens", (double)(in + out));
    return j;
}

// the request's parameters into t (items encoded); AX_ERR after filling e
static int parse_request(s2s_impl *g, const cJSON *body, s2s_task *t, serve_error *e) {
    const cJSON *texts[S2S_MAX_TEXTS], *att = cJSON_GetObjectItemCaseSensitive(body, "attention");
    int beam, max_len, n;
    if (text_field(body, texts, &n, e) != AX_OK ||
        int_field(body, "beam_size", 1, S2S_MAX_BEAM, 5, &beam, e) != AX_OK ||
        int_field(body, "max_length", 1, S2S_MAX_LENGTH, g->tf ? g->tf->cfg.max_len - 1 : g->m->cfg.max_len, &max_len,
                  e) != AX_OK)
        return AX_ERR;
    if (att && !cJSON_IsNull(att) && !cJSON_IsBool(att))
        return serve_fail(e, "attention", "'attention' must be true or false");
    *t = (s2s_task){.g = g, .attention = cJSON_IsTrue(att), .n_items = n};
    int32_t eos = g->tf ? g->tf->cfg.eot : AX_EOS;
    max_len = g->tf && max_len > g->tf->cfg.max_len - 1 ? g->tf->cfg.max_len - 1 : max_len;
    t->bc = (ax_beam_config){.beam = beam, .nbest = 1, .max_len = max_len, .alpha = S2S_ALPHA,
                             .sos = g->tf ? eos : AX_SOS, .eos = eos};
    t->items = calloc((size_t)n, sizeof *t->items);
    AX_ASSERT(t->items, "out of memory");
    for (int i = 0; i < n; i++) {
        if (!g->tf) item_encode(g, texts[i]->valuestring, max_len, &t->items[i]);
        else if (item_encode_bpe(g, texts[i]->valuestring, &t->items[i]) != AX_OK)
            return serve_fail(e, "text", "%s", ax_last_error());
    }
    return AX_OK;
}

static void s2s_handle(serve_model *m, serve_call *call) {
    s2s_impl *g = m->impl;
    serve_error e = {0};
    s2s_task t = {0};
    if (parse_request(g, call->body, &t, &e) != AX_OK) return serve_reply_error(call, &e);
    if (sched_run_task(call->sched, run_translate, &t) != AX_OK) {
        e = (serve_error){.status = 503, .type = "server_error", .code = "server_busy"};
        snprintf(e.message, sizeof e.message, "%s; retry later", ax_last_error());
        serve_reply_error(call, &e);
    } else {
        serve_reply_json(call, 200, result_json(m, g, &t));
    }
    items_free(t.items, t.n_items);
}

const serve_kind serve_kind_seq2seq = {
    .axon_model = "seq2seq",
    .task = "translate",
    .load = s2s_load,
    .free = s2s_free,
    .describe = s2s_describe,
    .handle = s2s_handle,
};

const serve_kind serve_kind_transformer = {
    .axon_model = "transformer",
    .task = "translate",
    .load = s2s_load,
    .free = s2s_free,
    .describe = s2s_describe,
    .handle = s2s_handle,
};
