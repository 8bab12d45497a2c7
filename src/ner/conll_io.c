/* CoNLL column files ⇄ sentences with entities (the reader of src/data/conll.c does the column parsing). */
#include "axon/data.h"
#include "axon/ner.h"
#include "ner/ner_internal.h"

#include <stdlib.h>
#include <string.h>

// adds sentence s of the CoNLL file to out, its tags read from column col
static int add_sentence(const ax_conll *f, int64_t s, int col, int flags, const char *path, ax_ner_corpus *out,
                        const char **toks, const char **tags, ax_ner_span *spans) {
    int64_t t0 = f->sent_start[s];
    int n = (int)(f->sent_start[s + 1] - t0), n_spans = 0;
    for (int i = 0; i < n; i++) {
        toks[i] = f->cells[(t0 + i) * f->n_cols];
        tags[i] = f->cells[(t0 + i) * f->n_cols + col];
    }
    if (col > 0 && ax_ner_tags_to_spans(&out->tags, tags, n, flags, path, f->line + t0, spans, &n_spans) != AX_OK)
        return AX_ERR;
    return ax_ner_corpus_add(out, toks, n, spans, n_spans, f->line + t0);
}

int ax_ner_read_conll(const char *path, int tag_col, ax_ner_scheme scheme, int flags, ax_ner_corpus *out) {
    ax_ner_corpus_init(out);
    out->tags.scheme = scheme;
    out->labelled = tag_col != 0;
    ax_conll f;
    if (ax_conll_read(path, tag_col < 0 ? 1 - tag_col : tag_col + 1, &f) != AX_OK) return AX_ERR;
    int col = tag_col < 0 ? f.n_cols + tag_col : tag_col;
    if ((tag_col != 0 && col < 1) || col >= f.n_cols) {
        ax_conll_free(&f);
        return ax_error("%s: no tag column %d (lines have %d columns)", path, tag_col, f.n_cols);
    }
    int64_t longest = 1;
    for (int64_t s = 0; s < f.n_sents; s++)
        if (f.sent_start[s + 1] - f.sent_start[s] > longest) longest = f.sent_start[s + 1] - f.sent_start[s];
    const char **toks = malloc((size_t)longest * sizeof *toks), **tags = malloc((size_t)longest * sizeof *tags);
    ax_ner_span *spans = malloc((size_t)longest * sizeof *spans);
    int rc = toks && tags && spans ? AX_OK : ax_error("out of memory reading %s", path);
    for (int64_t s = 0; s < f.n_sents && rc == AX_OK; s++) rc = add_sentence(&f, s, col, flags, path, out, toks, tags, spans);
    free(toks);
    free(tags);
    free(spans);
    ax_conll_free(&f);
    if (rc != AX_OK) ax_ner_corpus_free(out);
    return rc;
}

// the tags of sentence s of c in the tag set ts (same types as c, another scheme) into ids
static void sentence_ids(const ax_ner_corpus *c, const ax_tagset *ts, int64_t s, int32_t *ids) {
    int64_t k0 = c->span_start[s];
    ax_ner_spans_to_ids(ts, c->spans + k0, (int)(c->span_start[s + 1] - k0), (int)(c->sent_start[s + 1] - c->sent_start[s]),
                        ids);
}

int ax_ner_format_conll(const ax_ner_corpus *gold, const ax_ner_corpus *guess, ax_ner_scheme scheme, char **text,
                        size_t *len) {
    bool same = !guess || guess->n_sents == gold->n_sents;
    for (int64_t s = 0; same && guess && s <= gold->n_sents; s++) same = guess->sent_start[s] == gold->sent_start[s];
    if (!same)
        return ax_error("the guessed sentences (%lld tokens) are not the gold ones (%lld tokens)",
                        (long long)guess->n_tokens, (long long)gold->n_tokens);
    ax_tagset tg = gold->tags, tq = guess ? guess->tags : gold->tags;
    tg.scheme = tq.scheme = scheme;
    int64_t longest = 1;
    for (int64_t s = 0; s < gold->n_sents; s++)
        if (gold->sent_start[s + 1] - gold->sent_start[s] > longest) longest = gold->sent_start[s + 1] - gold->sent_start[s];
    int32_t *ids = malloc((size_t)longest * 2 * sizeof *ids);
    if (!ids) return ax_error("out of memory writing CoNLL");
    text_buf b = {0};
    char tag[AX_NER_TYPE_MAX + 3];
    for (int64_t s = 0; s < gold->n_sents; s++) {
        sentence_ids(gold, &tg, s, ids);
        if (guess) sentence_ids(guess, &tq, s, ids + longest);
        for (int64_t t = gold->sent_start[s]; t < gold->sent_start[s + 1]; t++) {
            int64_t i = t - gold->sent_start[s];
            text_put(&b, gold->tokens[t]);
            text_put(&b, " ");
            ax_tagset_tag(&tg, ids[i], tag, sizeof tag);
            text_put(&b, tag);
            if (guess) {
                text_put(&b, " ");
                ax_tagset_tag(&tq, ids[longest + i], tag, sizeof tag);
                text_put(&b, tag);
            }
            text_put(&b, "\n");
        }
        text_put(&b, "\n");
    }
    free(ids);
    return text_take(&b, text, len);
}

int ax_ner_write_conll(const char *path, const ax_ner_corpus *gold, const ax_ner_corpus *guess, ax_ner_scheme scheme) {
    char *text;
    size_t len;
    if (ax_ner_format_conll(gold, guess, scheme, &text, &len) != AX_OK) return AX_ERR;
    int rc = ner_write_text(path, text, len);
    free(text);
    return rc;
}
