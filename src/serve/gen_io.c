/* Generation requests as the client sees them (see gen.h): OpenAI completion objects, or a Server-Sent Events
 * stream of chunk objects ("data: {…}\n\n" each, then "data: [DONE]\n\n"); the connection thread waits for
 * them while watching whether the client is still there. */
#include "serve/gen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define POLL_MS 100 // how often a waiting connection thread checks its client

/* ---- objects ------------------------------------------------------------------------------------------------ */

// {"id", "object", "created", "model", "choices": []}; *choices receives the array
static cJSON *envelope(const gen_req *r, bool chunk, cJSON **choices) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", r->id);
    cJSON_AddStringToObject(j, "object", r->p.chat ? (chunk ? "chat.completion.chunk" : "chat.completion")
                                                   : "text_completion");
    cJSON_AddNumberToObject(j, "created", (double)r->created);
    cJSON_AddStringToObject(j, "model", r->model->name);
    *choices = cJSON_AddArrayToObject(j, "choices");
    return j;
}

static cJSON *usage(const gen_req *r) {
    int completion = 0;
    for (int i = 0; i < r->p.n; i++) completion += r->seqs[i].n_new;
    cJSON *u = cJSON_CreateObject();
    cJSON_AddNumberToObject(u, "prompt_tokens", r->n_prompt);
    cJSON_AddNumberToObject(u, "completion_tokens", completion);
    cJSON_AddNumberToObject(u, "total_tokens", r->n_prompt + completion);
    return u;
}

// one choice: text (may be NULL in a chunk that only finishes) and its finish_reason (NULL: null)
static cJSON *choice(const gen_req *r, bool chunk, int index, const char *text, bool with_role, const char *reason) {
    cJSON *c = cJSON_CreateObject();
    cJSON_AddNumberToObject(c, "index", index);
    if (r->p.chat) {
        cJSON *msg = cJSON_AddObjectToObject(c, chunk ? "delta" : "message");
        if (with_role) cJSON_AddStringToObject(msg, "role", "assistant");
        if (text) cJSON_AddStringToObject(msg, "content", text);
    } else {
        cJSON_AddStringToObject(c, "text", text ? text : "");
    }
    cJSON_AddNullToObject(c, "logprobs");
    if (reason) cJSON_AddStringToObject(c, "finish_reason", reason);
    else cJSON_AddNullToObject(c, "finish_reason");
    return c;
}

cJSON *gen_result_json(gen_req *r, unsigned *status) {
    pthread_mutex_lock(&r->mu);
    bool failed = r->failed;
    serve_error e = r->err;
    pthread_mutex_unlock(&r->mu);
    if (failed) {
        *status = e.status;
        return serve_error_json(&e);
    }
    cJSON *choices, *j = envelope(r, false, &choices);
    for (int i = 0; i < r->p.n; i++) {
        const gen_seq *s = &r->seqs[i];
        char *text = utf8_clean(s->text.buf ? s->text.buf : "", s->text.len);
        cJSON_AddItemToArray(choices, choice(r, false, i, text, true, s->finish ? s->finish : "length"));
        free(text);
    }
    cJSON_AddItemToObject(j, "usage", usage(r));
    *status = 200;
    return j;
}

/* ---- the event stream (r->mu held) ------------------------------------------------------------------------------ */

static void out_append(gen_req *r, const char *bytes, size_t n) {
    if (r->out_len + n > r->out_cap) {
        size_t cap = r->out_cap ? r->out_cap : 1024;
        while (cap < r->out_len + n) cap *= 2;
        char *b = realloc(r->out, cap);
        AX_ASSERT(b, "out of memory for an event stream");
        r->out = b;
        r->out_cap = cap;
    }
    memcpy(r->out + r->out_len, bytes, n);
    r->out_len += n;
}

static void send_event(gen_req *r, cJSON *j) { // "data: <json>\n\n"; frees j
    char *s = cJSON_PrintUnformatted(j);
    AX_ASSERT(s, "out of memory for an event");
    out_append(r, "data: ", 6);
    out_append(r, s, strlen(s));
    out_append(r, "\n\n", 2);
    free(s);
    cJSON_Delete(j);
}

static void send_choice(gen_req *r, int index, const char *text, const char *reason) {
    cJSON *choices, *j = envelope(r, true, &choices);
    gen_seq *s = &r->seqs[index];
    cJSON_AddItemToArray(choices, choice(r, true, index, text, !s->announced, reason));
    s->announced = true;
    send_event(r, j);
    pthread_cond_broadcast(&r->cond);
}

// (an ended request sends nothing more: it may have failed while the scheduler was in a step)
void gen_io_text(gen_req *r, int index, const char *text, size_t n) {
    if (!r->p.stream || r->done) return;
    char *clean = utf8_clean(text, n);
    send_choice(r, index, clean, NULL);
    free(clean);
}

void gen_io_finish(gen_req *r, int index, const char *reason) {
    if (r->p.stream && !r->done) send_choice(r, index, r->p.chat ? NULL : "", reason);
}

void gen_io_end(gen_req *r) {
    if (!r->p.stream) return;
    if (r->failed) {
        send_event(r, serve_error_json(&r->err));
    } else if (r->p.include_usage) {
        cJSON *choices, *j = envelope(r, true, &choices);
        cJSON_AddItemToObject(j, "usage", usage(r));
        send_event(r, j);
    }
    out_append(r, "data: [DONE]\n\n", 14);
}

/* ---- waiting for it --------------------------------------------------------------------------------------------- */

// the peer closed the connection (or it broke); an unread next request does not count
static bool client_gone(int fd) {
    char c;
    ssize_t k = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* With r->mu held: waits up to POLL_MS for news; false (request cancelled) if the client went away. A request
 * still queued past its deadline (+1 s for the scheduler to notice) fails with 504 here. */
static bool wait_a_little(gen_req *r, int fd) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += POLL_MS * 1000000L;
    if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    pthread_cond_timedwait(&r->cond, &r->mu, &ts);
    if (!r->done && r->deadline > 0 && serve_now() > r->deadline + 1.0) {
        serve_error e = gen_timeout_error();
        gen_req_fail_locked(r, &e);
    }
    if (client_gone(fd)) {
        r->cancelled = true;
        return false;
    }
    return true;
}

bool gen_wait(gen_req *r, int fd) {
    pthread_mutex_lock(&r->mu);
    bool here = true;
    while (!r->done && (here = wait_a_little(r, fd))) {}
    pthread_mutex_unlock(&r->mu);
    return here;
}

ssize_t gen_read(gen_req *r, char *buf, size_t max, int fd) {
    pthread_mutex_lock(&r->mu);
    bool here = true;
    while (r->out_len == 0 && !r->done && (here = wait_a_little(r, fd))) {}
    ssize_t n = here ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
    if (here && r->out_len > 0) {
        size_t k = r->out_len < max ? r->out_len : max;
        memcpy(buf, r->out, k);
        memmove(r->out, r->out + k, r->out_len - k);
        r->out_len -= k;
        n = (ssize_t)k;
    }
    pthread_mutex_unlock(&r->mu);
    return n;
}
