/* Word n-gram matching for BLEU and chrF++. */
#include "eval/ngram.h"

#include <stdlib.h>

// the n-grams of words w[0..nw) as spans into out (nw − n + 1 of them, or 0)
static int64_t ngrams(const ev_span *w, int64_t nw, int n, ev_span *out) {
    int64_t m = nw - n + 1 > 0 ? nw - n + 1 : 0;
    for (int64_t i = 0; i < m; i++) out[i] = (ev_span){w[i].p, w[i + n - 1].p + w[i + n - 1].len - w[i].p};
    return m;
}

int64_t ev_word_ngram_match(const ev_span *h, int64_t nh, const ev_span *r, int64_t nr, int n, int64_t *hyp,
                            int64_t *ref) {
    ev_span *hs = malloc((size_t)(nh + 1) * sizeof *hs), *rs = malloc((size_t)(nr + 1) * sizeof *rs);
    *hyp = ngrams(h, nh, n, hs);
    *ref = ngrams(r, nr, n, rs);
    int64_t match = ev_multiset_match(hs, *hyp, rs, *ref);
    free(hs);
    free(rs);
    return match;
}
