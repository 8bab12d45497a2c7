/* GPT checkpoints in `axon serve`: POST /v1/completions and /v1/chat/completions. The connection thread parses
 * and tokenizes the request and checks it against the context; the scheduler generates (gen.c); the answer is
 * one completion object or, with "stream": true, an event stream of chunks. */
#include "cli/gpt_cli.h"
#include "serve/sched.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    ax_gpt *gpt;            // the network (weights read by the scheduler thread only)
    ax_tokenizer *tok;      // its tokenizer
    pthread_mutex_t tok_mu; // encoding caches words in the tokenizer: one connection thread at a time
    gen_model gm;           // what generation requests point to
} gpt_impl;

static int gpt_load(serve_model *m, const char *dir, const char *config_json) {
    gpt_impl *g = calloc(1, sizeof *g);
    if (!g) return ax_error("out of memory");
    if (gpt_cli_open(dir, &g->gpt, &g->tok)) { // prints its error
        free(g);
        return AX_ERR;
    }
    pthread_mutex_init(&g->tok_mu, NULL);
    g->gm = (gen_model){.gpt = g->gpt, .tok = g->tok, .vocab = ax_tokenizer_vocab_size(g->tok),
                        .eot = ax_tokenizer_eot(g->tok), .name = m->name};
    m->impl = g;
    return AX_OK;
}

static void gpt_free(serve_model *m) {
    gpt_impl *g = m->impl;
    if (!g) return;
    pthread_mutex_destroy(&g->tok_mu);
    ax_tokenizer_free(g->tok);
    ax_gpt_free(g->gpt);
    free(g);
}

static void gpt_describe(const serve_model *m, cJSON *obj) {
    const gpt_impl *g = m->impl;
    const ax_gpt_config *c = &g->gpt->cfg;
    cJSON_AddNumberToObject(obj, "context_length", c->block_size);
    cJSON_AddNumberToObject(obj, "vocab_size", g->gm.vocab);
    cJSON_AddNumberToObject(obj, "n_layer", c->n_layer);
    cJSON_AddNumberToObject(obj, "n_embd", c->n_embd);
    cJSON_AddNumberToObject(obj, "parameters", (double)ax_gpt_config_n_params(c));
    cJSON_AddStringToObject(obj, "tokenizer", ax_tokenizer_kind_of(g->tok) == AX_TOK_BPE ? "bpe" : "char");
}

/* The prompt's ids (an empty prompt starts from <|endoftext|>), checked against the context: the prompt and
 * max_tokens must fit in block_size. NULL after filling e. */
static int32_t *prompt_ids(gpt_impl *g, const gen_params *p, int *n_out, serve_error *e) {
    const char *field = p->chat ? "messages" : "prompt";
    int32_t *ids = NULL;
    size_t n = 0;
    pthread_mutex_lock(&g->tok_mu);
    int rc = ax_tokenizer_encode(g->tok, p->prompt, p->prompt_len, &ids, &n);
    pthread_mutex_unlock(&g->tok_mu);
    if (rc != AX_OK) return serve_fail(e, field, "the %s cannot be tokenized: %s", field, ax_last_error()), NULL;
    if (n == 0) {
        free(ids);
        if (g->gm.eot < 0)
            return serve_fail(e, field, "the %s is empty (and this model's tokenizer has no <|endoftext|>)", field), NULL;
        ids = malloc(sizeof *ids);
        AX_ASSERT(ids, "out of memory");
        ids[n++] = g->gm.eot;
    }
    int T = g->gpt->cfg.block_size;
    if (n >= (size_t)T)
        serve_fail(e, field, "this model's maximum context length is %d tokens, but the %s is %zu tokens", T, field, n);
    else if (p->max_tokens > 0 && n + (size_t)p->max_tokens > (size_t)T)
        serve_fail(e, "max_tokens",
                   "this model's maximum context length is %d tokens, but %zu were requested (%zu in the %s, %d for "
                   "the completion)",
                   T, n + (size_t)p->max_tokens, n, field, p->max_tokens);
    if (e->status) {
        e->code = "context_length_exceeded";
        free(ids);
        return NULL;
    }
    *n_out = (int)n;
    return ids;
}

/* ---- streaming: the response reads the request's event stream --------------------------------------------------- */
typedef struct {
    gen_req *r; // the request (one reference)
    int fd;     // the client's socket
} stream_ctx;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    stream_ctx *c = cls;
    return gen_read(c->r, buf, max, c->fd);
}

static void stream_free(void *cls) { // the response is gone (sent, or the client left): stop generating
    stream_ctx *c = cls;
    gen_req_cancel(c->r);
    gen_req_release(c->r);
    free(c);
}

static void reply_stream(serve_call *call, gen_req *r) {
    stream_ctx *c = malloc(sizeof *c);
    AX_ASSERT(c, "out of memory");
    *c = (stream_ctx){.r = r, .fd = call->fd};
    call->response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, c, stream_free);
    AX_ASSERT(call->response, "cannot create a response");
    MHD_add_response_header(call->response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(call->response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    call->status = MHD_HTTP_OK;
}

static void gpt_handle(serve_model *m, serve_call *call) {
    gpt_impl *g = m->impl;
    serve_error e = {0};
    gen_params p;
    int n = 0;
    int32_t *ids = NULL;
    if (openai_parse(call->body, call->ep == EP_CHAT, call->cfg, &p, &e) != AX_OK) return serve_reply_error(call, &e);
    if (!(ids = prompt_ids(g, &p, &n, &e))) {
        gen_params_free(&p);
        return serve_reply_error(call, &e);
    }
    double deadline = call->cfg->timeout_s > 0 ? call->t_arrival + call->cfg->timeout_s : 0;
    gen_req *r = gen_req_new(&g->gm, &p, ids, n, call->t_arrival, deadline);
    if (sched_submit(call->sched, r) != AX_OK) {
        gen_req_release(r);
        e = (serve_error){.status = 503, .type = "server_error", .code = "server_busy"};
        snprintf(e.message, sizeof e.message, "%s; retry later", ax_last_error());
        return serve_reply_error(call, &e);
    }
    if (r->p.stream) return reply_stream(call, r);
    if (gen_wait(r, call->fd)) {
        unsigned status;
        cJSON *j = gen_result_json(r, &status);
        serve_reply_json(call, status, j);
    } else { // nobody will read it: the connection is closed
        serve_reply_error(call, &(serve_error){.status = 499, .type = "cancelled", .message = "client went away"});
    }
    gen_req_release(r);
}

const serve_kind serve_kind_gpt = {
    .axon_model = "gpt",
    .task = "generate",
    .load = gpt_load,
    .free = gpt_free,
    .describe = gpt_describe,
    .handle = gpt_handle,
};
