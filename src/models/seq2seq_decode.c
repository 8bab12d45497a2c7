/* Decoding with the translator (include/axon/seq2seq.h): batched greedy decoding, beam search over one sentence, and
 * the attention weights of a given translation. All without gradients; the caller resets the arena. */
#include "axon/seq2seq.h"

#include <stdlib.h>
#include <string.h>

// next-word log-probabilities (n, V) after õ
static ax_tensor *log_probs(const ax_seq2seq *m, ax_tensor *o) {
    return ax_log_softmax(ax_seq2seq_logits(m, o, false), -1);
}

void ax_seq2seq_greedy(const ax_seq2seq *m, ax_tensor *src, ax_tensor *src_len, int max_len, int32_t *out) {
    bool prev = ax_set_grad_enabled(false);
    int64_t B = src->shape[0], W = max_len + 1;
    ax_s2s_memory mem = ax_seq2seq_encode(m, src, src_len, false);
    ax_s2s_state st = ax_seq2seq_start(m, &mem);
    ax_tensor *y = ax_empty_dtype(AX_I32, AX_SHAPE(B));
    bool *done = ax_arena_alloc((size_t)B * sizeof *done);
    for (int64_t b = 0; b < B; b++) {
        ax_i32(y)[b] = AX_SOS, done[b] = false;
        for (int64_t t = 0; t < W; t++) out[b * W + t] = AX_PAD;
    }
    int64_t left = B; // sentences still going
    for (int t = 0; t < max_len && left; t++) {
        ax_tensor *arg;
        ax_max(log_probs(m, ax_seq2seq_step(m, &mem, &st, y, false, NULL)), 1, false, &arg);
        for (int64_t b = 0; b < B; b++) {
            int32_t w = ax_i32(arg)[b];
            if (!done[b]) out[b * W + t] = w, done[b] = w == AX_EOS, left -= done[b];
        }
        y = arg;
    }
    for (int64_t b = 0; b < B; b++)
        if (!done[b]) out[b * W + max_len] = AX_EOS; // cut at max_len words
    ax_set_grad_enabled(prev);
}

// one source sentence as a batch of one: ids (1, n), lengths {n}
static ax_s2s_memory encode_one(const ax_seq2seq *m, const int32_t *src, int n) {
    return ax_seq2seq_encode(m, ax_from_i32(AX_SHAPE(1, n), src), ax_from_i32(AX_SHAPE(1), (int32_t[]){n}), false);
}

typedef struct {
    const ax_seq2seq *m;  // the model
    ax_s2s_memory mem;    // the source, one row shared by every hypothesis
    ax_s2s_state st;      // (n rows) the hypotheses' decoder states
    bool started;         // st holds the state after the first step
} beam_ctx;

static void beam_step(void *ctx, int n, const int32_t *parent, const int32_t *word, float *logp) {
    beam_ctx *c = ctx;
    if (c->started) { // row i continues row parent[i]
        ax_tensor *idx = ax_from_i32(AX_SHAPE(n), parent);
        c->st.h = ax_index_select(c->st.h, 0, idx);
        c->st.feed = ax_index_select(c->st.feed, 0, idx);
    }
    c->started = true;
    ax_tensor *o = ax_seq2seq_step(c->m, &c->mem, &c->st, ax_from_i32(AX_SHAPE(n), word), false, NULL);
    memcpy(logp, ax_f32(log_probs(c->m, o)), (size_t)n * (size_t)c->m->cfg.tgt_vocab * sizeof *logp);
}

int ax_seq2seq_beam(const ax_seq2seq *m, const int32_t *src, int n, const ax_beam_config *cfg, ax_beam_hyp *out) {
    bool prev = ax_set_grad_enabled(false);
    beam_ctx c = {.m = m, .mem = encode_one(m, src, n)};
    c.st = ax_seq2seq_start(m, &c.mem);
    int got = ax_beam_search(cfg, (int)m->cfg.tgt_vocab, beam_step, &c, out);
    ax_set_grad_enabled(prev);
    return got;
}

void ax_seq2seq_attention(const ax_seq2seq *m, const int32_t *src, int n, const int32_t *tgt, int len, float *out) {
    bool prev = ax_set_grad_enabled(false);
    ax_s2s_memory mem = encode_one(m, src, n);
    ax_s2s_state st = ax_seq2seq_start(m, &mem);
    for (int t = 0; t <= len; t++) {
        ax_tensor *a, *y = ax_from_i32(AX_SHAPE(1), (int32_t[]){t ? tgt[t - 1] : AX_SOS});
        ax_seq2seq_step(m, &mem, &st, y, false, &a);
        memcpy(out + (size_t)t * n, ax_f32(a), (size_t)n * sizeof *out);
    }
    ax_set_grad_enabled(prev);
}
