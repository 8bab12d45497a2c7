/* Reading CoNLL column files: tokens one a line, blank lines between sentences, -DOCSTART- document breaks. */
#include "axon/base.h"
#include "axon/data.h"
#include "data/lines.h"

#include <stdlib.h>
#include <string.h>

#define CONLL_MAX_COLS 16 // more columns than this is an error

// cuts line into columns separated by spaces/tabs; returns how many (up to CONLL_MAX_COLS + 1)
static int split_cols(char *line, char **cols) {
    int n = 0;
    for (char *p = line; *p;) {
        while (*p == ' ' || *p == '\t') *p++ = 0;
        if (!*p) break;
        if (n <= CONLL_MAX_COLS) cols[n] = p;
        n += n <= CONLL_MAX_COLS;
        while (*p && *p != ' ' && *p != '\t') p++;
    }
    return n;
}

// appends one int64 to a growing array
static void push_i64(int64_t **a, int64_t n, int64_t v) {
    if ((n & (n - 1)) == 0) *a = realloc(*a, (size_t)(n ? 2 * n : 1) * sizeof **a);
    (*a)[n] = v;
}

// appends a token line's cells
static void push_token(ax_conll *c, char **cols, int64_t line_no) {
    int64_t n = c->n_tokens;
    if ((n & (n - 1)) == 0) // capacity doubles at powers of two
        c->cells = realloc(c->cells, (size_t)(n ? 2 * n : 1) * (size_t)c->n_cols * sizeof *c->cells);
    memcpy(c->cells + n * c->n_cols, cols, (size_t)c->n_cols * sizeof *cols);
    push_i64(&c->line, n, line_no);
    c->n_tokens++;
}

// closes the sentence being read, if it has tokens
static void end_sentence(ax_conll *c, int64_t *docs) {
    if (c->sent_start[c->n_sents] == c->n_tokens) return;
    push_i64(&c->docs_before, c->n_sents + 1, 0);
    c->n_sents++;
    push_i64(&c->sent_start, c->n_sents, c->n_tokens);
    *docs = 0;
}

int ax_conll_read(const char *path, int min_cols, ax_conll *out) {
    *out = (ax_conll){0};
    line_iter it;
    if (line_iter_open(path, &out->text, &it) != AX_OK) return AX_ERR;
    push_i64(&out->sent_start, 0, 0);
    push_i64(&out->docs_before, 0, 0);
    char *cols[CONLL_MAX_COLS + 1], *line;
    int64_t docs = 0; // -DOCSTART- lines since the last sentence
    while ((line = line_next(&it))) {
        int n = split_cols(line, cols);
        bool docstart = n > 0 && strcmp(cols[0], "-DOCSTART-") == 0;
        if (n == 0 || docstart || strcmp(cols[0], "-X-") == 0) {
            end_sentence(out, &docs);
            out->n_docs += docstart;
            out->docs_before[out->n_sents] = docs += docstart;
            continue;
        }
        if (out->n_cols == 0) out->n_cols = n;
        if (n != out->n_cols || n < min_cols || n > CONLL_MAX_COLS) {
            int64_t first = out->n_tokens ? out->line[0] : it.no, want = out->n_cols;
            ax_conll_free(out);
            if (n < min_cols)
                return ax_error("%s:%lld: %d column%s, need at least %d", path, (long long)it.no, n, n == 1 ? "" : "s",
                                min_cols);
            if (n > CONLL_MAX_COLS)
                return ax_error("%s:%lld: more than %d columns", path, (long long)it.no, CONLL_MAX_COLS);
            return ax_error("%s:%lld: %d columns, but line %lld has %lld", path, (long long)it.no, n, (long long)first,
                            (long long)want);
        }
        push_token(out, cols, it.no);
    }
    end_sentence(out, &docs);
    out->docs_before[out->n_sents] = docs;
    return AX_OK;
}

void ax_conll_free(ax_conll *c) {
    free(c->cells);
    free(c->sent_start);
    free(c->docs_before);
    free(c->line);
    free(c->text);
    *c = (ax_conll){0};
}
