/* The Transformer encoder–decoder (include/axon/transformer.h): parameters under torch.nn.Transformer's names, their
 * initialisation, and the training forward composed from differentiable ops, so that backward comes from the tape.
 *
 * Heads. Self-attention runs ax_attention_qkv straight on the packed projection q | k | v, cross-attention
 * ax_attention_q_kv on the query projection and the packed k | v of the memory: the heads are never split or merged
 * by copies, forward or backward. */
#include "axon/transformer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- parameters ---------------------------------------------------------------------------------------------- */

// registers prefix + leaf, shape (d0) or (d0, d1); 1-D parameters (biases, LayerNorms) skip weight decay
static ax_tensor *param(ax_params *p, const char *prefix, const char *leaf, int ndim, int64_t d0, int64_t d1) {
    char name[160];
    int len = snprintf(name, sizeof name, "%s%s", prefix, leaf);
    AX_ASSERT(len > 0 && (size_t)len < sizeof name, "parameter name %s%s is too long", prefix, leaf);
    ax_tensor *t = ax_params_add(p, name, ndim, (const int64_t[]){d0, d1});
    p->items[p->n - 1].no_decay = ndim == 1;
    return t;
}

// a matrix, xavier_uniform as nn.Transformer._reset_parameters
static ax_tensor *matrix(ax_params *p, const char *prefix, const char *leaf, int64_t rows, int64_t cols) {
    ax_tensor *t = param(p, prefix, leaf, 2, rows, cols);
    ax_init_xavier_uniform(t, 1.0f);
    return t;
}

// nn.MultiheadAttention(d, H): in_proj (3d, d) + bias, out_proj (d, d) + bias; biases 0
static void add_mha(ax_params *p, const char *prefix, int64_t d, ax_mha_weights *w) {
    w->in_proj_w = matrix(p, prefix, "in_proj_weight", 3 * d, d);
    w->in_proj_b = param(p, prefix, "in_proj_bias", 1, 3 * d, 1);
    w->out_proj_w = matrix(p, prefix, "out_proj.weight", d, d);
    w->out_proj_b = param(p, prefix, "out_proj.bias", 1, d, 1);
}

static void add_linear(ax_params *p, const char *prefix, int64_t in, int64_t out, ax_linear_layer *l) {
    l->weight = matrix(p, prefix, ".weight", out, in);
    l->bias = param(p, prefix, ".bias", 1, out, 1);
}

static void add_norm(ax_params *p, const char *prefix, int64_t d, float eps, ax_layernorm_layer *l) {
    l->weight = param(p, prefix, ".weight", 1, d, 1);
    l->bias = param(p, prefix, ".bias", 1, d, 1);
    l->eps = eps;
    ax_init_ones(l->weight);
}

// layer i of "encoder" or "decoder", in the order of torch's state_dict
void ax_transformer_layer_add(ax_params *p, const ax_transformer_config *c, const char *stack, int i,
                              ax_transformer_layer *l) {
    bool dec = stack[0] == 'd';
    int64_t d = c->d_model;
    char pre[96], name[128];
    snprintf(pre, sizeof pre, "%s.layers.%d.", stack, i);
#define SUB(leaf) (snprintf(name, sizeof name, "%s%s", pre, leaf), name)
    add_mha(p, SUB("self_attn."), d, &l->self_attn);
    if (dec) add_mha(p, SUB("multihead_attn."), d, &l->cross_attn);
    add_linear(p, SUB("linear1"), d, c->d_ff, &l->linear1);
    add_linear(p, SUB("linear2"), c->d_ff, d, &l->linear2);
    add_norm(p, SUB("norm1"), d, c->ln_eps, &l->norm1);
    add_norm(p, SUB("norm2"), d, c->ln_eps, &l->norm2);
    if (dec) add_norm(p, SUB("norm3"), d, c->ln_eps, &l->norm3);
#undef SUB
}

// the paper's table: P[pos][2i] = sin(pos / 10000^(2i/d)), P[pos][2i+1] = cos(same), in double, rounded once
static ax_tensor *sinusoid_table(int64_t T, int64_t d) {
    ax_tensor *t = ax_tensor_new(AX_F32, AX_SHAPE(T, d));
    float *p = ax_f32(t);
    for (int64_t pos = 0; pos < T; pos++)
        for (int64_t i = 0; i < d; i += 2) {
            double angle = (double)pos / pow(10000.0, (double)i / (double)d);
            p[pos * d + i] = (float)sin(angle);
            if (i + 1 < d) p[pos * d + i + 1] = (float)cos(angle);
        }
    return t;
}

ax_transformer *ax_transformer_new(const ax_transformer_config *cfg) {
    AX_ASSERT(ax_transformer_config_check(cfg) == AX_OK, "ax_transformer_new: %s", ax_last_error());
    ax_transformer *m = calloc(1, sizeof *m);
    AX_ASSERT(m, "out of memory for a transformer");
    m->cfg = *cfg;
    m->enc = calloc((size_t)cfg->enc_layers, sizeof *m->enc);
    m->dec = calloc((size_t)cfg->dec_layers, sizeof *m->dec);
    AX_ASSERT(m->enc && m->dec, "out of memory for a transformer");
    ax_params *p = m->params = ax_params_new();
    int64_t d = cfg->d_model;
    m->embed = param(p, "embed.weight", "", 2, cfg->vocab, d);
    ax_init_normal(m->embed, 0.0f, (float)(1.0 / sqrt((double)d)));
    m->pos = cfg->learned_pos ? matrix(p, "pos.weight", "", cfg->max_len, d) : sinusoid_table(cfg->max_len, d);
    for (int i = 0; i < cfg->enc_layers; i++) ax_transformer_layer_add(p, cfg, "encoder", i, &m->enc[i]);
    if (cfg->pre_ln) add_norm(p, "encoder.norm", d, cfg->ln_eps, &m->enc_norm);
    for (int i = 0; i < cfg->dec_layers; i++) ax_transformer_layer_add(p, cfg, "decoder", i, &m->dec[i]);
    if (cfg->pre_ln) add_norm(p, "decoder.norm", d, cfg->ln_eps, &m->dec_norm);
    return m;
}

void ax_transformer_free(ax_transformer *m) {
    if (!m) return;
    if (!m->cfg.learned_pos) ax_tensor_free(m->pos); // the fixed table is not in the registry
    ax_params_free(m->params);
    free(m->enc);
    free(m->dec);
    free(m);
}

/* ---- forward ------------------------------------------------------------------------------------------------- */

// drop(E[ids]·√d + P[0..T)): ids I32 (B, T) → (B, T, d)
static ax_tensor *embed(const ax_transformer *m, ax_tensor *ids, bool train) {
    AX_ASSERT(ids->dtype == AX_I32 && ids->ndim == 2 && ids->shape[1] >= 1 && ids->shape[1] <= m->cfg.max_len,
              "transformer: ids must be I32 (B, T) with 1 <= T <= max_len %d, got %s", m->cfg.max_len,
              ax_shape_str(ids));
    ax_tensor *x = ax_mul_scalar(ax_embedding(m->embed, ids), sqrtf((float)m->cfg.d_model));
    return ax_dropout(ax_add(x, ax_narrow(m->pos, 0, 0, ids->shape[1])), m->cfg.dropout, train);
}

// rows [from, from + n) of the packed in-projection: the query (0), key (d) or value (2d) weights and bias
static ax_tensor *in_proj(const ax_mha_weights *w, ax_tensor *x, int64_t from, int64_t n) {
    return ax_linear(x, ax_narrow(w->in_proj_w, 0, from, n), ax_narrow(w->in_proj_b, 0, from, n));
}

/* Multi-head attention of the queries x (B, Tq, d) over mem (B, Tk, d), or over x itself when mem is NULL; keys where
 * keep (B, Tk) is false are masked out (keep NULL: none). Returns out_proj(attention) (B, Tq, d). */
static ax_tensor *mha(const ax_transformer_config *c, const ax_mha_weights *w, ax_tensor *x, ax_tensor *mem, ax_tensor *keep,
                      bool causal) {
    int H = c->n_head;
    int64_t d = c->d_model;
    float scale = 1.0f / sqrtf((float)(d / H));
    ax_tensor *o = mem ? ax_attention_q_kv(in_proj(w, x, 0, d), in_proj(w, mem, d, 2 * d), H, keep, causal, scale)
                       : ax_attention_qkv(ax_linear(x, w->in_proj_w, w->in_proj_b), H, keep, causal, scale);
    return ax_linear(o, w->out_proj_w, w->out_proj_b);
}

// FF(x) = W_2·drop(relu(W_1·x + b_1)) + b_2
static ax_tensor *feed_forward(const ax_transformer_config *c, const ax_transformer_layer *l, ax_tensor *x, bool train) {
    ax_tensor *h = ax_dropout(ax_relu(ax_linear_layer_forward(&l->linear1, x)), c->dropout, train);
    return ax_linear_layer_forward(&l->linear2, h);
}

// what a sublayer reads: LN(x) pre-LN, x post-LN
static ax_tensor *sub_in(const ax_transformer_config *c, const ax_layernorm_layer *norm, ax_tensor *x) {
    return c->pre_ln ? ax_layernorm_layer_forward(norm, x) : x;
}

// the residual around the sublayer's output s: x + drop(s) pre-LN, LN(x + drop(s)) post-LN
static ax_tensor *sub_out(const ax_transformer_config *c, const ax_layernorm_layer *norm, ax_tensor *x, ax_tensor *s,
                          bool train) {
    ax_tensor *y = ax_add(x, ax_dropout(s, c->dropout, train));
    return c->pre_ln ? y : ax_layernorm_layer_forward(norm, y);
}

ax_tensor *ax_transformer_encoder_layer(const ax_transformer_config *c, const ax_transformer_layer *l, ax_tensor *x,
                                       ax_tensor *keep, bool train) {
    x = sub_out(c, &l->norm1, x, mha(c, &l->self_attn, sub_in(c, &l->norm1, x), NULL, keep, false), train);
    return sub_out(c, &l->norm2, x, feed_forward(c, l, sub_in(c, &l->norm2, x), train), train);
}

ax_tensor *ax_transformer_encode(const ax_transformer *m, ax_tensor *src, ax_tensor *src_keep, bool train) {
    AX_ASSERT(!src_keep || (src_keep->dtype == AX_BOOL && ax_same_shape(src_keep, src)),
              "transformer encode: src_keep %s must be BOOL of the shape of src %s", ax_shape_str(src_keep),
              ax_shape_str(src));
    ax_tensor *x = embed(m, src, train);
    for (int i = 0; i < m->cfg.enc_layers; i++) x = ax_transformer_encoder_layer(&m->cfg, &m->enc[i], x, src_keep, train);
    return m->cfg.pre_ln ? ax_layernorm_layer_forward(&m->enc_norm, x) : x;
}

ax_tensor *ax_transformer_decode(const ax_transformer *m, ax_tensor *memory, ax_tensor *src_keep, ax_tensor *tgt_in,
                                 bool train) {
    AX_ASSERT(memory->ndim == 3 && memory->shape[2] == m->cfg.d_model && tgt_in->ndim == 2 &&
                  tgt_in->shape[0] == memory->shape[0],
              "transformer decode: memory %s and tgt_in %s do not fit d_model %d", ax_shape_str(memory),
              ax_shape_str(tgt_in), m->cfg.d_model);
    ax_tensor *x = embed(m, tgt_in, train);
    for (int i = 0; i < m->cfg.dec_layers; i++) {
        const ax_transformer_layer *l = &m->dec[i];
        const ax_transformer_config *c = &m->cfg;
        x = sub_out(c, &l->norm1, x, mha(c, &l->self_attn, sub_in(c, &l->norm1, x), NULL, NULL, true), train);
        x = sub_out(c, &l->norm2, x, mha(c, &l->cross_attn, sub_in(c, &l->norm2, x), memory, src_keep, false), train);
        x = sub_out(c, &l->norm3, x, feed_forward(c, l, sub_in(c, &l->norm3, x), train), train);
    }
    if (m->cfg.pre_ln) x = ax_layernorm_layer_forward(&m->dec_norm, x);
    return ax_matmul(x, ax_transpose(m->embed, 0, 1)); // tied output projection: (B, T, d) · (d, V)
}

ax_tensor *ax_transformer_loss(const ax_transformer *m, ax_tensor *src, ax_tensor *src_keep, ax_tensor *tgt_in,
                               ax_tensor *tgt_out, float label_smoothing, bool train) {
    AX_ASSERT(tgt_out->dtype == AX_I32 && ax_same_shape(tgt_in, tgt_out),
              "transformer loss: tgt_out %s must be I32 of the shape of tgt_in %s", ax_shape_str(tgt_out),
              ax_shape_str(tgt_in));
    ax_tensor *memory = ax_transformer_encode(m, src, src_keep, train);
    ax_tensor *logits = ax_transformer_decode(m, memory, src_keep, tgt_in, train);
    int64_t N = ax_numel(tgt_out), V = m->cfg.vocab;
    ax_ce_opts opts = AX_CE_DEFAULTS;
    opts.label_smoothing = label_smoothing;
    return ax_cross_entropy(ax_reshape(logits, AX_SHAPE(N, V)), ax_reshape(tgt_out, AX_SHAPE(N)), opts);
}
