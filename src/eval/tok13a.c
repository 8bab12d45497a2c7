/* sacreBLEU's 13a tokeniser (tokenizer_13a.py + tokenizer_re.py), pass for pass:
 *   1. strip trailing whitespace; drop "<skipped>"; unescape &quot; &amp; &lt; &gt; (in that order)
 *   2. pad with a space on each side, then four regex substitutions, each one left-to-right scan:
 *        ([\{-\~\[-\` -\&\(-\+\:-\@\/])  →  " \1 "   split off punctuation (not ' , - .)
 *        ([^0-9])([\.,])                 →  "\1 \2 " a period/comma not preceded by a digit
 *        ([\.,])([^0-9])                 →  " \1 \2" a period/comma not followed by a digit
 *        ([0-9])(-)                      →  "\1 \2 " a dash after a digit
 *   3. collapse whitespace to single spaces, trim.
 * The scans work on bytes: UTF-8 lead and continuation bytes are never ASCII, so each substitution makes the same
 * decisions as Python's code-point regexes. */
#include "axon/eval.h"
#include "eval/text.h"

#include <stdlib.h>
#include <string.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_period_comma(char c) { return c == '.' || c == ','; }

static bool is_13a_punct(char c) {
    return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&') || (c >= '(' && c <= '+') ||
           (c >= ':' && c <= '@') || c == '/';
}

// s with every occurrence of from replaced by to (to no longer than from); in place
static void replace_all(char *s, const char *from, const char *to) {
    size_t nf = strlen(from), nt = strlen(to);
    char *w = s;
    for (const char *r = s; *r;) {
        if (strncmp(r, from, nf) == 0) {
            memcpy(w, to, nt);
            w += nt;
            r += nf;
        } else {
            *w++ = *r++;
        }
    }
    *w = 0;
}

// the length of s without trailing whitespace
static size_t rstrip_len(const char *s) {
    size_t end = 0;
    for (size_t i = 0; s[i];) {
        int sp = ev_space_len(s + i);
        i += sp ? (size_t)sp : (size_t)ev_char_len(s + i);
        if (!sp) end = i;
    }
    return end;
}

typedef enum { PASS_PUNCT, PASS_BEFORE, PASS_AFTER, PASS_DASH } pass_kind;

// one regex substitution over s into out (room for 3·strlen(s) + 1)
static void run_pass(pass_kind k, const char *s, char *out) {
    char *w = out;
    for (size_t i = 0; s[i];) {
        char a = s[i], b = s[i + 1];
        bool two = (k == PASS_BEFORE && b && !is_digit(a) && is_period_comma(b)) ||
                   (k == PASS_AFTER && b && is_period_comma(a) && !is_digit(b)) ||
                   (k == PASS_DASH && is_digit(a) && b == '-');
        if (k == PASS_PUNCT && is_13a_punct(a)) {
            *w++ = ' ', *w++ = a, *w++ = ' ';
        } else if (two && k == PASS_AFTER) {
            *w++ = ' ', *w++ = a, *w++ = ' ', *w++ = b;
        } else if (two) {
            *w++ = a, *w++ = ' ', *w++ = b, *w++ = ' ';
        } else {
            *w++ = a;
            i++;
            continue;
        }
        i += k == PASS_PUNCT ? 1 : 2;
    }
    *w = 0;
}

char *ax_tok13a(const char *line) {
    size_t n = rstrip_len(line);
    char *a = malloc(n + 3);
    a[0] = ' ';
    memcpy(a + 1, line, n);
    a[n + 1] = 0;
    replace_all(a, "<skipped>", "");
    replace_all(a, "-\n", "");
    replace_all(a, "\n", " ");
    if (strchr(a, '&')) {
        replace_all(a, "&quot;", "\"");
        replace_all(a, "&amp;", "&");
        replace_all(a, "&lt;", "<");
        replace_all(a, "&gt;", ">");
    }
    strcat(a, " ");
    static const pass_kind passes[] = {PASS_PUNCT, PASS_BEFORE, PASS_AFTER, PASS_DASH};
    for (int p = 0; p < 4; p++) { // each pass at most triples the length
        char *b = malloc(3 * strlen(a) + 1);
        run_pass(passes[p], a, b);
        free(a);
        a = b;
    }
    // join the words with single spaces
    int64_t nw = ev_split(a, NULL);
    ev_span *words = malloc((size_t)(nw > 0 ? nw : 1) * sizeof *words);
    ev_split(a, words);
    char *b = malloc(strlen(a) + 1), *w = b;
    for (int64_t i = 0; i < nw; i++) {
        if (i) *w++ = ' ';
        memmove(w, words[i].p, (size_t)words[i].len);
        w += words[i].len;
    }
    *w = 0;
    free(words);
    free(a);
    return b;
}
