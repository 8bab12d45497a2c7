/* n-gram multisets of a word sequence, for BLEU and chrF++. */
#ifndef AX_EVAL_NGRAM_H
#define AX_EVAL_NGRAM_H

#include "eval/text.h"

/* Counts for order n of words h[0..nh) against r[0..nr), each word list taken from ONE string in which
 * consecutive words are separated by exactly one space (so an n-gram is the span from its first word's start to
 * its last word's end): *hyp = hypothesis n-grams, *ref = reference n-grams, returns the clipped matches. */
int64_t ev_word_ngram_match(const ev_span *h, int64_t nh, const ev_span *r, int64_t nr, int n, int64_t *hyp,
                            int64_t *ref);

#endif
