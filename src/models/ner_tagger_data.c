/* The BiLSTM-CRF tagger's inputs (include/axon/tagger.h): a token's word form, capitalisation class and characters,
 * the vocabularies of a corpus, gold tag ids, and padded batches. */
#include "axon/tagger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CASE_NONE = 0, CASE_LOWER, CASE_TITLE, CASE_UPPER, CASE_MIXED };

static bool is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static bool is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }

// capitalisation class of a token from its ASCII letters
static int32_t case_class(const char *tok) {
    int upper = 0, lower = 0;
    bool first_upper = is_upper((unsigned char)tok[0]);
    for (const unsigned char *p = (const unsigned char *)tok; *p; p++) upper += is_upper(*p), lower += is_lower(*p);
    if (!upper && !lower) return CASE_NONE;
    if (!upper) return CASE_LOWER;
    if (first_upper && upper == 1) return CASE_TITLE;
    return lower ? CASE_MIXED : CASE_UPPER;
}

// the word form into buf: ASCII lower-cased, digits as 0, blanks as _ (vocabulary entries have none); its length
static size_t word_form(const char *tok, char *buf, size_t cap) {
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)tok; *p && n + 1 < cap; p++)
        buf[n++] = is_upper(*p) ? (char)(*p - 'A' + 'a') : *p >= '0' && *p <= '9' ? '0' : *p == ' ' || *p == '\t' ? '_' : (char)*p;
    buf[n] = '\0';
    return n;
}

// bytes of the UTF-8 character at p (1 for a stray byte)
static int char_bytes(const unsigned char *p) {
    int n = *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC0 ? 2 : 1;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80) return 1;
    return n;
}

// appends s (n bytes) and a space to a growing text
static void put(char **text, size_t *len, size_t *cap, const char *s, size_t n) {
    if (*len + n + 2 > *cap) {
        *cap = 2 * (*len + n + 2);
        *text = realloc(*text, *cap);
        AX_ASSERT(*text, "out of memory");
    }
    memcpy(*text + *len, s, n);
    *len += n;
    (*text)[(*len)++] = ' ';
    (*text)[*len] = '\0';
}

void ax_tagger_vocab_build(const ax_ner_corpus *c, int min_freq, ax_vocab **words, ax_vocab **chars) {
    char *wt = NULL, *ct = NULL, form[1024];
    size_t wl = 0, wc = 0, cl = 0, cc = 0;
    for (int64_t i = 0; i < c->n_tokens; i++) {
        size_t n = word_form(c->tokens[i], form, sizeof form);
        if (n) put(&wt, &wl, &wc, form, n);
        for (const unsigned char *p = (const unsigned char *)c->tokens[i]; *p; p += char_bytes(p))
            if (*p != ' ' && *p != '\t') put(&ct, &cl, &cc, (const char *)p, (size_t)char_bytes(p));
    }
    if (wl) wt[wl - 1] = '\0'; // no trailing space
    if (cl) ct[cl - 1] = '\0';
    const char *w = wt ? wt : "", *ch = ct ? ct : "";
    *words = ax_vocab_build(&w, 1, min_freq, 0);
    *chars = ax_vocab_build(&ch, 1, 1, 0);
    free(wt), free(ct);
}

int ax_tagger_corpus_ids(const ax_tagset *ts, const ax_ner_corpus *c, const char *path, int32_t *ids) {
    int map[AX_NER_MAX_TYPES];
    for (int t = 0; t < c->tags.n_types; t++) map[t] = ax_tagset_type(ts, c->tags.types[t]);
    ax_tagset local = *ts;
    for (int64_t s = 0; s < c->n_sents; s++) {
        int64_t first = c->sent_start[s], n = c->sent_start[s + 1] - first, k0 = c->span_start[s];
        int64_t n_spans = c->span_start[s + 1] - k0;
        ax_ner_span *sp = malloc((size_t)(n_spans ? n_spans : 1) * sizeof *sp);
        AX_ASSERT(sp, "out of memory");
        for (int64_t k = 0; k < n_spans; k++) {
            sp[k] = c->spans[k0 + k];
            if (map[sp[k].type] >= 0) {
                sp[k].type = map[sp[k].type];
                continue;
            }
            int64_t line = c->line ? c->line[first + sp[k].start] : 0;
            free(sp);
            return ax_error("%s:%lld: entity type '%s' is not one the model was trained on", path ? path : "input",
                            (long long)line, c->tags.types[c->spans[k0 + k].type]);
        }
        ax_ner_spans_to_ids(&local, sp, (int)n_spans, (int)n, ids + first);
        free(sp);
    }
    return AX_OK;
}

// the character ids of one token (at most max of them, *n_out ≥ 1: an empty token reads as one <unk>)
static void token_chars(const ax_vocab *v, const char *tok, int max, int32_t *out, int32_t *n_out) {
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)tok; *p && n < max; p += char_bytes(p))
        out[n++] = ax_vocab_id(v, (const char *)p, (size_t)char_bytes(p));
    if (n == 0) out[n++] = AX_UNK;
    *n_out = n;
}

static int token_char_count(const char *tok, int max) {
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)tok; *p && n < max; p += char_bytes(p)) n++;
    return n ? n : 1;
}

// the gazetteer classes of one sequence's n tokens into feat (n, lists), offset by list: ids of gaz_emb's rows
static void gaz_classes(const ax_weak_labeler *gaz, const char *const *tok, int n, int32_t *feat) {
    ax_weak_gaz_features(gaz, tok, n, feat);
    for (int64_t i = 0; i < (int64_t)n * AX_WEAK_GAZ_LISTS; i++)
        feat[i] += (int32_t)(i % AX_WEAK_GAZ_LISTS) * AX_WEAK_GAZ_CLASSES;
}

// an I32 step tensor of zeros
static ax_tensor *zeros_i32(int ndim, const int64_t *shape) {
    ax_tensor *t = ax_empty_dtype(AX_I32, ndim, shape);
    memset(t->data, 0, (size_t)ax_numel(t) * sizeof(int32_t));
    return t;
}

ax_tagger_batch ax_tagger_make_batch(const ax_tagger *m, const char *const *const *toks, const int *n,
                                     const int32_t *const *tags, int64_t B) {
    int64_t T = 0, C = 1;
    int max_c = m->cfg.max_word_chars;
    for (int64_t b = 0; b < B; b++) {
        AX_ASSERT(n[b] >= 1, "tagger batch: sequence %lld has %d tokens", (long long)b, n[b]);
        T = n[b] > T ? n[b] : T;
        for (int i = 0; i < n[b]; i++) {
            int k = token_char_count(toks[b][i], max_c);
            C = k > C ? k : C;
        }
    }
    ax_tagger_batch x = {.B = B, .T = T, .words = zeros_i32(AX_SHAPE(B, T)), .cases = zeros_i32(AX_SHAPE(B, T)),
                         .gaz = m->gaz ? zeros_i32(AX_SHAPE(B, T, AX_WEAK_GAZ_LISTS)) : NULL,
                         .chars = zeros_i32(AX_SHAPE(B * T, C)), .char_len = zeros_i32(AX_SHAPE(B * T)),
                         .lengths = zeros_i32(AX_SHAPE(B)), .tags = tags ? zeros_i32(AX_SHAPE(B, T)) : NULL};
    int32_t *w = x.words->data, *cs = x.cases->data, *ch = x.chars->data, *cl = x.char_len->data;
    char form[1024];
    for (int64_t b = 0; b < B; b++) {
        ax_i32(x.lengths)[b] = n[b];
        if (m->gaz) gaz_classes(m->gaz, toks[b], n[b], ax_i32(x.gaz) + b * T * AX_WEAK_GAZ_LISTS);
        for (int64_t t = 0; t < T; t++) {
            int64_t k = b * T + t;
            cl[k] = 1;
            if (t >= n[b]) continue;
            const char *tok = toks[b][t];
            size_t len = word_form(tok, form, sizeof form);
            w[k] = len ? ax_vocab_id(m->words, form, len) : AX_UNK;
            cs[k] = case_class(tok);
            token_chars(m->chars, tok, max_c, ch + k * C, &cl[k]);
            if (tags) ax_i32(x.tags)[k] = tags[b][t];
        }
    }
    return x;
}
