/* Prometheus metrics of `axon serve` (see metrics.h): request counts by endpoint and status, latency and
 * time-to-first-token histograms, token counters, decoding speed, queue length. */
#include "serve/metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define N_BUCKETS 14
static const double bucket_le[N_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
static const char *const endpoint_names[EP_COUNT] = {"completions", "chat", "classify", "translate", "ner",
                                                      "models",      "health", "metrics", "page",     "other"};
#define MAX_STATUSES 16 // distinct statuses counted per endpoint

typedef struct {
    uint64_t counts[N_BUCKETS]; // observations ≤ bucket_le[i] (not cumulative here)
    uint64_t n;                 // observations
    double sum;                 // their sum
} histogram;

static struct {
    pthread_mutex_t mu;                          // guards everything below
    unsigned status[EP_COUNT][MAX_STATUSES];     // HTTP statuses seen per endpoint
    uint64_t requests[EP_COUNT][MAX_STATUSES];   // requests answered with them
    histogram latency, ttft;                     // request seconds, first-token seconds
    uint64_t prompt_tokens, completion_tokens;   // tokens read, generated
    double rate;                                 // recent tokens/s
} m = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void observe(histogram *h, double v) {
    int i = 0;
    while (i < N_BUCKETS && v > bucket_le[i]) i++;
    if (i < N_BUCKETS) h->counts[i]++;
    h->n++;
    h->sum += v;
}

void metrics_request(serve_endpoint ep, unsigned status, double seconds) {
    pthread_mutex_lock(&m.mu);
    for (int i = 0; i < MAX_STATUSES; i++)
        if (m.status[ep][i] == status || m.status[ep][i] == 0) {
            m.status[ep][i] = status;
            m.requests[ep][i]++;
            break;
        }
    observe(&m.latency, seconds);
    pthread_mutex_unlock(&m.mu);
}

void metrics_observe_ttft(double seconds) {
    pthread_mutex_lock(&m.mu);
    observe(&m.ttft, seconds);
    pthread_mutex_unlock(&m.mu);
}

void metrics_add_tokens(int64_t prompt, int64_t completion) {
    pthread_mutex_lock(&m.mu);
    m.prompt_tokens += (uint64_t)prompt;
    m.completion_tokens += (uint64_t)completion;
    pthread_mutex_unlock(&m.mu);
}

void metrics_set_rate(double tokens_per_s) {
    pthread_mutex_lock(&m.mu);
    m.rate = tokens_per_s;
    pthread_mutex_unlock(&m.mu);
}

/* ---- the text ---------------------------------------------------------------------------------------------- */
typedef struct {
    char *buf;       // the text so far
    size_t len, cap; // bytes used, allocated
} text_buf;

static void put(text_buf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text_buf *t, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        t->cap = t->cap * 2 + (size_t)(n > 0 ? n : 0);
        t->buf = realloc(t->buf, t->cap);
        AX_ASSERT(t->buf, "out of memory for /metrics");
    }
}

static void put_histogram(text_buf *t, const char *name, const char *help, const histogram *h) {
    put(t, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cum = 0;
    for (int i = 0; i < N_BUCKETS; i++) {
        cum += h->counts[i];
        put(t, "%s_bucket{le=\"%g\"} %llu\n", name, bucket_le[i], (unsigned long long)cum);
    }
    put(t, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name, (unsigned long long)h->n, name, h->sum,
        name, (unsigned long long)h->n);
}

char *metrics_text(int queued, int running) {
    text_buf t = {.buf = malloc(4096), .cap = 4096};
    AX_ASSERT(t.buf, "out of memory for /metrics");
    pthread_mutex_lock(&m.mu);
    put(&t, "# HELP axon_requests_total Requests answered, by endpoint and HTTP status.\n"
            "# TYPE axon_requests_total counter\n");
    for (int ep = 0; ep < EP_COUNT; ep++)
        for (int i = 0; i < MAX_STATUSES && m.status[ep][i]; i++)
            put(&t, "axon_requests_total{endpoint=\"%s\",code=\"%u\"} %llu\n", endpoint_names[ep], m.status[ep][i],
                (unsigned long long)m.requests[ep][i]);
    put_histogram(&t, "axon_request_duration_seconds", "Time from a request's arrival to its last byte queued.",
                  &m.latency);
    put_histogram(&t, "axon_time_to_first_token_seconds", "Time from a generation request's arrival to its first token.",
                  &m.ttft);
    put(&t,
        "# HELP axon_prompt_tokens_total Prompt tokens processed.\n# TYPE axon_prompt_tokens_total counter\n"
        "axon_prompt_tokens_total %llu\n"
        "# HELP axon_generated_tokens_total Tokens generated.\n# TYPE axon_generated_tokens_total counter\n"
        "axon_generated_tokens_total %llu\n"
        "# HELP axon_tokens_per_second Generated tokens per second over the last few seconds.\n"
        "# TYPE axon_tokens_per_second gauge\naxon_tokens_per_second %.3f\n"
        "# HELP axon_queue_length Requests waiting for the scheduler.\n# TYPE axon_queue_length gauge\n"
        "axon_queue_length %d\n"
        "# HELP axon_running_sequences Sequences being decoded together.\n# TYPE axon_running_sequences gauge\n"
        "axon_running_sequences %d\n",
        (unsigned long long)m.prompt_tokens, (unsigned long long)m.completion_tokens, m.rate, queued, running);
    pthread_mutex_unlock(&m.mu);
    return t.buf;
}
