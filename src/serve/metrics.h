/* Counters of `axon serve` for GET /metrics (Prometheus text format 0.0.4). Thread-safe. */
#ifndef AX_SERVE_METRICS_H
#define AX_SERVE_METRICS_H

#include "serve/serve.h"

void metrics_request(serve_endpoint ep, unsigned status, double seconds); // one answered request and its latency
void metrics_observe_ttft(double seconds);                                // time to the first token of a generation
void metrics_add_tokens(int64_t prompt, int64_t completion);              // tokens read and generated
void metrics_set_rate(double tokens_per_s);                               // recent decoding speed (the scheduler)
/* The exposition text (malloc'd), with the scheduler's queue length and running sequences. */
char *metrics_text(int queued, int running);

#endif
