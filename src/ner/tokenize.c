/* The gold tokenizer, the Python regex (?:Mr|Mrs|Dr|St|Messrs|Esq)\.|\w+(?:['’-]\w+)*|[^\w\s] written out by
 * hand with Unicode classes (\w = letters, numbers and "_"), and a sentence splitter for raw text. */
#include "axon/ner.h"
#include "tokenize/unicode.h"

#include <stdlib.h>
#include <string.h>

static const char *const TITLES[] = {"Mr", "Mrs", "Dr", "St", "Messrs", "Esq"}; // kept whole with their "."

// the code point at text[i] (n bytes left) and its length; invalid bytes are one "other" character
static uint32_t cp_at(const char *text, size_t len, size_t i, size_t *n) {
    return utf8_decode((const unsigned char *)text + i, len - i, n);
}

static bool is_word(uint32_t cp) {
    if (cp == '_') return true;
    uclass c = cp == UTF8_INVALID ? UCLASS_OTHER : uclass_of(cp);
    return c == UCLASS_LETTER || c == UCLASS_NUMBER;
}

static bool is_space(uint32_t cp) { return cp != UTF8_INVALID && uclass_of(cp) == UCLASS_SPACE; }

// end of the title token at i ("Mrs."), or i if none starts there
static size_t title_end(const char *text, size_t len, size_t i) {
    for (size_t k = 0; k < sizeof TITLES / sizeof *TITLES; k++) {
        size_t m = strlen(TITLES[k]);
        if (i + m < len && memcmp(text + i, TITLES[k], m) == 0 && text[i + m] == '.') return i + m + 1;
    }
    return i;
}

// end of the \w+ run starting at i
static size_t word_run(const char *text, size_t len, size_t i) {
    size_t n;
    while (i < len && is_word(cp_at(text, len, i, &n))) i += n;
    return i;
}

// end of \w+(?:['’-]\w+)* starting at i (text[i] is a word character)
static size_t word_end(const char *text, size_t len, size_t i) {
    i = word_run(text, len, i);
    for (;;) {
        size_t n, m;
        if (i >= len) return i;
        uint32_t c = cp_at(text, len, i, &n);
        if ((c != '\'' && c != 0x2019 && c != '-') || i + n >= len || !is_word(cp_at(text, len, i + n, &m))) return i;
        i = word_run(text, len, i + n);
    }
}

// end of the token starting at the non-space character c (w bytes) at text[i]
static size_t token_end(const char *text, size_t len, size_t i, uint32_t c, size_t w) {
    size_t end = title_end(text, len, i);
    if (end == i) end = is_word(c) ? word_end(text, len, i) : i + w;
    return end;
}

int ax_ner_tokenize(const char *text, size_t len, int64_t **starts, int64_t **lens, int64_t *n) {
    int64_t k = 0, cap = 0; // tokens found, room for
    int64_t *s = NULL, *l = NULL;
    for (size_t i = 0, w; i < len; i += w) {
        uint32_t c = cp_at(text, len, i, &w);
        if (is_space(c)) continue;
        if (k == cap) {
            cap = cap ? 2 * cap : 64;
            int64_t *s2 = realloc(s, (size_t)cap * sizeof *s);
            if (s2) s = s2;
            int64_t *l2 = s2 ? realloc(l, (size_t)cap * sizeof *l) : NULL;
            if (!l2) {
                free(s);
                free(l);
                return ax_error("out of memory tokenizing");
            }
            l = l2;
        }
        size_t end = token_end(text, len, i, c, w);
        s[k] = (int64_t)i;
        l[k++] = (int64_t)(end - i);
        w = end - i;
    }
    *starts = s;
    *lens = l;
    *n = k;
    return AX_OK;
}
