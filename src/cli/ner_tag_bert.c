/* Tagging a corpus with the BERT-style tagger (src/cli/ner_tag_cli.h): the words of each piece become sub-words, a
 * piece with more sub-words than the model's positions is cut further, and each word gets the tag that
 * ax_bert_decode gives its first sub-word. */
#include "cli/ner_tag_cli.h"

#include <stdlib.h>

int64_t ner_bert_cut(const ax_bert_words *w, const ner_piece *in, int64_t n, int max_sub, ner_piece **out) {
    int64_t cap = n ? n : 1, k = 0;
    ner_piece *p = malloc((size_t)cap * sizeof *p);
    AX_ASSERT(p, "out of memory");
    for (int64_t i = 0; i < n; i++)
        for (int64_t t = in[i].first, end = in[i].first + in[i].n; t < end;) {
            int64_t u = t + 1; // a piece takes one word at least (AX_BERT_WORD_PIECES ≤ max_sub)
            while (u < end && w->off[u + 1] - w->off[t] <= max_sub) u++;
            if (k == cap) p = realloc(p, (size_t)(cap *= 2) * sizeof *p);
            AX_ASSERT(p, "out of memory");
            p[k++] = (ner_piece){t, (int)(u - t)};
            t = u;
        }
    *out = p;
    return k;
}

int ner_bert_tag_ids(const ax_bert *m, const ax_ner_corpus *c, int max_len, int64_t batch, int32_t *ids) {
    ax_bert_words w;
    if (ax_bert_encode_words(m, (const char *const *)c->tokens, c->n_tokens, &w) != AX_OK) return AX_ERR;
    ner_piece *words, *p;
    int64_t nw = ner_pieces(c, max_len, &words, NULL), np = ner_bert_cut(&w, words, nw, m->cfg.max_len, &p);
    int64_t *first = malloc((size_t)batch * sizeof *first);
    int *n = malloc((size_t)batch * sizeof *n);
    AX_ASSERT(first && n, "out of memory");
    for (int64_t k = 0; k < np; k += batch) {
        int64_t B = np - k < batch ? np - k : batch;
        for (int64_t b = 0; b < B; b++) first[b] = p[k + b].first, n[b] = p[k + b].n;
        ax_bert_batch x = ax_bert_make_batch(m, &w, first, n, NULL, B);
        const int32_t *path = ax_i32(ax_bert_decode(m, &x));
        for (int64_t b = 0; b < B; b++)
            for (int i = 0; i < n[b]; i++) ids[first[b] + i] = path[b * x.W + i];
        ax_arena_reset();
    }
    free(first), free(n), free(words), free(p);
    ax_bert_words_free(&w);
    return AX_OK;
}
