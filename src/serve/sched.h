/* The scheduler thread of `axon serve`: the only thread that runs models. It takes waiting work in arrival
 * order from one bounded queue: one-shot tasks (a classification) run between decode steps; generation
 * requests join the running batch while it has room (continuous batching), and every step decodes one token
 * for all running sequences at once, one batched forward per model. */
#ifndef AX_SERVE_SCHED_H
#define AX_SERVE_SCHED_H

#include "serve/gen.h"

serve_sched *sched_start(const serve_config *cfg); // NULL after ax_error
/* Stops the thread; work still waiting or running ends with a 503 error, and later work is refused. */
void sched_stop(serve_sched *s);
void sched_free(serve_sched *s); // once no other thread uses s
/* Runs fn(ctx) on the scheduler thread and waits for it. AX_ERR, without running it, when the queue is full
 * or the server is stopping. */
int sched_run_task(serve_sched *s, void (*fn)(void *ctx), void *ctx);
/* Queues a generation request (the scheduler takes its own reference). AX_ERR when the queue is full. */
int sched_submit(serve_sched *s, gen_req *r);
void sched_load(serve_sched *s, int *queued, int *running); // the queue length and running sequences now

#endif
