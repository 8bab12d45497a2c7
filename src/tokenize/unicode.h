/* UTF-8 and the GPT-2 pre-tokenizer (internal to src/tokenize/).
 *
 * GPT-2 splits text into pieces with the regex
 *     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * before BPE; gpt2_piece_end is that regex written out by hand, with \s, \p{L} and \p{N} exactly as
 * JavaScript's /u regexes define them (unicode_tables.c is generated from node). A byte that starts no valid
 * UTF-8 sequence counts as one character of class "other", so any bytes can be split (and round-trip). */
#ifndef AX_TOKENIZE_UNICODE_H
#define AX_TOKENIZE_UNICODE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    UCLASS_OTHER = 0, // none of the below (punctuation, symbols, marks, invalid bytes)
    UCLASS_SPACE,     // JS \s
    UCLASS_LETTER,    // \p{L}
    UCLASS_NUMBER,    // \p{N}
} uclass;

typedef struct {
    uint32_t lo, hi; // inclusive code-point range
    uint8_t cls;     // its uclass
} uclass_range;

extern const uclass_range uclass_ranges[]; // (uclass_n_ranges) sorted, disjoint; generated
extern const int uclass_n_ranges;

#define UTF8_INVALID 0xFFFFFFFFu // utf8_decode's result for a byte that starts no valid sequence

uint32_t utf8_decode(const unsigned char *s, size_t n,
                     size_t *len);                        // code point at s (n ≥ 1); *len bytes used (1 if invalid)
size_t utf8_encode(uint32_t cp, char out[4]);             // bytes written (1..4)
size_t utf8_invalid_at(const char *s, size_t n);          // offset of the first invalid byte, or n
uclass uclass_of(uint32_t cp);                            // class of a code point
size_t gpt2_piece_end(const char *s, size_t n, size_t i); // end of the GPT-2 piece starting at i < n

#endif
