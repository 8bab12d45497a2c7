/* seq2seq: the GRU + attention translator against the PyTorch module of tools/fixtures/seq2seq.py (encoder outputs,
 * initial state, logits, attention weights, loss and every parameter's gradient; teacher forcing and the model's own
 * words; Bahdanau, general and dot attention), finite differences through a decoder step, beam search (beam 1 is
 * greedy; a crafted case where it beats greedy; n-best), the word normaliser and vocabularies, and a tiny model
 * that learns to translate a handful of sentence pairs. */
#include "check.h"
#include "fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// the gradients sum over every decoder step and attention path; float32 summation order differs from PyTorch's
#define GRAD_RTOL 1e-4
#define GRAD_ATOL 1e-5

static ax_seq2seq *model_from_fixture(fx *f, const char *c) {
    ax_seq2seq_config cfg = {.src_vocab = (int64_t)fx_num(f, c, "src_vocab"),
                             .tgt_vocab = (int64_t)fx_num(f, c, "tgt_vocab"),
                             .emb = (int64_t)fx_num(f, c, "emb"), .hidden = (int64_t)fx_num(f, c, "hidden"),
                             .enc_layers = (int)fx_num(f, c, "layers"), .attn = (ax_attn_kind)fx_num(f, c, "attn"),
                             .dropout = 0.0f, .max_len = 10};
    ax_seq2seq *m = ax_seq2seq_new(&cfg);
    for (int i = 0; i < m->params->n; i++) {
        ax_tensor *w = fx_get(f, c, m->params->items[i].name);
        CHECK(ax_numel(w) == ax_numel(m->params->items[i].t), "%s: size of %s", c, m->params->items[i].name);
        memcpy(m->params->items[i].t->data, w->data, (size_t)ax_numel(w) * sizeof(float));
    }
    return m;
}

#define CLOSE(a, e, what) check_close((a), (e), FP32_RTOL, FP32_ATOL, __FILE__, __LINE__, what)

// the decoder run step by step through the public API: logits (B, T, V) and attention (B, T, S)
static void decode_steps(const ax_seq2seq *m, ax_tensor *src, ax_tensor *len, ax_tensor *tgt, bool teacher,
                         ax_tensor **logits, ax_tensor **attn) {
    int64_t B = tgt->shape[0], T = tgt->shape[1];
    ax_s2s_memory mem = ax_seq2seq_encode(m, src, len, true);
    ax_s2s_state st = ax_seq2seq_start(m, &mem);
    ax_tensor *lg[16], *at[16], *y = ax_empty_dtype(AX_I32, AX_SHAPE(B));
    for (int64_t t = 0; t < T; t++) {
        for (int64_t b = 0; b < B; b++)
            ax_i32(y)[b] = t == 0 ? AX_SOS : teacher ? ax_i32(tgt)[b * T + t - 1] : ax_i32(y)[b];
        lg[t] = ax_seq2seq_logits(m, ax_seq2seq_step(m, &mem, &st, y, true, &at[t]), true);
        ax_tensor *arg;
        ax_max(lg[t], 1, false, &arg);
        y = arg;
    }
    *logits = ax_stack(lg, (int)T, 1);
    *attn = ax_stack(at, (int)T, 1);
}

static void parity(fx *f, const char *c) {
    ax_seq2seq *m = model_from_fixture(f, c);
    ax_tensor *src = fx_get(f, c, "src"), *len = fx_get(f, c, "lengths"), *tgt = fx_get(f, c, "tgt");
    float tf = (float)fx_num(f, c, "tf_ratio");
    ax_s2s_memory mem = ax_seq2seq_encode(m, src, len, true);
    CHECK(CLOSE(mem.mem, fx_get(f, c, "mem"), "mem"), "%s: encoder outputs", c);
    CHECK(CLOSE(mem.h0, fx_get(f, c, "h0"), "h0"), "%s: initial decoder state", c);
    ax_tensor *logits, *attn;
    decode_steps(m, src, len, tgt, tf >= 1, &logits, &attn);
    CHECK(CLOSE(logits, fx_get(f, c, "logits"), "logits"), "%s: logits", c);
    CHECK(CLOSE(attn, fx_get(f, c, "attn_w"), "attn"), "%s: attention weights", c);
    int64_t S = src->shape[1], T = tgt->shape[1];
    for (int64_t i = 0; i < ax_numel(attn); i++) // padding positions get exactly zero weight
        if (i % S >= ax_i32(len)[i / (S * T)]) CHECK(ax_f32(attn)[i] == 0, "%s: weight on padding", c);
    ax_tensor *loss = ax_seq2seq_loss(m, src, len, tgt, tf, true);
    CHECK(CLOSE(loss, fx_get(f, c, "loss"), "loss"), "%s: loss %g", c, ax_item(loss));
    ax_backward(loss);
    for (int i = 0; i < m->params->n; i++) {
        char key[96];
        snprintf(key, sizeof key, "grad_%s", m->params->items[i].name);
        ax_tensor *g = m->params->items[i].t->grad;
        CHECK(g && check_close(g, fx_get(f, c, key), GRAD_RTOL, GRAD_ATOL, __FILE__, __LINE__, key), "%s: %s", c, key);
    }
    ax_seq2seq_free(m);
    ax_arena_reset();
}

/* ---- finite differences through one decoder step ---- */

typedef struct {
    const ax_seq2seq *m; // tiny model of one attention kind
    ax_tensor *pad;      // BOOL (B, 1, S)
    ax_tensor *y;        // I32 (B) previous words
} step_ctx;

// inputs: memory, keys, h, feed → õ and the attention weights, flattened
static ax_tensor *step_fn(ax_tensor **in, void *vctx) {
    const step_ctx *c = vctx;
    ax_s2s_memory mem = {.mem = in[0], .keys = in[1], .pad = c->pad, .h0 = in[2]};
    ax_s2s_state st = {.h = in[2], .feed = in[3]};
    ax_tensor *a, *o = ax_seq2seq_step(c->m, &mem, &st, c->y, false, &a);
    return ax_concat((ax_tensor *[]){ax_reshape(o, AX_SHAPE(-1)), ax_reshape(a, AX_SHAPE(-1))}, 2, 0);
}

static void gradcheck_step(ax_attn_kind kind) {
    ax_manual_seed(3 + (uint64_t)kind);
    ax_seq2seq_config cfg = {.src_vocab = 7, .tgt_vocab = 8, .emb = 3, .hidden = 2, .enc_layers = 1, .attn = kind,
                             .dropout = 0, .max_len = 5};
    ax_seq2seq *m = ax_seq2seq_new(&cfg);
    int64_t B = 2, S = 4, D = 4;
    ax_tensor *in[4] = {ax_randn(AX_SHAPE(B, S, D), 0, 1), ax_randn(AX_SHAPE(B, S, D), 0, 1),
                        ax_randn(AX_SHAPE(B, D), 0, 1), ax_randn(AX_SHAPE(B, D), 0, 1)};
    for (int i = 0; i < 4; i++) ax_requires_grad(in[i], i < 3 || ax_attn_is_luong(kind)); // Bahdanau: no feed
    ax_tensor *pad = ax_empty_dtype(AX_BOOL, AX_SHAPE(B, 1, S));
    for (int64_t i = 0; i < B * S; i++) ((uint8_t *)pad->data)[i] = i == 3 || i >= 6; // lengths 3 and 2
    step_ctx c = {m, pad, ax_from_i32(AX_SHAPE(B), (const int32_t[]){5, 1})};
    if (kind == AX_ATTN_DOT) in[1] = in[0]; // no key projection: the keys are the memory itself
    int bad = ax_gradcheck(step_fn, &c, in, 4, GC_EPS, GC_RTOL, GC_ATOL);
    CHECK(bad == 0, "gradcheck decoder step, %s attention: %d bad", ax_attn_name(kind), bad);
    ax_seq2seq_free(m);
    ax_arena_reset();
}

/* ---- words and vocabularies ---- */

static void check_words(const char *text, const char *want) {
    char *got = ax_words_normalize(text);
    CHECK(strcmp(got, want) == 0, "normalize '%s': '%s', want '%s'", text, got, want);
    free(got);
}

static void words(void) {
    check_words("Hello, World!  Don’t stop.", "hello , world ! don't stop .");
    check_words("ÜBER DEN FLUẞ, Straße; ÀÉÎ Ōō Ÿ", "über den fluẞ , straße ; àéî ōō ÿ");
    check_words("'Quoted' (10,000 €) «gut»…", "' quoted ' ( 10 , 000 € ) « gut » …");
    check_words("  \t\n", "");
    check_words("Er hat's\u00a0gesagt.", "er hat's gesagt .");
    char *d = ax_words_detokenize("i don't know , ( really ) ? ¿ qué ?");
    CHECK(strcmp(d, "i don't know, (really)? ¿qué?") == 0, "detokenize: '%s'", d);
    free(d);
}

static void vocab(void) {
    const char *texts[] = {"the cat sat .", "the dog sat .", "a cat ran"};
    ax_vocab *v = ax_vocab_build(texts, 3, 2, 0);
    // specials, then by count: "the" 2, "cat" 2, "sat" 2, "." 2 → ties in byte order: ". cat sat the"
    CHECK(ax_vocab_size(v) == 8, "vocab size %d", ax_vocab_size(v));
    CHECK(strcmp(ax_vocab_word(v, 4), ".") == 0 && strcmp(ax_vocab_word(v, 7), "the") == 0, "frequency order");
    CHECK(strcmp(ax_vocab_word(v, AX_EOS), "<eos>") == 0 && strcmp(ax_vocab_word(v, 99), "<unk>") == 0, "specials");
    int32_t ids[3];
    int n = ax_vocab_encode(v, "the dog sat still .", ids, 3);
    CHECK(n == 5 && ids[0] == 7 && ids[1] == AX_UNK && ids[2] == 6, "encode cuts at 3 of %d words", n);
    char *text = ax_vocab_decode(v, (const int32_t[]){AX_SOS, 7, 5, AX_UNK, AX_EOS, 6}, 6);
    CHECK(strcmp(text, "the cat <unk>") == 0, "decode stops at <eos>: '%s'", text);
    free(text);
    ax_vocab *capped = ax_vocab_build(texts, 3, 1, 6);
    CHECK(ax_vocab_size(capped) == 6, "max_size caps the vocabulary: %d", ax_vocab_size(capped));
    ax_vocab_free(capped);
    char path[] = "/tmp/axon_vocab_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && ax_vocab_save(v, path) == AX_OK, "save");
    ax_vocab *back = NULL;
    CHECK(ax_vocab_load(path, &back) == AX_OK && ax_vocab_size(back) == 8 && ax_vocab_id(back, "sat", 3) == 6,
          "load: %s", ax_last_error());
    ax_vocab_free(back);
    static const char *const bad[] = {"<pad>\n<sos>\n<eos>\n", "<pad>\n<sos>\n<eos>\n<unk>\na b\n",
                                      "<pad>\n<sos>\n<eos>\n<unk>\nx\nx\n", "<sos>\n<pad>\n<eos>\n<unk>\n",
                                      "<pad>\n<sos>\n<eos>\n<unk>\nx"};
    for (int i = 0; i < 5; i++) {
        FILE *fp = fopen(path, "w");
        fputs(bad[i], fp);
        fclose(fp);
        CHECK(ax_vocab_load(path, &back) == AX_ERR && back == NULL && strstr(ax_last_error(), path),
              "malformed vocabulary %d rejected: %s", i, ax_last_error());
    }
    remove(path);
    ax_vocab_free(v);
}

/* ---- beam search ---- */

/* A table language model over {sos 0, eos 1, A 2, B 3} whose next word depends on the last one only: after <sos>
 * A 0.6, B 0.4; after A everything 1/3 (a tie that greedy resolves to <eos>, the lowest id); after B <eos> almost
 * surely. Greedy finds "A" (P = 0.2), a beam of 2 finds "B" (P = 0.4). */
static void table_step(void *ctx, int n, const int32_t *parent, const int32_t *word, float *logp) {
    for (int i = 0; i < n; i++) {
        const float *p = word[i] == 0 ? (const float[]){0, 1e-6f, 0.6f, 0.4f}
                         : word[i] == 2 ? (const float[]){0, 1 / 3.0f, 1 / 3.0f, 1 / 3.0f}
                                        : (const float[]){0, 1 - 2e-6f, 1e-6f, 1e-6f};
        for (int w = 0; w < 4; w++) logp[i * 4 + w] = p[w] > 0 ? logf(p[w]) : -INFINITY;
    }
}

static void beam_crafted(void) {
    ax_beam_config cfg = {.beam = 1, .nbest = 1, .max_len = 5, .alpha = 0, .sos = 0, .eos = 1};
    ax_beam_hyp greedy[1], beam[2];
        CHECK(ax_beam_search(&cfg, 4, table_step, NULL, greedy) == 1 && greedy[0].len == 1 && greedy[0].ids[0] == 2,
          "greedy: A");
    cfg.beam = cfg.nbest = 2;
    CHECK(ax_beam_search(&cfg, 4, table_step, NULL, beam) == 2, "beam 2: two results");
    CHECK(beam[0].len == 1 && beam[0].ids[0] == 3 && beam[0].finished, "beam 2 finds B");
    CHECK(beam[0].logp > greedy[0].logp + 0.6f, "beam %g beats greedy %g", beam[0].logp, greedy[0].logp);
    CHECK_NEAR(beam[0].logp, logf(0.4f), 1e-5);
    CHECK(beam[1].len == 1 && beam[1].ids[0] == 2 && beam[1].score <= beam[0].score, "2nd best: A");
    ax_beam_hyp_free(greedy, 1);
    ax_beam_hyp_free(beam, 2);
    cfg.nbest = 3;
    CHECK(ax_beam_search(&cfg, 4, table_step, NULL, beam) == AX_ERR, "nbest > beam rejected");
}

/* ---- a tiny translator learns its training pairs ---- */

static const char *const PAIRS[][2] = {
    {"ich bin müde .", "i am tired ."},      {"du bist müde .", "you are tired ."},
    {"ich bin hier .", "i am here ."},       {"wir sind hier .", "we are here ."},
    {"er ist nicht hier .", "he is not here ."}, {"sie ist sehr müde .", "she is very tired ."},
};
#define N_PAIRS 6
#define MAX_WORDS 8

// the pairs as padded id batches: source words + <eos>, target words + <eos>
static void encode_pairs(ax_vocab *sv, ax_vocab *tv, int32_t *src, int32_t *len, int32_t *tgt) {
    memset(src, 0, N_PAIRS * MAX_WORDS * sizeof *src);
    memset(tgt, 0, N_PAIRS * MAX_WORDS * sizeof *tgt);
    for (int i = 0; i < N_PAIRS; i++) {
        len[i] = ax_vocab_encode(sv, PAIRS[i][0], src + i * MAX_WORDS, MAX_WORDS) + 1;
        src[i * MAX_WORDS + len[i] - 1] = AX_EOS;
        tgt[i * MAX_WORDS + ax_vocab_encode(tv, PAIRS[i][1], tgt + i * MAX_WORDS, MAX_WORDS)] = AX_EOS;
    }
}

static void learns_pairs(ax_attn_kind kind) {
    const char *s_texts[N_PAIRS], *t_texts[N_PAIRS];
    for (int i = 0; i < N_PAIRS; i++) s_texts[i] = PAIRS[i][0], t_texts[i] = PAIRS[i][1];
    ax_vocab *sv = ax_vocab_build(s_texts, N_PAIRS, 1, 0), *tv = ax_vocab_build(t_texts, N_PAIRS, 1, 0);
    ax_manual_seed(7);
    ax_seq2seq_config cfg = {.src_vocab = ax_vocab_size(sv), .tgt_vocab = ax_vocab_size(tv), .emb = 16, .hidden = 16,
                             .enc_layers = 1, .attn = kind, .dropout = 0.1f, .max_len = MAX_WORDS - 1};
    ax_seq2seq *m = ax_seq2seq_new(&cfg);
    ax_optim_config oc = ax_optim_defaults(AX_OPTIM_ADAM);
    oc.lr = 0.02f;
    ax_optim *opt = ax_optim_new(m->params, oc);
    int32_t src[N_PAIRS * MAX_WORDS], len[N_PAIRS], tgt[N_PAIRS * MAX_WORDS], out[N_PAIRS * MAX_WORDS];
    encode_pairs(sv, tv, src, len, tgt);
    float first = 0, last = 0;
    for (int step = 0; step < 100; step++) {
        ax_tensor *loss = ax_seq2seq_loss(m, ax_from_i32(AX_SHAPE(N_PAIRS, MAX_WORDS), src),
                                          ax_from_i32(AX_SHAPE(N_PAIRS), len),
                                          ax_from_i32(AX_SHAPE(N_PAIRS, MAX_WORDS), tgt), 0.8f, true);
        last = ax_item(loss);
        if (step == 0) first = last;
        ax_backward(loss);
        ax_optim_step(opt);
        ax_optim_zero_grad(opt);
        ax_arena_reset();
    }
    CHECK(last < 0.05f * first, "%s: loss %g -> %g", ax_attn_name(kind), first, last);
    ax_seq2seq_greedy(m, ax_from_i32(AX_SHAPE(N_PAIRS, MAX_WORDS), src), ax_from_i32(AX_SHAPE(N_PAIRS), len),
                      MAX_WORDS - 1, out);
    ax_arena_reset();
    int correct = 0;
    for (int i = 0; i < N_PAIRS; i++) {
        char *text = ax_vocab_decode(tv, out + i * MAX_WORDS, MAX_WORDS);
        correct += strcmp(text, PAIRS[i][1]) == 0;
        ax_beam_config bc = {.beam = 1, .nbest = 1, .max_len = MAX_WORDS - 1, .sos = AX_SOS, .eos = AX_EOS};
        ax_beam_hyp h[3];
        int got = ax_seq2seq_beam(m, src + i * MAX_WORDS, len[i], &bc, h);
        bool same = got == 1 && h[0].len + 1 <= MAX_WORDS && !memcmp(h[0].ids, out + i * MAX_WORDS, h[0].len * 4) &&
                    out[i * MAX_WORDS + h[0].len] == AX_EOS;
        CHECK(same, "%s: beam 1 == greedy on pair %d ('%s')", ax_attn_name(kind), i, text);
        ax_beam_hyp_free(h, got);
        bc.beam = 3, bc.nbest = 3, bc.alpha = 0.6f;
        got = ax_seq2seq_beam(m, src + i * MAX_WORDS, len[i], &bc, h);
        char *best = got > 0 ? ax_vocab_decode(tv, h[0].ids, h[0].len) : NULL;
        CHECK(got == 3 && h[0].score >= h[1].score && h[1].score >= h[2].score && best && !strcmp(best, text),
              "%s: beam 3 n-best (%d) best '%s'", ax_attn_name(kind), got, best ? best : "");
        free(best);
        ax_beam_hyp_free(h, got);
        ax_arena_reset();
        free(text);
    }
    CHECK(correct >= N_PAIRS - 1, "%s: %d of %d pairs translated exactly", ax_attn_name(kind), correct, N_PAIRS);
    float att[8 * MAX_WORDS];
    ax_seq2seq_attention(m, src, len[0], out, 4, att);
    for (int t = 0; t <= 4; t++) {
        double sum = 0;
        for (int j = 0; j < len[0]; j++) sum += att[t * len[0] + j];
        CHECK_NEAR(sum, 1.0, 1e-5);
    }
    ax_arena_reset();
    ax_optim_free(opt);
    ax_seq2seq_free(m);
    ax_vocab_free(sv);
    ax_vocab_free(tv);
}

int main(void) {
    fx *f = fx_open("seq2seq");
    static const char *const cases[] = {"bahdanau", "bahdanau_own_words", "general_2layers_own_words", "dot"};
    for (int i = 0; i < 4; i++) parity(f, cases[i]);
    fx_close(f);
    for (int k = 0; k < 3; k++) gradcheck_step((ax_attn_kind)k);
    words();
    vocab();
    beam_crafted();
    learns_pairs(AX_ATTN_BAHDANAU); // dot attention differs from general only in its parity and gradcheck cases
    learns_pairs(AX_ATTN_GENERAL);
    return check_report();
}
