/* Generation requests on the scheduler thread (see gen.h): each choice has its own KV cache and sampler; its
 * prompt goes through ax_gpt_kv_forward in one chunk, then every running choice of a model advances together
 * through ax_gpt_kv_forward_batch, one token per step. */
#include "serve/gen.h"
#include "serve/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the request object ----------------------------------------------------------------------------------- */

static void make_id(char *id, size_t cap, bool chat) {
    static _Atomic uint64_t counter;
    uint64_t n = ++counter, x = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull ^ n * 0xBF58476D1CE4E5B9ull;
    snprintf(id, cap, "%s-%016llx%04llx", chat ? "chatcmpl" : "cmpl", (unsigned long long)x,
             (unsigned long long)(n & 0xFFFF));
}

gen_req *gen_req_new(const gen_model *m, gen_params *p, int32_t *prompt, int n_prompt, double t_arrival,
                     double deadline) {
    gen_req *r = calloc(1, sizeof *r);
    gen_seq *seqs = calloc((size_t)p->n, sizeof *seqs);
    AX_ASSERT(r && seqs, "out of memory for a request");
    r->model = m;
    r->p = *p;
    memset(p, 0, sizeof *p);
    r->prompt = prompt;
    r->n_prompt = n_prompt;
    r->max_new = r->p.max_tokens > 0 ? r->p.max_tokens : m->gpt->cfg.block_size - n_prompt;
    make_id(r->id, sizeof r->id, r->p.chat);
    r->created = (long)time(NULL);
    r->t_arrival = t_arrival;
    r->deadline = deadline;
    r->seqs = seqs;
    for (int i = 0; i < r->p.n; i++) r->seqs[i] = (gen_seq){.req = r, .index = i};
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_t attr; // timed waits on the monotonic clock (gen_io.c)
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cond, &attr);
    pthread_condattr_destroy(&attr);
    r->refs = 1;
    return r;
}

void gen_req_ref(gen_req *r) {
    pthread_mutex_lock(&r->mu);
    r->refs++;
    pthread_mutex_unlock(&r->mu);
}

void gen_req_release(gen_req *r) {
    pthread_mutex_lock(&r->mu);
    int left = --r->refs;
    pthread_mutex_unlock(&r->mu);
    if (left) return;
    for (int i = 0; i < r->p.n; i++) ax_gen_text_free(&r->seqs[i].text);
    free(r->seqs);
    free(r->prompt);
    free(r->out);
    gen_params_free(&r->p);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

void gen_req_cancel(gen_req *r) {
    pthread_mutex_lock(&r->mu);
    r->cancelled = true;
    pthread_mutex_unlock(&r->mu);
}

// with r->mu held: the request ends now (with r->err when failed)
static void end_locked(gen_req *r) {
    if (r->done) return;
    r->done = true;
    gen_io_end(r);
    pthread_cond_broadcast(&r->cond);
}

void gen_req_fail_locked(gen_req *r, const serve_error *e) {
    if (!r->done && !r->failed) {
        r->failed = true;
        r->err = *e;
    }
    end_locked(r);
}

void gen_req_fail(gen_req *r, const serve_error *e) {
    pthread_mutex_lock(&r->mu);
    gen_req_fail_locked(r, e);
    pthread_mutex_unlock(&r->mu);
}

serve_error gen_timeout_error(void) {
    return (serve_error){.status = 504, .type = "timeout", .code = "timeout",
                         .message = "the request took longer than the server's timeout"};
}

int gen_req_n(const gen_req *r) { return r->p.n; }
const ax_gpt *gen_seq_gpt(const gen_seq *s) { return s->req->model->gpt; }

/* ---- a choice advancing --------------------------------------------------------------------------------------- */

// shows what became safe to show of s's text (everything when final); r->mu held
static void show_text(gen_seq *s, bool final) {
    gen_req *r = s->req;
    size_t upto = ax_gen_text_safe(&s->text, (const char *const *)r->p.stop, r->p.n_stop, final);
    if (upto > s->text.shown) gen_io_text(r, s->index, s->text.buf + s->text.shown, upto - s->text.shown);
    s->text.shown = upto;
}

static void finish(gen_seq *s, const char *reason) {
    s->finish = reason;
    pthread_mutex_lock(&s->req->mu);
    show_text(s, true);
    gen_io_finish(s->req, s->index, reason);
    pthread_mutex_unlock(&s->req->mu);
}

// the token the sampler picked for s: end of text, or one more piece of text (which may hit a stop string)
static void take_token(gen_seq *s, int32_t token) {
    gen_req *r = s->req;
    if (!r->first_seen) {
        r->first_seen = true;
        metrics_observe_ttft(serve_now() - r->t_arrival);
    }
    if (token == r->model->eot) return finish(s, "stop");
    s->ids[s->n_ids++] = token;
    s->n_new++;
    metrics_add_tokens(0, 1);
    char *piece;
    size_t len;
    bool stopped = false;
    if (ax_tokenizer_decode(r->model->tok, &token, 1, &piece, &len) == AX_OK) {
        stopped = ax_gen_text_add(&s->text, piece, len, (const char *const *)r->p.stop, r->p.n_stop);
        free(piece);
    }
    if (stopped) return finish(s, "stop");
    if (s->n_new >= r->max_new) return finish(s, "length");
    pthread_mutex_lock(&r->mu);
    show_text(s, false);
    pthread_mutex_unlock(&r->mu);
    s->pending = token;
}

static int32_t sample(gen_seq *s, const float *logits) { return ax_sample(&s->smp, logits, s->ids, s->n_ids); }

static void free_seq(gen_seq *s) {
    ax_gpt_kv_free(s->kv);
    ax_sampler_free(&s->smp);
    free(s->ids);
    s->kv = NULL;
    s->ids = NULL;
}

int gen_begin(gen_req *r, gen_seq **seqs) {
    const gen_model *m = r->model;
    pthread_mutex_lock(&r->mu);
    bool gone = r->cancelled || r->failed;
    pthread_mutex_unlock(&r->mu);
    if (gone) return ax_error("the request was cancelled while it waited");
    for (int i = 0; i < r->p.n; i++) {
        gen_seq *s = &r->seqs[i];
        s->kv = ax_gpt_kv_new(m->gpt);
        s->ids = malloc((size_t)(r->n_prompt + r->max_new) * sizeof *s->ids);
        if (!s->kv || !s->ids || ax_sampler_init(&s->smp, &r->p.sampler, m->vocab, r->p.seed + (uint64_t)i) != AX_OK) {
            for (int j = 0; j <= i; j++) free_seq(&r->seqs[j]);
            return ax_error("out of memory for %d KV caches", r->p.n);
        }
        memcpy(s->ids, r->prompt, (size_t)r->n_prompt * sizeof *s->ids);
        s->n_ids = r->n_prompt;
    }
    metrics_add_tokens(r->n_prompt, 0);
    for (int i = 0; i < r->p.n; i++) { // each choice fills its own cache with the prompt (n is small)
        gen_seq *s = &r->seqs[i];
        const float *logits = ax_gpt_kv_forward(m->gpt, s->kv, r->prompt, r->n_prompt);
        seqs[i] = s;
        take_token(s, sample(s, logits));
    }
    r->n_live = r->p.n;
    return AX_OK;
}

int gen_step(gen_seq *const *seqs, int n) {
    const ax_gpt *gpt = gen_seq_gpt(seqs[0]);
    int V = gpt->cfg.vocab_size;
    float *logits = malloc((size_t)n * (size_t)V * sizeof *logits);
    int32_t *tokens = calloc((size_t)n, sizeof *tokens);
    ax_gpt_kv **kv = calloc((size_t)n, sizeof *kv);
    int rc = AX_ERR;
    if (logits && tokens && kv) {
        for (int i = 0; i < n; i++) tokens[i] = seqs[i]->pending, kv[i] = seqs[i]->kv;
        rc = ax_gpt_kv_forward_batch(gpt, kv, tokens, n, logits);
    } else {
        ax_error("out of memory for a batch of %d", n);
    }
    for (int i = 0; rc == AX_OK && i < n; i++) take_token(seqs[i], sample(seqs[i], logits + (size_t)i * V));
    free(logits);
    free(tokens);
    free(kv);
    return rc;
}

bool gen_seq_running(gen_seq *s, double now) {
    if (s->finish) return false;
    gen_req *r = s->req;
    pthread_mutex_lock(&r->mu);
    bool gone = r->cancelled || r->failed;
    pthread_mutex_unlock(&r->mu);
    if (!gone && r->deadline > 0 && now > r->deadline) {
        serve_error e = gen_timeout_error();
        gen_req_fail(r, &e);
        gone = true;
    }
    return !gone;
}

void gen_seq_retire(gen_seq *s) {
    free_seq(s);
    gen_req *r = s->req;
    if (--r->n_live > 0) return;
    pthread_mutex_lock(&r->mu);
    end_locked(r);
    pthread_mutex_unlock(&r->mu);
    gen_req_release(r); // the scheduler's reference
}
