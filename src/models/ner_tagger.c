/* The BiLSTM-CRF tagger (include/axon/tagger.h): parameters, the forward pass to emissions, the CRF loss and
 * constrained Viterbi decoding. Checkpoint files: ner_tagger_io.c; inputs and batches: ner_tagger_data.c. */
#include "axon/tagger.h"

#include <math.h>
#include <stdlib.h>

#define MAX_VOCAB 4000000 // largest vocabulary
#define MAX_WIDTH 65536   // largest embedding or hidden size
#define MAX_CHARS 256     // most characters read per token

int ax_tagger_config_check(const ax_tagger_config *c) {
    if (c->words <= AX_N_SPECIAL || c->words > MAX_VOCAB || c->chars <= AX_N_SPECIAL || c->chars > MAX_VOCAB)
        return ax_error("ner tagger: vocabulary sizes must be %d..%d", AX_N_SPECIAL + 1, MAX_VOCAB);
    int64_t w[5] = {c->word_dim, c->case_dim, c->char_dim, c->char_hidden, c->hidden};
    for (int i = 0; i < 5; i++)
        if (w[i] < 1 || w[i] > MAX_WIDTH)
            return ax_error("ner tagger: word_dim, case_dim, char_dim, char_hidden, hidden_size must be 1..%d", MAX_WIDTH);
    if (c->gaz_dim < 0 || c->gaz_dim > MAX_WIDTH) return ax_error("ner tagger: gaz_dim must be 0..%d", MAX_WIDTH);
    if (c->layers < 1 || c->layers > AX_RNN_MAX_LAYERS)
        return ax_error("ner tagger: num_layers must be 1..%d", AX_RNN_MAX_LAYERS);
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f)) return ax_error("ner tagger: dropout must be in [0, 1)");
    if (c->max_word_chars < 1 || c->max_word_chars > MAX_CHARS)
        return ax_error("ner tagger: max_word_chars must be 1..%d", MAX_CHARS);
    return AX_OK;
}

ax_tagger *ax_tagger_new(const ax_tagger_config *cfg, const ax_tagset *tags, ax_vocab *words, ax_vocab *chars,
                         ax_weak_labeler *gaz) {
    AX_ASSERT(ax_tagger_config_check(cfg) == AX_OK, "%s", ax_last_error());
    AX_ASSERT(ax_vocab_size(words) == cfg->words && ax_vocab_size(chars) == cfg->chars,
              "tagger: vocabularies of %d and %d entries for a config of %lld and %lld", ax_vocab_size(words),
              ax_vocab_size(chars), (long long)cfg->words, (long long)cfg->chars);
    AX_ASSERT(!gaz == !cfg->gaz_dim, "tagger: word lists are needed exactly when gaz_dim > 0");
    ax_tagger *m = calloc(1, sizeof *m);
    AX_ASSERT(m, "out of memory");
    m->cfg = *cfg, m->tags = *tags, m->words = words, m->chars = chars, m->gaz = gaz;
    m->params = ax_params_new();
    ax_params *p = m->params;
    int64_t K = ax_tagset_size(tags), Eg = AX_WEAK_GAZ_LISTS * cfg->gaz_dim;
    int64_t in = cfg->word_dim + cfg->case_dim + Eg + 2 * cfg->char_hidden;
    ax_embedding_layer_init(&m->word_emb, p, "word_emb", cfg->words, cfg->word_dim);
    ax_embedding_layer_init(&m->case_emb, p, "case_emb", AX_TAGGER_CASES, cfg->case_dim);
    if (Eg) ax_embedding_layer_init(&m->gaz_emb, p, "gaz_emb", AX_WEAK_GAZ_LISTS * AX_WEAK_GAZ_CLASSES, cfg->gaz_dim);
    ax_embedding_layer_init(&m->char_emb, p, "char_emb", cfg->chars, cfg->char_dim);
    ax_rnn_init(&m->char_lstm, p, "char_lstm.", AX_LSTM, cfg->char_dim, cfg->char_hidden, 1, true, 0.0f, true);
    ax_rnn_init(&m->lstm, p, "lstm.", AX_LSTM, in, cfg->hidden, cfg->layers, true, cfg->dropout, true);
    ax_linear_layer_init(&m->out, p, "out", 2 * cfg->hidden, K, true);
    ax_crf_init(&m->crf, p, "crf.", K);
    return m;
}

void ax_tagger_free(ax_tagger *m) {
    if (!m) return;
    ax_params_free(m->params);
    ax_vocab_free(m->words);
    ax_vocab_free(m->chars);
    ax_weak_labeler_free(m->gaz);
    free(m);
}

// (B, T, 2·Hc): the final forward and backward states of the character BiLSTM over each position's token
static ax_tensor *char_features(const ax_tagger *m, const ax_tagger_batch *b, bool train) {
    ax_tensor *x = ax_embedding(m->char_emb.weight, b->chars), *h_n; // (B·T, C, Ek)
    ax_rnn_forward(&m->char_lstm, x, NULL, NULL, b->char_len, train, &h_n, NULL); // h_n (2, B·T, Hc)
    ax_tensor *h = ax_permute(h_n, (const int[]){1, 0, 2});                     // (B·T, 2, Hc)
    return ax_reshape(h, AX_SHAPE(b->B, b->T, 2 * m->cfg.char_hidden));
}

ax_tensor *ax_tagger_emissions(const ax_tagger *m, const ax_tagger_batch *b, bool train) {
    ax_tensor *parts[4] = {ax_embedding(m->word_emb.weight, b->words), ax_embedding(m->case_emb.weight, b->cases),
                           char_features(m, b, train)};
    int n = 3;
    if (m->gaz) // (B, T, lists, Eg) → (B, T, lists·Eg)
        parts[n++] = ax_reshape(ax_embedding(m->gaz_emb.weight, b->gaz),
                                AX_SHAPE(b->B, b->T, AX_WEAK_GAZ_LISTS * m->cfg.gaz_dim));
    ax_tensor *x = ax_dropout(ax_concat(parts, n, 2), m->cfg.dropout, train);
    ax_tensor *h = ax_rnn_forward(&m->lstm, x, NULL, NULL, b->lengths, train, NULL, NULL); // (B, T, 2H)
    return ax_linear_layer_forward(&m->out, ax_dropout(h, m->cfg.dropout, train));
}

ax_tensor *ax_tagger_loss(const ax_tagger *m, const ax_tagger_batch *b, bool train) {
    AX_ASSERT(b->tags, "tagger loss: the batch has no tags");
    return ax_crf_layer_nll(&m->crf, ax_tagger_emissions(m, b, train), b->tags, b->lengths, AX_REDUCE_MEAN);
}

// a copy of a CRF score tensor with −∞ where the scheme forbids the transition
static ax_tensor *constrained(const ax_tagset *ts, const ax_tensor *scores, int rows, int64_t K, int kind) {
    ax_tensor *c = ax_empty(scores->ndim, scores->shape);
    float *d = c->data;
    ax_copy_to_f32(scores, d);
    for (int i = 0; i < rows; i++)
        for (int64_t j = 0; j < K; j++) {
            bool ok = kind == 0 ? ax_tagset_allowed(ts, -1, (int)j) : kind == 1 ? ax_tagset_allowed(ts, (int)j, -1)
                                                                               : ax_tagset_allowed(ts, i, (int)j);
            if (!ok) d[i * K + j] = -INFINITY;
        }
    return c;
}

ax_tensor *ax_tagger_decode_prob(const ax_tagger *m, const ax_tagger_batch *b, double *prob) {
    bool prev = ax_set_grad_enabled(false);
    int64_t K = m->crf.n_tags;
    ax_tensor *em = ax_tagger_emissions(m, b, false);
    ax_tensor *start = constrained(&m->tags, m->crf.start, 1, K, 0), *end = constrained(&m->tags, m->crf.end, 1, K, 1),
              *trans = constrained(&m->tags, m->crf.trans, (int)K, K, 2);
    ax_tensor *path = ax_crf_decode(em, b->lengths, start, end, trans, NULL);
    if (prob) { // −log p(y*) = log Z − s(y*): the CRF NLL of the best path (padding −1 read as tag 0, ignored)
        ax_tensor *y = ax_empty_dtype(AX_I32, AX_SHAPE(b->B, b->T));
        for (int64_t i = 0; i < b->B * b->T; i++) ax_i32(y)[i] = ax_i32(path)[i] < 0 ? 0 : ax_i32(path)[i];
        const float *nll = ax_f32(ax_crf_nll(em, y, b->lengths, start, end, trans, AX_REDUCE_NONE));
        for (int64_t i = 0; i < b->B; i++) prob[i] = exp(-(double)nll[i]);
    }
    ax_set_grad_enabled(prev);
    return path;
}

ax_tensor *ax_tagger_decode(const ax_tagger *m, const ax_tagger_batch *b) { return ax_tagger_decode_prob(m, b, NULL); }
