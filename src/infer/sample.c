/* Next-token sampling, in the order of Hugging Face generate(): repetition penalty, temperature, top-k,
 * top-p, then one draw from the softmax of what is left (see include/axon/sample.h). */
#include "axon/sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ax_sample_cand {
    float logit; // adjusted logit
    int32_t id;  // token id
};

ax_sampler_config ax_sampler_defaults(void) {
    return (ax_sampler_config){.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .repetition_penalty = 1.0f};
}

int ax_sampler_check(const ax_sampler_config *c) {
    if (!(c->temperature >= 0.0f && isfinite(c->temperature)))
        return ax_error("temperature must be >= 0 (got %g)", c->temperature);
    if (c->top_k < 0) return ax_error("top-k must be >= 0 (got %d)", c->top_k);
    if (!(c->top_p > 0.0f && c->top_p <= 1.0f)) return ax_error("top-p must be in (0, 1] (got %g)", c->top_p);
    if (!(c->repetition_penalty > 0.0f && isfinite(c->repetition_penalty)))
        return ax_error("repetition penalty must be > 0 (got %g)", c->repetition_penalty);
    return AX_OK;
}

int ax_sampler_init(ax_sampler *s, const ax_sampler_config *cfg, int vocab, uint64_t seed) {
    memset(s, 0, sizeof *s);
    if (ax_sampler_check(cfg) != AX_OK) return AX_ERR;
    AX_ASSERT(vocab >= 1, "sampler: vocab %d", vocab);
    s->cfg = *cfg;
    s->vocab = vocab;
    ax_rng_seed(&s->rng, seed);
    s->work = malloc((size_t)vocab * sizeof *s->work);
    s->cand = malloc((size_t)vocab * sizeof *s->cand);
    if (!s->work || !s->cand) {
        ax_sampler_free(s);
        return ax_error("out of memory for a sampler over %d tokens", vocab);
    }
    return AX_OK;
}

void ax_sampler_free(ax_sampler *s) {
    free(s->work);
    free(s->cand);
    s->work = NULL;
    s->cand = NULL;
}

// CTRL (Keskar et al. 2019): a token already seen gets logit / p if positive, logit · p if not. Computed from
// the raw logit, so a token seen twice is penalised once, as in Hugging Face.
static void repetition_penalty(float *work, const float *logits, const int32_t *history, int n, float p, int V) {
    for (int i = 0; i < n; i++) {
        int32_t t = history[i];
        AX_ASSERT(t >= 0 && t < V, "sampler: history token %d outside [0, %d)", t, V);
        work[t] = logits[t] > 0.0f ? logits[t] / p : logits[t] * p;
    }
}

static int32_t argmax(const float *x, int n) {
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

static int by_logit_desc(const void *a, const void *b) {
    const struct ax_sample_cand *x = a, *y = b;
    if (x->logit != y->logit) return x->logit > y->logit ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id; // ties: smaller id first, deterministic
}

/* Sorts the candidates, keeps the top k (ties with the k-th kept, as torch.topk's threshold does) and then the
 * fewest whose probability reaches top_p (at least one); returns how many are kept. */
static int filter(ax_sampler *s) {
    int V = s->vocab, n = V;
    for (int i = 0; i < V; i++) s->cand[i] = (struct ax_sample_cand){s->work[i], i};
    qsort(s->cand, (size_t)V, sizeof *s->cand, by_logit_desc);
    if (s->cfg.top_k > 0 && s->cfg.top_k < V) {
        n = s->cfg.top_k;
        while (n < V && s->cand[n].logit == s->cand[n - 1].logit) n++;
    }
    if (s->cfg.top_p < 1.0f) {
        double total = 0.0, mx = s->cand[0].logit, mass = 0.0;
        for (int i = 0; i < n; i++) total += exp(s->cand[i].logit - mx);
        int keep = 0;
        while (keep < n && mass < s->cfg.top_p * total) mass += exp(s->cand[keep++].logit - mx);
        n = keep > 0 ? keep : 1;
    }
    return n;
}

int32_t ax_sample(ax_sampler *s, const float *logits, const int32_t *history, int n_history) {
    int V = s->vocab;
    memcpy(s->work, logits, (size_t)V * sizeof *s->work);
    if (s->cfg.repetition_penalty != 1.0f)
        repetition_penalty(s->work, logits, history, n_history, s->cfg.repetition_penalty, V);
    if (s->cfg.temperature == 0.0f) return argmax(s->work, V);
    for (int i = 0; i < V; i++) s->work[i] /= s->cfg.temperature;
    int n = V;
    if ((s->cfg.top_k > 0 && s->cfg.top_k < V) || s->cfg.top_p < 1.0f) {
        n = filter(s);
    } else {
        for (int i = 0; i < V; i++) s->cand[i] = (struct ax_sample_cand){s->work[i], i};
    }
    // softmax over the n candidates, then invert the CDF at one uniform draw
    float mx = s->cand[0].logit;
    for (int i = 1; i < n; i++) mx = fmaxf(mx, s->cand[i].logit);
    double total = 0.0;
    for (int i = 0; i < n; i++) total += exp((double)(s->cand[i].logit - mx));
    double u = (double)ax_rng_uniform(&s->rng) * total, acc = 0.0;
    for (int i = 0; i < n; i++) {
        acc += exp((double)(s->cand[i].logit - mx));
        if (u < acc) return s->cand[i].id;
    }
    return s->cand[n - 1].id; // u rounded up to the total
}
