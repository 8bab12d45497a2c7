/* Text output of the NER files: a growing buffer, and writing to a file (atomically) or to stdout. */
#include "axon/io.h"
#include "ner/ner_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void text_putn(text_buf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void text_put(text_buf *b, const char *s) { text_putn(b, s, strlen(s)); }

int text_take(text_buf *b, char **text, size_t *len) {
    if (!b->failed && !b->p) text_putn(b, "", 0);
    if (b->failed) {
        free(b->p);
        *b = (text_buf){0};
        return ax_error("out of memory formatting the text");
    }
    *text = b->p;
    *len = b->len;
    *b = (text_buf){0};
    return AX_OK;
}

int text_write(text_buf *b, const char *path) {
    char *text;
    size_t len;
    if (text_take(b, &text, &len) != AX_OK) return AX_ERR;
    int rc = ner_write_text(path, text, len);
    free(text);
    return rc;
}

int ner_write_text(const char *path, const char *text, size_t len) {
    if (strcmp(path, "-") != 0) return ax_write_file_atomic(path, text, len);
    if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) return ax_error("cannot write to stdout");
    return AX_OK;
}
