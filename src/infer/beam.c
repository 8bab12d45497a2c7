/* Beam search over any autoregressive scorer (include/axon/seq2seq.h).
 *
 * A shrinking beam: every step expands each live hypothesis by every word, keeps the `beam − finished` best
 * expansions by total log-probability, and moves those that end in <eos> to the finished list. With beam 1 this is
 * greedy decoding, step for step. Totals are kept in double so that adding a prefix's log-probability never makes
 * two different word scores tie. Finished hypotheses are ranked by the length-normalised score of Wu et al. (2016):
 * log P / ((5 + |Y|) / 6)^α, |Y| counting the final <eos>. */
#include "axon/seq2seq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double total; // log-probability of the prefix plus this word
    int row;      // the hypothesis it extends
    int32_t word; // the word
} cand;

typedef struct {
    const ax_beam_config *cfg; // the rules
    int vocab;                 // V
    int32_t *ids;              // (beam, max_len) words of the live hypotheses
    int32_t *next_ids;         // (beam, max_len) being filled for the next step
    double *logp;              // (beam) log-probability of each live hypothesis
    ax_beam_hyp *done;         // (beam) finished (or cut) hypotheses
    int n_done;                // how many
} beam_state;

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size);
    AX_ASSERT(p, "out of memory");
    return p;
}

// inserts c into top[0 .. *n) sorted by total, best first, keeping at most k (ties: the earlier candidate first)
static void push_top(cand *top, int *n, int k, cand c) {
    if (*n == k && !(c.total > top[k - 1].total)) return;
    int i = *n < k ? (*n)++ : k - 1;
    while (i > 0 && c.total > top[i - 1].total) top[i] = top[i - 1], i--;
    top[i] = c;
}

static float normalise(const ax_beam_config *cfg, double logp, int len) {
    return (float)(cfg->alpha > 0 ? logp / pow((5.0 + len) / 6.0, cfg->alpha) : logp);
}

static void finish(beam_state *s, const int32_t *ids, int len, double logp, bool finished) {
    ax_beam_hyp *h = &s->done[s->n_done++];
    h->ids = xcalloc((size_t)len, sizeof *h->ids);
    memcpy(h->ids, ids, (size_t)len * sizeof *ids);
    *h = (ax_beam_hyp){.ids = h->ids, .len = len, .logp = (float)logp, .finished = finished,
                       .score = normalise(s->cfg, logp, len + finished)};
}

// the best `width` expansions of the n live hypotheses given their next-word log-probabilities
static int select_top(const beam_state *s, int n, const float *lp, int width, cand *top) {
    int k = 0;
    for (int r = 0; r < n; r++)
        for (int32_t w = 0; w < s->vocab; w++)
            push_top(top, &k, width, (cand){s->logp[r] + (double)lp[(size_t)r * s->vocab + w], r, w});
    return k;
}

// ranks the finished hypotheses by score, best first; stable (insertion sort: at most `beam` of them)
static void sort_by_score(ax_beam_hyp *h, int n) {
    for (int i = 1; i < n; i++) {
        ax_beam_hyp x = h[i];
        int j = i;
        for (; j > 0 && x.score > h[j - 1].score; j--) h[j] = h[j - 1];
        h[j] = x;
    }
}

int ax_beam_search(const ax_beam_config *cfg, int vocab, ax_beam_step_fn step, void *ctx, ax_beam_hyp *out) {
    if (cfg->beam < 1 || cfg->nbest < 1 || cfg->nbest > cfg->beam || cfg->max_len < 1 || vocab < 1 ||
        !(cfg->alpha >= 0))
        return ax_error("beam search: need beam ≥ 1, 1 ≤ nbest ≤ beam, max_len ≥ 1, alpha ≥ 0");
    int K = cfg->beam, L = cfg->max_len;
    beam_state s = {.cfg = cfg, .vocab = vocab, .ids = xcalloc((size_t)K * L, sizeof(int32_t)),
                    .next_ids = xcalloc((size_t)K * L, sizeof(int32_t)), .logp = xcalloc((size_t)K, sizeof(double)),
                    .done = xcalloc((size_t)K, sizeof(ax_beam_hyp))};
    float *lp = xcalloc((size_t)K * vocab, sizeof *lp);
    cand *top = xcalloc((size_t)K, sizeof *top);
    int32_t *parent = xcalloc((size_t)K, sizeof *parent), *word = xcalloc((size_t)K, sizeof *word);
    word[0] = cfg->sos;
    // n live hypotheses of len words each; the expansions have len + 1
    for (int n = 1, len = 0; n > 0; len++) {
        step(ctx, n, parent, word, lp);
        int k = select_top(&s, n, lp, K - s.n_done, top), live = 0;
        for (int i = 0; i < k; i++) {
            const int32_t *prefix = s.ids + (size_t)top[i].row * L;
            if (top[i].word == cfg->eos) {
                finish(&s, prefix, len, top[i].total, true);
                continue;
            }
            memcpy(s.next_ids + (size_t)live * L, prefix, (size_t)len * sizeof *prefix);
            s.next_ids[(size_t)live * L + len] = top[i].word;
            top[live] = top[i]; // compacts the kept expansions (live ≤ i)
            parent[live] = top[i].row, word[live++] = top[i].word;
        }
        int32_t *t = s.ids;
        s.ids = s.next_ids, s.next_ids = t;
        for (int i = 0; i < live; i++) s.logp[i] = top[i].total;
        n = live;
        if (len + 1 == L) // cut at max_len words: the live ones end unfinished
            for (; n > 0; n--) finish(&s, s.ids + (size_t)(live - n) * L, L, s.logp[live - n], false);
    }
    sort_by_score(s.done, s.n_done);
    int got = s.n_done < cfg->nbest ? s.n_done : cfg->nbest;
    memcpy(out, s.done, (size_t)got * sizeof *out);
    ax_beam_hyp_free(s.done + got, s.n_done - got);
    free(s.ids), free(s.next_ids), free(s.logp), free(s.done), free(lp), free(top), free(parent), free(word);
    return got;
}

void ax_beam_hyp_free(ax_beam_hyp *h, int n) {
    for (int i = 0; i < n; i++) free(h[i].ids), h[i].ids = NULL;
}
