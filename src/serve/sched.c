/* The scheduler thread (see sched.h). */
#include "serve/sched.h"
#include "serve/metrics.h"

#include <stdlib.h>
#include <string.h>

typedef struct sched_item {
    struct sched_item *next; // later arrival
    gen_req *gen;            // a generation request, or NULL for a task
    void (*fn)(void *ctx);   // the task
    void *ctx;               // its argument
    bool done;               // the task has run (or was dropped)
    bool ran;                // it ran
} sched_item;

struct serve_sched {
    const serve_config *cfg; // limits
    pthread_t thread;        // the scheduler
    pthread_mutex_t mu;      // guards the fields below marked (mu)
    pthread_cond_t wake;     // work arrived / stop
    pthread_cond_t task_done; // a task finished
    bool stopping;           // (mu) shut down
    sched_item *head, *tail; // (mu) the queue, oldest first
    int n_queued;            // (mu) items in it
    int n_running;           // (mu) copy of n_active for sched_load
    gen_seq **active;        // (max_batch) running sequences (scheduler thread only)
    int n_active;            // how many
    double rate_t0;          // start of the current tokens/s window
    int64_t rate_tokens;     // tokens decoded in it
};

static int enqueue(serve_sched *s, sched_item *it) {
    pthread_mutex_lock(&s->mu);
    bool full = s->stopping || s->n_queued >= s->cfg->max_queue;
    if (!full) {
        if (s->tail) s->tail->next = it;
        else s->head = it;
        s->tail = it;
        s->n_queued++;
        pthread_cond_signal(&s->wake);
    }
    pthread_mutex_unlock(&s->mu);
    return full ? ax_error("the server is busy: %d requests are waiting", s->cfg->max_queue) : AX_OK;
}

int sched_run_task(serve_sched *s, void (*fn)(void *ctx), void *ctx) {
    sched_item it = {.fn = fn, .ctx = ctx};
    if (enqueue(s, &it) != AX_OK) return AX_ERR;
    pthread_mutex_lock(&s->mu);
    while (!it.done) pthread_cond_wait(&s->task_done, &s->mu);
    pthread_mutex_unlock(&s->mu);
    return it.ran ? AX_OK : ax_error("the server is stopping");
}

int sched_submit(serve_sched *s, gen_req *r) {
    sched_item *it = calloc(1, sizeof *it);
    if (!it) return ax_error("out of memory");
    it->gen = r;
    gen_req_ref(r);
    if (enqueue(s, it) == AX_OK) return AX_OK;
    gen_req_release(r);
    free(it);
    return AX_ERR;
}

void sched_load(serve_sched *s, int *queued, int *running) {
    pthread_mutex_lock(&s->mu);
    *queued = s->n_queued;
    *running = s->n_running;
    pthread_mutex_unlock(&s->mu);
}

/* ---- the thread ------------------------------------------------------------------------------------------- */

static void finish_task(serve_sched *s, sched_item *it, bool ran) {
    pthread_mutex_lock(&s->mu);
    it->done = true;
    it->ran = ran;
    pthread_cond_broadcast(&s->task_done);
    pthread_mutex_unlock(&s->mu);
}

static void fail_gen(gen_req *r, unsigned status, const char *type, const char *msg) {
    serve_error e = {.status = status, .type = type};
    snprintf(e.message, sizeof e.message, "%s", msg);
    gen_req_fail(r, &e);
    gen_req_release(r); // the scheduler's reference
}

/* With s->mu held: unlinks the tasks, and the oldest generations while the batch has room, into *taken (in
 * arrival order). Waits for work first. False when stopping. */
static bool take_work(serve_sched *s, sched_item **taken) {
    while (!s->stopping && !s->head && s->n_active == 0) pthread_cond_wait(&s->wake, &s->mu);
    if (s->stopping) return false;
    int room = s->cfg->max_batch - s->n_active;
    sched_item **link = &s->head, **out = taken, *last = NULL;
    bool blocked = false; // an older generation waits for room: younger ones wait behind it
    while (*link) {
        sched_item *it = *link;
        bool take = !it->gen || (!blocked && gen_req_n(it->gen) <= room);
        if (it->gen && !take) blocked = true;
        if (!take) {
            last = it;
            link = &it->next;
            continue;
        }
        if (it->gen) room -= gen_req_n(it->gen);
        *link = it->next;
        it->next = NULL;
        *out = it;
        out = &it->next;
        s->n_queued--;
    }
    s->tail = last;
    return true;
}

static void start_gen(serve_sched *s, gen_req *r) {
    if (gen_begin(r, s->active + s->n_active) != AX_OK) return fail_gen(r, 503, "server_error", ax_last_error());
    s->n_active += gen_req_n(r);
}

// retires the sequences that have finished, keeping the others in order
static void prune(serve_sched *s) {
    double now = serve_now();
    int kept = 0;
    for (int i = 0; i < s->n_active; i++) {
        if (gen_seq_running(s->active[i], now)) s->active[kept++] = s->active[i];
        else gen_seq_retire(s->active[i]);
    }
    s->n_active = kept;
}

// one decode step: the running sequences grouped by model, one batched forward per group
static void step(serve_sched *s) {
    gen_seq **seqs = s->active;
    int n = s->n_active;
    for (int start = 0; start < n;) {
        const ax_gpt *gpt = gen_seq_gpt(seqs[start]);
        int end = start + 1;
        for (int i = end; i < n; i++) // move this model's sequences next to each other
            if (gen_seq_gpt(seqs[i]) == gpt) {
                gen_seq *t = seqs[end];
                seqs[end++] = seqs[i];
                seqs[i] = t;
            }
        if (gen_step(seqs + start, end - start) != AX_OK)
            for (int i = start; i < end; i++) gen_req_cancel(seqs[i]->req); // out of memory: drop them
        start = end;
    }
    s->rate_tokens += n;
    double now = serve_now();
    if (now - s->rate_t0 >= 1.0) {
        metrics_set_rate((double)s->rate_tokens / (now - s->rate_t0));
        s->rate_t0 = now;
        s->rate_tokens = 0;
    }
}

static void idle(serve_sched *s) {
    metrics_set_rate(0);
    s->rate_t0 = serve_now();
    s->rate_tokens = 0;
}

static void *run(void *arg) {
    serve_sched *s = arg;
    ax_set_threads(s->cfg->threads); // OpenMP settings are per thread: this one runs the models
    s->rate_t0 = serve_now();
    for (;;) {
        sched_item *taken = NULL;
        pthread_mutex_lock(&s->mu);
        bool go = take_work(s, &taken);
        pthread_mutex_unlock(&s->mu);
        if (!go) break;
        while (taken) {
            sched_item *it = taken;
            taken = it->next;
            if (it->gen) {
                start_gen(s, it->gen);
                free(it);
            } else {
                it->fn(it->ctx);
                finish_task(s, it, true);
            }
        }
        prune(s);
        if (s->n_active) step(s);
        prune(s);
        if (s->n_active == 0) idle(s);
        pthread_mutex_lock(&s->mu);
        s->n_running = s->n_active;
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

serve_sched *sched_start(const serve_config *cfg) {
    serve_sched *s = calloc(1, sizeof *s);
    if (s) s->active = calloc((size_t)cfg->max_batch, sizeof *s->active);
    if (!s || !s->active) {
        free(s);
        ax_error("out of memory for the scheduler");
        return NULL;
    }
    s->cfg = cfg;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->wake, NULL);
    pthread_cond_init(&s->task_done, NULL);
    if (pthread_create(&s->thread, NULL, run, s) != 0) {
        free(s->active);
        free(s);
        ax_error("cannot start the scheduler thread");
        return NULL;
    }
    return s;
}

void sched_stop(serve_sched *s) {
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    for (int i = 0; i < s->n_active; i++) { // the requests end with an error; their sequences retire
        gen_req_fail(s->active[i]->req, &(serve_error){.status = 503, .type = "server_error",
                                                       .message = "the server is stopping"});
        gen_seq_retire(s->active[i]);
    }
    s->n_active = 0;
    pthread_mutex_lock(&s->mu);
    for (sched_item *it = s->head, *next; it; it = next) {
        next = it->next;
        if (it->gen) {
            fail_gen(it->gen, 503, "server_error", "the server is stopping");
            free(it);
        } else {
            it->done = true; // ran stays false
        }
    }
    s->head = s->tail = NULL;
    s->n_queued = 0;
    pthread_cond_broadcast(&s->task_done);
    pthread_mutex_unlock(&s->mu);
}

void sched_free(serve_sched *s) {
    pthread_cond_destroy(&s->wake);
    pthread_cond_destroy(&s->task_done);
    pthread_mutex_destroy(&s->mu);
    free(s->active);
    free(s);
}
