/* The GRU encoder–decoder with attention (include/axon/seq2seq.h): parameters, encoder, one decoder step, and the
 * teacher-forced training loss. Everything is composed from differentiable ops (additive attention's scores are one
 * fused op, seq2seq_attn.c), so backward comes from the tape. */
#include "axon/seq2seq.h"
#include "models/seq2seq_attn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const ATTN_NAMES[] = {"bahdanau", "general", "dot"};

int ax_attn_parse(const char *name, ax_attn_kind *kind) {
    for (int i = 0; i < 3; i++)
        if (strcmp(name, ATTN_NAMES[i]) == 0) return *kind = (ax_attn_kind)i, AX_OK;
    if (strcmp(name, "additive") == 0) return *kind = AX_ATTN_BAHDANAU, AX_OK;
    return ax_error("unknown attention '%s' (bahdanau, general or dot)", name);
}

const char *ax_attn_name(ax_attn_kind kind) { return ATTN_NAMES[kind]; }

bool ax_attn_is_luong(ax_attn_kind kind) { return kind != AX_ATTN_BAHDANAU; }

ax_seq2seq *ax_seq2seq_new(const ax_seq2seq_config *cfg) {
    AX_ASSERT(ax_seq2seq_config_check(cfg) == AX_OK, "ax_seq2seq_new: %s", ax_last_error());
    ax_seq2seq *m = calloc(1, sizeof *m);
    AX_ASSERT(m, "out of memory for a seq2seq model");
    m->cfg = *cfg;
    ax_params *p = m->params = ax_params_new();
    int64_t E = cfg->emb, H = cfg->hidden, D = 2 * H;
    ax_embedding_layer_init(&m->src_emb, p, "src_emb", cfg->src_vocab, E);
    ax_embedding_layer_init(&m->tgt_emb, p, "tgt_emb", cfg->tgt_vocab, E);
    ax_rnn_init(&m->encoder, p, "encoder.", AX_GRU, E, H, cfg->enc_layers, true, cfg->dropout, true);
    ax_linear_layer_init(&m->bridge, p, "bridge", D, D, true);
    // the decoder cell as torch.nn.GRUCell(E + 2H, 2H): names without a layer suffix, U(−1/√(2H), 1/√(2H))
    ax_rnn_weights *w = &m->dec;
    w->w_ih = ax_params_add(p, "decoder.weight_ih", AX_SHAPE(3 * D, E + D));
    w->w_hh = ax_params_add(p, "decoder.weight_hh", AX_SHAPE(3 * D, D));
    w->b_ih = ax_params_add(p, "decoder.bias_ih", AX_SHAPE(3 * D));
    p->items[p->n - 1].no_decay = true;
    w->b_hh = ax_params_add(p, "decoder.bias_hh", AX_SHAPE(3 * D));
    p->items[p->n - 1].no_decay = true;
    float bound = (float)(1.0 / sqrt((double)D));
    ax_tensor *all[4] = {w->w_ih, w->w_hh, w->b_ih, w->b_hh};
    for (int i = 0; i < 4; i++) ax_init_uniform(all[i], -bound, bound);
    if (cfg->attn == AX_ATTN_BAHDANAU) ax_linear_layer_init(&m->attn_query, p, "attn.query", D, D, false);
    if (cfg->attn != AX_ATTN_DOT) ax_linear_layer_init(&m->attn_key, p, "attn.key", D, D, false);
    if (cfg->attn == AX_ATTN_BAHDANAU) ax_linear_layer_init(&m->attn_v, p, "attn.v", D, 1, false);
    ax_linear_layer_init(&m->combine, p, "combine", 2 * D, D, true);
    ax_linear_layer_init(&m->out, p, "out", D, cfg->tgt_vocab, true);
    return m;
}

void ax_seq2seq_free(ax_seq2seq *m) {
    if (!m) return;
    ax_params_free(m->params);
    free(m);
}

// (B, 1, S) BOOL: position s of sentence b is padding (s ≥ lengths[b])
static ax_tensor *padding_mask(const ax_tensor *lengths, int64_t B, int64_t S) {
    ax_tensor *pad = ax_empty_dtype(AX_BOOL, AX_SHAPE(B, 1, S));
    uint8_t *p = pad->data;
    const int32_t *len = ax_i32(lengths);
    for (int64_t b = 0; b < B; b++)
        for (int64_t s = 0; s < S; s++) p[b * S + s] = s >= len[b];
    return pad;
}

ax_s2s_memory ax_seq2seq_encode(const ax_seq2seq *m, ax_tensor *src, ax_tensor *lengths, bool train) {
    AX_ASSERT(src->ndim == 2 && src->dtype == AX_I32 && lengths->ndim == 1 && lengths->shape[0] == src->shape[0],
              "seq2seq: source %s and lengths %s, want I32 (B, S) and (B)", ax_shape_str(src), ax_shape_str(lengths));
    int64_t B = src->shape[0], S = src->shape[1], L = m->cfg.enc_layers;
    for (int64_t b = 0; b < B; b++)
        AX_ASSERT(ax_i32(lengths)[b] >= 1 && ax_i32(lengths)[b] <= S, "seq2seq: length %d of sentence %lld not in 1..%lld",
                  ax_i32(lengths)[b], (long long)b, (long long)S);
    ax_s2s_memory mem;
    ax_tensor *x = ax_dropout(ax_embedding_layer_forward(&m->src_emb, src), m->cfg.dropout, train), *h_n;
    mem.mem = ax_rnn_forward(&m->encoder, x, NULL, NULL, lengths, train, &h_n, NULL);
    ax_tensor *last[2] = {ax_squeeze(ax_narrow(h_n, 0, 2 * L - 2, 1), 0), ax_squeeze(ax_narrow(h_n, 0, 2 * L - 1, 1), 0)};
    mem.h0 = ax_tanh(ax_linear_layer_forward(&m->bridge, ax_concat(last, 2, 1)));
    mem.keys = m->cfg.attn == AX_ATTN_DOT ? mem.mem : ax_linear_layer_forward(&m->attn_key, mem.mem);
    mem.pad = padding_mask(lengths, B, S);
    return mem;
}

ax_s2s_state ax_seq2seq_start(const ax_seq2seq *m, const ax_s2s_memory *mem) {
    return (ax_s2s_state){.h = mem->h0, .feed = ax_zeros(AX_SHAPE(mem->h0->shape[0], 2 * m->cfg.hidden))};
}

// context (n, 2H) = Σ_s a_s M_s for queries q (n, 2H); *weights (n, S) = a when asked for
static ax_tensor *attend(const ax_seq2seq *m, const ax_s2s_memory *mem, ax_tensor *q, ax_tensor **weights) {
    int64_t n = q->shape[0], S = mem->mem->shape[1];
    ax_tensor *scores; // (n, 1, S)
    if (m->cfg.attn == AX_ATTN_BAHDANAU) {
        ax_tensor *wq = ax_linear_layer_forward(&m->attn_query, q); // (n, 2H); scores v·tanh(keys + wq)
        scores = ax_reshape(ax_s2s_additive_scores(mem->keys, wq, m->attn_v.weight), AX_SHAPE(n, 1, S));
    } else {
        scores = ax_matmul(ax_unsqueeze(q, 1), ax_transpose(mem->keys, 1, 2));
    }
    ax_tensor *a = ax_softmax(ax_masked_fill(scores, mem->pad, -INFINITY), -1);
    if (weights) *weights = ax_reshape(a, AX_SHAPE(n, S));
    return ax_reshape(ax_matmul(a, mem->mem), AX_SHAPE(n, 2 * m->cfg.hidden));
}

// h' = GRUCell(x, h) through the fused sequence op with one step
static ax_tensor *gru_cell(const ax_rnn_weights *w, ax_tensor *x, ax_tensor *h) {
    int64_t n = x->shape[0];
    ax_tensor *xw = ax_reshape(ax_linear(x, w->w_ih, w->b_ih), AX_SHAPE(n, 1, w->w_ih->shape[0]));
    ax_tensor *h_n;
    ax_rnn_sequence(AX_GRU, xw, w->w_hh, w->b_hh, h, NULL, NULL, false, &h_n, NULL);
    return h_n;
}

ax_tensor *ax_seq2seq_step(const ax_seq2seq *m, const ax_s2s_memory *mem, ax_s2s_state *st, ax_tensor *y,
                           bool train, ax_tensor **attn) {
    ax_tensor *emb = ax_dropout(ax_embedding_layer_forward(&m->tgt_emb, y), m->cfg.dropout, train), *ctx;
    if (ax_attn_is_luong(m->cfg.attn)) {
        st->h = gru_cell(&m->dec, ax_concat((ax_tensor *[]){emb, st->feed}, 2, 1), st->h);
        ctx = attend(m, mem, st->h, attn);
    } else {
        ctx = attend(m, mem, st->h, attn);
        st->h = gru_cell(&m->dec, ax_concat((ax_tensor *[]){emb, ctx}, 2, 1), st->h);
    }
    st->feed = ax_tanh(ax_linear_layer_forward(&m->combine, ax_concat((ax_tensor *[]){st->h, ctx}, 2, 1)));
    return st->feed;
}

ax_tensor *ax_seq2seq_logits(const ax_seq2seq *m, ax_tensor *o, bool train) {
    return ax_linear_layer_forward(&m->out, ax_dropout(o, m->cfg.dropout, train));
}

// column t of an I32 (B, T) tensor as a new (B) tensor
static ax_tensor *column(const ax_tensor *x, int64_t t) {
    int64_t B = x->shape[0];
    ax_tensor *c = ax_empty_dtype(AX_I32, AX_SHAPE(B));
    for (int64_t b = 0; b < B; b++) ax_i32(c)[b] = ax_i32(x)[b * x->shape[1] + t];
    return c;
}

// the model's own choice after õ: argmax of the logits (no dropout, no gradient)
static ax_tensor *argmax_word(const ax_seq2seq *m, ax_tensor *o) {
    bool prev = ax_set_grad_enabled(false);
    ax_tensor *arg;
    ax_max(ax_seq2seq_logits(m, o, false), 1, false, &arg);
    ax_set_grad_enabled(prev);
    return arg;
}

ax_tensor *ax_seq2seq_loss(const ax_seq2seq *m, ax_tensor *src, ax_tensor *src_len, ax_tensor *tgt, float tf_ratio,
                           bool train) {
    AX_ASSERT(tgt->ndim == 2 && tgt->dtype == AX_I32 && tgt->shape[0] == src->shape[0] && ax_is_contiguous(tgt),
              "seq2seq: target %s for source %s, want I32 (B, T)", ax_shape_str(tgt), ax_shape_str(src));
    int64_t B = tgt->shape[0], T = tgt->shape[1];
    ax_s2s_memory mem = ax_seq2seq_encode(m, src, src_len, train);
    ax_s2s_state st = ax_seq2seq_start(m, &mem);
    ax_tensor **o = ax_arena_alloc((size_t)T * sizeof *o);
    ax_tensor *y = ax_empty_dtype(AX_I32, AX_SHAPE(B));
    for (int64_t b = 0; b < B; b++) ax_i32(y)[b] = AX_SOS;
    for (int64_t t = 0; t < T; t++) {
        if (t > 0) {
            bool teacher = tf_ratio >= 1.0f || (tf_ratio > 0.0f && ax_rng_uniform(ax_rng_global()) < tf_ratio);
            y = teacher ? column(tgt, t - 1) : argmax_word(m, o[t - 1]);
        }
        o[t] = ax_seq2seq_step(m, &mem, &st, y, train, NULL);
    }
    // (B·T, V) straight from the (B·T, 2H) rows: no view of the big logits whose gradient would be copied back
    ax_tensor *logits = ax_seq2seq_logits(m, ax_reshape(ax_stack(o, (int)T, 1), AX_SHAPE(B * T, -1)), train);
    ax_ce_opts ce = AX_CE_DEFAULTS;
    ce.ignore_index = AX_PAD;
    return ax_cross_entropy(logits, ax_reshape(tgt, AX_SHAPE(B * T)), ce);
}
