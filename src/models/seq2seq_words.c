/* Word-level text cleaning for the translator (include/axon/seq2seq.h): lower-casing, punctuation split, and the
 * display form. tools/bench_rnn_torch.py mirrors these rules exactly. */
#include "axon/seq2seq.h"
#include "tokenize/unicode.h"

#include <stdlib.h>
#include <string.h>

// lower case of the letters in ASCII, Latin-1 and Latin Extended-A; anything else unchanged
static uint32_t lower(uint32_t c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7)) return c + 32;
    if (c == 0x178) return 0xFF;
    bool pair_even = (c >= 0x100 && c <= 0x137 && c != 0x130) || (c >= 0x14A && c <= 0x177);
    bool pair_odd = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    return (pair_even && c % 2 == 0) || (pair_odd && c % 2 == 1) ? c + 1 : c;
}

static bool is_space(uint32_t c) {
    return c <= ' ' || c == 0x7F || c == 0xA0 || (c >= 0x2000 && c <= 0x200B) || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

static bool is_apostrophe(uint32_t c) { return c == '\'' || c == 0x2019; }

// a character that forms a token of its own: ASCII punctuation and symbols, Latin-1 signs, general punctuation
// through miscellaneous symbols, CJK punctuation (invalid bytes count as word characters)
static bool is_punct(uint32_t c) {
    if (c < 0x80) return c > ' ' && !(c >= '0' && c <= '9') && !((c | 32) >= 'a' && (c | 32) <= 'z');
    return c != UTF8_INVALID && ((c >= 0xA1 && c <= 0xBF) || c == 0xD7 || c == 0xF7 || (c >= 0x2000 && c <= 0x2BFF) ||
                                 (c >= 0x3000 && c <= 0x303F));
}

typedef struct {
    char *s;         // output so far
    size_t len, cap; // bytes used, allocated
} wbuf;

static void put(wbuf *b, const char *p, size_t n) {
    if (b->len + n + 2 > b->cap) {
        b->cap = 2 * (b->len + n + 2);
        b->s = realloc(b->s, b->cap);
        AX_ASSERT(b->s, "out of memory");
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

// a space before the next token unless the output is empty or already ends in one
static void separate(wbuf *b) {
    if (b->len && b->s[b->len - 1] != ' ') put(b, " ", 1);
}

// the code point at s[i] (0 at the end) and its byte length
static uint32_t next_cp(const char *s, size_t n, size_t i, size_t *len) {
    if (i >= n) return *len = 0, 0;
    return utf8_decode((const unsigned char *)s + i, n - i, len);
}

char *ax_words_normalize(const char *text) {
    size_t n = strlen(text), len;
    wbuf b = {0};
    put(&b, "", 0);
    bool in_word = false; // the last character written belongs to a word
    for (size_t i = 0; i < n; i += len) {
        uint32_t c = next_cp(text, n, i, &len);
        if (is_space(c)) {
            in_word = false;
            continue;
        }
        size_t len2;
        uint32_t after = next_cp(text, n, i + len, &len2);
        if (is_apostrophe(c) && in_word && after && !is_space(after) && !is_punct(after)) {
            put(&b, "'", 1); // inside a word: "don't", "car’s"
            continue;
        }
        if (is_punct(c) || is_apostrophe(c)) {
            separate(&b);
            if (is_apostrophe(c)) put(&b, "'", 1);
            else put(&b, text + i, len);
            put(&b, " ", 1);
            in_word = false;
            continue;
        }
        if (!in_word) separate(&b);
        char enc[4];
        if (c == UTF8_INVALID) put(&b, text + i, 1);
        else put(&b, enc, utf8_encode(lower(c), enc));
        in_word = true;
    }
    if (b.len && b.s[b.len - 1] == ' ') b.s[--b.len] = '\0';
    return b.s;
}

// tokens written without the space before them, or after them
static bool glue_left(const char *w, size_t n) { return n == 1 && strchr(".,!?;:%)]}", w[0]); }
static bool glue_right(const char *w, size_t n) {
    return (n == 1 && strchr("([{$", w[0])) || (n == 2 && (!memcmp(w, "\xc2\xbf", 2) || !memcmp(w, "\xc2\xa1", 2))); // ¿ ¡
}

char *ax_words_detokenize(const char *words) {
    wbuf b = {0};
    put(&b, "", 0);
    bool glue_next = true; // no space before the first word
    for (const char *p = words; *p;) {
        while (*p == ' ') p++;
        size_t n = strcspn(p, " ");
        if (!n) break;
        if (!glue_next && !glue_left(p, n)) put(&b, " ", 1);
        put(&b, p, n);
        glue_next = glue_right(p, n);
        p += n;
    }
    return b.s;
}
