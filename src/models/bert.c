/* The BERT-style encoder (include/axon/bert.h): parameters, the forward pass to the hidden states, the MLM and
 * token-classification heads and losses, BERT's masking. Checkpoints: bert_io.c; words, batches, decoding:
 * bert_data.c. The encoder layers are axon/transformer.h's (ax_transformer_encoder_layer). */
#include "axon/bert.h"

#include <stdio.h>
#include <stdlib.h>

#define MAX_VOCAB 4000000 // largest vocabulary
#define MAX_WIDTH 65536   // largest d_model / d_ff
#define MAX_LAYERS 64     // deepest encoder
#define MAX_LEN 65536     // most positions
#define INIT_STD 0.02f    // BERT's initializer_range

int ax_bert_config_check(const ax_bert_config *c) {
    if (c->vocab < 2 || c->vocab > MAX_VOCAB) return ax_error("bert: vocab must be 2..%d", MAX_VOCAB);
    if (c->d_model < 1 || c->d_model > MAX_WIDTH || c->d_ff < 1 || c->d_ff > MAX_WIDTH)
        return ax_error("bert: d_model and d_ff must be 1..%d", MAX_WIDTH);
    if (c->n_head < 1 || c->d_model % c->n_head != 0) return ax_error("bert: n_head must divide d_model");
    if (c->layers < 1 || c->layers > MAX_LAYERS) return ax_error("bert: layers must be 1..%d", MAX_LAYERS);
    if (c->max_len < 1 || c->max_len > MAX_LEN) return ax_error("bert: max_len must be 1..%d", MAX_LEN);
    if (c->n_labels < 0 || c->n_labels > 1 + 4 * AX_NER_MAX_TYPES) return ax_error("bert: n_labels out of range");
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f)) return ax_error("bert: dropout must be in [0, 1)");
    if (!(c->ln_eps > 0.0f && c->ln_eps < 1.0f)) return ax_error("bert: ln_eps must be in (0, 1)");
    return AX_OK;
}

// a (rows, cols) matrix ~ N(0, 0.02)
static ax_tensor *normal_matrix(ax_params *p, const char *name, int64_t rows, int64_t cols) {
    ax_tensor *t = ax_params_add(p, name, 2, (const int64_t[]){rows, cols});
    ax_init_normal(t, 0.0f, INIT_STD);
    return t;
}

// a Linear (out, in) ~ N(0, 0.02) with a zero bias
static void add_linear(ax_params *p, const char *name, int64_t in, int64_t out, ax_linear_layer *l) {
    char w[96];
    snprintf(w, sizeof w, "%s.weight", name);
    l->weight = normal_matrix(p, w, out, in);
    snprintf(w, sizeof w, "%s.bias", name);
    l->bias = ax_params_add(p, w, 1, (const int64_t[]){out});
    p->items[p->n - 1].no_decay = true;
}

ax_bert *ax_bert_new(const ax_bert_config *cfg, const ax_tagset *ts, ax_tokenizer *tok) {
    AX_ASSERT(ax_bert_config_check(cfg) == AX_OK, "ax_bert_new: %s", ax_last_error());
    AX_ASSERT(ts ? ax_tagset_size(ts) == cfg->n_labels : cfg->n_labels == 0,
              "ax_bert_new: n_labels %d does not fit the tag set", cfg->n_labels);
    ax_bert *m = calloc(1, sizeof *m);
    AX_ASSERT(m, "out of memory");
    m->cfg = *cfg, m->tok = tok;
    if (ts) m->tags = *ts;
    else ax_tagset_init(&m->tags, AX_NER_IOB2);
    m->enc_cfg = (ax_transformer_config){.vocab = cfg->vocab, .d_model = cfg->d_model, .n_head = cfg->n_head,
                                         .d_ff = cfg->d_ff, .enc_layers = cfg->layers, .dropout = cfg->dropout,
                                         .max_len = cfg->max_len, .learned_pos = true, .ln_eps = cfg->ln_eps};
    m->enc = calloc((size_t)cfg->layers, sizeof *m->enc);
    AX_ASSERT(m->enc, "out of memory");
    ax_params *p = m->params = ax_params_new();
    int64_t d = cfg->d_model;
    m->embed = normal_matrix(p, "embed.weight", cfg->vocab, d);
    m->pos = normal_matrix(p, "pos.weight", cfg->max_len, d);
    ax_layernorm_layer_init(&m->embed_norm, p, "embed_norm", d, cfg->ln_eps, true);
    for (int i = 0; i < cfg->layers; i++) ax_transformer_layer_add(p, &m->enc_cfg, "encoder", i, &m->enc[i]);
    add_linear(p, "mlm.dense", d, d, &m->mlm_dense);
    ax_layernorm_layer_init(&m->mlm_norm, p, "mlm.norm", d, cfg->ln_eps, true);
    m->mlm_bias = ax_params_add(p, "mlm.bias", 1, (const int64_t[]){cfg->vocab});
    p->items[p->n - 1].no_decay = true;
    if (cfg->n_labels > 0) add_linear(p, "classifier", d, cfg->n_labels, &m->classifier);
    return m;
}

void ax_bert_free(ax_bert *m) {
    if (!m) return;
    ax_params_free(m->params);
    ax_tokenizer_free(m->tok);
    free(m->enc);
    free(m);
}

int ax_bert_copy_params(ax_bert *dst, const ax_bert *src) {
    int copied = 0;
    for (int i = 0; i < src->params->n; i++) {
        const ax_tensor *s = src->params->items[i].t;
        ax_tensor *t = ax_params_get(dst->params, src->params->items[i].name);
        if (!t || !ax_same_shape(t, s)) continue;
        ax_copy_to_f32(s, ax_f32(t));
        copied++;
    }
    return copied;
}

/* ---- forward ------------------------------------------------------------------------------------------------- */

ax_tensor *ax_bert_encode(const ax_bert *m, ax_tensor *ids, ax_tensor *keep, bool train) {
    AX_ASSERT(ids->dtype == AX_I32 && ids->ndim == 2 && ids->shape[1] >= 1 && ids->shape[1] <= m->cfg.max_len,
              "bert: ids must be I32 (B, T) with 1 <= T <= max_len %d, got %s", m->cfg.max_len, ax_shape_str(ids));
    AX_ASSERT(!keep || (keep->dtype == AX_BOOL && ax_same_shape(keep, ids)),
              "bert: keep %s must be BOOL of the shape of ids %s", ax_shape_str(keep), ax_shape_str(ids));
    ax_tensor *x = ax_add(ax_embedding(m->embed, ids), ax_narrow(m->pos, 0, 0, ids->shape[1]));
    x = ax_dropout(ax_layernorm_layer_forward(&m->embed_norm, x), m->cfg.dropout, train);
    for (int i = 0; i < m->cfg.layers; i++) x = ax_transformer_encoder_layer(&m->enc_cfg, &m->enc[i], x, keep, train);
    return x;
}

// LN_m(gelu(W_m·h + b_m)) · Eᵀ + b_V
ax_tensor *ax_bert_mlm_logits(const ax_bert *m, ax_tensor *h) {
    ax_tensor *x = ax_gelu(ax_linear_layer_forward(&m->mlm_dense, h), AX_GELU_ERF);
    return ax_linear(ax_layernorm_layer_forward(&m->mlm_norm, x), m->embed, m->mlm_bias);
}

ax_tensor *ax_bert_token_logits(const ax_bert *m, ax_tensor *h, bool train) {
    AX_ASSERT(m->cfg.n_labels > 0, "bert: the model has no token-classification head");
    return ax_linear_layer_forward(&m->classifier, ax_dropout(h, m->cfg.dropout, train));
}

// the flat positions whose target is not −100 (I32 (n)) and their targets (I32 (n)); false when there are none
static bool target_positions(ax_tensor *targets, ax_tensor **pos, ax_tensor **y) {
    const int32_t *t = ax_i32(targets);
    int64_t N = ax_numel(targets), k = 0;
    for (int64_t i = 0; i < N; i++) k += t[i] != -100;
    if (!k) return false;
    *pos = ax_empty_dtype(AX_I32, AX_SHAPE(k)), *y = ax_empty_dtype(AX_I32, AX_SHAPE(k));
    for (int64_t i = 0, j = 0; i < N; i++)
        if (t[i] != -100) ax_i32(*pos)[j] = (int32_t)i, ax_i32(*y)[j++] = t[i];
    return true;
}

ax_tensor *ax_bert_mlm_loss(const ax_bert *m, ax_tensor *ids, ax_tensor *keep, ax_tensor *targets, bool train) {
    AX_ASSERT(targets->dtype == AX_I32 && ax_same_shape(targets, ids), "bert mlm loss: targets %s for ids %s",
              ax_shape_str(targets), ax_shape_str(ids));
    ax_tensor *h = ax_bert_encode(m, ids, keep, train);
    int64_t N = ax_numel(ids);
    ax_tensor *pos, *y;
    AX_ASSERT(target_positions(targets, &pos, &y), "bert mlm loss: no position has a target");
    ax_tensor *rows = ax_index_select(ax_reshape(h, AX_SHAPE(N, m->cfg.d_model)), 0, pos); // (n, d)
    return ax_cross_entropy(ax_bert_mlm_logits(m, rows), y, AX_CE_DEFAULTS);
}

ax_tensor *ax_bert_token_loss(const ax_bert *m, ax_tensor *ids, ax_tensor *keep, ax_tensor *labels, bool train) {
    AX_ASSERT(labels->dtype == AX_I32 && ax_same_shape(labels, ids), "bert token loss: labels %s for ids %s",
              ax_shape_str(labels), ax_shape_str(ids));
    ax_tensor *logits = ax_bert_token_logits(m, ax_bert_encode(m, ids, keep, train), train);
    int64_t N = ax_numel(ids);
    return ax_cross_entropy(ax_reshape(logits, AX_SHAPE(N, m->cfg.n_labels)), ax_reshape(labels, AX_SHAPE(N)),
                            AX_CE_DEFAULTS);
}

void ax_bert_mask(const ax_bert_config *cfg, ax_rng *rng, const int32_t *ids, const uint8_t *keep, int64_t n,
                  float prob, int32_t *inputs, int32_t *targets) {
    int64_t chosen = 0, last_kept = -1;
    for (int64_t i = 0; i < n; i++) {
        inputs[i] = ids[i], targets[i] = -100;
        if (keep && !keep[i]) continue;
        last_kept = i;
        if (ax_rng_uniform(rng) >= prob) continue;
        float r = ax_rng_uniform(rng);
        targets[i] = ids[i], chosen++;
        if (r < 0.8f) inputs[i] = cfg->vocab - 1;                                            // [MASK]
        else if (r < 0.9f) inputs[i] = (int32_t)(ax_rng_u32(rng) % (uint32_t)(cfg->vocab - 1)); // a random BPE id
    }
    if (!chosen && last_kept >= 0) targets[last_kept] = ids[last_kept], inputs[last_kept] = cfg->vocab - 1;
}
