/* GPT-2 inference with a KV cache, batch 1, in plain loops over persistent buffers (no tape, no step arena).
 *
 * Feeding n tokens at positions p .. p+n−1 runs the same math as ax_gpt_forward for those rows only: their
 * queries attend over the cached keys/values of positions 0 .. p+i, which are appended to the cache as they
 * are computed. A prompt goes in as one chunk (matrix products over n rows), then one token per call. */
#include "axon/gpt.h"
#include "backend/cpu/gemm.h"
#include "models/decode_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ax_gpt_kv {
    int len;        // positions held
    int cap;        // block_size: most positions
    int64_t C;      // n_embd
    float *k, *v;   // (n_layer, cap, C) keys and values by layer and position (heads side by side)
    float *x;       // (cap, C) residual stream of the tokens being fed
    float *xn;      // (cap, C) LayerNorm output / projection output
    float *qkv;     // (cap, 3C) queries | keys | values of the tokens being fed
    float *att;     // (cap, C) attention output
    float *hid;     // (cap, 4C) MLP hidden layer
    float *logits;  // (V) logits of the last token fed
};

static float *alloc_floats(int64_t n, bool *ok) {
    float *p = malloc((size_t)n * sizeof(float));
    *ok = *ok && p;
    return p;
}

ax_gpt_kv *ax_gpt_kv_new(const ax_gpt *m) {
    const ax_gpt_config *c = &m->cfg;
    ax_gpt_kv *kv = calloc(1, sizeof *kv);
    if (!kv) return ax_error("out of memory for the KV cache"), NULL;
    int64_t T = c->block_size, C = c->n_embd, LTC = (int64_t)c->n_layer * T * C;
    bool ok = true;
    kv->cap = c->block_size;
    kv->C = C;
    kv->k = alloc_floats(LTC, &ok);
    kv->v = alloc_floats(LTC, &ok);
    kv->x = alloc_floats(T * C, &ok);
    kv->xn = alloc_floats(T * C, &ok);
    kv->qkv = alloc_floats(T * 3 * C, &ok);
    kv->att = alloc_floats(T * C, &ok);
    kv->hid = alloc_floats(T * 4 * C, &ok);
    kv->logits = alloc_floats(c->vocab_size, &ok);
    if (!ok) {
        ax_gpt_kv_free(kv);
        ax_error("out of memory for the KV cache (%lld MB)", (long long)(2 * LTC * 4 >> 20));
        return NULL;
    }
    return kv;
}

void ax_gpt_kv_free(ax_gpt_kv *kv) {
    if (!kv) return;
    float *bufs[] = {kv->k, kv->v, kv->x, kv->xn, kv->qkv, kv->att, kv->hid, kv->logits};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
    free(kv);
}

void ax_gpt_kv_reset(ax_gpt_kv *kv) { kv->len = 0; }
int ax_gpt_kv_len(const ax_gpt_kv *kv) { return kv->len; }

/* ---- kernels over n rows --------------------------------------------------------------------------------- */

static const float *data_or_null(const ax_tensor *t) { return t ? ax_f32(t) : NULL; }

// y = (x − μ)/√(σ² + ε)·w + b per row (b may be NULL)
static void layernorm(const float *x, int64_t n, int64_t C, const ax_tensor *w, const ax_tensor *b, float eps,
                      float *y) {
    const float *wd = ax_f32(w), *bd = data_or_null(b);
    for (int64_t i = 0; i < n; i++) {
        const float *r = x + i * C;
        float sum = 0.0f, sq = 0.0f;
        for (int64_t c = 0; c < C; c++) sum += r[c];
        float mu = sum / (float)C;
        for (int64_t c = 0; c < C; c++) sq += (r[c] - mu) * (r[c] - mu);
        float rstd = 1.0f / sqrtf(sq / (float)C + eps);
        for (int64_t c = 0; c < C; c++) y[i * C + c] = (r[c] - mu) * rstd * wd[c] + (bd ? bd[c] : 0.0f);
    }
}

// y (n, out) = x (n, in) · w (in, out) + b
static void conv1d(const float *x, int64_t n, int64_t in, const ax_tensor *w, const ax_tensor *b, float *y) {
    int64_t out = w->shape[1];
    const float *bd = data_or_null(b);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < out; j++) y[i * out + j] = bd ? bd[j] : 0.0f;
    ax_gemm(false, false, n, out, in, 1.0f, x, in, ax_f32(w), out, 1.0f, y, out);
}

static void add_into(float *x, const float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] += y[i];
}

// PyTorch's gelu(approximate='tanh'): ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
static void gelu_tanh(float *x, int64_t n) {
    const float s = 0.7978845608028654f;
#pragma omp parallel for if (n > 32768)
    for (int64_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + tanhf(s * (x[i] + 0.044715f * x[i] * x[i] * x[i])));
}

// the attention input of n rows: qkv (n, 3C) = c_attn(ln_1(x)); xn is scratch
static void block_qkv(const ax_gpt *m, const ax_gpt_block *h, const float *x, int64_t n, float *xn, float *qkv) {
    int64_t C = m->cfg.n_embd;
    layernorm(x, n, C, h->ln_1_w, h->ln_1_b, m->cfg.ln_eps, xn);
    conv1d(xn, n, C, h->attn_w, h->attn_b, qkv);
}

// the rest of the block once att (n, C) holds the attention output: x += c_proj(att); x += mlp(ln_2(x))
static void block_out(const ax_gpt *m, const ax_gpt_block *h, float *x, const float *att, int64_t n, float *xn,
                      float *hid) {
    int64_t C = m->cfg.n_embd;
    conv1d(att, n, C, h->attn_proj_w, h->attn_proj_b, xn);
    add_into(x, xn, n * C);
    layernorm(x, n, C, h->ln_2_w, h->ln_2_b, m->cfg.ln_eps, xn);
    conv1d(xn, n, C, h->fc_w, h->fc_b, hid);
    gelu_tanh(hid, n * 4 * C);
    conv1d(hid, n, 4 * C, h->mlp_proj_w, h->mlp_proj_b, xn);
    add_into(x, xn, n * C);
}

// one block over the n rows of kv->x; layer l's cache gets their keys and values
static void block(const ax_gpt *m, ax_gpt_kv *kv, int l, int64_t n) {
    const ax_gpt_block *h = &m->h[l];
    int64_t C = kv->C, H = m->cfg.n_head, D = C / H, p0 = kv->len;
    float *K = kv->k + (int64_t)l * kv->cap * C, *V = kv->v + (int64_t)l * kv->cap * C;
    block_qkv(m, h, kv->x, n, kv->xn, kv->qkv);
    for (int64_t i = 0; i < n; i++) {
        memcpy(K + (p0 + i) * C, kv->qkv + i * 3 * C + C, (size_t)C * sizeof(float));
        memcpy(V + (p0 + i) * C, kv->qkv + i * 3 * C + 2 * C, (size_t)C * sizeof(float));
    }
    float scale = 1.0f / sqrtf((float)D);
#pragma omp parallel for collapse(2) if (n * H * (p0 + n) * D > 32768)
    for (int64_t i = 0; i < n; i++)
        for (int64_t hd = 0; hd < H; hd++)
            ax_attend_row(kv->qkv + i * 3 * C + hd * D, K + hd * D, V + hd * D, p0 + i + 1, C, D, scale,
                          kv->att + i * C + hd * D);
    block_out(m, h, kv->x, kv->att, n, kv->xn, kv->hid);
}

const float *ax_gpt_kv_forward(const ax_gpt *m, ax_gpt_kv *kv, const int32_t *tokens, int n) {
    const ax_gpt_config *c = &m->cfg;
    AX_ASSERT(n >= 1 && kv->len + n <= kv->cap, "kv forward: %d tokens after %d positions exceed block_size %d", n,
              kv->len, kv->cap);
    int64_t C = kv->C;
    const float *wte = ax_f32(m->wte), *wpe = ax_f32(m->wpe);
    for (int64_t i = 0; i < n; i++) {
        AX_ASSERT(tokens[i] >= 0 && tokens[i] < c->vocab_size, "kv forward: token %d outside [0, %d)", tokens[i],
                  c->vocab_size);
        for (int64_t d = 0; d < C; d++) kv->x[i * C + d] = wte[tokens[i] * C + d] + wpe[(kv->len + i) * C + d];
    }
    for (int l = 0; l < c->n_layer; l++) block(m, kv, l, n);
    kv->len += n;
    layernorm(kv->x + (int64_t)(n - 1) * C, 1, C, m->ln_f_w, m->ln_f_b, c->ln_eps, kv->xn);
    ax_gemm(false, true, 1, c->vocab_size, C, 1.0f, kv->xn, C, wte, C, 0.0f, kv->logits, c->vocab_size); // x · wteᵀ
    return kv->logits;
}

/* ---- batched decoding: one new token for each of n caches ---------------------------------------------------
 * The rows of n sequences go through every matrix product together (the weights are read once per step, not
 * once per sequence); only attention is per row, each over its own cache. */
int ax_gpt_kv_forward_batch(const ax_gpt *m, ax_gpt_kv *const *kv, const int32_t *tokens, int n, float *logits) {
    const ax_gpt_config *c = &m->cfg;
    int64_t C = c->n_embd, H = c->n_head, D = C / H, rows = n;
    AX_ASSERT(n >= 1, "kv batch forward: %d sequences", n);
    bool ok = true;
    float *x = alloc_floats(rows * C, &ok), *xn = alloc_floats(rows * C, &ok), *att = alloc_floats(rows * C, &ok);
    float *qkv = alloc_floats(rows * 3 * C, &ok), *hid = alloc_floats(rows * 4 * C, &ok);
    if (!ok) {
        free(x), free(xn), free(att), free(qkv), free(hid);
        return ax_error("out of memory for a batch of %d sequences", n);
    }
    const float *wte = ax_f32(m->wte), *wpe = ax_f32(m->wpe);
    for (int64_t i = 0; i < rows; i++) {
        AX_ASSERT(kv[i]->len < kv[i]->cap && tokens[i] >= 0 && tokens[i] < c->vocab_size,
                  "kv batch forward: sequence %lld holds %d of %d positions, token %d (vocabulary %d)", (long long)i,
                  kv[i]->len, kv[i]->cap, tokens[i], c->vocab_size);
        for (int64_t d = 0; d < C; d++) x[i * C + d] = wte[tokens[i] * C + d] + wpe[kv[i]->len * C + d];
    }
    float scale = 1.0f / sqrtf((float)D);
    for (int l = 0; l < c->n_layer; l++) {
        const ax_gpt_block *h = &m->h[l];
        block_qkv(m, h, x, rows, xn, qkv);
        int64_t off = (int64_t)l * kv[0]->cap * C; // layer l's slice of a cache (every cache has cap = block_size)
        for (int64_t i = 0; i < rows; i++) {
            int64_t p = kv[i]->len;
            memcpy(kv[i]->k + off + p * C, qkv + i * 3 * C + C, (size_t)C * sizeof(float));
            memcpy(kv[i]->v + off + p * C, qkv + i * 3 * C + 2 * C, (size_t)C * sizeof(float));
        }
#pragma omp parallel for collapse(2) if (rows * H * kv[0]->len * D > 32768)
        for (int64_t i = 0; i < rows; i++)
            for (int64_t hd = 0; hd < H; hd++)
                ax_attend_row(qkv + i * 3 * C + hd * D, kv[i]->k + off + hd * D, kv[i]->v + off + hd * D,
                              kv[i]->len + 1, C, D, scale, att + i * C + hd * D);
        block_out(m, h, x, att, rows, xn, hid);
    }
    for (int64_t i = 0; i < rows; i++) kv[i]->len++;
    layernorm(x, rows, C, m->ln_f_w, m->ln_f_b, c->ln_eps, xn);
    ax_gemm(false, true, rows, c->vocab_size, C, 1.0f, xn, C, wte, C, 0.0f, logits, c->vocab_size); // x · wteᵀ
    free(x), free(xn), free(att), free(qkv), free(hid);
    return AX_OK;
}
