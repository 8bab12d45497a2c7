/* chrF / chrF++ as sacreBLEU 2.x computes them (metrics/chrf.py, defaults): character n-grams of orders 1..6 of
 * the text with all whitespace removed, plus (chrF++) word n-grams of orders 1..word_order of the words with one
 * leading or trailing punctuation character split off. Per order: hypothesis, reference and clipped matching
 * n-gram counts (the hypothesis count is 0 when the reference has none), summed over the corpus; the score
 * averages precision and recall over the orders where both sides have n-grams and returns their F-β. */
#include "axon/eval.h"
#include "eval/ngram.h"

#include <stdlib.h>
#include <string.h>

// the text with whitespace removed, and the byte offset of each of its characters (*n of them, offs[*n] = end)
static char *squeeze(const char *s, int64_t **offs, int64_t *n) {
    char *out = malloc(strlen(s) + 1);
    size_t w = 0;
    for (size_t i = 0; s[i];) {
        int sp = ev_space_len(s + i), cl = ev_char_len(s + i);
        if (!sp) memcpy(out + w, s + i, (size_t)cl), w += (size_t)cl;
        i += sp ? (size_t)sp : (size_t)cl;
    }
    out[w] = 0;
    *offs = malloc((w + 1) * sizeof **offs);
    *n = 0;
    for (size_t i = 0; i < w; i += (size_t)ev_char_len(out + i)) (*offs)[(*n)++] = (int64_t)i;
    (*offs)[*n] = (int64_t)w;
    return out;
}

// the character n-grams of order k of a squeezed text into out; returns their count
static int64_t char_ngrams(const char *s, const int64_t *offs, int64_t n, int k, ev_span *out) {
    int64_t m = n - k + 1 > 0 ? n - k + 1 : 0;
    for (int64_t i = 0; i < m; i++) out[i] = (ev_span){s + offs[i], offs[i + k] - offs[i]};
    return m;
}

static bool is_punct(char c) { return c && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) != NULL; }

/* chrF++'s words: whitespace-split words; a word longer than one character loses a trailing punctuation
 * character, else a leading one, as a separate word. Returned joined by single spaces (malloc'd). */
static char *chrf_words(const char *s) {
    int64_t n = ev_split(s, NULL);
    ev_span *w = malloc((size_t)(n + 1) * sizeof *w);
    ev_split(s, w);
    char *out = malloc(2 * strlen(s) + 2), *o = out;
    for (int64_t i = 0; i < n; i++) {
        const char *p = w[i].p;
        int64_t len = w[i].len;
        bool single = ev_char_len(p) == len;
        int64_t cut = single ? 0 : is_punct(p[len - 1]) ? len - 1 : is_punct(p[0]) ? 1 : 0;
        if (o > out) *o++ = ' ';
        memcpy(o, p, (size_t)len);
        if (cut) { // insert the space at cut
            memmove(o + cut + 1, o + cut, (size_t)(len - cut));
            o[cut] = ' ';
            o++;
        }
        o += len;
    }
    *o = 0;
    free(w);
    return out;
}

// fills order slot i with hypothesis / reference / match counts
static void set_order(ax_chrf_stats *out, int i, int64_t hyp, int64_t ref, int64_t match) {
    out->hyp[i] = ref > 0 ? hyp : 0;
    out->ref[i] = ref;
    out->match[i] = match;
}

static void char_stats(const char *hyp, const char *ref, ax_chrf_stats *out) {
    int64_t *ho, *ro, nh, nr;
    char *hs = squeeze(hyp, &ho, &nh), *rs = squeeze(ref, &ro, &nr);
    ev_span *hg = malloc((size_t)(nh + 1) * sizeof *hg), *rg = malloc((size_t)(nr + 1) * sizeof *rg);
    for (int k = 1; k <= AX_CHRF_CHAR_ORDER; k++) {
        int64_t a = char_ngrams(hs, ho, nh, k, hg), b = char_ngrams(rs, ro, nr, k, rg);
        set_order(out, k - 1, a, b, ev_multiset_match(hg, a, rg, b));
    }
    free(hg), free(rg), free(ho), free(ro), free(hs), free(rs);
}

static void word_stats(const char *hyp, const char *ref, ax_chrf_stats *out) {
    if (out->word_order == 0) return;
    char *hw = chrf_words(hyp), *rw = chrf_words(ref);
    int64_t nh = ev_split(hw, NULL), nr = ev_split(rw, NULL);
    ev_span *h = malloc((size_t)(nh + 1) * sizeof *h), *r = malloc((size_t)(nr + 1) * sizeof *r);
    ev_split(hw, h);
    ev_split(rw, r);
    for (int k = 1; k <= out->word_order; k++) {
        int64_t a, b, m = ev_word_ngram_match(h, nh, r, nr, k, &a, &b);
        set_order(out, AX_CHRF_CHAR_ORDER + k - 1, a, b, m);
    }
    free(h), free(r), free(hw), free(rw);
}

void ax_chrf_segment_stats(const char *hyp, const char *ref, int word_order, ax_chrf_stats *out) {
    memset(out, 0, sizeof *out);
    out->word_order = word_order;
    char_stats(hyp, ref, out);
    word_stats(hyp, ref, out);
}

void ax_chrf_stats_add(ax_chrf_stats *acc, const ax_chrf_stats *s) {
    acc->word_order = s->word_order;
    for (int i = 0; i < AX_CHRF_CHAR_ORDER + AX_CHRF_MAX_WORD_ORDER; i++) {
        acc->hyp[i] += s->hyp[i];
        acc->ref[i] += s->ref[i];
        acc->match[i] += s->match[i];
    }
}

double ax_chrf_from_stats(const ax_chrf_stats *s) {
    double prec = 0, rec = 0, factor = AX_CHRF_BETA * AX_CHRF_BETA;
    int eff = 0;
    for (int i = 0; i < AX_CHRF_CHAR_ORDER + s->word_order; i++) {
        if (s->hyp[i] > 0 && s->ref[i] > 0) {
            prec += (double)s->match[i] / (double)s->hyp[i];
            rec += (double)s->match[i] / (double)s->ref[i];
            eff++;
        }
    }
    if (eff == 0) return 0.0;
    prec /= eff;
    rec /= eff;
    if (prec + rec == 0) return 0.0;
    return 100 * ((1 + factor) * prec * rec / (factor * prec + rec));
}

double ax_corpus_chrf(const char *const *hyps, const char *const *refs, int64_t n, int word_order) {
    ax_chrf_stats acc = {.word_order = word_order}, s;
    for (int64_t i = 0; i < n; i++) {
        ax_chrf_segment_stats(hyps[i], refs[i], word_order, &s);
        ax_chrf_stats_add(&acc, &s);
    }
    return ax_chrf_from_stats(&acc);
}

void ax_chrf_name(int word_order, char *buf, size_t cap) {
    snprintf(buf, cap, "chrF%d%.*s", AX_CHRF_BETA, word_order, "++++");
}

void ax_chrf_signature(int word_order, char *buf, size_t cap) {
    snprintf(buf, cap, "nrefs:1|case:mixed|eff:yes|nc:%d|nw:%d|space:no|version:%s", AX_CHRF_CHAR_ORDER,
             word_order, AX_SACREBLEU_VERSION);
}
