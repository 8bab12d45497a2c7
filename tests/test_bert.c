/* bert: the BERT-style encoder against torch.nn.TransformerEncoderLayer (tools/fixtures/bert.py): hidden states, MLM
 * and token logits, both losses on fixed masks and every parameter's gradient; finite differences of the losses;
 * BERT's masking statistics; words → sub-words with the label on the first sub-word; decoding repaired to valid IOB2;
 * the checkpoint round trip; a tiny model that learns to tag a few sentences. */
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
// LayerNorm outputs and dot products of O(1) terms: absolute rounding error of a few ulps (as test_transformer.c)
#define FWD_ATOL 1e-5
#define CLOSE(a, e, what) check_close((a), (e), FP32_RTOL, FWD_ATOL, __FILE__, __LINE__, what)
#define C "tiny"

static ax_tagset tagset(void) {
    ax_tagset ts;
    ax_tagset_init(&ts, AX_NER_IOB2);
    ax_tagset_add_type(&ts, "LOC"), ax_tagset_add_type(&ts, "PER");
    return ts;
}

static ax_bert *model_from_fixture(fx *f) {
    ax_bert_config cfg = {.vocab = (int)fx_num(f, C, "vocab"), .d_model = (int)fx_num(f, C, "d_model"),
                          .n_head = (int)fx_num(f, C, "n_head"), .d_ff = (int)fx_num(f, C, "d_ff"),
                          .layers = (int)fx_num(f, C, "layers"), .max_len = (int)fx_num(f, C, "max_len"),
                          .n_labels = (int)fx_num(f, C, "n_labels"), .dropout = 0.0f, .ln_eps = 1e-5f};
    ax_tagset ts = tagset(); // 5 tags: O, B-LOC, I-LOC, B-PER, I-PER
    ax_bert *m = ax_bert_new(&cfg, &ts, NULL);
    for (int i = 0; i < m->params->n; i++) {
        const char *name = m->params->items[i].name;
        if (!CHECK(fx_has(f, C, name), "the fixture has no %s", name)) continue;
        ax_tensor *w = fx_get(f, C, name);
        CHECK(ax_same_shape(w, m->params->items[i].t), "shape of %s", name);
        memcpy(m->params->items[i].t->data, w->data, (size_t)ax_numel(w) * sizeof(float));
    }
    return m;
}

static void test_parity(fx *f) {
    ax_bert *m = model_from_fixture(f);
    ax_tensor *ids = fx_get(f, C, "ids"), *keep = fx_get(f, C, "keep"), *mlm_in = fx_get(f, C, "mlm_in"),
              *target = fx_get(f, C, "mlm_target"), *labels = fx_get(f, C, "labels");
    bool prev = ax_set_grad_enabled(false);
    ax_tensor *h = ax_bert_encode(m, mlm_in, keep, true);
    CHECK(CLOSE(h, fx_get(f, C, "hidden"), "hidden"), "hidden states");
    CHECK(CLOSE(ax_bert_mlm_logits(m, h), fx_get(f, C, "mlm_logits"), "mlm_logits"), "MLM logits");
    ax_tensor *tl = ax_bert_token_logits(m, ax_bert_encode(m, ids, keep, true), true);
    CHECK(CLOSE(tl, fx_get(f, C, "token_logits"), "token_logits"), "token logits");
    ax_set_grad_enabled(prev);
    ax_tensor *mlm = ax_bert_mlm_loss(m, mlm_in, keep, target, true), *tok = ax_bert_token_loss(m, ids, keep, labels, true);
    CHECK(CLOSE(mlm, fx_get(f, C, "mlm_loss"), "mlm_loss"), "MLM loss %g", ax_item(mlm));
    CHECK(CLOSE(tok, fx_get(f, C, "token_loss"), "token_loss"), "token loss %g", ax_item(tok));
    ax_backward(ax_add(mlm, tok));
    for (int i = 0; i < m->params->n; i++) {
        char key[128];
        snprintf(key, sizeof key, "grad_%s", m->params->items[i].name);
        ax_tensor *g = m->params->items[i].t->grad;
        CHECK(g && check_close(g, fx_get(f, C, key), GRAD_RTOL, GRAD_ATOL, __FILE__, __LINE__, key), "%s", key);
    }
    ax_bert_free(m);
    ax_arena_reset();
}

typedef struct {
    const ax_bert *m;                                 // the fixture's model
    ax_tensor *ids, *keep, *mlm_in, *target, *labels; // its batch
} loss_ctx;

static ax_tensor *loss_fn(ax_tensor **in, void *vctx) {
    (void)in; // the inputs are parameters of the model
    const loss_ctx *c = vctx;
    return ax_add(ax_bert_mlm_loss(c->m, c->mlm_in, c->keep, c->target, false),
                  ax_bert_token_loss(c->m, c->ids, c->keep, c->labels, false));
}

static void test_gradcheck(fx *f) {
    ax_bert *m = model_from_fixture(f);
    loss_ctx ctx = {m, fx_get(f, C, "ids"), fx_get(f, C, "keep"), fx_get(f, C, "mlm_in"), fx_get(f, C, "mlm_target"),
                    fx_get(f, C, "labels")};
    // parameters the ReLUs of the feed-forward layers do not sit behind: a central difference of ε across a ReLU's
    // kink is not the derivative (the analytic gradients of those match PyTorch's in test_parity)
    const char *names[] = {"mlm.bias", "mlm.norm.weight", "classifier.bias", "encoder.layers.1.norm2.bias",
                           "encoder.layers.1.linear2.bias"};
    ax_tensor *in[5];
    for (int i = 0; i < 5; i++) in[i] = ax_params_get(m->params, names[i]);
    int bad = ax_gradcheck(loss_fn, &ctx, in, 5, GC_EPS, GC_RTOL, GC_ATOL);
    CHECK(bad == 0, "gradcheck of the losses: %d bad", bad);
    ax_bert_free(m);
    ax_arena_reset();
}

static void test_masking(void) {
    enum { N = 200000 };
    ax_bert_config cfg = {.vocab = 101};
    int32_t *ids = malloc(N * sizeof *ids), *in = malloc(N * sizeof *in), *tg = malloc(N * sizeof *tg);
    uint8_t *keep = malloc(N);
    ax_rng rng;
    ax_rng_seed(&rng, 7);
    for (int i = 0; i < N; i++) ids[i] = (int32_t)(ax_rng_u32(&rng) % 100), keep[i] = i % 10 != 9;
    ax_bert_mask(&cfg, &rng, ids, keep, N, 0.15f, in, tg);
    int chosen = 0, masked = 0, same = 0, pad_touched = 0, out_of_range = 0;
    for (int i = 0; i < N; i++) {
        out_of_range += in[i] < 0 || in[i] > 100;
        if (!keep[i]) pad_touched += tg[i] != -100 || in[i] != ids[i];
        if (tg[i] == -100) {
            pad_touched += in[i] != ids[i];
            continue;
        }
        chosen++, masked += in[i] == 100, same += in[i] == ids[i];
        CHECK(tg[i] == ids[i], "target %d of position %d is not its id %d", tg[i], i, ids[i]);
    }
    double kept = N * 0.9, p = chosen / kept, pm = (double)masked / chosen, ps = (double)same / chosen;
    // binomial standard errors: 0.15 ± 0.0009 over 180k positions, the shares ± 0.003 over 27k
    CHECK(fabs(p - 0.15) < 0.005, "chosen share %.4f", p);
    CHECK(fabs(pm - 0.8) < 0.015, "[MASK] share %.4f", pm);
    CHECK(fabs(ps - 0.1 - 0.1 / 100) < 0.015, "unchanged share %.4f (10 %% + random hits)", ps);
    CHECK(pad_touched == 0 && out_of_range == 0, "%d padding or unchosen positions changed, %d ids out of range",
          pad_touched, out_of_range);
    // a short sequence still gets one target
    int32_t one_in[2], one_tg[2];
    ax_bert_mask(&cfg, &rng, ids, NULL, 2, 0.0f, one_in, one_tg);
    CHECK(one_tg[1] == ids[1] && one_in[1] == 100 && one_tg[0] == -100, "a target is forced when none was drawn");
    free(ids), free(in), free(tg), free(keep);
}

static const char *const CORPUS = "Elizabeth went to London. Jane Bennet saw Bingley at Netherfield. They walked to "
                                  "Meryton. Jesus went to Jerusalem and Bethany. Elizabeth saw Jane in London.";

static ax_bert *tiny_tagger(int max_len) {
    ax_tokenizer *tok;
    CHECK(ax_bpe_train(CORPUS, strlen(CORPUS), 280, &tok) == AX_OK, "bpe: %s", ax_last_error());
    ax_tagset ts = tagset();
    ax_bert_config cfg = {.vocab = ax_tokenizer_vocab_size(tok) + 1, .d_model = 32, .n_head = 4, .d_ff = 64,
                          .layers = 2, .max_len = max_len, .n_labels = ax_tagset_size(&ts), .dropout = 0.0f,
                          .ln_eps = 1e-5f};
    ax_manual_seed(5);
    return ax_bert_new(&cfg, &ts, tok);
}

// O, B-LOC, I-LOC, B-PER, I-PER
static const char *const WORDS[] = {"Jane", "Bennet", "walked", "to", "Meryton", "Elizabeth", "saw", "Bethany"};
static const int32_t TAGS[] = {3, 4, 0, 0, 1, 3, 0, 1};

static void test_alignment(void) {
    ax_bert *m = tiny_tagger(32);
    ax_bert_words w;
    CHECK(ax_bert_encode_words(m, WORDS, 8, &w) == AX_OK, "encode words");
    for (int i = 0; i < 8; i++) {
        int32_t *ids;
        size_t n;
        char buf[32];
        snprintf(buf, sizeof buf, " %s", WORDS[i]);
        ax_tokenizer_encode(m->tok, buf, strlen(buf), &ids, &n);
        CHECK(w.off[i + 1] - w.off[i] == (int64_t)n && memcmp(ids, w.ids + w.off[i], n * sizeof *ids) == 0,
              "word %s: its sub-words as \" word\"", WORDS[i]);
        free(ids);
    }
    CHECK(w.off[5] - w.off[4] >= 2, "Meryton (seen once) has several sub-words");
    int64_t first[2] = {0, 5};
    int n[2] = {5, 3};
    ax_bert_batch b = ax_bert_make_batch(m, &w, first, n, TAGS, 2);
    const int32_t *lab = ax_i32(b.labels), *fi = ax_i32(b.first);
    const uint8_t *keep = b.keep->data;
    for (int s = 0; s < 2; s++) {
        int64_t s0 = w.off[first[s]], len = w.off[first[s] + n[s]] - s0, labelled = 0;
        for (int64_t t = 0; t < b.T; t++) labelled += lab[s * b.T + t] != -100;
        CHECK(labelled == n[s], "sequence %d: %lld labelled sub-words for %d words", s, (long long)labelled, n[s]);
        for (int i = 0; i < n[s]; i++) {
            int64_t pos = w.off[first[s] + i] - s0;
            CHECK(fi[s * b.W + i] == pos && lab[s * b.T + pos] == TAGS[first[s] + i], "word %d of sequence %d", i, s);
        }
        for (int64_t t = 0; t < b.T; t++) CHECK(keep[s * b.T + t] == (t < len), "keep of %d, %lld", s, (long long)t);
    }
    ax_bert_words_free(&w);
    ax_bert_free(m);
    ax_arena_reset();
}

// trains the tiny tagger on WORDS / TAGS until it tags them; the decoded tags must come back
static void test_learn_and_decode(void) {
    ax_bert *m = tiny_tagger(32);
    ax_bert_words w;
    ax_bert_encode_words(m, WORDS, 8, &w);
    int64_t first[2] = {0, 5};
    int n[2] = {5, 3};
    ax_optim_config oc = ax_optim_defaults(AX_OPTIM_ADAM);
    oc.lr = 3e-3f;
    ax_optim *opt = ax_optim_new(m->params, oc);
    for (int it = 0; it < 80; it++) {
        ax_bert_batch b = ax_bert_make_batch(m, &w, first, n, TAGS, 2);
        ax_backward(ax_bert_token_loss(m, b.ids, b.keep, b.labels, true));
        ax_optim_step(opt), ax_optim_zero_grad(opt);
        ax_arena_reset();
    }
    ax_bert_batch b = ax_bert_make_batch(m, &w, first, n, NULL, 2);
    const int32_t *path = ax_i32(ax_bert_decode(m, &b));
    int wrong = 0;
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < (int)b.W; i++) wrong += path[s * b.W + i] != (i < n[s] ? TAGS[first[s] + i] : -1);
    CHECK(wrong == 0, "%d words mistagged after training", wrong);
    // repair: a classifier that always prefers I-PER must still decode as a valid sequence (B-PER I-PER …)
    ax_init_zeros(m->classifier.weight), ax_init_zeros(m->classifier.bias);
    ax_f32(m->classifier.bias)[4] = 5.0f, ax_f32(m->classifier.bias)[3] = 4.0f;
    path = ax_i32(ax_bert_decode(m, &b));
    CHECK(path[0] == 3 && path[1] == 4 && path[4] == 4 && path[b.W] == 3, "repaired to B-PER I-PER…: %d %d %d %d",
          path[0], path[1], path[4], path[b.W]);
    // save, load, same tags
    char dir[] = "/tmp/axon_bert_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    CHECK(ax_bert_save(m, dir, "{\"note\": 1}") == AX_OK && ax_bert_is_checkpoint(dir), "save: %s", ax_last_error());
    ax_bert *back = NULL;
    CHECK(ax_bert_load(dir, &back) == AX_OK, "load: %s", ax_last_error());
    if (back) {
        b = ax_bert_make_batch(back, &w, first, n, NULL, 2);
        CHECK(ax_i32(ax_bert_decode(back, &b))[1] == 4 && back->tags.n_types == 2, "loaded model decodes the same");
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    ax_optim_free(opt);
    ax_bert_free(back), ax_bert_free(m);
    ax_bert_words_free(&w);
    ax_arena_reset();
}

static void test_bad_checkpoint(void) {
    char dir[] = "/tmp/axon_bert_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[64];
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *fp = fopen(path, "w");
    fputs("{\"axon_model\": \"ner\", \"arch\": \"bert\", \"vocab_size\": -3}", fp);
    fclose(fp);
    ax_bert *m = NULL;
    CHECK(ax_bert_load(dir, &m) == AX_ERR && m == NULL && strstr(ax_last_error(), "config.json"), "bad config: %s",
          ax_last_error());
    remove(path);
    rmdir(dir);
}

int main(void) {
    fx *f = fx_open("bert");
    test_parity(f);
    test_gradcheck(f);
    fx_close(f);
    test_masking();
    test_alignment();
    test_learn_and_decode();
    test_bad_checkpoint();
    return check_report();
}
