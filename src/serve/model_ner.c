/* Named-entity taggers in `axon serve`: BiLSTM-CRF and BERT-style checkpoints of `axon train ner`, POST /v1/ner with
 * a text. The connection thread tokenizes it as `axon tag` does (the gold tokenizer) and cuts sentences after . ! ?;
 * the scheduler thread tags them (the step arena is its own); the answer lists the entities with their character
 * offsets (Unicode code points) in the text, which `text[start:end]` in Python or JavaScript gives back for text in
 * the Basic Multilingual Plane, and (BiLSTM-CRF) a score: the probability of the sentence's best tag path. */
#include "cli/ner_tag_cli.h"
#include "serve/sched.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NER_MAX_LEN 100 // tokens per piece, as `axon tag` (longer sentences are tagged in pieces)
#define NER_BATCH 64    // pieces per forward pass

typedef struct {
    ax_tagger *crf; // a BiLSTM-CRF (scheduler thread only), or NULL
    ax_bert *bert;  // a BERT-style tagger (scheduler thread only), or NULL
} ner_impl;

static int ner_load(serve_model *m, const char *dir, const char *config_json) {
    (void)config_json;
    ner_impl *g = calloc(1, sizeof *g);
    int rc = !g ? ax_error("out of memory")
             : ax_bert_is_checkpoint(dir) ? ax_bert_load(dir, &g->bert)
                                          : ax_tagger_load(dir, &g->crf);
    if (rc != AX_OK) {
        fprintf(stderr, "axon: %s\n", ax_last_error());
        free(g);
        return AX_ERR;
    }
    m->impl = g;
    return AX_OK;
}

static void ner_free(serve_model *m) {
    ner_impl *g = m->impl;
    if (!g) return;
    ax_tagger_free(g->crf);
    ax_bert_free(g->bert);
    free(g);
}

static const ax_tagset *tagset(const ner_impl *g) { return g->crf ? &g->crf->tags : &g->bert->tags; }

static void ner_describe(const serve_model *m, cJSON *obj) {
    const ner_impl *g = m->impl;
    const ax_tagset *ts = tagset(g);
    cJSON_AddStringToObject(obj, "arch", g->crf ? "bilstm-crf" : "bert");
    cJSON *types = cJSON_AddArrayToObject(obj, "types");
    for (int i = 0; i < ts->n_types; i++) cJSON_AddItemToArray(types, cJSON_CreateString(ts->types[i]));
}

/* ---- the text → sentences, with each token's place in it ---- */
typedef struct {
    ax_ner_corpus in;  // the sentences (unlabelled)
    int64_t *start;    // (in.n_tokens) each token's first byte in the text
    int64_t *len;      // (in.n_tokens) its bytes
} ner_text;

static bool ends_sentence(const char *tok, int64_t n) { return n == 1 && (*tok == '.' || *tok == '!' || *tok == '?'); }

static int ner_text_build(const char *text, size_t n, ner_text *t) {
    ax_ner_corpus_init(&t->in);
    t->start = t->len = NULL;
    int64_t count;
    if (ax_ner_tokenize(text, n, &t->start, &t->len, &count) != AX_OK) return AX_ERR;
    char **toks = malloc((size_t)(count ? count : 1) * sizeof *toks);
    AX_ASSERT(toks, "out of memory");
    for (int64_t i = 0; i < count; i++) toks[i] = strndup(text + t->start[i], (size_t)t->len[i]);
    int rc = AX_OK;
    for (int64_t first = 0, i = 0; rc == AX_OK && i < count; i++)
        if (i + 1 == count || ends_sentence(toks[i], t->len[i])) {
            rc = ax_ner_corpus_add(&t->in, (const char *const *)toks + first, (int)(i + 1 - first), NULL, 0, NULL);
            first = i + 1;
        }
    for (int64_t i = 0; i < count; i++) free(toks[i]);
    free(toks);
    return rc;
}

static void ner_text_free(ner_text *t) {
    ax_ner_corpus_free(&t->in);
    free(t->start);
    free(t->len);
}

typedef struct {
    const ner_impl *g;   // the model
    const ax_ner_corpus *in; // the sentences
    ax_ner_corpus guess; // out: the entities (initialised by the caller)
    double *prob;        // out: (in->n_sents) each sentence's best-path probability (NAN: the model has none)
    int rc;              // out: AX_OK or AX_ERR
} ner_task;

static void run_tag(void *ctx) { // on the scheduler thread
    ner_task *t = ctx;
    t->rc = ner_tag_corpus_with(&(ner_model){t->g->crf, t->g->bert}, t->in, NER_MAX_LEN, NER_BATCH, &t->guess,
                                t->prob);
}

// code points in text[0 .. b) for every byte offset b (n + 1 of them), malloc'd
static int64_t *char_offsets(const char *text, size_t n) {
    int64_t *at = malloc((n + 1) * sizeof *at), k = 0;
    AX_ASSERT(at, "out of memory");
    for (size_t b = 0; b < n; b++) {
        at[b] = k;
        k += ((unsigned char)text[b] & 0xC0) != 0x80; // a byte that starts a character
    }
    at[n] = k;
    return at;
}

static cJSON *result_json(const serve_model *m, const char *text, size_t n, const ner_text *t, const ax_ner_corpus *g,
                          const double *prob) {
    int64_t *at = char_offsets(text, n);
    cJSON *j = cJSON_CreateObject(), *list;
    cJSON_AddStringToObject(j, "object", "ner");
    cJSON_AddStringToObject(j, "model", m->name);
    cJSON_AddNumberToObject(j, "tokens", (double)t->in.n_tokens);
    list = cJSON_AddArrayToObject(j, "entities");
    for (int64_t s = 0; s < g->n_sents; s++)
        for (int64_t k = g->span_start[s]; k < g->span_start[s + 1]; k++) {
            const ax_ner_span *sp = &g->spans[k];
            int64_t first = g->sent_start[s] + sp->start, last = g->sent_start[s] + sp->end - 1;
            int64_t b0 = t->start[first], b1 = t->start[last] + t->len[last];
            cJSON *e = cJSON_CreateObject();
            char *piece = strndup(text + b0, (size_t)(b1 - b0));
            AX_ASSERT(piece, "out of memory");
            cJSON_AddStringToObject(e, "text", piece);
            cJSON_AddStringToObject(e, "type", g->tags.types[sp->type]);
            cJSON_AddNumberToObject(e, "start", (double)at[b0]);
            cJSON_AddNumberToObject(e, "end", (double)at[b1]);
            if (isfinite(prob[s])) cJSON_AddNumberToObject(e, "score", prob[s]);
            cJSON_AddItemToArray(list, e);
            free(piece);
        }
    free(at);
    return j;
}

static void ner_handle(serve_model *m, serve_call *call) {
    serve_error e = {0};
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(call->body, "text");
    if (!cJSON_IsString(text)) {
        serve_fail(&e, "text", "'text' must be a string");
        return serve_reply_error(call, &e);
    }
    size_t n = strlen(text->valuestring);
    ner_text t;
    if (ner_text_build(text->valuestring, n, &t) != AX_OK) {
        serve_fail(&e, "text", "%s", ax_last_error());
        ner_text_free(&t);
        return serve_reply_error(call, &e);
    }
    ner_task task = {.g = m->impl, .in = &t.in, .prob = malloc((size_t)(t.in.n_sents + 1) * sizeof(double))};
    AX_ASSERT(task.prob, "out of memory");
    ax_ner_corpus_init(&task.guess);
    if (sched_run_task(call->sched, run_tag, &task) != AX_OK) {
        e = (serve_error){.status = 503, .type = "server_error", .code = "server_busy"};
        snprintf(e.message, sizeof e.message, "%s; retry later", ax_last_error());
        serve_reply_error(call, &e);
    } else if (task.rc != AX_OK) {
        e = (serve_error){.status = 500, .type = "server_error"};
        snprintf(e.message, sizeof e.message, "%s", ax_last_error());
        serve_reply_error(call, &e);
    } else {
        serve_reply_json(call, 200, result_json(m, text->valuestring, n, &t, &task.guess, task.prob));
    }
    free(task.prob);
    ax_ner_corpus_free(&task.guess);
    ner_text_free(&t);
}

const serve_kind serve_kind_ner = {
    .axon_model = "ner",
    .task = "ner",
    .load = ner_load,
    .free = ner_free,
    .describe = ner_describe,
    .handle = ner_handle,
};
