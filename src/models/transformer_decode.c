/* Decoding with the Transformer (include/axon/transformer.h): batched greedy decoding, beam search over one source,
 * and the cross-attention weights of a given translation.
 *
 * The sources are encoded once with the training forward (no tape; in the step arena, which the caller resets). Then
 * the decoder runs incrementally in plain loops over buffers allocated once per call: each step feeds one token per row (a sentence, or a beam hypothesis) and costs
 * one pass over the decoder's weights, not a forward over the whole prefix. Per decoder layer, the self-attention keys
 * and values of the positions fed so far are cached by row; the cross-attention keys and values of each source are
 * computed once. Rows that continue another row's prefix (beam search) or drop out (finished sentences) reorder the
 * cache by `parent`. The math is that of ax_transformer_decode, row by row. */
#include "axon/transformer.h"
#include "backend/cpu/fused.h"
#include "models/decode_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GREEDY_ROWS 64 // sources decoded together by ax_transformer_greedy

typedef struct {
    const ax_transformer *m; // the model (eval mode: no dropout)
    int64_t d, H, D, V, L;   // d_model, heads, head width, vocabulary, decoder layers
    int64_t S;               // the longest source: row stride of the cross-attention buffers
    int64_t T;               // most positions fed (the cache's capacity per row)
    int cap;                 // most rows
    int rows;                // live rows
    int len;                 // positions fed so far (the same for every row)
    int *src_len;            // (n sources) tokens of each source
    int *src_of, *src_tmp;   // (cap) the source each row attends to; scratch for reordering
    float **mem_k, **mem_v;  // (L) each (n sources, S, d): cross-attention keys and values of layer l
    float **k, **v;          // (L) each (cap, T, d): self-attention keys and values by row and position
    float *spare;            // (cap, T, d): a reordered cache is gathered here, then swapped in
    float *x, *xn, *q, *att; // (cap, d): residual stream, sublayer input / output, queries, attention output
    float *qkv;              // (cap, 3d): packed self-attention projection
    float *hid;              // (cap, d_ff): feed-forward hidden layer
    float *logits;           // (cap, V): of the last step; log-probabilities after log_probs()
    float *cross_w;          // NULL, or (L, H, S): cross-attention weights of row 0 in the last step
    void *block;             // one allocation (64-byte aligned) holding every buffer above but the pointer arrays
} decoder;

/* ---- state ---------------------------------------------------------------------------------------------------- */

// the next n floats (64-byte aligned) of s->block after *used bytes; before the block exists, only counts
static float *carve(const decoder *s, size_t *used, int64_t n) {
    float *p = s->block ? (float *)((char *)s->block + *used) : NULL;
    *used += ((size_t)n * sizeof(float) + 63) / 64 * 64;
    return p;
}

// places every buffer in s->block (or, without one, measures them); returns the bytes used
static size_t layout(decoder *s, int n_src, bool record) {
    int64_t d = s->d, cap = s->cap, mem = n_src * s->S * d, cache = cap * s->T * d;
    size_t used = 0;
    for (int64_t l = 0; l < s->L; l++) {
        s->mem_k[l] = carve(s, &used, mem), s->mem_v[l] = carve(s, &used, mem);
        s->k[l] = carve(s, &used, cache), s->v[l] = carve(s, &used, cache);
    }
    s->spare = carve(s, &used, cache);
    s->x = carve(s, &used, cap * d), s->xn = carve(s, &used, cap * d);
    s->q = carve(s, &used, cap * d), s->att = carve(s, &used, cap * d);
    s->qkv = carve(s, &used, cap * 3 * d), s->hid = carve(s, &used, cap * s->m->cfg.d_ff);
    s->logits = carve(s, &used, cap * s->V);
    s->cross_w = record ? carve(s, &used, s->L * s->H * s->S) : NULL;
    s->src_len = (int *)carve(s, &used, n_src); // ints: as wide as floats
    s->src_of = (int *)carve(s, &used, cap), s->src_tmp = (int *)carve(s, &used, cap);
    return used;
}

// buffers for `cap` rows of up to T positions over n_src sources of up to S tokens (cross_w if record)
static void decoder_alloc(decoder *s, const ax_transformer *m, int n_src, int64_t S, int cap, int64_t T, bool record) {
    const ax_transformer_config *c = &m->cfg;
    *s = (decoder){.m = m, .d = c->d_model, .H = c->n_head, .D = c->d_model / c->n_head, .V = c->vocab,
                   .L = c->dec_layers, .S = S, .T = T, .cap = cap};
    s->mem_k = malloc(4 * (size_t)s->L * sizeof(float *));
    AX_ASSERT(s->mem_k, "out of memory");
    s->mem_v = s->mem_k + s->L, s->k = s->mem_v + s->L, s->v = s->k + s->L;
    size_t bytes = layout(s, n_src, record);
    s->block = aligned_alloc(64, bytes);
    AX_ASSERT(s->block, "out of memory for decoding (%zu MB)", bytes >> 20);
    layout(s, n_src, record);
}

static void decoder_free(decoder *s) {
    free(s->block);
    free(s->mem_k);
}

/* Encodes the n sources (src[i] of src_len[i] tokens) as one padded batch and stores every decoder layer's
 * cross-attention keys and values of them; row i attends to source i. */
static void decoder_start(decoder *s, const int32_t *const *src, const int *src_len, int n) {
    const ax_transformer *m = s->m;
    int64_t S = s->S, d = s->d;
    ax_tensor *ids = ax_empty_dtype(AX_I32, AX_SHAPE(n, S)), *keep = ax_empty_dtype(AX_BOOL, AX_SHAPE(n, S));
    for (int64_t i = 0; i < n; i++)
        for (int64_t t = 0; t < S; t++) {
            ax_i32(ids)[i * S + t] = t < src_len[i] ? src[i][t] : m->cfg.eot;
            ((uint8_t *)keep->data)[i * S + t] = t < src_len[i];
        }
    const float *mem = ax_f32(ax_contiguous(ax_transformer_encode(m, ids, keep, false)));
    for (int64_t l = 0; l < s->L; l++) {
        const ax_mha_weights *w = &m->dec[l].cross_attn;
        const float *W = ax_f32(w->in_proj_w), *b = ax_f32(w->in_proj_b);
        ax_linear_rows(mem, n * S, d, W + d * d, b + d, d, s->mem_k[l]);
        ax_linear_rows(mem, n * S, d, W + 2 * d * d, b + 2 * d, d, s->mem_v[l]);
    }
    for (int i = 0; i < n; i++) s->src_len[i] = src_len[i], s->src_of[i] = i;
    s->rows = n, s->len = 0;
}

// row i continues row parent[i] of the previous step: gathers the caches (positions so far) and the sources
static void reorder(decoder *s, int n, const int32_t *parent) {
    bool same = n == s->rows;
    for (int i = 0; i < n && same; i++) same = parent[i] == i;
    if (!same) {
        int64_t row = s->T * s->d, used = (int64_t)s->len * s->d;
        for (int64_t l = 0; l < 2 * s->L; l++) {
            float **cache = l < s->L ? &s->k[l] : &s->v[l - s->L];
            for (int i = 0; i < n; i++)
                memcpy(s->spare + i * row, *cache + parent[i] * row, (size_t)used * sizeof(float));
            float *t = *cache;
            *cache = s->spare, s->spare = t;
        }
        for (int i = 0; i < n; i++) s->src_tmp[i] = s->src_of[parent[i]];
        memcpy(s->src_of, s->src_tmp, (size_t)n * sizeof(int));
    }
    s->rows = n;
}

/* ---- one step --------------------------------------------------------------------------------------------------- */

static void layernorm(const decoder *s, const ax_layernorm_layer *norm, const float *x, int n, float *y) {
    const ax_fused_isa *k = ax_fused();
    float mean, rstd;
    for (int64_t i = 0; i < n; i++)
        k->layernorm_row(x + i * s->d, ax_f32(norm->weight), ax_f32(norm->bias), s->d, norm->eps, y + i * s->d, &mean,
                         &rstd);
}

// what a sublayer reads: LN(x) in xn (pre-LN), or x itself
static const float *sub_in(decoder *s, const ax_layernorm_layer *norm, int n) {
    if (!s->m->cfg.pre_ln) return s->x;
    layernorm(s, norm, s->x, n, s->xn);
    return s->xn;
}

// x += out, then post-LN: x = LN(x)
static void sub_out(decoder *s, const ax_layernorm_layer *norm, const float *out, int n) {
    for (int64_t i = 0; i < n * s->d; i++) s->x[i] += out[i];
    if (!s->m->cfg.pre_ln) layernorm(s, norm, s->x, n, s->x);
}

static void linear(const float *x, int n, const ax_linear_layer *l, float *y) {
    ax_linear_rows(x, n, l->weight->shape[1], ax_f32(l->weight), ax_f32(l->bias), l->weight->shape[0], y);
}

// softmax weights (n_keys) of query q over the keys at K + j·stride (for the cross-attention heatmap)
static void attn_weights(const float *q, const float *K, int64_t n_keys, int64_t stride, int64_t D, float scale,
                         float *w) {
    float mx = -INFINITY, sum = 0.0f;
    for (int64_t j = 0; j < n_keys; j++) {
        float e = 0.0f;
        for (int64_t c = 0; c < D; c++) e += q[c] * K[j * stride + c];
        w[j] = e * scale, mx = fmaxf(mx, w[j]);
    }
    for (int64_t j = 0; j < n_keys; j++) w[j] = expf(w[j] - mx), sum += w[j];
    for (int64_t j = 0; j < n_keys; j++) w[j] /= sum;
}

// causal self-attention of layer l: appends the rows' keys and values at position len, attends over 0 .. len
static void self_attention(decoder *s, int64_t l, int n) {
    const ax_transformer_layer *ly = &s->m->dec[l];
    int64_t d = s->d, D = s->D, H = s->H, T = s->T, p = s->len;
    ax_linear_rows(sub_in(s, &ly->norm1, n), n, d, ax_f32(ly->self_attn.in_proj_w), ax_f32(ly->self_attn.in_proj_b),
                   3 * d, s->qkv);
    for (int64_t i = 0; i < n; i++) {
        memcpy(s->k[l] + (i * T + p) * d, s->qkv + i * 3 * d + d, (size_t)d * sizeof(float));
        memcpy(s->v[l] + (i * T + p) * d, s->qkv + i * 3 * d + 2 * d, (size_t)d * sizeof(float));
    }
    float scale = 1.0f / sqrtf((float)D);
#pragma omp parallel for collapse(2) if (n * H * (p + 1) * D > 32768)
    for (int64_t i = 0; i < n; i++)
        for (int64_t h = 0; h < H; h++)
            ax_attend_row(s->qkv + i * 3 * d + h * D, s->k[l] + i * T * d + h * D, s->v[l] + i * T * d + h * D,
                          p + 1, d, D, scale, s->att + i * d + h * D);
    ax_linear_rows(s->att, n, d, ax_f32(ly->self_attn.out_proj_w), ax_f32(ly->self_attn.out_proj_b), d, s->xn);
    sub_out(s, &ly->norm1, s->xn, n);
}

// cross-attention of layer l over each row's source
static void cross_attention(decoder *s, int64_t l, int n) {
    const ax_transformer_layer *ly = &s->m->dec[l];
    const ax_mha_weights *w = &ly->cross_attn;
    int64_t d = s->d, D = s->D, H = s->H, S = s->S;
    ax_linear_rows(sub_in(s, &ly->norm2, n), n, d, ax_f32(w->in_proj_w), ax_f32(w->in_proj_b), d, s->q);
    float scale = 1.0f / sqrtf((float)D);
#pragma omp parallel for collapse(2) if (n * H * S * D > 32768)
    for (int64_t i = 0; i < n; i++)
        for (int64_t h = 0; h < H; h++) {
            int64_t src = s->src_of[i], off = src * S * d + h * D;
            ax_attend_row(s->q + i * d + h * D, s->mem_k[l] + off, s->mem_v[l] + off, s->src_len[src], d, D, scale,
                          s->att + i * d + h * D);
        }
    if (s->cross_w)
        for (int64_t h = 0; h < H; h++)
            attn_weights(s->q + h * D, s->mem_k[l] + s->src_of[0] * S * d + h * D, s->src_len[s->src_of[0]], d, D,
                         scale, s->cross_w + (l * H + h) * S);
    ax_linear_rows(s->att, n, d, ax_f32(w->out_proj_w), ax_f32(w->out_proj_b), d, s->xn);
    sub_out(s, &ly->norm2, s->xn, n);
}

static void feed_forward(decoder *s, int64_t l, int n) {
    const ax_transformer_layer *ly = &s->m->dec[l];
    int64_t f = ly->linear1.weight->shape[0];
    linear(sub_in(s, &ly->norm3, n), n, &ly->linear1, s->hid);
    for (int64_t i = 0; i < n * f; i++) s->hid[i] = s->hid[i] > 0.0f ? s->hid[i] : 0.0f;
    linear(s->hid, n, &ly->linear2, s->xn);
    sub_out(s, &ly->norm3, s->xn, n);
}

/* Feeds word[i] at position len to row i, which continues row parent[i] (NULL: itself) → logits (n, V). */
static void step(decoder *s, int n, const int32_t *parent, const int32_t *word) {
    const ax_transformer *m = s->m;
    AX_ASSERT(s->len < s->T && n >= 1 && n <= s->cap, "transformer decoding: step %d of %lld, %d rows of %d", s->len,
              (long long)s->T, n, s->cap);
    if (parent) reorder(s, n, parent);
    int64_t d = s->d;
    const float *E = ax_f32(m->embed), *P = ax_f32(m->pos) + s->len * d;
    float scale = sqrtf((float)d);
    for (int64_t i = 0; i < n; i++) {
        AX_ASSERT(word[i] >= 0 && word[i] < s->V, "transformer decoding: token %d outside [0, %lld)", word[i],
                  (long long)s->V);
        for (int64_t c = 0; c < d; c++) s->x[i * d + c] = E[word[i] * d + c] * scale + P[c];
    }
    for (int64_t l = 0; l < s->L; l++) {
        self_attention(s, l, n);
        cross_attention(s, l, n);
        feed_forward(s, l, n);
    }
    const float *h = s->x;
    if (m->cfg.pre_ln) layernorm(s, &m->dec_norm, s->x, n, s->xn), h = s->xn;
    ax_linear_rows(h, n, d, E, NULL, s->V, s->logits); // tied output projection
    s->len++;
}

// logits → log-probabilities, row by row
static void log_probs(decoder *s, int n) {
    const ax_fused_isa *k = ax_fused();
    for (int64_t i = 0; i < n; i++) k->softmax_row(s->logits + i * s->V, s->logits + i * s->V, s->V, true);
}

/* ---- greedy, beam, attention ----------------------------------------------------------------------------------- */

/* Most tokens an output may have: as in training, [bos y…] and [y… eos] must fit the model's max_len positions (so a
 * translation's cross-attention can be computed too). */
static int clamp_len(const ax_transformer *m, int max_len) {
    return max_len < m->cfg.max_len - 1 ? max_len : m->cfg.max_len - 1;
}

static int64_t longest(const ax_transformer *m, const int *src_len, int n) {
    int64_t S = 1;
    for (int i = 0; i < n; i++) {
        AX_ASSERT(src_len[i] >= 1 && src_len[i] <= m->cfg.max_len, "transformer: source %d has %d tokens (1..%d)", i,
                  src_len[i], m->cfg.max_len);
        S = src_len[i] > S ? src_len[i] : S;
    }
    return S;
}

// greedy decoding of n sources (at most GREEDY_ROWS) at once, for L steps; out is already eot everywhere
static void greedy_rows(const ax_transformer *m, const int32_t *const *src, const int *src_len, int n, int L,
                        int32_t *const *out) {
    int32_t eot = m->cfg.eot;
    decoder s;
    decoder_alloc(&s, m, n, longest(m, src_len, n), n, L, false);
    decoder_start(&s, src, src_len, n);
    int32_t word[GREEDY_ROWS], parent[GREEDY_ROWS], sent[GREEDY_ROWS]; // row r decodes sentence sent[r]
    for (int i = 0; i < n; i++) word[i] = eot, sent[i] = i;
    for (int t = 0, rows = n; t < L && rows > 0; t++) {
        step(&s, rows, t ? parent : NULL, word);
        log_probs(&s, rows);
        int live = 0;
        for (int r = 0; r < rows; r++) {
            const float *lp = s.logits + (int64_t)r * s.V;
            int32_t best = 0;
            for (int32_t w = 1; w < s.V; w++) best = lp[w] > lp[best] ? w : best; // ties: the lowest id
            if (best == eot) continue;                                              // finished: leaves the batch
            out[sent[r]][t] = best;
            parent[live] = r, word[live] = best, sent[live++] = sent[r];
        }
        rows = live;
    }
    decoder_free(&s);
}

void ax_transformer_greedy(const ax_transformer *m, const int32_t *const *src, const int *src_len, int n, int max_len,
                           int32_t *const *out) {
    AX_ASSERT(n >= 1 && max_len >= 1, "transformer greedy: %d sources, max_len %d", n, max_len);
    bool prev = ax_set_grad_enabled(false);
    for (int i = 0; i < n; i++)
        for (int t = 0; t <= max_len; t++) out[i][t] = m->cfg.eot; // eos after the tokens, eot padding after it
    for (int i = 0; i < n; i += GREEDY_ROWS) // in groups, to bound the caches' memory
        greedy_rows(m, src + i, src_len + i, n - i < GREEDY_ROWS ? n - i : GREEDY_ROWS, clamp_len(m, max_len), out + i);
    ax_set_grad_enabled(prev);
}

static void beam_step(void *ctx, int n, const int32_t *parent, const int32_t *word, float *logp) {
    decoder *s = ctx;
    step(s, n, s->len ? parent : NULL, word);
    log_probs(s, n);
    memcpy(logp, s->logits, (size_t)n * (size_t)s->V * sizeof *logp);
}

int ax_transformer_beam(const ax_transformer *m, const int32_t *src, int n, const ax_beam_config *cfg,
                        ax_beam_hyp *out) {
    if (cfg->sos != m->cfg.eot || cfg->eos != m->cfg.eot)
        return ax_error("transformer beam search: sos and eos must be the eot id %d", m->cfg.eot);
    if (n < 1 || n > m->cfg.max_len)
        return ax_error("transformer beam search: a source of %d tokens (the model takes 1..%d)", n, m->cfg.max_len);
    bool prev = ax_set_grad_enabled(false);
    ax_beam_config c = *cfg;
    c.max_len = clamp_len(m, cfg->max_len); // ax_beam_search refuses a bad config before any step
    decoder s;
    decoder_alloc(&s, m, 1, longest(m, &n, 1), c.beam > 1 ? c.beam : 1, c.max_len > 1 ? c.max_len : 1, false);
    decoder_start(&s, &src, &n, 1);
    int got = ax_beam_search(&c, m->cfg.vocab, beam_step, &s, out);
    decoder_free(&s);
    ax_set_grad_enabled(prev);
    return got;
}

void ax_transformer_cross_attention(const ax_transformer *m, const int32_t *src, int n, const int32_t *tgt, int len,
                                    int layer, int head, float *out) {
    const ax_transformer_config *c = &m->cfg;
    AX_ASSERT(len >= 0 && len < c->max_len && layer >= -1 && layer < c->dec_layers && head >= -1 && head < c->n_head,
              "transformer cross-attention: %d target tokens (max_len %d), layer %d of %d, head %d of %d", len,
              c->max_len, layer, c->dec_layers, head, c->n_head);
    bool prev = ax_set_grad_enabled(false);
    decoder s;
    decoder_alloc(&s, m, 1, longest(m, &n, 1), 1, len + 1, true);
    decoder_start(&s, &src, &n, 1);
    int l0 = layer < 0 ? 0 : layer, l1 = layer < 0 ? c->dec_layers : layer + 1;
    int h0 = head < 0 ? 0 : head, h1 = head < 0 ? c->n_head : head + 1;
    float share = 1.0f / (float)((l1 - l0) * (h1 - h0));
    for (int t = 0; t <= len; t++) {
        step(&s, 1, NULL, (const int32_t[]){t ? tgt[t - 1] : c->eot});
        float *row = out + (size_t)t * n;
        memset(row, 0, (size_t)n * sizeof *row);
        for (int l = l0; l < l1; l++)
            for (int h = h0; h < h1; h++)
                for (int j = 0; j < n; j++) row[j] += share * s.cross_w[((int64_t)l * s.H + h) * s.S + j];
    }
    decoder_free(&s);
    ax_set_grad_enabled(prev);
}
