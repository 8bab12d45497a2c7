/* transformer: the encoder–decoder against torch.nn.TransformerEncoderLayer / TransformerDecoderLayer
 * (tools/fixtures/transformer.py: post-LN with sinusoidal positions, pre-LN with learned ones; padded sources and
 * targets): encoder output, logits, the label-smoothed loss and every parameter's gradient; finite differences of the
 * loss; incremental decoding (greedy against the full forward at every step, batched against one by one, beam 1 against
 * greedy, beam scores against the full forward, beam against greedy); cross-attention weights; configs and
 * checkpoints. */
#include "check.h"
#include "fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// gradients sum over every position, head and layer; float32 summation order differs from PyTorch's
#define GRAD_RTOL 1e-4
#define GRAD_ATOL 1e-5

static ax_transformer *model_from_fixture(fx *f, const char *c) {
    ax_transformer_config cfg = {.vocab = (int)fx_num(f, c, "vocab"), .d_model = (int)fx_num(f, c, "d_model"),
                                 .n_head = (int)fx_num(f, c, "n_head"), .d_ff = (int)fx_num(f, c, "d_ff"),
                                 .enc_layers = (int)fx_num(f, c, "enc_layers"),
                                 .dec_layers = (int)fx_num(f, c, "dec_layers"), .dropout = 0.0f,
                                 .pre_ln = fx_num(f, c, "pre_ln") != 0, .learned_pos = fx_num(f, c, "learned_pos") != 0,
                                 .max_len = (int)fx_num(f, c, "max_len"), .ln_eps = 1e-5f,
                                 .eot = (int32_t)fx_num(f, c, "eot")};
    ax_transformer *m = ax_transformer_new(&cfg);
    for (int i = 0; i < m->params->n; i++) {
        const char *name = m->params->items[i].name;
        if (!CHECK(fx_has(f, c, name), "%s: the fixture has no %s", c, name)) continue;
        ax_tensor *w = fx_get(f, c, name);
        CHECK(ax_same_shape(w, m->params->items[i].t), "%s: shape of %s", c, name);
        memcpy(m->params->items[i].t->data, w->data, (size_t)ax_numel(w) * sizeof(float));
    }
    return m;
}

/* Forward values are LayerNorm outputs and dot products of O(1) terms: their rounding error is absolute (a few float32
 * ulps of the terms), so values near 0 need an absolute bound above FP32_ATOL. */
#define FWD_ATOL 1e-5
#define CLOSE(a, e, what) check_close((a), (e), FP32_RTOL, FWD_ATOL, __FILE__, __LINE__, what)

static void parity(fx *f, const char *c) {
    ax_transformer *m = model_from_fixture(f, c);
    ax_tensor *src = fx_get(f, c, "src"), *keep = fx_get(f, c, "src_keep"), *tgt_in = fx_get(f, c, "tgt_in"),
              *tgt_out = fx_get(f, c, "tgt_out");
    bool prev = ax_set_grad_enabled(false);
    ax_tensor *memory = ax_transformer_encode(m, src, keep, true);
    CHECK(CLOSE(memory, fx_get(f, c, "memory"), "memory"), "%s: encoder output", c);
    ax_tensor *logits = ax_transformer_decode(m, memory, keep, tgt_in, true);
    CHECK(CLOSE(logits, fx_get(f, c, "logits"), "logits"), "%s: logits", c);
    ax_set_grad_enabled(prev);
    ax_tensor *loss = ax_transformer_loss(m, src, keep, tgt_in, tgt_out, 0.1f, true);
    CHECK(CLOSE(loss, fx_get(f, c, "loss"), "loss"), "%s: label-smoothed loss %g", c, ax_item(loss));
    ax_backward(loss);
    for (int i = 0; i < m->params->n; i++) {
        char key[128];
        snprintf(key, sizeof key, "grad_%s", m->params->items[i].name);
        ax_tensor *g = m->params->items[i].t->grad;
        CHECK(g && check_close(g, fx_get(f, c, key), GRAD_RTOL, GRAD_ATOL, __FILE__, __LINE__, key), "%s: %s", c, key);
    }
    ax_transformer_free(m);
    ax_arena_reset();
}

/* ---- finite differences of the whole model's loss ---- */

typedef struct {
    const ax_transformer *m;              // the fixture's model
    ax_tensor *src, *keep, *tgt_in, *tgt_out; // its batch
} loss_ctx;

static ax_tensor *loss_fn(ax_tensor **in, void *vctx) {
    (void)in; // the inputs are parameters of the model: perturbing them perturbs the loss
    const loss_ctx *c = vctx;
    return ax_transformer_loss(c->m, c->src, c->keep, c->tgt_in, c->tgt_out, 0.1f, false);
}

static void gradcheck_loss(fx *f, const char *c) {
    ax_transformer *m = model_from_fixture(f, c);
    loss_ctx ctx = {m, fx_get(f, c, "src"), fx_get(f, c, "src_keep"), fx_get(f, c, "tgt_in"), fx_get(f, c, "tgt_out")};
    const char *names[] = {"decoder.layers.0.multihead_attn.in_proj_bias", "encoder.layers.0.norm1.weight",
                           "decoder.layers.0.linear2.bias", "encoder.layers.0.self_attn.out_proj.bias"};
    ax_tensor *in[4];
    for (int i = 0; i < 4; i++) in[i] = ax_params_get(m->params, names[i]);
    int bad = ax_gradcheck(loss_fn, &ctx, in, 4, GC_EPS, GC_RTOL, GC_ATOL);
    CHECK(bad == 0, "%s: gradcheck of the loss: %d bad", c, bad);
    ax_params_zero_grad(m->params);
    ax_transformer_free(m);
    ax_arena_reset();
}

/* ---- decoding ---- */

enum { N_SRC = 3, MAX_OUT = 14 };
static const int32_t SRC0[] = {5, 9, 3, 11, 7, 2, 0}, SRC1[] = {4, 12, 0}, SRC2[] = {8, 1, 6, 10, 0};
static const int32_t *const SRCS[N_SRC] = {SRC0, SRC1, SRC2};
static const int SRC_LEN[N_SRC] = {7, 3, 5};

static ax_transformer *random_model(bool pre_ln, uint64_t seed) {
    ax_manual_seed(seed);
    ax_transformer_config cfg = {.vocab = 13, .d_model = 16, .n_head = 4, .d_ff = 24, .enc_layers = 2,
                                 .dec_layers = 2, .dropout = 0.1f, .pre_ln = pre_ln, .learned_pos = pre_ln,
                                 .max_len = 20, .ln_eps = 1e-5f, .eot = 0};
    return ax_transformer_new(&cfg);
}

/* Trains m briefly (Adam) to reverse 1..6 tokens of 1..12: outputs of different lengths, and choices for the beam. */
static void train_reverse(ax_transformer *m, int steps) {
    enum { B = 16, S = 7 };
    ax_optim_config oc = ax_optim_defaults(AX_OPTIM_ADAM);
    oc.lr = 1e-2f;
    ax_optim *opt = ax_optim_new(m->params, oc);
    ax_rng *rng = ax_rng_global();
    for (int it = 0; it < steps; it++) {
        int32_t src[B * S], in[B * S], out[B * S];
        uint8_t keep[B * S];
        for (int b = 0; b < B; b++) {
            int n = 1 + (int)(ax_rng_u32(rng) % (S - 1));
            for (int t = 0; t < S; t++)
                src[b * S + t] = in[b * S + t] = 0, out[b * S + t] = -100, keep[b * S + t] = t <= n;
            for (int t = 0; t < n; t++) src[b * S + t] = 1 + (int32_t)(ax_rng_u32(rng) % 12);
            for (int t = 0; t < n; t++) out[b * S + t] = in[b * S + t + 1] = src[b * S + n - 1 - t];
            out[b * S + n] = 0;
        }
        ax_tensor *k = ax_empty_dtype(AX_BOOL, AX_SHAPE(B, S));
        memcpy(k->data, keep, sizeof keep);
        ax_tensor *loss = ax_transformer_loss(m, ax_from_i32(AX_SHAPE(B, S), src), k, ax_from_i32(AX_SHAPE(B, S), in),
                                              ax_from_i32(AX_SHAPE(B, S), out), 0.1f, true);
        ax_optim_zero_grad(opt);
        ax_backward(loss);
        ax_optim_step(opt);
        ax_arena_reset();
    }
    ax_optim_free(opt);
}

// log-probabilities (T, V) of the full (non-incremental) forward of tgt_in = [eot ids…] over one source
static ax_tensor *full_log_probs(const ax_transformer *m, const int32_t *src, int n, const int32_t *ids, int len) {
    int32_t in[32];
    in[0] = m->cfg.eot;
    memcpy(in + 1, ids, (size_t)len * sizeof *ids);
    ax_tensor *s = ax_from_i32(AX_SHAPE(1, n), src);
    ax_tensor *lg = ax_transformer_decode(m, ax_transformer_encode(m, s, NULL, false), NULL,
                                          ax_from_i32(AX_SHAPE(1, len + 1), in), false);
    return ax_log_softmax(ax_reshape(lg, AX_SHAPE(len + 1, m->cfg.vocab)), -1);
}

// the number of tokens before the eos in a greedy output row
static int out_len(const int32_t *row, int32_t eot) {
    int k = 0;
    while (k < MAX_OUT && row[k] != eot) k++;
    return k;
}

// Greedy: each emitted token (and the eos) is the argmax of the full forward over the prefix before it.
static void greedy_vs_full(const ax_transformer *m, int32_t out[N_SRC][MAX_OUT + 1]) {
    int32_t *rows[N_SRC] = {out[0], out[1], out[2]};
    ax_transformer_greedy(m, SRCS, SRC_LEN, N_SRC, MAX_OUT, rows);
    int32_t eot = m->cfg.eot;
    for (int i = 0; i < N_SRC; i++) {
        int k = out_len(out[i], eot), V = m->cfg.vocab;
        CHECK(out[i][MAX_OUT] == eot, "source %d: eos at [max_len]", i);
        const float *lp = ax_f32(full_log_probs(m, SRCS[i], SRC_LEN[i], out[i], k < MAX_OUT ? k : MAX_OUT - 1));
        int steps = k < MAX_OUT ? k + 1 : MAX_OUT, wrong = 0;
        for (int t = 0; t < steps; t++) {
            int best = 0;
            for (int w = 1; w < V; w++) best = lp[t * V + w] > lp[t * V + best] ? w : best;
            wrong += best != out[i][t];
        }
        CHECK(wrong == 0, "source %d: %d of %d greedy steps differ from the full forward's argmax", i, wrong, steps);
        int32_t solo[MAX_OUT + 1], *solo_row[1] = {solo};
        ax_transformer_greedy(m, &SRCS[i], &SRC_LEN[i], 1, MAX_OUT, solo_row);
        CHECK(memcmp(solo, out[i], sizeof solo) == 0, "source %d: batched greedy differs from greedy alone", i);
    }
    ax_arena_reset();
}

// Σ log p of ids then eos under the full forward
static double full_logp(const ax_transformer *m, int i, const int32_t *ids, int len, bool finished) {
    const float *lp = ax_f32(full_log_probs(m, SRCS[i], SRC_LEN[i], ids, len));
    double sum = 0;
    for (int t = 0; t < len + finished; t++) sum += lp[t * m->cfg.vocab + (t < len ? ids[t] : m->cfg.eot)];
    return sum;
}

static void beam(const ax_transformer *m, int32_t greedy[N_SRC][MAX_OUT + 1]) {
    int better = 0;
    for (int i = 0; i < N_SRC; i++) {
        ax_beam_config cfg = {.beam = 1, .nbest = 1, .max_len = MAX_OUT, .alpha = 0, .sos = 0, .eos = 0};
        ax_beam_hyp one[1], four[4];
        CHECK(ax_transformer_beam(m, SRCS[i], SRC_LEN[i], &cfg, one) == 1, "beam 1: %s", ax_last_error());
        int k = out_len(greedy[i], 0);
        CHECK(one[0].len == k && memcmp(one[0].ids, greedy[i], (size_t)k * sizeof(int32_t)) == 0,
              "source %d: beam 1 (%d tokens) equals greedy (%d tokens)", i, one[0].len, k);
        cfg.beam = cfg.nbest = 4;
        int got = ax_transformer_beam(m, SRCS[i], SRC_LEN[i], &cfg, four);
        CHECK(got == 4, "beam 4: %d results", got);
        for (int r = 0; r < got; r++) { // the cache reordered by parent gives the full forward's scores
            double want = full_logp(m, i, four[r].ids, four[r].len, four[r].finished);
            CHECK(fabs(four[r].logp - want) < 1e-4 * (1 + fabs(want)), "source %d, hypothesis %d: logp %g, full %g", i,
                  r, four[r].logp, want);
        }
        CHECK(four[0].logp >= one[0].logp - 1e-5f, "source %d: beam 4 %g below greedy %g", i, four[0].logp,
              one[0].logp);
        better += four[0].logp > one[0].logp + 1e-3f;
        ax_beam_hyp_free(one, 1);
        ax_beam_hyp_free(four, got);
        ax_arena_reset();
    }
    CHECK(better > 0, "beam 4 finds a better translation than greedy for some source");
    ax_beam_config bad = {.beam = 2, .nbest = 1, .max_len = 5, .sos = 1, .eos = 0};
    CHECK(ax_transformer_beam(m, SRC0, 7, &bad, NULL) == AX_ERR, "sos other than eot refused");
    bad.sos = 0, bad.nbest = 3;
    CHECK(ax_transformer_beam(m, SRC0, 7, &bad, NULL) == AX_ERR, "nbest > beam refused");
    bad.nbest = 1;
    CHECK(ax_transformer_beam(m, SRC0, 21, &bad, NULL) == AX_ERR && strstr(ax_last_error(), "21 tokens"),
          "a source longer than max_len refused: %s", ax_last_error());
}

static void cross_attention(const ax_transformer *m, const int32_t *tgt, int len) {
    int n = SRC_LEN[0], H = m->cfg.n_head, L = m->cfg.dec_layers;
    float mean[16 * 8], one[16 * 8], sum[16 * 8] = {0};
    ax_transformer_cross_attention(m, SRC0, n, tgt, len, -1, -1, mean);
    bool rows_ok = true, not_uniform = false;
    for (int t = 0; t <= len; t++) {
        double s = 0;
        for (int j = 0; j < n; j++) s += mean[t * n + j], rows_ok &= mean[t * n + j] >= 0;
        rows_ok &= fabs(s - 1) < 1e-5;
        not_uniform |= fabsf(mean[t * n] - 1.0f / (float)n) > 1e-3f;
    }
    CHECK(rows_ok && not_uniform, "cross-attention rows are distributions over the %d source tokens", n);
    for (int l = 0; l < L; l++)
        for (int h = 0; h < H; h++) {
            ax_transformer_cross_attention(m, SRC0, n, tgt, len, l, h, one);
            for (int i = 0; i < (len + 1) * n; i++) sum[i] += one[i] / (float)(L * H);
        }
    bool mean_ok = true;
    for (int i = 0; i < (len + 1) * n; i++) mean_ok &= fabsf(sum[i] - mean[i]) < 1e-5f;
    CHECK(mean_ok, "layer -1, head -1 is the mean over layers and heads");
    ax_arena_reset();
}

static void decoding(bool pre_ln) {
    ax_transformer *m = random_model(pre_ln, pre_ln ? 11 : 7);
    train_reverse(m, 100);
    int32_t greedy[N_SRC][MAX_OUT + 1];
    greedy_vs_full(m, greedy);
    beam(m, greedy);
    cross_attention(m, (const int32_t[]){3, 7, 7, 1, 12}, 5);
    int32_t cut[3], *cut_row[1] = {cut}; // max_len 2: at most 2 tokens then eos
    ax_transformer_greedy(m, SRCS, SRC_LEN, 1, 2, cut_row);
    CHECK(cut[2] == 0, "greedy cut at max_len ends in eos");
    int32_t longer[31], *long_row[1] = {longer}; // beyond the model's 20 positions: at most 19 tokens, then eos
    ax_transformer_greedy(m, SRCS, SRC_LEN, 1, 30, long_row);
    bool tail_eot = true;
    for (int t = 19; t <= 30; t++) tail_eot &= longer[t] == 0;
    CHECK(tail_eot && memcmp(longer, greedy[0], (size_t)out_len(greedy[0], 0) * sizeof(int32_t)) == 0,
          "max_len is clamped to the model's positions");
    ax_transformer_free(m);
    ax_arena_reset();
}

/* ---- configs and checkpoints ---- */

static bool config_equal(const ax_transformer_config *a, const ax_transformer_config *b) {
    return a->vocab == b->vocab && a->d_model == b->d_model && a->n_head == b->n_head && a->d_ff == b->d_ff &&
           a->enc_layers == b->enc_layers && a->dec_layers == b->dec_layers && a->dropout == b->dropout &&
           a->pre_ln == b->pre_ln && a->learned_pos == b->learned_pos && a->max_len == b->max_len &&
           a->ln_eps == b->ln_eps && a->eot == b->eot;
}

static void configs(void) {
    ax_transformer_config s = ax_transformer_config_small(8000, 7), b = ax_transformer_config_base(37000, 0);
    CHECK(ax_transformer_config_check(&s) == AX_OK && !s.pre_ln && !s.learned_pos && s.eot == 7, "small: %s",
          ax_last_error());
    CHECK(b.d_model == 512 && b.n_head == 8 && b.d_ff == 2048 && b.enc_layers == 6 && b.dec_layers == 6 &&
              fabsf(b.dropout - 0.1f) < 1e-7f && ax_transformer_config_check(&b) == AX_OK,
          "base is the paper's");
    char *json = ax_transformer_config_to_json(&s);
    ax_transformer_config back;
    CHECK(ax_transformer_config_from_json(json, &back) == AX_OK && config_equal(&back, &s),
          "config round trip: %s", ax_last_error());
    free(json);
    struct {
        const char *field;
        ax_transformer_config c;
    } bad[] = {{"d_model", s}, {"eot", s}, {"dropout", s}, {"max_len", s}, {"layers", s}};
    bad[0].c.d_model = 250, bad[1].c.eot = 8000, bad[2].c.dropout = 1.0f, bad[3].c.max_len = 1, bad[4].c.dec_layers = 0;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(ax_transformer_config_check(&bad[i].c) == AX_ERR && strstr(ax_last_error(), bad[i].field),
              "bad %s: %s", bad[i].field, ax_last_error());
}

static void write_text(const char *path, const char *text) {
    FILE *fp = fopen(path, "w");
    fputs(text, fp);
    fclose(fp);
}

static void load_fails(const char *dir, const char *what) {
    ax_transformer *m = (ax_transformer *)1;
    CHECK(ax_transformer_load(dir, &m) == AX_ERR && m == NULL && !strchr(ax_last_error(), '\n') &&
              *ax_last_error(),
          "%s: one line: %s", what, ax_last_error());
}

static void checkpoints(void) {
    char dir[] = "/tmp/axon_transformer_XXXXXX";
    if (!CHECK(mkdtemp(dir) != NULL, "mkdtemp")) return;
    ax_transformer *m = random_model(true, 3);
    CHECK(ax_transformer_save(m, dir) == AX_OK, "save: %s", ax_last_error());
    ax_transformer *back = NULL;
    CHECK(ax_transformer_load(dir, &back) == AX_OK && back, "load: %s", ax_last_error());
    if (back) {
        ax_tensor *src = ax_from_i32(AX_SHAPE(1, 7), SRC0);
        ax_tensor *tgt = ax_from_i32(AX_SHAPE(1, 4), (const int32_t[]){0, 3, 4, 5});
        ax_tensor *a = ax_transformer_decode(m, ax_transformer_encode(m, src, NULL, false), NULL, tgt, false);
        ax_tensor *b = ax_transformer_decode(back, ax_transformer_encode(back, src, NULL, false), NULL, tgt, false);
        CHECK(memcmp(a->data, b->data, (size_t)ax_numel(a) * sizeof(float)) == 0, "identical logits after load");
        CHECK(config_equal(&back->cfg, &m->cfg), "same config after load");
        ax_transformer_free(back);
    }
    const char *cfg = check_join(dir, "config.json"), *wts = check_join(dir, "model.safetensors");
    char *good = check_slurp(cfg);
    write_text(cfg, "{\"axon_model\": \"transformer\", \"d_model\": 16");
    load_fails(dir, "truncated config");
    write_text(cfg, "{\"axon_model\": \"seq2seq\"}");
    load_fails(dir, "another model's config");
    char *no_heads = strdup(good);
    memcpy(strstr(no_heads, "\"n_head\""), "\"n_hexd\"", 8);
    write_text(cfg, no_heads);
    load_fails(dir, "config without n_head");
    free(no_heads);
    ax_transformer_config other = m->cfg;
    other.d_ff = 32;
    char *json = ax_transformer_config_to_json(&other);
    write_text(cfg, json);
    free(json);
    load_fails(dir, "weights of another shape");
    write_text(cfg, good);
    write_text(wts, "garbage");
    load_fails(dir, "corrupt weights");
    remove(wts);
    load_fails(dir, "missing weights");
    remove(cfg);
    rmdir(dir);
    load_fails(dir, "missing directory");
    free(good);
    ax_transformer_free(m);
    ax_arena_reset();
}

int main(void) {
    fx *f = fx_open("transformer");
    parity(f, "post_ln_sinusoidal");
    parity(f, "pre_ln_learned");
    gradcheck_loss(f, "post_ln_sinusoidal");
    gradcheck_loss(f, "pre_ln_learned");
    fx_close(f);
    decoding(false);
    decoding(true);
    configs();
    checkpoints();
    return check_report();
}
