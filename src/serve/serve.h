/* `axon serve`: an OpenAI-compatible HTTP server (libmicrohttpd) for axon checkpoints (docs/serve.md).
 *
 * Threads: libmicrohttpd runs one thread per connection; those parse, validate and tokenize requests, then hand
 * the model work to ONE scheduler thread (sched.h), which owns every model computation (the step arena and the
 * OpenMP pool are not thread-safe) and decodes all active generations together, one batched step at a time.
 *
 * Models plug in through serve_kind: one per "axon_model" of config.json (gpt, mlp, seq2seq, transformer, ner). */
#ifndef AX_SERVE_SERVE_H
#define AX_SERVE_SERVE_H

#include "axon.h"

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <stdbool.h>

/* ---- settings (the options of `axon serve`) ------------------------------------------------------------------- */
typedef struct {
    const char **ckpts;     // (n_ckpts) checkpoint directories
    int n_ckpts;            // how many
    const char *host;       // IPv4 address to listen on
    int port;               // TCP port; 0 = any free one (printed at start)
    int threads;            // OpenMP threads of the scheduler (0 = all cores)
    int max_batch;          // sequences decoded together at most
    int max_queue;          // requests waiting for the scheduler at most (more: 503)
    int max_connections;    // open connections at most (more are refused)
    int max_tokens;         // hard limit on max_tokens of a request
    int max_n;              // most choices (n) per request
    size_t max_body;        // request body limit in bytes (more: 413)
    double timeout_s;       // per-request deadline, queueing included (0 = none)
    int idle_timeout_s;     // a connection idle this long is closed (slowloris)
    bool quiet;             // no request log on stderr
} serve_config;

int serve_main(const serve_config *cfg); // runs until SIGINT / SIGTERM; the exit code

/* ---- errors in OpenAI's shape: {"error": {"message", "type", "param", "code"}} --------------------------------- */
typedef struct {
    unsigned status;  // HTTP status (400, 404, 413, 503, …)
    const char *type; // "invalid_request_error", "server_error", …
    const char *code; // machine-readable code or NULL ("model_not_found", "context_length_exceeded", …)
    char param[48];   // the request field at fault, or "" for null
    char message[384];// one line for a human
} serve_error;

/* Fills e (status 400, invalid_request_error, no code) and returns AX_ERR. */
int serve_fail(serve_error *e, const char *param, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
cJSON *serve_error_json(const serve_error *e); // the {"error": {…}} object

/* ---- a request as the model kinds see it ---------------------------------------------------------------------- */
typedef enum {
    EP_COMPLETIONS = 0, // POST /v1/completions
    EP_CHAT,            // POST /v1/chat/completions
    EP_CLASSIFY,        // POST /v1/classify
    EP_TRANSLATE,       // POST /v1/translate
    EP_NER,             // POST /v1/ner
    EP_MODELS,          // GET /v1/models
    EP_HEALTH,          // GET /health
    EP_METRICS,         // GET /metrics
    EP_PAGE,            // GET /
    EP_OTHER,           // anything else
    EP_COUNT
} serve_endpoint;

typedef struct serve_sched serve_sched;
typedef struct {
    serve_endpoint ep;               // which endpoint
    const cJSON *body;               // the parsed JSON body (an object)
    struct MHD_Connection *conn;     // the client
    int fd;                          // its socket (to notice when it goes away)
    double t_arrival;                // serve_now() when the request arrived
    serve_sched *sched;              // the scheduler thread
    const serve_config *cfg;         // the server settings
    unsigned status;                 // out: HTTP status of the reply
    struct MHD_Response *response;   // out: the reply
} serve_call;

/* Replies with a JSON document (takes ownership of j), or with the error e. Both return MHD-ready responses. */
void serve_reply_json(serve_call *call, unsigned status, cJSON *j);
void serve_reply_error(serve_call *call, const serve_error *e);

/* ---- model kinds ------------------------------------------------------------------------------------------- */
typedef struct serve_model serve_model;
typedef struct {
    const char *axon_model; // the "axon_model" of config.json it serves
    const char *task;       // "generate", "classify", "translate" or "ner": the endpoints it answers
    // reads the checkpoint dir (config.json text given); AX_ERR with one line
    int (*load)(serve_model *m, const char *dir, const char *config_json);
    void (*free)(serve_model *m);
    void (*describe)(const serve_model *m, cJSON *obj); // adds its fields to the /v1/models entry
    // answers call (on the connection's thread; model math goes through sched_run_task / the generation queue)
    void (*handle)(serve_model *m, serve_call *call);
} serve_kind;

struct serve_model {
    char name[64];          // id in the API: the checkpoint directory's last component (made unique)
    char dir[1024];         // the checkpoint directory
    const serve_kind *kind; // what it is
    void *impl;             // the kind's state
};

extern const serve_kind serve_kind_gpt; // model_gpt.c
extern const serve_kind serve_kind_mlp; // model_mlp.c
extern const serve_kind serve_kind_seq2seq; // model_seq2seq.c
extern const serve_kind serve_kind_transformer; // model_seq2seq.c (the same endpoint, a Transformer inside)
extern const serve_kind serve_kind_ner; // model_ner.c

/* ---- the loaded models (models.c) ---------------------------------------------------------------------------- */
typedef struct {
    serve_model *models; // (n)
    int n;               // how many
} serve_registry;

int serve_registry_load(serve_registry *r, const char *const *dirs, int n); // AX_ERR with one line
void serve_registry_free(serve_registry *r);
/* The model a call names ("model" of the body; absent: the first model of the endpoint's task). NULL after
 * filling e (404 model_not_found, or 400 for a model of another task). */
serve_model *serve_registry_find(const serve_registry *r, serve_endpoint ep, const cJSON *body, serve_error *e);
cJSON *serve_registry_json(const serve_registry *r); // the /v1/models list

double serve_now(void); // monotonic seconds

#endif
