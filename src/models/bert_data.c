/* The BERT-style tagger's inputs and outputs (include/axon/bert.h): words as sub-words, padded batches with the label
 * of each word on its first sub-word, and decoding the words' tags under the scheme's constraints. */
#include "axon/bert.h"
#include "axon/crf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int ax_bert_encode_words(const ax_bert *m, const char *const *words, int64_t n, ax_bert_words *out) {
    AX_ASSERT(m->tok, "bert: the model has no tokenizer");
    *out = (ax_bert_words){n, malloc((size_t)(n + 1) * sizeof *out->off), NULL};
    size_t cap = (size_t)(n ? n : 1) * 2, len = 0, buf_cap = 256;
    out->ids = malloc(cap * sizeof *out->ids);
    char *buf = malloc(buf_cap);
    AX_ASSERT(out->off && out->ids && buf, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        size_t wl = strlen(words[i]);
        if (wl + 2 > buf_cap) buf = realloc(buf, buf_cap = 2 * (wl + 2));
        AX_ASSERT(buf, "out of memory");
        buf[0] = ' ', memcpy(buf + 1, words[i], wl + 1); // " word": the word's form inside a sentence
        int32_t *ids;
        size_t k;
        if (ax_tokenizer_encode(m->tok, buf, wl + 1, &ids, &k) != AX_OK) {
            free(buf), ax_bert_words_free(out);
            return AX_ERR;
        }
        k = k > AX_BERT_WORD_PIECES ? AX_BERT_WORD_PIECES : k;
        if (len + k > cap) out->ids = realloc(out->ids, (cap = 2 * (len + k)) * sizeof *out->ids);
        AX_ASSERT(out->ids, "out of memory");
        out->off[i] = (int64_t)len;
        memcpy(out->ids + len, ids, k * sizeof *ids);
        len += k;
        free(ids);
    }
    out->off[n] = (int64_t)len;
    free(buf);
    return AX_OK;
}

void ax_bert_words_free(ax_bert_words *w) {
    free(w->off), free(w->ids);
    *w = (ax_bert_words){0};
}

// an I32 step tensor filled with v
static ax_tensor *full_i32(int ndim, const int64_t *shape, int32_t v) {
    ax_tensor *t = ax_empty_dtype(AX_I32, ndim, shape);
    for (int64_t i = 0; i < ax_numel(t); i++) ax_i32(t)[i] = v;
    return t;
}

ax_bert_batch ax_bert_make_batch(const ax_bert *m, const ax_bert_words *w, const int64_t *first, const int *n,
                                 const int32_t *tags, int64_t B) {
    int64_t T = 1, W = 1;
    for (int64_t b = 0; b < B; b++) {
        AX_ASSERT(n[b] >= 1 && first[b] >= 0 && first[b] + n[b] <= w->n_words, "bert batch: words %lld + %d of %lld",
                  (long long)first[b], n[b], (long long)w->n_words);
        int64_t len = w->off[first[b] + n[b]] - w->off[first[b]];
        AX_ASSERT(len <= m->cfg.max_len, "bert batch: sequence %lld has %lld sub-words, max_len is %d", (long long)b,
                  (long long)len, m->cfg.max_len);
        T = len > T ? len : T, W = n[b] > W ? n[b] : W;
    }
    ax_bert_batch x = {B, T, W, full_i32(AX_SHAPE(B, T), 0), ax_empty_dtype(AX_BOOL, AX_SHAPE(B, T)),
                       tags ? full_i32(AX_SHAPE(B, T), -100) : NULL, full_i32(AX_SHAPE(B, W), 0), full_i32(AX_SHAPE(B), 0)};
    uint8_t *keep = x.keep->data;
    memset(keep, 0, (size_t)(B * T));
    for (int64_t b = 0; b < B; b++) {
        int64_t s0 = w->off[first[b]], len = w->off[first[b] + n[b]] - s0;
        memcpy(ax_i32(x.ids) + b * T, w->ids + s0, (size_t)len * sizeof(int32_t));
        memset(keep + b * T, 1, (size_t)len);
        ax_i32(x.n_words)[b] = n[b];
        for (int i = 0; i < n[b]; i++) {
            int64_t pos = w->off[first[b] + i] - s0;
            ax_i32(x.first)[b * W + i] = (int32_t)pos;
            if (tags && w->off[first[b] + i + 1] > w->off[first[b] + i]) ax_i32(x.labels)[b * T + pos] = tags[first[b] + i];
        }
    }
    return x;
}

// a K-vector or (K, K) matrix of 0 where the scheme allows the start / end / transition, −∞ where it does not
static ax_tensor *allowed(const ax_tagset *ts, int kind) {
    int K = ax_tagset_size(ts);
    ax_tensor *t = kind == 2 ? ax_empty(AX_SHAPE(K, K)) : ax_empty(AX_SHAPE(K));
    float *d = ax_f32(t);
    for (int i = 0; i < (kind == 2 ? K : 1); i++)
        for (int j = 0; j < K; j++) {
            bool ok = kind == 0 ? ax_tagset_allowed(ts, -1, j) : kind == 1 ? ax_tagset_allowed(ts, j, -1)
                                                                          : ax_tagset_allowed(ts, i, j);
            d[i * K + j] = ok ? 0.0f : -INFINITY;
        }
    return t;
}

ax_tensor *ax_bert_decode(const ax_bert *m, const ax_bert_batch *b) {
    bool prev = ax_set_grad_enabled(false);
    int64_t K = m->cfg.n_labels, T = b->T, W = b->W;
    ax_tensor *logp = ax_log_softmax(ax_bert_token_logits(m, ax_bert_encode(m, b->ids, b->keep, false), false), -1);
    ax_tensor *em = ax_empty(AX_SHAPE(b->B, W, K)); // each word's first sub-word's log-probabilities
    const float *lp = ax_f32(ax_contiguous(logp));
    for (int64_t i = 0; i < b->B; i++)
        for (int64_t j = 0; j < W; j++)
            memcpy(ax_f32(em) + (i * W + j) * K, lp + (i * T + ax_i32(b->first)[i * W + j]) * K, (size_t)K * sizeof(float));
    ax_tensor *path = ax_crf_decode(em, b->n_words, allowed(&m->tags, 0), allowed(&m->tags, 1), allowed(&m->tags, 2), NULL);
    ax_set_grad_enabled(prev);
    return path;
}
