/* Generation requests of `axon serve` (completions and chat): parameters as OpenAI names them, one request with
 * its n choices, and what the scheduler thread does to them (prefill, batched decode steps, text and SSE).
 *
 * A request is shared by the connection thread that made it and the scheduler thread; its mutex guards the
 * fields marked (mu), and a reference count frees it when both are done with it. */
#ifndef AX_SERVE_GEN_H
#define AX_SERVE_GEN_H

#include "serve/serve.h"

#include <pthread.h>
#include <sys/types.h>

#define GEN_MAX_STOP 4 // OpenAI allows up to 4 stop sequences

/* ---- request parameters (openai.c) ------------------------------------------------------------------------------ */
typedef struct {
    int max_tokens;            // tokens to generate at most per choice; 0 = fill the context (chat default)
    ax_sampler_config sampler; // temperature, top_k, top_p, repetition penalty
    uint64_t seed;             // sampler seed of choice 0 (choice i uses seed + i)
    int n;                     // choices
    bool stream;               // answer with Server-Sent Events
    bool include_usage;        // stream_options.include_usage: one last chunk with the usage
    bool chat;                 // chat.completion objects (else text_completion)
    char *stop[GEN_MAX_STOP];  // (n_stop) stop strings, malloc'd
    int n_stop;                // how many
    char *prompt;              // the prompt text (chat: the messages' contents joined by "\n"), malloc'd
    size_t prompt_len;         // its bytes
} gen_params;

/* Reads an OpenAI completions (chat false) or chat completions body into p; AX_ERR after filling e (400). */
int openai_parse(const cJSON *body, bool chat, const serve_config *cfg, gen_params *p, serve_error *e);
void gen_params_free(gen_params *p);

/* ---- text for JSON (text.c) ---------------------------------------------------------------------------------- */
char *utf8_clean(const char *s, size_t n); // a NUL-terminated copy with invalid UTF-8 replaced by U+FFFD

/* ---- a request ----------------------------------------------------------------------------------------------- */
typedef struct {
    const ax_gpt *gpt;        // the network
    const ax_tokenizer *tok;  // its tokenizer (decode only: thread-safe)
    int vocab;                // ids the sampler may pick: the tokenizer's vocabulary
    int eot;                  // <|endoftext|> id, or -1
    const char *name;         // model id in the API
} gen_model;

typedef struct gen_req gen_req;
typedef struct gen_seq gen_seq;

/* A request for choices of p (taken over) after the n_prompt ids of prompt (taken over), arriving at t_arrival,
 * failing at its deadline (0: none). The caller holds one reference, the scheduler takes another at submission. */
gen_req *gen_req_new(const gen_model *m, gen_params *p, int32_t *prompt, int n_prompt, double t_arrival,
                     double deadline);
void gen_req_ref(gen_req *r);
void gen_req_release(gen_req *r);                       // frees it with the last reference
void gen_req_cancel(gen_req *r);                         // the client went away: stop at the next step
void gen_req_fail(gen_req *r, const serve_error *e);     // ends it with an error, unless it has ended
void gen_req_fail_locked(gen_req *r, const serve_error *e); // the same with r->mu held
serve_error gen_timeout_error(void);                     // 504: past the server's --timeout
int gen_req_n(const gen_req *r);                          // its choices

/* ---- scheduler side (gen.c) ---------------------------------------------------------------------------------- */
/* Prefills every choice (its own KV cache and sampler) and samples its first token. AX_ERR (out of memory)
 * leaves nothing allocated. seqs receives the r->n choices. */
int gen_begin(gen_req *r, gen_seq **seqs);
/* One decode step for n running choices of the same model: their pending tokens through
 * ax_gpt_kv_forward_batch, then a token sampled for each. AX_ERR (out of memory) changes nothing. */
int gen_step(gen_seq *const *seqs, int n);
const ax_gpt *gen_seq_gpt(const gen_seq *s);
/* False once the choice has finished (stop, length) or its request was cancelled or ran past its deadline
 * at time now. */
bool gen_seq_running(gen_seq *s, double now);
void gen_seq_retire(gen_seq *s); // frees its cache; the request completes when its last choice retires

/* ---- connection side (gen_io.c) ----------------------------------------------------------------------------- */
/* Waits until the request is complete; false (and the request cancelled) if the client on socket fd closed. */
bool gen_wait(gen_req *r, int fd);
/* The next bytes of the event stream into buf: > 0 bytes, MHD_CONTENT_READER_END_OF_STREAM at the end, or
 * MHD_CONTENT_READER_END_WITH_ERROR when the client on socket fd went away (the request is then cancelled). */
ssize_t gen_read(gen_req *r, char *buf, size_t max, int fd);
/* The finished request: the completion object (status 200) or its error; *status receives the HTTP status. */
cJSON *gen_result_json(gen_req *r, unsigned *status);

/* What gen.c asks gen_io.c to write as choices progress (called with the request's mutex held). */
void gen_io_text(gen_req *r, int index, const char *text, size_t n);  // new visible text of choice index
void gen_io_finish(gen_req *r, int index, const char *reason);         // choice index ended ("stop", "length")
void gen_io_end(gen_req *r);                                            // the whole request ended

/* Internals shared by gen.c and gen_io.c. */
struct gen_seq {
    gen_req *req;          // the request it belongs to
    int index;             // choice index
    ax_gpt_kv *kv;         // its KV cache (NULL once retired)
    ax_sampler smp;        // its sampler
    int32_t *ids;          // (n_prompt + max_tokens) prompt then generated ids: the repetition-penalty history
    int n_ids;             // ids held
    int n_new;             // tokens generated
    int32_t pending;       // sampled, to be fed at the next step
    ax_gen_text text;      // the decoded continuation
    const char *finish;    // NULL while generating; "stop" or "length"
    bool announced;        // (mu) a chat stream has sent this choice's role
};

struct gen_req {
    const gen_model *model; // what generates
    gen_params p;           // the parameters (owned)
    int32_t *prompt;        // (n_prompt) prompt ids (owned)
    int n_prompt;           // prompt tokens
    int max_new;            // tokens per choice at most (p.max_tokens, or what the context leaves)
    char id[48];            // "cmpl-…" / "chatcmpl-…"
    long created;           // Unix seconds
    double t_arrival;       // serve_now() when the request arrived
    double deadline;        // serve_now() limit, 0 = none
    bool first_seen;        // a token has been produced (time to first token recorded)
    gen_seq *seqs;          // (p.n) the choices
    int n_live;             // choices not yet retired (scheduler side)
    pthread_mutex_t mu;     // guards the (mu) fields
    pthread_cond_t cond;    // signalled on new output and at the end
    int refs;               // (mu) references
    bool done;              // (mu) every choice has retired or the request failed
    bool cancelled;         // (mu) the client went away
    bool failed;            // (mu) err holds why it ended early
    serve_error err;        // (mu) the error
    char *out;              // (mu) event-stream bytes not yet sent (stream)
    size_t out_len, out_cap; // (mu) bytes held, allocated
};

#endif
