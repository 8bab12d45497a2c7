/* axon/sample.h — choosing the next token from a model's logits (any autoregressive model).
 *
 * The order is Hugging Face generate()'s: repetition penalty on the raw logits, then temperature, top-k,
 * top-p (nucleus), and a draw from the renormalised distribution. temperature 0 is greedy (argmax after
 * the repetition penalty). */
#ifndef AXON_SAMPLE_H
#define AXON_SAMPLE_H

#include "tensor.h"

typedef struct {
    float temperature;        // logits / temperature; 0 = greedy
    int top_k;                // keep the k most likely tokens; 0 = all
    float top_p;              // keep the fewest most likely tokens whose probability sums to ≥ top_p; 1 = all
    float repetition_penalty; // CTRL penalty for tokens already in the history: logit / p if > 0 else logit · p; 1 = off
} ax_sampler_config;

ax_sampler_config ax_sampler_defaults(void); // temperature 1, top_k 0, top_p 1, repetition_penalty 1
int ax_sampler_check(const ax_sampler_config *cfg); // AX_OK, or AX_ERR naming the bad field

typedef struct {
    ax_sampler_config cfg; // the rules
    ax_rng rng;            // the draws (seeded: same seed, same text)
    int vocab;             // V
    float *work;           // (V) adjusted logits (−inf once filtered out)
    struct ax_sample_cand *cand; // (V) (logit, id) pairs sorted by logit, for top-k / top-p
} ax_sampler;

int ax_sampler_init(ax_sampler *s, const ax_sampler_config *cfg, int vocab, uint64_t seed); // AX_ERR if cfg is invalid or out of memory
void ax_sampler_free(ax_sampler *s);
/* Picks a token from logits (V; not modified). history: the ids so far (prompt + generated) for the
 * repetition penalty, may be NULL when n_history is 0. */
int32_t ax_sample(ax_sampler *s, const float *logits, const int32_t *history, int n_history);

#endif
