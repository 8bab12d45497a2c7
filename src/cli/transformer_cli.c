/* Pair sets as BPE ids, token-budget batches, validation and checkpoint opening for the Transformer commands
 * (transformer_cli.h). */
#include "cli/transformer_cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *tf_clean_text(const char *text) {
    char *out = malloc(strlen(text) + 1), *w = out;
    AX_ASSERT(out, "out of memory");
    for (const char *p = text; *p; p++) {
        bool space = *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n';
        if (!space)
            *w++ = *p;
        else if (w > out && w[-1] != ' ')
            *w++ = ' ';
    }
    if (w > out && w[-1] == ' ') w--;
    *w = '\0';
    return out;
}

// appends at most max ids of text to s->ids at *used (and eot when eot ≥ 0); returns how many were appended
static int append(tf_set *s, int64_t *used, int64_t *cap, ax_tokenizer *tok, const char *text, int max, int32_t eot,
                  int *rc) {
    int32_t *ids = NULL;
    size_t n = 0;
    if (ax_tokenizer_encode(tok, text, strlen(text), &ids, &n) != AX_OK) return *rc = AX_ERR, 0;
    s->cut += n > (size_t)max;
    int k = n < (size_t)max ? (int)n : max;
    if (*used + k + 1 > *cap) {
        *cap = 2 * (*used + k + 1);
        s->ids = realloc(s->ids, (size_t)*cap * sizeof *s->ids);
        AX_ASSERT(s->ids, "out of memory");
    }
    memcpy(s->ids + *used, ids, (size_t)k * sizeof *ids);
    free(ids);
    *used += k;
    if (eot >= 0) s->ids[(*used)++] = eot, k++;
    return k;
}

int tf_set_build(tf_set *s, const s2s_texts *t, ax_tokenizer *tok, int max_len) {
    *s = (tf_set){.n = t->n};
    int32_t eot = ax_tokenizer_eot(tok);
    AX_ASSERT(eot >= 0 && max_len >= 2, "a tokenizer with <|endoftext|> and max_len ≥ 2 are needed");
    int64_t used = 0, cap = 1024;
    s->ids = malloc((size_t)cap * sizeof *s->ids);
    s->src_off = malloc((size_t)(t->n ? t->n : 1) * sizeof *s->src_off);
    s->tgt_off = malloc((size_t)(t->n ? t->n : 1) * sizeof *s->tgt_off);
    s->src_len = malloc((size_t)(t->n ? t->n : 1) * sizeof *s->src_len);
    s->tgt_len = malloc((size_t)(t->n ? t->n : 1) * sizeof *s->tgt_len);
    s->ref = malloc((size_t)(t->n ? t->n : 1) * sizeof *s->ref);
    AX_ASSERT(s->ids && s->src_off && s->tgt_off && s->src_len && s->tgt_len && s->ref, "out of memory");
    int rc = AX_OK;
    for (int64_t i = 0; i < t->n && rc == AX_OK; i++) {
        s->src_off[i] = used;
        s->src_len[i] = append(s, &used, &cap, tok, t->src[i], max_len - 1, eot, &rc);
        s->tgt_off[i] = used;
        s->tgt_len[i] = append(s, &used, &cap, tok, t->tgt[i], max_len - 1, -1, &rc);
        s->tgt_tokens += s->tgt_len[i] + 1;
        s->ref[i] = t->tgt[i];
    }
    return rc;
}

void tf_set_free(tf_set *s) {
    free(s->ids), free(s->src_off), free(s->tgt_off), free(s->src_len), free(s->tgt_len), free(s->ref);
    *s = (tf_set){0};
}

int tf_width(const tf_set *s, int64_t i) {
    return s->src_len[i] > s->tgt_len[i] + 1 ? s->src_len[i] : s->tgt_len[i] + 1;
}

typedef struct {
    int width; // padded positions the pair needs
    int64_t pair; // index into the set
} by_width;

static int cmp_width(const void *a, const void *b) {
    const by_width *x = a, *y = b;
    return x->width != y->width ? x->width - y->width : (x->pair > y->pair) - (x->pair < y->pair);
}

void tf_batches_make(const tf_set *s, int64_t budget, ax_rng *rng, tf_batches *out) {
    int64_t n = s->n;
    by_width *w = malloc((size_t)(n ? n : 1) * sizeof *w);
    int64_t *perm = malloc((size_t)(n ? n : 1) * sizeof *perm);
    out->pairs = malloc((size_t)(n ? n : 1) * sizeof *out->pairs);
    out->start = malloc((size_t)(n + 1) * sizeof *out->start);
    AX_ASSERT(w && perm && out->pairs && out->start, "out of memory");
    if (rng) ax_permutation(rng, perm, n);
    for (int64_t i = 0; i < n; i++) perm[i] = rng ? perm[i] : i;
    // random ties: sort (width, position in the permutation), so equal widths keep the shuffled order
    for (int64_t i = 0; i < n; i++) w[i] = (by_width){tf_width(s, perm[i]), i};
    qsort(w, (size_t)n, sizeof *w, cmp_width);
    int64_t nb = 0, count = 0, widest = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t wide = w[i].width > widest ? w[i].width : widest;
        if (count > 0 && (count + 1) * wide > budget) out->start[nb++] = i - count, count = 0, wide = w[i].width;
        widest = wide, count++;
        out->pairs[i] = perm[w[i].pair];
    }
    if (count) out->start[nb++] = n - count;
    out->start[nb] = n;
    out->n_batches = nb;
    if (rng && nb > 1) { // the batches in a random order: rebuild pairs and start from a permutation of them
        int64_t *order = malloc((size_t)nb * sizeof *order), *pairs = malloc((size_t)n * sizeof *pairs);
        int64_t *start = malloc((size_t)(nb + 1) * sizeof *start);
        AX_ASSERT(order && pairs && start, "out of memory");
        ax_permutation(rng, order, nb);
        int64_t k = 0;
        for (int64_t b = 0; b < nb; b++) {
            start[b] = k;
            for (int64_t i = out->start[order[b]]; i < out->start[order[b] + 1]; i++) pairs[k++] = out->pairs[i];
        }
        start[nb] = n;
        free(out->pairs), free(out->start), free(order);
        out->pairs = pairs, out->start = start;
    }
    free(w), free(perm);
}

void tf_batches_free(tf_batches *b) {
    free(b->pairs), free(b->start);
    *b = (tf_batches){0};
}

int64_t tf_batch(const tf_set *s, int32_t eot, const int64_t *idx, int64_t B, ax_tensor **src, ax_tensor **src_keep,
                 ax_tensor **tgt_in, ax_tensor **tgt_out) {
    int64_t S = 1, T = 1, tokens = 0;
    for (int64_t b = 0; b < B; b++) {
        S = s->src_len[idx[b]] > S ? s->src_len[idx[b]] : S;
        T = s->tgt_len[idx[b]] + 1 > T ? s->tgt_len[idx[b]] + 1 : T;
    }
    *src = ax_empty_dtype(AX_I32, AX_SHAPE(B, S));
    *src_keep = ax_empty_dtype(AX_BOOL, AX_SHAPE(B, S));
    int32_t *x = ax_i32(*src);
    uint8_t *keep = (*src_keep)->data;
    for (int64_t b = 0; b < B; b++) {
        int n = s->src_len[idx[b]];
        for (int64_t j = 0; j < S; j++)
            x[b * S + j] = j < n ? s->ids[s->src_off[idx[b]] + j] : eot, keep[b * S + j] = j < n;
    }
    if (!tgt_in) return 0;
    *tgt_in = ax_empty_dtype(AX_I32, AX_SHAPE(B, T));
    *tgt_out = ax_empty_dtype(AX_I32, AX_SHAPE(B, T));
    int32_t *in = ax_i32(*tgt_in), *y = ax_i32(*tgt_out);
    for (int64_t b = 0; b < B; b++) {
        const int32_t *ids = s->ids + s->tgt_off[idx[b]];
        int m = s->tgt_len[idx[b]];
        for (int64_t j = 0; j < T; j++) {
            in[b * T + j] = j == 0 ? eot : j <= m ? ids[j - 1] : eot;
            y[b * T + j] = j < m ? ids[j] : j == m ? eot : -100;
        }
        tokens += m + 1;
    }
    return tokens;
}

double tf_eval_loss(const ax_transformer *m, const tf_set *s, int64_t budget) {
    if (s->n == 0) return NAN;
    bool prev = ax_set_grad_enabled(false);
    tf_batches bt;
    tf_batches_make(s, budget, NULL, &bt);
    double sum = 0;
    for (int64_t b = 0; b < bt.n_batches; b++) {
        ax_tensor *src, *keep, *in, *out;
        int64_t B = bt.start[b + 1] - bt.start[b];
        int64_t tokens = tf_batch(s, m->cfg.eot, bt.pairs + bt.start[b], B, &src, &keep, &in, &out);
        sum += (double)ax_item(ax_transformer_loss(m, src, keep, in, out, 0.0f, false)) * (double)tokens;
        ax_arena_reset();
    }
    tf_batches_free(&bt);
    ax_set_grad_enabled(prev);
    return sum / (double)s->tgt_tokens;
}

// greedy ids of the pairs idx[0 .. B) into hyps (text each)
static int greedy_batch(const ax_transformer *m, const ax_tokenizer *tok, const tf_set *s, const int64_t *idx,
                        int64_t B, char **hyps) {
    const int32_t **src = malloc((size_t)B * sizeof *src);
    int *len = malloc((size_t)B * sizeof *len), max_out = 1;
    for (int64_t b = 0; b < B; b++) {
        src[b] = s->ids + s->src_off[idx[b]], len[b] = s->src_len[idx[b]];
        max_out = len[b] + TF_EXTRA_LEN > max_out ? len[b] + TF_EXTRA_LEN : max_out;
    }
    max_out = max_out < m->cfg.max_len - 1 ? max_out : m->cfg.max_len - 1;
    int32_t **out = malloc((size_t)B * sizeof *out), *buf = malloc((size_t)B * (size_t)(max_out + 1) * sizeof *buf);
    AX_ASSERT(src && len && out && buf, "out of memory");
    for (int64_t b = 0; b < B; b++) out[b] = buf + b * (max_out + 1);
    ax_transformer_greedy(m, src, len, (int)B, max_out, out);
    ax_arena_reset();
    int rc = AX_OK;
    for (int64_t b = 0; b < B; b++) {
        int keep = len[b] + TF_EXTRA_LEN < max_out ? len[b] + TF_EXTRA_LEN : max_out;
        hyps[b] = tf_decode(tok, out[b], keep);
        if (!hyps[b]) hyps[b] = strdup(""), rc = AX_ERR;
    }
    free(src), free(len), free(out), free(buf);
    return rc;
}

int tf_greedy_texts(const ax_transformer *m, const ax_tokenizer *tok, const tf_set *s, int64_t n, int64_t budget,
                    char **hyps) {
    tf_set head = *s;
    head.n = n;
    tf_batches bt;
    tf_batches_make(&head, budget, NULL, &bt);
    char **tmp = malloc((size_t)(n ? n : 1) * sizeof *tmp);
    AX_ASSERT(tmp, "out of memory");
    int rc = AX_OK;
    for (int64_t b = 0; b < bt.n_batches; b++) {
        int64_t first = bt.start[b], B = bt.start[b + 1] - first;
        if (greedy_batch(m, tok, s, bt.pairs + first, B, tmp + first) != AX_OK) rc = AX_ERR;
    }
    for (int64_t i = 0; i < n; i++) hyps[bt.pairs[i]] = tmp[i];
    free(tmp);
    tf_batches_free(&bt);
    return rc;
}

// the corpus BLEU of hyps against refs after ax_words_normalize on both (lower-cased words, punctuation split)
static double words_bleu_of(char *const *hyps, const char *const *refs, int64_t n) {
    char **h = malloc((size_t)(n ? n : 1) * sizeof *h), **r = malloc((size_t)(n ? n : 1) * sizeof *r);
    AX_ASSERT(h && r, "out of memory");
    for (int64_t i = 0; i < n; i++) h[i] = ax_words_normalize(hyps[i]), r[i] = ax_words_normalize(refs[i]);
    double bleu = ax_corpus_bleu((const char *const *)h, (const char *const *)r, n).score;
    ax_segments_free(h, n), ax_segments_free(r, n);
    return bleu;
}

double tf_bleu(const ax_transformer *m, const ax_tokenizer *tok, const tf_set *s, int64_t n, int64_t budget,
               double *words_bleu, char ***hyps) {
    char **out = calloc((size_t)(n ? n : 1), sizeof *out);
    AX_ASSERT(out, "out of memory");
    tf_greedy_texts(m, tok, s, n, budget, out); // an undecodable id (a bug) shows as an empty translation
    double bleu = ax_corpus_bleu((const char *const *)out, s->ref, n).score;
    if (words_bleu) *words_bleu = words_bleu_of(out, s->ref, n);
    if (hyps)
        *hyps = out;
    else
        ax_segments_free(out, n);
    return bleu;
}

char *tf_decode(const ax_tokenizer *tok, const int32_t *ids, int n) {
    int32_t eot = ax_tokenizer_eot(tok);
    int k = 0;
    while (k < n && ids[k] != eot) k++;
    char *text;
    size_t len;
    return ax_tokenizer_decode(tok, ids, (size_t)k, &text, &len) == AX_OK ? text : NULL;
}

char *tf_token_name(const ax_tokenizer *tok, int32_t id) {
    if (id == ax_tokenizer_eot(tok)) return strdup("</s>");
    char *text;
    size_t len;
    if (ax_tokenizer_decode(tok, &id, 1, &text, &len) != AX_OK) return strdup("?");
    char *out = malloc(3 * len + 1), *w = out; // '▁' takes 3 bytes
    AX_ASSERT(out, "out of memory");
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        int k = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        bool ok = k > 0 && i + (size_t)k <= len && !(k == 1 && c < 0x20);
        for (int j = 1; ok && j < k; j++) ok = ((unsigned char)text[i + (size_t)j] & 0xC0) == 0x80;
        if (ok && c == ' ')
            memcpy(w, "\xe2\x96\x81", 3), w += 3;
        else if (ok)
            memcpy(w, text + i, (size_t)k), w += k;
        else
            *w++ = '?';
        i += ok ? (size_t)k : 1;
    }
    *w = '\0';
    free(text);
    return out;
}

int tf_open(const char *dir, ax_transformer **m, ax_tokenizer **tok) {
    *m = NULL, *tok = NULL;
    if (ax_transformer_load(dir, m) != AX_OK || ax_tokenizer_load(dir, tok) != AX_OK) return AX_ERR;
    const ax_transformer_config *c = &(*m)->cfg;
    if (ax_tokenizer_vocab_size(*tok) != c->vocab || ax_tokenizer_eot(*tok) != c->eot)
        return ax_error("%s: the tokenizer (%d tokens, <|endoftext|> %d) does not fit the model (vocab %d, eot %d)",
                        dir, ax_tokenizer_vocab_size(*tok), ax_tokenizer_eot(*tok), c->vocab, (int)c->eot);
    return AX_OK;
}

int tf_model_kind(const char *dir, char name[AX_MODEL_NAME_MAX]) {
    char *json;
    if (ax_checkpoint_read_config(dir, &json, name) != AX_OK) return AX_ERR;
    free(json);
    return AX_OK;
}
