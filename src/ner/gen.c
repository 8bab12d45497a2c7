/* Generative NER's targets (include/axon/ner.h): a sentence's entity list as text, and a generated list mapped back
 * to spans of the sentence's tokens. */
#include "ner/ner_internal.h"

#include <stdlib.h>
#include <string.h>

char *ax_ner_gen_format(const ax_ner_corpus *c, int64_t s) {
    text_buf b = {0};
    const char *const *tok = (const char *const *)c->tokens + c->sent_start[s];
    for (int64_t k = c->span_start[s]; k < c->span_start[s + 1]; k++) {
        const ax_ner_span *sp = &c->spans[k];
        if (k > c->span_start[s]) text_put(&b, " ; ");
        for (int32_t i = sp->start; i < sp->end; i++) text_put(&b, tok[i]), text_put(&b, " ");
        text_put(&b, "<"), text_put(&b, c->tags.types[sp->type]), text_put(&b, ">");
    }
    if (c->span_start[s] == c->span_start[s + 1]) text_put(&b, AX_NER_GEN_NONE);
    char *text;
    size_t len;
    AX_ASSERT(text_take(&b, &text, &len) == AX_OK, "out of memory");
    return text;
}

typedef struct {
    const char *p; // the word's first byte in the generated text
    int len;       // its bytes
} gen_word;

// the type index of a "<TYPE>" word in ts (−1: a type ts lacks), or −2 when the word is not of that form
static int type_word(const gen_word *w, const ax_tagset *ts) {
    if (w->len < 3 || w->p[0] != '<' || w->p[w->len - 1] != '>') return -2;
    char name[AX_NER_TYPE_MAX + 1];
    if (w->len - 2 > AX_NER_TYPE_MAX) return -1;
    memcpy(name, w->p + 1, (size_t)(w->len - 2)), name[w->len - 2] = '\0';
    return ax_tagset_type(ts, name);
}

static bool word_is(const gen_word *w, const char *tok) {
    return (size_t)w->len == strlen(tok) && memcmp(w->p, tok, (size_t)w->len) == 0;
}

// the first start of the k words item in toks[0 .. n) with none of its tokens used; −1 if none
static int find_free(const gen_word *item, int k, const char *const *toks, int n, const bool *used) {
    for (int i = 0; i + k <= n; i++) {
        int j = 0;
        while (j < k && !used[i + j] && word_is(&item[j], toks[i + j])) j++;
        if (j == k) return i;
    }
    return -1;
}

static int by_start(const void *a, const void *b) {
    return ((const ax_ner_span *)a)->start - ((const ax_ner_span *)b)->start;
}

int ax_ner_gen_spans(const char *text, const char *const *toks, int n, const ax_tagset *ts, ax_ner_span *spans,
                     int *dropped) {
    size_t len = strlen(text);
    gen_word *w = malloc((len / 2 + 1) * sizeof *w); // words are separated by at least one byte
    bool *used = calloc((size_t)(n ? n : 1), sizeof *used);
    AX_ASSERT(w && used, "out of memory");
    int n_words = 0, n_spans = 0, item = 0; // item: first word of the item being read
    *dropped = 0;
    for (const char *p = text; *p;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
        const char *q = p;
        while (*q && *q != ' ' && *q != '\t' && *q != '\n' && *q != '\r') q++;
        if (q == p) break;
        gen_word word = {p, (int)(q - p)};
        p = q;
        int type = type_word(&word, ts), k = n_words - item;
        if (type == -2) { // a token of the item, or a separator before any
            if (k > 0 || !(word.len == 1 && word.p[0] == ';')) w[n_words++] = word;
            continue;
        }
        if (k == 0 && word_is(&word, AX_NER_GEN_NONE)) continue;
        int at = type >= 0 && k > 0 ? find_free(w + item, k, toks, n, used) : -1;
        if (at < 0) (*dropped)++;
        else {
            for (int i = at; i < at + k; i++) used[i] = true;
            spans[n_spans++] = (ax_ner_span){at, at + k, type};
        }
        item = n_words;
    }
    *dropped += n_words > item; // words after the last type
    qsort(spans, (size_t)n_spans, sizeof *spans, by_start);
    free(w), free(used);
    return n_spans;
}
