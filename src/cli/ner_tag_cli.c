/* Tagging corpora with the BiLSTM-CRF or (ner_tag_bert.c) the BERT-style tagger (src/cli/ner_tag_cli.h). */
#include "cli/ner_tag_cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int ner_scheme_parse(const char *name, ax_ner_scheme *s) {
    static const char *const names[] = {"iob2", "iob1", "bioes"}; // by ax_ner_scheme
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) return *s = (ax_ner_scheme)i, AX_OK;
    return AX_ERR;
}

int64_t ner_pieces(const ax_ner_corpus *c, int max_len, ner_piece **pieces, int64_t *n_cut) {
    int64_t n = 0, cut = 0;
    for (int64_t s = 0; s < c->n_sents; s++) {
        int64_t len = c->sent_start[s + 1] - c->sent_start[s];
        n += (len + max_len - 1) / max_len, cut += len > max_len;
    }
    ner_piece *p = malloc((size_t)(n ? n : 1) * sizeof *p);
    AX_ASSERT(p, "out of memory");
    int64_t k = 0;
    for (int64_t s = 0; s < c->n_sents; s++)
        for (int64_t t = c->sent_start[s]; t < c->sent_start[s + 1]; t += max_len) {
            int64_t left = c->sent_start[s + 1] - t;
            p[k++] = (ner_piece){t, (int)(left < max_len ? left : max_len)};
        }
    if (n_cut) *n_cut = cut;
    *pieces = p;
    return n;
}

void ner_pieces_repair_tags(const ax_tagset *ts, const ner_piece *p, int64_t n, int32_t *ids) {
    for (int64_t i = 0; i < n; i++) ax_ner_ids_repair(ts, ids + p[i].first, p[i].n);
}

static int by_length(const void *a, const void *b) {
    const ner_piece *x = a, *y = b;
    return x->n != y->n ? x->n - y->n : (x->first > y->first) - (x->first < y->first);
}

// the sentence of c that holds token `tok`
static int64_t sentence_of(const ax_ner_corpus *c, int64_t tok) {
    int64_t lo = 0, hi = c->n_sents - 1; // sent_start[lo] ≤ tok < sent_start[hi + 1]
    while (lo < hi) {
        int64_t mid = (lo + hi + 1) / 2;
        if (c->sent_start[mid] <= tok) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

void ner_tag_ids(const ax_tagger *m, const ax_ner_corpus *c, int max_len, int64_t batch, int32_t *ids, double *prob) {
    ner_piece *p;
    int64_t np = ner_pieces(c, max_len, &p, NULL);
    qsort(p, (size_t)np, sizeof *p, by_length); // similar lengths together: little padding
    const char *const **toks = malloc((size_t)batch * sizeof *toks);
    int *n = malloc((size_t)batch * sizeof *n);
    double *piece_prob = malloc((size_t)batch * sizeof *piece_prob);
    AX_ASSERT(toks && n && piece_prob, "out of memory");
    for (int64_t s = 0; prob && s < c->n_sents; s++) prob[s] = 1;
    for (int64_t k = 0; k < np; k += batch) {
        int64_t B = np - k < batch ? np - k : batch;
        for (int64_t b = 0; b < B; b++) toks[b] = (const char *const *)c->tokens + p[k + b].first, n[b] = p[k + b].n;
        ax_tagger_batch x = ax_tagger_make_batch(m, toks, n, NULL, B);
        const int32_t *path = ax_i32(ax_tagger_decode_prob(m, &x, prob ? piece_prob : NULL));
        for (int64_t b = 0; b < B; b++) {
            for (int i = 0; i < n[b]; i++) ids[p[k + b].first + i] = path[b * x.T + i];
            if (prob) prob[sentence_of(c, p[k + b].first)] *= piece_prob[b];
        }
        ax_arena_reset();
    }
    free(toks), free(n), free(piece_prob), free(p);
}

int ner_tag_corpus(const ax_tagger *m, const ax_ner_corpus *c, int max_len, int64_t batch, ax_ner_corpus *guess) {
    return ner_tag_corpus_with(&(ner_model){m, NULL}, c, max_len, batch, guess, NULL);
}

int ner_tag_corpus_with(const ner_model *m, const ax_ner_corpus *c, int max_len, int64_t batch, ax_ner_corpus *guess,
                        double *prob) {
    int32_t *ids = malloc((size_t)(c->n_tokens ? c->n_tokens : 1) * sizeof *ids);
    ax_ner_span *spans = malloc((size_t)(c->n_tokens ? c->n_tokens : 1) * sizeof *spans);
    AX_ASSERT(ids && spans, "out of memory");
    const ax_tagset *tags = m->bert ? &m->bert->tags : &m->crf->tags;
    int rc = AX_OK;
    if (m->bert) rc = ner_bert_tag_ids(m->bert, c, max_len, batch, ids);
    else ner_tag_ids(m->crf, c, max_len, batch, ids, prob);
    for (int64_t s = 0; m->bert && prob && s < c->n_sents; s++) prob[s] = NAN; // no path probability without a CRF
    ax_ner_corpus_init(guess);
    guess->tags = *tags, guess->labelled = true;
    for (int64_t s = 0; s < c->n_sents && rc == AX_OK; s++) {
        int64_t t0 = c->sent_start[s];
        int n = (int)(c->sent_start[s + 1] - t0), n_spans = ax_ner_ids_to_spans(tags, ids + t0, n, spans);
        rc = ax_ner_corpus_add(guess, (const char *const *)c->tokens + t0, n, spans, n_spans, c->line ? c->line + t0 : NULL);
    }
    free(ids), free(spans);
    return rc;
}

// sentence s of c as IOB2 tag strings into tags (n of them, AX_NER_TYPE_MAX + 3 bytes each)
static void iob2_tags(const ax_ner_corpus *c, int64_t s, int32_t *ids, char (*tags)[AX_NER_TYPE_MAX + 3]) {
    ax_tagset ts = c->tags;
    ts.scheme = AX_NER_IOB2;
    int64_t t0 = c->sent_start[s], k0 = c->span_start[s];
    int n = (int)(c->sent_start[s + 1] - t0);
    ax_ner_spans_to_ids(&ts, c->spans + k0, (int)(c->span_start[s + 1] - k0), n, ids);
    for (int i = 0; i < n; i++) ax_tagset_tag(&ts, ids[i], tags[i], sizeof tags[i]);
}

void ner_score(const ax_ner_corpus *gold, const ax_ner_corpus *guess, ax_conlleval *ev) {
    AX_ASSERT(gold->n_tokens == guess->n_tokens && gold->n_sents == guess->n_sents,
              "ner_score: %lld and %lld tokens", (long long)gold->n_tokens, (long long)guess->n_tokens);
    int64_t longest = 1;
    for (int64_t s = 0; s < gold->n_sents; s++)
        if (gold->sent_start[s + 1] - gold->sent_start[s] > longest) longest = gold->sent_start[s + 1] - gold->sent_start[s];
    int32_t *ids = malloc((size_t)longest * sizeof *ids);
    char (*g)[AX_NER_TYPE_MAX + 3] = malloc((size_t)longest * sizeof *g), (*q)[AX_NER_TYPE_MAX + 3] = malloc((size_t)longest * sizeof *q);
    AX_ASSERT(ids && g && q, "out of memory");
    ax_conlleval_init(ev);
    for (int64_t s = 0; s < gold->n_sents; s++) {
        iob2_tags(gold, s, ids, g);
        iob2_tags(guess, s, ids, q);
        ax_conlleval_boundary(ev);
        for (int64_t i = 0; i < gold->sent_start[s + 1] - gold->sent_start[s]; i++) ax_conlleval_token(ev, g[i], q[i]);
    }
    ax_conlleval_finish(ev);
    free(ids), free(g), free(q);
}
