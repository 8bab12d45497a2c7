/* BLEU as sacreBLEU 2.x computes it (metrics/bleu.py): 13a tokens, clipped n-gram counts up to 4, exponential
 * smoothing ("exp": the k-th order without matches gets precision 100 / (2^k · total)), brevity penalty
 * exp(1 − ref/sys) when the hypothesis is shorter. */
#include "axon/eval.h"
#include "eval/ngram.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// the words of a 13a-tokenised segment (*tok is the malloc'd token string they point into)
static ev_span *tokens(const char *text, char **tok, int64_t *n) {
    *tok = ax_tok13a(text);
    *n = ev_split(*tok, NULL);
    ev_span *w = malloc((size_t)(*n + 1) * sizeof *w);
    ev_split(*tok, w);
    return w;
}

void ax_bleu_segment_stats(const char *hyp, const char *ref, ax_bleu_stats *out) {
    char *ht, *rt;
    int64_t nh, nr;
    ev_span *h = tokens(hyp, &ht, &nh), *r = tokens(ref, &rt, &nr);
    memset(out, 0, sizeof *out);
    out->sys_len = nh;
    out->ref_len = nr;
    for (int n = 1; n <= AX_BLEU_ORDER; n++) {
        int64_t ref_count;
        out->correct[n - 1] = ev_word_ngram_match(h, nh, r, nr, n, &out->total[n - 1], &ref_count);
    }
    free(h);
    free(r);
    free(ht);
    free(rt);
}

void ax_bleu_stats_add(ax_bleu_stats *acc, const ax_bleu_stats *s) {
    acc->sys_len += s->sys_len;
    acc->ref_len += s->ref_len;
    for (int n = 0; n < AX_BLEU_ORDER; n++) {
        acc->correct[n] += s->correct[n];
        acc->total[n] += s->total[n];
    }
}

static double my_log(double x) { return x == 0 ? -9999999999.0 : log(x); } // sacreBLEU's log of 0

ax_bleu ax_bleu_from_stats(const ax_bleu_stats *s, bool effective_order) {
    ax_bleu b = {.stats = *s};
    b.ratio = s->ref_len > 0 ? (double)s->sys_len / (double)s->ref_len : 0.0;
    b.bp = s->sys_len >= s->ref_len ? 1.0 : s->sys_len > 0 ? exp(1.0 - (double)s->ref_len / (double)s->sys_len) : 0.0;
    bool any = false;
    for (int n = 0; n < AX_BLEU_ORDER; n++) any |= s->correct[n] != 0;
    if (!any) return b; // no matches at all: 0 (sacreBLEU #141)
    double smooth = 1.0;
    int eff = AX_BLEU_ORDER;
    for (int n = 1; n <= AX_BLEU_ORDER; n++) {
        if (s->total[n - 1] == 0) break;
        if (effective_order) eff = n;
        if (s->correct[n - 1] == 0) {
            smooth *= 2;
            b.precisions[n - 1] = 100.0 / (smooth * (double)s->total[n - 1]);
        } else {
            b.precisions[n - 1] = 100.0 * (double)s->correct[n - 1] / (double)s->total[n - 1];
        }
    }
    double sum = 0;
    for (int n = 0; n < eff; n++) sum += my_log(b.precisions[n]);
    b.score = b.bp * exp(sum / eff);
    return b;
}

ax_bleu ax_corpus_bleu(const char *const *hyps, const char *const *refs, int64_t n) {
    ax_bleu_stats acc = {0}, s;
    for (int64_t i = 0; i < n; i++) {
        ax_bleu_segment_stats(hyps[i], refs[i], &s);
        ax_bleu_stats_add(&acc, &s);
    }
    return ax_bleu_from_stats(&acc, false);
}

double ax_sentence_bleu(const char *hyp, const char *ref) {
    ax_bleu_stats s;
    ax_bleu_segment_stats(hyp, ref, &s);
    return ax_bleu_from_stats(&s, true).score;
}

void ax_bleu_format(const ax_bleu *b, char *buf, size_t cap) {
    const double *p = b->precisions;
    snprintf(buf, cap, "BLEU = %.2f %.1f/%.1f/%.1f/%.1f (BP = %.3f ratio = %.3f hyp_len = %lld ref_len = %lld)",
             b->score, p[0], p[1], p[2], p[3], b->bp, b->ratio, (long long)b->stats.sys_len,
             (long long)b->stats.ref_len);
}

const char *ax_bleu_signature(void) {
    return "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:" AX_SACREBLEU_VERSION;
}
