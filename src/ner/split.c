/* Raw text → sentences of gold-tokenized tokens: paragraphs (or lines), then sentence ends. */
#include "axon/ner.h"

#include <stdlib.h>
#include <string.h>

// the text without underscores (italics markers), malloc'd
static char *strip_underscores(const char *text, size_t len, size_t *out_len) {
    char *buf = malloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; buf && i < len; i++)
        if (text[i] != '_') buf[n++] = text[i];
    if (buf) buf[n] = 0;
    *out_len = n;
    return buf;
}

static bool starts_with(const char *s, size_t n, const char *prefix) {
    size_t m = strlen(prefix);
    return n >= m && memcmp(s, prefix, m) == 0;
}

// a token that can end a sentence
static bool is_terminal(const char *s, size_t n) { return n == 1 && (*s == '.' || *s == '!' || *s == '?'); }

// a closing quote or bracket; straight quotes only when attached to the token before (prev_end == start)
static bool is_closing(const char *s, size_t n, bool attached) {
    if ((n == 1 && (*s == ')' || *s == ']')) || (n == 3 && (starts_with(s, n, "”") || starts_with(s, n, "’"))))
        return true;
    return attached && n == 1 && (*s == '"' || *s == '\'');
}

// a token that can begin a sentence: a capital (ASCII or Latin-1), a digit, an opening quote or bracket
static bool opens_sentence(const char *s, size_t n) {
    unsigned char c = (unsigned char)s[0];
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '"' || c == '\'' || c == '(' || c == '[') return true;
    if (c == 0xC3 && n >= 2) return (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] <= 0x9E && s[1] != (char)0x97;
    return starts_with(s, n, "“") || starts_with(s, n, "‘") || starts_with(s, n, "¶");
}

// adds tokens [a, b) of the unit (starts/lens into text) as sentences of at most max_tokens; counts a cut one
static int add_sentence(const char *text, const int64_t *st, const int64_t *ln, int64_t a, int64_t b, int max_tokens,
                        ax_ner_corpus *out, int64_t *n_cut) {
    *n_cut += b - a > max_tokens;
    for (; a < b; a += max_tokens) {
        int n = (int)(b - a < max_tokens ? b - a : max_tokens);
        size_t bytes = 0;
        for (int i = 0; i < n; i++) bytes += (size_t)ln[a + i] + 1;
        char *buf = malloc(bytes), **toks = malloc((size_t)n * sizeof *toks), *p = buf;
        if (!buf || !toks) {
            free(buf);
            free(toks);
            return ax_error("out of memory splitting the text");
        }
        for (int i = 0; i < n; i++) {
            memcpy(p, text + st[a + i], (size_t)ln[a + i]);
            p[ln[a + i]] = 0;
            toks[i] = p;
            p += ln[a + i] + 1;
        }
        int rc = ax_ner_corpus_add(out, (const char *const *)toks, n, NULL, 0, NULL);
        free(buf);
        free(toks);
        if (rc != AX_OK) return rc;
    }
    return AX_OK;
}

// splits one paragraph or line text[0..len) into sentences
static int split_unit(const char *text, size_t len, int max_tokens, bool by_line, ax_ner_corpus *out,
                      int64_t *n_cut) {
    int64_t *st, *ln, n, first = 0;
    if (ax_ner_tokenize(text, len, &st, &ln, &n) != AX_OK) return AX_ERR;
    int rc = AX_OK;
    for (int64_t i = 0; i < n && rc == AX_OK && !by_line; i++) {
        if (!is_terminal(text + st[i], (size_t)ln[i])) continue;
        while (i + 1 < n && is_closing(text + st[i + 1], (size_t)ln[i + 1], st[i + 1] == st[i] + ln[i])) i++;
        if (i + 1 < n && opens_sentence(text + st[i + 1], (size_t)ln[i + 1])) {
            rc = add_sentence(text, st, ln, first, i + 1, max_tokens, out, n_cut);
            first = i + 1;
        }
    }
    if (rc == AX_OK && first < n) rc = add_sentence(text, st, ln, first, n, max_tokens, out, n_cut);
    free(st);
    free(ln);
    return rc;
}

// whether text[a..b) holds only spaces, tabs and carriage returns
static bool blank(const char *text, size_t a, size_t b) {
    for (size_t i = a; i < b; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r') return false;
    return true;
}

int ax_ner_split_text(const char *raw, size_t raw_len, int max_tokens, bool by_line, ax_ner_corpus *out,
                      int64_t *n_cut) {
    size_t len;
    char *text = strip_underscores(raw, raw_len, &len);
    if (!text) return ax_error("out of memory splitting the text");
    if (max_tokens < 1) max_tokens = 1;
    int rc = AX_OK;
    int64_t cut = 0;
    size_t unit = 0; // start of the paragraph being read
    for (size_t i = 0; i <= len && rc == AX_OK;) {
        size_t eol = i;
        while (eol < len && text[eol] != '\n') eol++;
        if (by_line) rc = split_unit(text + i, eol - i, max_tokens, true, out, &cut);
        else if (blank(text, i, eol)) {
            if (i > unit) rc = split_unit(text + unit, i - unit, max_tokens, false, out, &cut);
            unit = eol + 1;
        } else if (eol == len) rc = split_unit(text + unit, eol - unit, max_tokens, false, out, &cut);
        i = eol + 1;
    }
    free(text);
    if (n_cut) *n_cut = cut;
    return rc;
}
