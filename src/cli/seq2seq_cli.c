/* Sentence-pair sets, batches, validation and checkpoint opening for the translator commands (seq2seq_cli.h). */
#include "cli/options.h"
#include "cli/seq2seq_cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int s2s_texts_read_as(const char *path, bool reverse, char *(*clean)(const char *), s2s_texts *out) {
    *out = (s2s_texts){0};
    ax_pairs p;
    if (ax_pairs_read_tsv(path, &p) != AX_OK) return AX_ERR;
    if (p.n == 0) {
        ax_pairs_free(&p);
        return ax_error("%s: no sentence pairs (expected `target<TAB>source[<TAB>attribution]` lines)", path);
    }
    out->n = p.n, out->skipped = p.skipped;
    out->src = malloc((size_t)p.n * sizeof *out->src);
    out->tgt = malloc((size_t)p.n * sizeof *out->tgt);
    AX_ASSERT(out->src && out->tgt, "out of memory");
    for (int64_t i = 0; i < p.n; i++) {
        out->src[i] = clean(reverse ? p.src[i] : p.tgt[i]);
        out->tgt[i] = clean(reverse ? p.tgt[i] : p.src[i]);
    }
    ax_pairs_free(&p);
    return AX_OK;
}

int s2s_texts_read(const char *path, bool reverse, s2s_texts *out) {
    return s2s_texts_read_as(path, reverse, ax_words_normalize, out);
}

void s2s_texts_free(s2s_texts *t) {
    for (int64_t i = 0; i < t->n; i++) free(t->src[i]), free(t->tgt[i]);
    free(t->src);
    free(t->tgt);
    *t = (s2s_texts){0};
}

// appends the words of text (at most max_len) and <eos> to s->ids at *used; returns the length with <eos>
static int32_t append(s2s_set *s, int64_t *used, const ax_vocab *v, const char *text, int max_len) {
    int n = ax_vocab_encode(v, text, s->ids + *used, max_len);
    s->cut += n > max_len;
    n = n < max_len ? n : max_len;
    s->ids[*used + n] = AX_EOS;
    *used += n + 1;
    return n + 1;
}

void s2s_set_build(s2s_set *s, const s2s_texts *t, const ax_vocab *sv, const ax_vocab *tv, int max_len) {
    *s = (s2s_set){.n = t->n};
    s->ids = malloc((size_t)t->n * 2 * ((size_t)max_len + 1) * sizeof *s->ids);
    s->src_off = malloc((size_t)t->n * sizeof *s->src_off);
    s->tgt_off = malloc((size_t)t->n * sizeof *s->tgt_off);
    s->src_len = malloc((size_t)t->n * sizeof *s->src_len);
    s->tgt_len = malloc((size_t)t->n * sizeof *s->tgt_len);
    s->ref = malloc((size_t)t->n * sizeof *s->ref);
    AX_ASSERT(s->ids && s->src_off && s->tgt_off && s->src_len && s->tgt_len && s->ref, "out of memory");
    int64_t used = 0;
    for (int64_t i = 0; i < t->n; i++) {
        s->src_off[i] = used;
        s->src_len[i] = append(s, &used, sv, t->src[i], max_len);
        s->tgt_off[i] = used;
        s->tgt_len[i] = append(s, &used, tv, t->tgt[i], max_len);
        s->tgt_words += s->tgt_len[i];
        s->ref[i] = t->tgt[i];
    }
}

void s2s_set_free(s2s_set *s) {
    free(s->ids), free(s->src_off), free(s->tgt_off), free(s->src_len), free(s->tgt_len), free(s->ref);
    *s = (s2s_set){0};
}

// the rows idx[0 .. B) of one side, padded to the longest: (B, width) ids and (B) lengths
static ax_tensor *pad_rows(const s2s_set *s, const int64_t *idx, int64_t B, bool src, ax_tensor **len) {
    const int64_t *off = src ? s->src_off : s->tgt_off;
    const int32_t *n = src ? s->src_len : s->tgt_len;
    int64_t W = 1;
    for (int64_t b = 0; b < B; b++) W = n[idx[b]] > W ? n[idx[b]] : W;
    ax_tensor *x = ax_empty_dtype(AX_I32, AX_SHAPE(B, W));
    memset(x->data, 0, (size_t)(B * W) * sizeof(int32_t)); // AX_PAD
    for (int64_t b = 0; b < B; b++) memcpy(ax_i32(x) + b * W, s->ids + off[idx[b]], (size_t)n[idx[b]] * sizeof(int32_t));
    if (len) {
        *len = ax_empty_dtype(AX_I32, AX_SHAPE(B));
        for (int64_t b = 0; b < B; b++) ax_i32(*len)[b] = n[idx[b]];
    }
    return x;
}

void s2s_batch(const s2s_set *s, const int64_t *idx, int64_t B, ax_tensor **src, ax_tensor **len, ax_tensor **tgt) {
    *src = pad_rows(s, idx, B, true, len);
    if (tgt) *tgt = pad_rows(s, idx, B, false, NULL);
}

// idx[0 .. B) = first, first + 1, …
static void range(int64_t *idx, int64_t first, int64_t B) {
    for (int64_t b = 0; b < B; b++) idx[b] = first + b;
}

double s2s_eval_loss(const ax_seq2seq *m, const s2s_set *s, int64_t batch) {
    bool prev = ax_set_grad_enabled(false);
    int64_t *idx = malloc((size_t)batch * sizeof *idx);
    AX_ASSERT(idx, "out of memory");
    double sum = 0;
    for (int64_t i = 0; i < s->n; i += batch) {
        int64_t B = s->n - i < batch ? s->n - i : batch, words = 0;
        range(idx, i, B);
        ax_tensor *src, *len, *tgt;
        s2s_batch(s, idx, B, &src, &len, &tgt);
        for (int64_t b = 0; b < B; b++) words += s->tgt_len[i + b];
        sum += (double)ax_item(ax_seq2seq_loss(m, src, len, tgt, 1.0f, false)) * (double)words;
        ax_arena_reset();
    }
    free(idx);
    ax_set_grad_enabled(prev);
    return sum / (double)s->tgt_words;
}

double s2s_bleu(const ax_seq2seq *m, const ax_vocab *tv, const s2s_set *s, int64_t n, int64_t batch, char ***hyps) {
    int W = m->cfg.max_len + 1;
    char **out = malloc((size_t)(n ? n : 1) * sizeof *out);
    int64_t *idx = malloc((size_t)batch * sizeof *idx);
    int32_t *words = malloc((size_t)(batch * W) * sizeof *words);
    AX_ASSERT(out && idx && words, "out of memory");
    for (int64_t i = 0; i < n; i += batch) {
        int64_t B = n - i < batch ? n - i : batch;
        range(idx, i, B);
        ax_tensor *src, *len;
        s2s_batch(s, idx, B, &src, &len, NULL);
        ax_seq2seq_greedy(m, src, len, m->cfg.max_len, words);
        ax_arena_reset();
        for (int64_t b = 0; b < B; b++) out[i + b] = ax_vocab_decode(tv, words + b * W, W);
    }
    double bleu = ax_corpus_bleu((const char *const *)out, s->ref, n).score;
    free(idx);
    free(words);
    if (hyps) *hyps = out;
    else ax_segments_free(out, n);
    return bleu;
}

// dir/name into path (4096 bytes); AX_ERR if too long
static int join(char *path, const char *dir, const char *name) {
    return snprintf(path, 4096, "%s/%s", dir, name) < 4096 ? AX_OK : ax_error("path too long: %s", dir);
}

int s2s_open(const char *dir, ax_seq2seq **m, ax_vocab **sv, ax_vocab **tv) {
    *m = NULL, *sv = *tv = NULL;
    char ps[4096], pt[4096];
    if (join(ps, dir, S2S_SRC_VOCAB) != AX_OK || join(pt, dir, S2S_TGT_VOCAB) != AX_OK) return AX_ERR;
    if (ax_seq2seq_load(dir, m) != AX_OK || ax_vocab_load(ps, sv) != AX_OK || ax_vocab_load(pt, tv) != AX_OK)
        return AX_ERR;
    if (ax_vocab_size(*sv) != (*m)->cfg.src_vocab || ax_vocab_size(*tv) != (*m)->cfg.tgt_vocab)
        return ax_error("%s: the vocabularies (%d, %d words) do not fit the model (%lld, %lld)", dir, ax_vocab_size(*sv),
                        ax_vocab_size(*tv), (long long)(*m)->cfg.src_vocab, (long long)(*m)->cfg.tgt_vocab);
    return AX_OK;
}

bool s2s_is_checkpoint(const char *dir) {
    char *json, model[AX_MODEL_NAME_MAX];
    if (ax_checkpoint_read_config(dir, &json, model) != AX_OK) return false;
    free(json);
    return strcmp(model, "seq2seq") == 0;
}

void s2s_texts_hold_out(s2s_texts *train, s2s_texts *valid, double fraction, ax_rng *rng) {
    int64_t n = train->n, k = (int64_t)llround(fraction * (double)n);
    k = k < 1 ? 1 : k;
    int64_t *idx = malloc((size_t)n * sizeof *idx);
    char **src = malloc((size_t)n * sizeof *src), **tgt = malloc((size_t)n * sizeof *tgt);
    AX_ASSERT(idx && src && tgt, "out of memory");
    ax_permutation(rng, idx, n);
    for (int64_t i = 0; i < n; i++) src[i] = train->src[idx[i]], tgt[i] = train->tgt[idx[i]];
    free(train->src), free(train->tgt), free(idx);
    *valid = (s2s_texts){.n = k, .src = malloc((size_t)k * sizeof(char *)), .tgt = malloc((size_t)k * sizeof(char *))};
    AX_ASSERT(valid->src && valid->tgt, "out of memory");
    memcpy(valid->src, src + n - k, (size_t)k * sizeof *src), memcpy(valid->tgt, tgt + n - k, (size_t)k * sizeof *tgt);
    train->src = src, train->tgt = tgt, train->n = n - k;
}

int s2s_texts_read_splits(const char *data, const char *valid, const char *test, bool reverse,
                          char *(*clean)(const char *), double val_fraction, ax_rng *rng, s2s_texts *split[3],
                          char *paths[2]) {
    char vbuf[4096], tbuf[4096];
    const char *vpath = cli_sibling_path(data, valid, "valid.tsv", vbuf, sizeof vbuf);
    const char *tpath = cli_sibling_path(data, test, "test.tsv", tbuf, sizeof tbuf);
    paths[0] = paths[1] = NULL;
    if (s2s_texts_read_as(data, reverse, clean, split[0]) != AX_OK ||
        (vpath && s2s_texts_read_as(vpath, reverse, clean, split[1]) != AX_OK) ||
        (tpath && s2s_texts_read_as(tpath, reverse, clean, split[2]) != AX_OK))
        return AX_ERR;
    paths[0] = vpath ? strdup(vpath) : NULL;
    paths[1] = tpath ? strdup(tpath) : NULL;
    if (vpath) return AX_OK;
    if (split[0]->n < 2) return ax_error("%s: 2 pairs at least are needed to hold one out", data);
    s2s_texts_hold_out(split[0], split[1], val_fraction, rng);
    return AX_OK;
}
