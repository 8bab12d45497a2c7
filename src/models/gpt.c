/* GPT-2: configuration, parameters under Hugging Face names, GPT-2 initialisation, the training forward
 * and the language-model loss (see include/axon/gpt.h for the architecture). */
#include "axon/gpt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

ax_gpt_config ax_gpt_config_default(void) {
    return (ax_gpt_config){.vocab_size = 50257, .block_size = 1024, .n_layer = 12, .n_head = 12, .n_embd = 768,
                           .dropout = 0.0f, .bias = true, .ln_eps = 1e-5f};
}

int ax_gpt_config_check(const ax_gpt_config *c) {
    if (c->vocab_size < 1) return ax_error("gpt config: vocab_size must be >= 1 (got %d)", c->vocab_size);
    if (c->block_size < 1) return ax_error("gpt config: block_size must be >= 1 (got %d)", c->block_size);
    if (c->n_layer < 1) return ax_error("gpt config: n_layer must be >= 1 (got %d)", c->n_layer);
    if (c->n_head < 1) return ax_error("gpt config: n_head must be >= 1 (got %d)", c->n_head);
    if (c->n_embd < 1 || c->n_embd % c->n_head != 0)
        return ax_error("gpt config: n_embd (%d) must be a positive multiple of n_head (%d)", c->n_embd, c->n_head);
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f))
        return ax_error("gpt config: dropout must be in [0, 1) (got %g)", c->dropout);
    if (!(c->ln_eps > 0.0f)) return ax_error("gpt config: ln_eps must be > 0 (got %g)", c->ln_eps);
    return AX_OK;
}

int64_t ax_gpt_config_n_params(const ax_gpt_config *c) {
    int64_t C = c->n_embd, b = c->bias ? 1 : 0;
    int64_t per_block = 2 * (C + b * C)               // ln_1, ln_2
                        + C * 3 * C + b * 3 * C        // c_attn
                        + C * C + b * C                // attn.c_proj
                        + C * 4 * C + b * 4 * C        // c_fc
                        + 4 * C * C + b * C;           // mlp.c_proj
    return (int64_t)c->vocab_size * C + (int64_t)c->block_size * C + c->n_layer * per_block + C + b * C;
}

/* ---- parameters -------------------------------------------------------------------------------------- */

// registers "transformer.<name>" (printf-style); 1-D parameters (biases, LayerNorm) skip weight decay
static ax_tensor *param(ax_params *p, int ndim, int64_t d0, int64_t d1, const char *fmt, int layer, const char *leaf) {
    char name[128];
    char part[96];
    snprintf(part, sizeof part, fmt, layer);
    snprintf(name, sizeof name, "transformer.%s%s", part, leaf);
    ax_tensor *t = ax_params_add(p, name, ndim, (const int64_t[]){d0, d1});
    p->items[p->n - 1].no_decay = ndim == 1;
    return t;
}

// a LayerNorm's weight and (with bias) its bias
static void add_ln(ax_params *p, int64_t C, bool bias, const char *fmt, int layer, ax_tensor **w, ax_tensor **b) {
    *w = param(p, 1, C, 1, fmt, layer, ".weight");
    *b = bias ? param(p, 1, C, 1, fmt, layer, ".bias") : NULL;
}

// a Conv1D: weight (in, out) and (with bias) bias (out)
static void add_conv(ax_params *p, int64_t in, int64_t out, bool bias, const char *fmt, int layer, ax_tensor **w,
                     ax_tensor **b) {
    *w = param(p, 2, in, out, fmt, layer, ".weight");
    *b = bias ? param(p, 1, out, 1, fmt, layer, ".bias") : NULL;
}

ax_gpt *ax_gpt_new(const ax_gpt_config *cfg, ax_params *params) {
    AX_ASSERT(ax_gpt_config_check(cfg) == AX_OK, "%s", ax_last_error());
    ax_gpt *m = calloc(1, sizeof *m);
    AX_ASSERT(m, "out of memory");
    m->h = calloc((size_t)cfg->n_layer, sizeof *m->h);
    AX_ASSERT(m->h, "out of memory");
    m->cfg = *cfg;
    m->params = params;
    int64_t C = cfg->n_embd;
    bool b = cfg->bias;
    m->wte = param(params, 2, cfg->vocab_size, C, "wte", 0, ".weight");
    m->wpe = param(params, 2, cfg->block_size, C, "wpe", 0, ".weight");
    for (int l = 0; l < cfg->n_layer; l++) {
        ax_gpt_block *h = &m->h[l];
        add_ln(params, C, b, "h.%d.ln_1", l, &h->ln_1_w, &h->ln_1_b);
        add_conv(params, C, 3 * C, b, "h.%d.attn.c_attn", l, &h->attn_w, &h->attn_b);
        add_conv(params, C, C, b, "h.%d.attn.c_proj", l, &h->attn_proj_w, &h->attn_proj_b);
        add_ln(params, C, b, "h.%d.ln_2", l, &h->ln_2_w, &h->ln_2_b);
        add_conv(params, C, 4 * C, b, "h.%d.mlp.c_fc", l, &h->fc_w, &h->fc_b);
        add_conv(params, 4 * C, C, b, "h.%d.mlp.c_proj", l, &h->mlp_proj_w, &h->mlp_proj_b);
    }
    add_ln(params, C, b, "ln_f", 0, &m->ln_f_w, &m->ln_f_b);
    return m;
}

static void init_ln(ax_tensor *w, ax_tensor *b) {
    ax_init_ones(w);
    if (b) ax_init_zeros(b);
}

static void init_conv(ax_tensor *w, ax_tensor *b, float std) {
    ax_init_normal(w, 0.0f, std);
    if (b) ax_init_zeros(b);
}

/* GPT-2 / nanoGPT: every weight N(0, 0.02); the two projections into the residual stream N(0, 0.02/√(2L)) so
 * the residual's variance does not grow with depth; biases 0; LayerNorm 1 and 0. Drawn in registration order. */
void ax_gpt_init(ax_gpt *m) {
    const float std = 0.02f, proj_std = 0.02f / sqrtf(2.0f * (float)m->cfg.n_layer);
    ax_init_normal(m->wte, 0.0f, std);
    ax_init_normal(m->wpe, 0.0f, std);
    for (int l = 0; l < m->cfg.n_layer; l++) {
        ax_gpt_block *h = &m->h[l];
        init_ln(h->ln_1_w, h->ln_1_b);
        init_conv(h->attn_w, h->attn_b, std);
        init_conv(h->attn_proj_w, h->attn_proj_b, proj_std);
        init_ln(h->ln_2_w, h->ln_2_b);
        init_conv(h->fc_w, h->fc_b, std);
        init_conv(h->mlp_proj_w, h->mlp_proj_b, proj_std);
    }
    init_ln(m->ln_f_w, m->ln_f_b);
}

void ax_gpt_free(ax_gpt *m) {
    if (!m) return;
    if (m->owns_params) ax_params_free(m->params);
    free(m->h);
    free(m);
}

/* ---- forward ----------------------------------------------------------------------------------------- */

// Conv1D: x (…, in) · w (in, out) + b
static ax_tensor *conv1d(ax_tensor *x, ax_tensor *w, ax_tensor *b) { return ax_addmm(x, w, b); }

// causal self-attention: x (B, T, C) → (B, T, C), before the output projection; heads split and merged in place
static ax_tensor *self_attention(const ax_gpt *m, const ax_gpt_block *h, ax_tensor *x) {
    int H = m->cfg.n_head, D = m->cfg.n_embd / H;
    return ax_attention_qkv(conv1d(x, h->attn_w, h->attn_b), H, NULL, true, 1.0f / sqrtf((float)D));
}

static ax_tensor *block_forward(const ax_gpt *m, const ax_gpt_block *h, ax_tensor *x, bool train) {
    float p = m->cfg.dropout, eps = m->cfg.ln_eps;
    ax_tensor *a = self_attention(m, h, ax_layernorm(x, h->ln_1_w, h->ln_1_b, eps));
    x = ax_add(x, ax_dropout(conv1d(a, h->attn_proj_w, h->attn_proj_b), p, train));
    ax_tensor *f = ax_gelu(conv1d(ax_layernorm(x, h->ln_2_w, h->ln_2_b, eps), h->fc_w, h->fc_b), AX_GELU_TANH);
    return ax_add(x, ax_dropout(conv1d(f, h->mlp_proj_w, h->mlp_proj_b), p, train));
}

ax_tensor *ax_gpt_forward(ax_gpt *m, ax_tensor *idx, bool train) {
    AX_ASSERT(idx->dtype == AX_I32 && idx->ndim == 2, "gpt forward: idx must be I32 (B, T), got %s %s",
              ax_dtype_name(idx->dtype), ax_shape_str(idx));
    int64_t T = idx->shape[1];
    AX_ASSERT(T >= 1 && T <= m->cfg.block_size, "gpt forward: T = %lld but block_size is %d", (long long)T,
              m->cfg.block_size);
    ax_tensor *pos = ax_empty_dtype(AX_I32, AX_SHAPE(T));
    for (int64_t t = 0; t < T; t++) ax_i32(pos)[t] = (int32_t)t;
    ax_tensor *x = ax_add(ax_embedding(m->wte, idx), ax_embedding(m->wpe, pos)); // (B, T, C) + (T, C)
    x = ax_dropout(x, m->cfg.dropout, train);
    for (int l = 0; l < m->cfg.n_layer; l++) x = block_forward(m, &m->h[l], x, train);
    x = ax_layernorm(x, m->ln_f_w, m->ln_f_b, m->cfg.ln_eps);
    return ax_matmul(x, ax_transpose(m->wte, 0, 1)); // tied output projection: (B, T, C) · (C, V)
}

ax_tensor *ax_gpt_loss(ax_gpt *m, ax_tensor *idx, ax_tensor *targets, bool train) {
    AX_ASSERT(ax_same_shape(idx, targets), "gpt loss: targets %s differ from idx %s", ax_shape_str(targets),
              ax_shape_str(idx));
    ax_tensor *logits = ax_gpt_forward(m, idx, train);
    int64_t N = ax_numel(idx), V = m->cfg.vocab_size;
    ax_ce_opts opts = AX_CE_DEFAULTS;
    opts.ignore_index = -1;
    return ax_cross_entropy(ax_reshape(logits, AX_SHAPE(N, V)), ax_reshape(targets, AX_SHAPE(N)), opts);
}
