/* Text helpers shared by the metrics: UTF-8 characters, Python's notion of whitespace, n-gram multisets. */
#ifndef AX_EVAL_TEXT_H
#define AX_EVAL_TEXT_H

#include <stdint.h>

typedef struct {
    const char *p; // first byte
    int64_t len;   // bytes
} ev_span;

int ev_char_len(const char *s);  // bytes of the UTF-8 character at s (1 for a stray byte); s[0] != 0
int ev_space_len(const char *s); // bytes of the whitespace character at s (Python's str.isspace), else 0
/* Splits s on whitespace runs like Python's str.split(): the words into out (may be NULL), returns their count. */
int64_t ev_split(const char *s, ev_span *out);
/* Σ over distinct items of min(count in h, count in r): the clipped matches of two n-gram multisets.
 * Sorts both arrays. */
int64_t ev_multiset_match(ev_span *h, int64_t nh, ev_span *r, int64_t nr);

#endif
