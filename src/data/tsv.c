/* Parallel sentence pairs from Anki / Tatoeba tab-separated files: `source<TAB>target[<TAB>attribution]`. */
#include "axon/base.h"
#include "axon/data.h"
#include "data/lines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// cuts line at tabs into up to 4 fields; returns the number of fields (4 means "more than 3")
static int split_tabs(char *line, char **f) {
    int n = 0;
    for (char *p = line; n < 4;) {
        f[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab) break;
        *tab = 0;
        p = tab + 1;
    }
    return n;
}

static bool blank(const char *s) { return s[strspn(s, " \t")] == 0; }

static void push_pair(ax_pairs *p, char *src, char *tgt) {
    int64_t n = p->n;
    if ((n & (n - 1)) == 0) {
        p->src = realloc(p->src, (size_t)(n ? 2 * n : 1) * sizeof *p->src);
        p->tgt = realloc(p->tgt, (size_t)(n ? 2 * n : 1) * sizeof *p->tgt);
    }
    p->src[n] = src;
    p->tgt[n] = tgt;
    p->n++;
}

int ax_pairs_read_tsv(const char *path, ax_pairs *out) {
    *out = (ax_pairs){0};
    line_iter it;
    if (line_iter_open(path, &out->text, &it) != AX_OK) return AX_ERR;
    char *line, *f[4];
    while ((line = line_next(&it))) {
        if (blank(line)) continue;
        int n = split_tabs(line, f);
        const char *why = n < 2 || n > 3 ? "expected 2 or 3 tab-separated columns" : blank(f[0]) ? "empty source side"
                          : blank(f[1])                                                 ? "empty target side"
                                                                                        : NULL;
        if (why) {
            fprintf(stderr, "axon: warning: %s:%lld: %s; line skipped\n", path, (long long)it.no, why);
            out->skipped++;
            continue;
        }
        push_pair(out, f[0], f[1]);
    }
    return AX_OK;
}

void ax_pairs_free(ax_pairs *p) {
    free(p->src);
    free(p->tgt);
    free(p->text);
    *p = (ax_pairs){0};
}
