/* The HTTP side of `axon serve` (see serve.h): libmicrohttpd with a thread per connection, the routes, request
 * bodies under a size limit, the playground page, /health and /metrics. */
#include "serve/metrics.h"
#include "serve/sched.h"

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const unsigned char serve_playground_html[]; // src/serve/playground.html, embedded at build time
extern const size_t serve_playground_html_len;

typedef struct {
    serve_config cfg;     // settings
    serve_registry reg;   // the models
    serve_sched *sched;   // the scheduler thread
} server;

typedef struct {
    serve_endpoint ep;    // where the request goes
    bool known_path;      // the path exists (for another method if ep is EP_OTHER: 405)
    double t_arrival;     // serve_now() at its first byte
    char *body;           // the request body so far (NUL-terminated once complete)
    size_t len, cap;      // bytes held, allocated
    bool too_big;         // the body passed cfg.max_body: the rest is discarded
} conn_state;

static const struct {
    const char *method, *path; // the route
    serve_endpoint ep;         // its endpoint
} routes[] = {
    {"POST", "/v1/completions", EP_COMPLETIONS},
    {"POST", "/v1/chat/completions", EP_CHAT},
    {"POST", "/v1/classify", EP_CLASSIFY},
    {"POST", "/v1/translate", EP_TRANSLATE},
    {"POST", "/v1/ner", EP_NER},
    {"GET", "/v1/models", EP_MODELS},
    {"GET", "/health", EP_HEALTH},
    {"GET", "/metrics", EP_METRICS},
    {"GET", "/", EP_PAGE},
    {"GET", "/index.html", EP_PAGE},
};

static void route(conn_state *st, const char *method, const char *url) {
    st->ep = EP_OTHER;
    bool head = strcmp(method, "HEAD") == 0;
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++)
        if (strcmp(url, routes[i].path) == 0) {
            st->known_path = true;
            if (strcmp(method, routes[i].method) == 0 || (head && strcmp(routes[i].method, "GET") == 0))
                st->ep = routes[i].ep;
        }
}

static void reply_text(serve_call *call, const char *type, const void *data, size_t len, enum MHD_ResponseMemoryMode mode) {
    call->response = MHD_create_response_from_buffer(len, (void *)data, mode);
    AX_ASSERT(call->response, "cannot create a response");
    MHD_add_response_header(call->response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    call->status = MHD_HTTP_OK;
}

static void reply_status(serve_call *call, unsigned status, const char *type, const char *code, const char *fmt,
                         const char *arg) {
    serve_error e = {.status = status, .type = type, .code = code};
    snprintf(e.message, sizeof e.message, fmt, arg);
    serve_reply_error(call, &e);
}

static void health(server *sv, serve_call *call) {
    int queued, running;
    sched_load(sv->sched, &queued, &running);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "status", "ok");
    cJSON_AddNumberToObject(j, "models", sv->reg.n);
    cJSON_AddNumberToObject(j, "queued", queued);
    cJSON_AddNumberToObject(j, "running", running);
    serve_reply_json(call, 200, j);
}

// a POST endpoint: the body must be a JSON object; then the model it names answers
static void post(server *sv, conn_state *st, serve_call *call) {
    cJSON *body = cJSON_ParseWithLength(st->body ? st->body : "", st->len);
    if (!cJSON_IsObject(body)) {
        cJSON_Delete(body);
        return reply_status(call, 400, "invalid_request_error", "invalid_json", "%s",
                            "the request body must be a JSON object");
    }
    serve_error e = {0};
    call->body = body;
    serve_model *m = serve_registry_find(&sv->reg, call->ep, body, &e);
    if (m) m->kind->handle(m, call);
    else serve_reply_error(call, &e);
    cJSON_Delete(body);
}

static void dispatch(server *sv, conn_state *st, serve_call *call, const char *url) {
    if (st->too_big) {
        char limit[32];
        snprintf(limit, sizeof limit, "%zu", sv->cfg.max_body);
        return reply_status(call, 413, "invalid_request_error", "request_too_large",
                            "the request body is larger than %s bytes", limit);
    }
    switch (call->ep) {
    case EP_PAGE:
        return reply_text(call, "text/html; charset=utf-8", serve_playground_html, serve_playground_html_len,
                          MHD_RESPMEM_PERSISTENT);
    case EP_HEALTH: return health(sv, call);
    case EP_MODELS: return serve_reply_json(call, 200, serve_registry_json(&sv->reg));
    case EP_METRICS: {
        int queued, running;
        sched_load(sv->sched, &queued, &running);
        char *text = metrics_text(queued, running);
        return reply_text(call, "text/plain; version=0.0.4", text, strlen(text), MHD_RESPMEM_MUST_FREE);
    }
    case EP_OTHER:
        if (st->known_path)
            return reply_status(call, 405, "invalid_request_error", "method_not_allowed", "%s",
                                "method not allowed on this path");
        return reply_status(call, 404, "invalid_request_error", "not_found", "unknown path %.200s", url);
    default: return post(sv, st, call);
    }
}

// appends a piece of the body, or discards it once the body is over the limit
static void take_body(conn_state *st, const char *data, size_t n, size_t max) {
    if (st->too_big || st->len + n > max) {
        st->too_big = true;
        return;
    }
    if (st->len + n + 1 > st->cap) {
        size_t cap = st->cap ? st->cap : 4096;
        while (cap < st->len + n + 1) cap *= 2;
        char *b = realloc(st->body, cap);
        if (!b) {
            st->too_big = true;
            return;
        }
        st->body = b;
        st->cap = cap;
    }
    memcpy(st->body + st->len, data, n);
    st->len += n;
    st->body[st->len] = '\0';
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **state) {
    server *sv = cls;
    conn_state *st = *state;
    if (!st) { // the headers have arrived
        if (!(st = calloc(1, sizeof *st))) return MHD_NO;
        st->t_arrival = serve_now();
        route(st, method, url);
        *state = st;
        const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (!length || strtoull(length, NULL, 10) <= sv->cfg.max_body) return MHD_YES;
        st->too_big = true; // answer 413 at once instead of reading megabytes first
    } else if (*upload_size) {
        take_body(st, upload, *upload_size, sv->cfg.max_body);
        *upload_size = 0;
        return MHD_YES;
    }
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    serve_call call = {.ep = st->ep, .conn = conn, .fd = info ? info->connect_fd : -1, .t_arrival = st->t_arrival,
                       .sched = sv->sched, .cfg = &sv->cfg};
    dispatch(sv, st, &call, url);
    enum MHD_Result rc = MHD_queue_response(conn, call.status, call.response);
    MHD_destroy_response(call.response);
    double took = serve_now() - st->t_arrival;
    metrics_request(call.ep, call.status, took);
    if (!sv->cfg.quiet) fprintf(stderr, "axon: %s %.200s %u %.3f s\n", method, url, call.status, took);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state, enum MHD_RequestTerminationCode why) {
    conn_state *st = *state;
    if (st) free(st->body);
    free(st);
    *state = NULL;
}

/* ---- the server's life ---------------------------------------------------------------------------------------- */

static struct MHD_Daemon *start_http(server *sv, sigset_t *signals) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)sv->cfg.port)};
    if (inet_pton(AF_INET, sv->cfg.host, &addr.sin_addr) != 1) {
        fprintf(stderr, "axon: --host must be an IPv4 address such as 127.0.0.1 or 0.0.0.0 (got '%s')\n", sv->cfg.host);
        return NULL;
    }
    // the threads libmicrohttpd starts inherit this mask: only the main thread takes SIGINT / SIGTERM
    sigemptyset(signals);
    sigaddset(signals, SIGINT);
    sigaddset(signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC, (uint16_t)sv->cfg.port, NULL, NULL,
        on_request, sv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)sv->cfg.max_connections, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)sv->cfg.idle_timeout_s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, sv, MHD_OPTION_END);
    if (!d) fprintf(stderr, "axon: cannot listen on %s:%d (is the port in use?)\n", sv->cfg.host, sv->cfg.port);
    return d;
}

int serve_main(const serve_config *cfg) {
    server sv = {.cfg = *cfg};
    if (sv.cfg.max_n > sv.cfg.max_batch) sv.cfg.max_n = sv.cfg.max_batch; // a request must fit in the batch
    if (serve_registry_load(&sv.reg, cfg->ckpts, cfg->n_ckpts) != AX_OK) return 1;
    sigset_t signals;
    struct MHD_Daemon *d = NULL;
    if (!(sv.sched = sched_start(&sv.cfg)) || !(d = start_http(&sv, &signals))) {
        if (!sv.sched) fprintf(stderr, "axon: %s\n", ax_last_error());
        if (sv.sched) sched_stop(sv.sched), sched_free(sv.sched);
        serve_registry_free(&sv.reg);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "axon: serving %d model%s on http://%s:%u/ (playground at /, OpenAI API under /v1)\n", sv.reg.n,
            sv.reg.n == 1 ? "" : "s", sv.cfg.host, info ? info->port : (unsigned)sv.cfg.port);
    for (int i = 0; i < sv.reg.n; i++)
        fprintf(stderr, "axon:   %-20s %s (%s)\n", sv.reg.models[i].name, sv.reg.models[i].kind->axon_model,
                sv.reg.models[i].dir);
    int sig;
    sigwait(&signals, &sig);
    fprintf(stderr, "axon: stopping\n");
    MHD_quiesce_daemon(d);  // no new connections
    sched_stop(sv.sched);   // waiting and running requests end (503), which lets their connections finish
    MHD_stop_daemon(d);     // joins the connection threads
    sched_free(sv.sched);
    serve_registry_free(&sv.reg);
    return 0;
}
