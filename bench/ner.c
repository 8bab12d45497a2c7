/* Training steps of the BiLSTM-CRF tagger (include/axon/tagger.h) at the sizes `axon train ner` uses: word
 * embeddings 100 (5,000 words), capitalisation 8, character BiLSTM 25 + 25 over 8-character tokens (80 characters),
 * sentence BiLSTM 100 + 100, 9 tags (IOB2 over PER, LOC, ORG, MISC), batch 32 sentences of 25 tokens; a step is the
 * CRF loss, backward, clipping to 5 and an Adam update. tools/bench_ner_torch.py times the same model in PyTorch.
 *
 * The BERT-style tagger (include/axon/bert.h) at `axon train ner --arch bert`'s sizes: BPE 4000 + [MASK], d 128,
 * 4 heads, d_ff 512, 2 layers, 9 tags, batch 32 sentences of 25 words as 40 sub-words (the first sub-word of each word
 * labelled), the padding mask passed as in training; a step is the token-classification loss, backward, clipping to 5
 * and an Adam update; tokens/s counts words, as for the BiLSTM-CRF.
 *
 * Usage: ner [threads ...]   (default: 1). One line per thread count:
 *   axon bilstm-crf threads=<n> step <ms> <tokens per second of training>   (best of several steps after warm-up)
 *   axon crf threads=<n> fwdbwd <ms>   (the CRF loss alone, forward + backward, on the same emissions)
 *   axon bert threads=<n> step <ms> <tokens per second of training> */
#include "axon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WORDS 5000
#define CHARS 80
#define TAGS 9
#define BATCH 32
#define LEN 25
#define WORD_CHARS 8
#define REPEAT 10
#define BERT_VOCAB 4001 // BPE 4000 + [MASK]
#define SUB_LEN 40      // sub-words per sentence of LEN words

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

// a random batch of full-length sentences (the same every step)
static ax_tagger_batch batch(const int32_t *w, const int32_t *k, const int32_t *ch, const int32_t *cl,
                             const int32_t *l, const int32_t *y) {
    return (ax_tagger_batch){.B = BATCH, .T = LEN, .words = ax_from_i32(AX_SHAPE(BATCH, LEN), w),
                             .cases = ax_from_i32(AX_SHAPE(BATCH, LEN), k),
                             .chars = ax_from_i32(AX_SHAPE(BATCH * LEN, WORD_CHARS), ch),
                             .char_len = ax_from_i32(AX_SHAPE(BATCH * LEN), cl),
                             .lengths = ax_from_i32(AX_SHAPE(BATCH), l), .tags = ax_from_i32(AX_SHAPE(BATCH, LEN), y)};
}

// a vocabulary of n entries (specials included) whose words do not matter: the batch holds ids
static ax_vocab *numbered_vocab(int n) {
    static char text[WORDS * 8];
    int len = 0;
    for (int i = 0; i < n - AX_N_SPECIAL; i++) len += snprintf(text + len, sizeof text - (size_t)len, "%sw%d", i ? " " : "", i);
    const char *t = text;
    return ax_vocab_build(&t, 1, 1, 0);
}

static void bench(int threads) {
    ax_set_threads(threads);
    ax_manual_seed(1);
    static int32_t w[BATCH * LEN], k[BATCH * LEN], ch[BATCH * LEN * WORD_CHARS], cl[BATCH * LEN], l[BATCH], y[BATCH * LEN];
    ax_rng rng;
    ax_rng_seed(&rng, 2);
    for (int i = 0; i < BATCH * LEN; i++) {
        w[i] = 4 + (int32_t)(ax_rng_u32(&rng) % (WORDS - 4)), k[i] = (int32_t)(ax_rng_u32(&rng) % AX_TAGGER_CASES);
        y[i] = (int32_t)(ax_rng_u32(&rng) % 3 == 0 ? ax_rng_u32(&rng) % TAGS : 0), cl[i] = WORD_CHARS;
        for (int j = 0; j < WORD_CHARS; j++) ch[i * WORD_CHARS + j] = 4 + (int32_t)(ax_rng_u32(&rng) % (CHARS - 4));
    }
    for (int b = 0; b < BATCH; b++) l[b] = LEN;
    ax_vocab *words = numbered_vocab(WORDS), *chars = numbered_vocab(CHARS);
    ax_tagset ts;
    ax_tagset_init(&ts, AX_NER_IOB2);
    const char *types[] = {"LOC", "MISC", "ORG", "PER"};
    for (int i = 0; i < 4; i++) ax_tagset_add_type(&ts, types[i]);
    ax_tagger_config cfg = {.words = WORDS, .chars = ax_vocab_size(chars), .word_dim = 100, .case_dim = 8, .char_dim = 25,
                            .char_hidden = 25, .hidden = 100, .layers = 1, .dropout = 0.5f, .max_word_chars = 20};
    ax_tagger *m = ax_tagger_new(&cfg, &ts, words, chars, NULL);
    ax_optim *opt = ax_optim_new(m->params, ax_optim_defaults(AX_OPTIM_ADAM));
    double best = 1e30, best_crf = 1e30;
    for (int r = 0; r <= REPEAT; r++) { // run 0 is the warm-up
        double t0 = now();
        ax_tagger_batch x = batch(w, k, ch, cl, l, y);
        ax_tensor *loss = ax_tagger_loss(m, &x, true);
        ax_backward(loss);
        ax_clip_grad_norm(m->params, 5.0f);
        ax_optim_step(opt);
        ax_optim_zero_grad(opt);
        double dt = now() - t0;
        ax_arena_reset();
        ax_tensor *em = ax_randn(AX_SHAPE(BATCH, LEN, TAGS), 0, 1);
        ax_requires_grad(em, true);
        x = batch(w, k, ch, cl, l, y);
        double c0 = now();
        ax_backward(ax_crf_layer_nll(&m->crf, em, x.tags, x.lengths, AX_REDUCE_MEAN));
        double dc = now() - c0;
        ax_optim_zero_grad(opt);
        ax_arena_reset();
        if (r > 0 && dt < best) best = dt;
        if (r > 0 && dc < best_crf) best_crf = dc;
    }
    printf("axon bilstm-crf threads=%d step %.2f %.0f\n", threads, 1e3 * best, BATCH * LEN / best);
    printf("axon crf threads=%d fwdbwd %.3f\n", threads, 1e3 * best_crf);
    fflush(stdout);
    ax_optim_free(opt);
    ax_tagger_free(m);
}

// fine-tuning steps of the BERT-style tagger on one random batch
static void bench_bert(int threads) {
    ax_set_threads(threads);
    ax_manual_seed(1);
    static int32_t ids[BATCH * SUB_LEN], labels[BATCH * SUB_LEN];
    static uint8_t keep[BATCH * SUB_LEN];
    ax_rng rng;
    ax_rng_seed(&rng, 3);
    for (int i = 0; i < BATCH * SUB_LEN; i++) {
        ids[i] = (int32_t)(ax_rng_u32(&rng) % (BERT_VOCAB - 1)), keep[i] = 1;
        labels[i] = i % SUB_LEN < LEN ? (int32_t)(ax_rng_u32(&rng) % TAGS) : -100; // LEN labelled first sub-words
    }
    ax_tagset ts;
    ax_tagset_init(&ts, AX_NER_IOB2);
    const char *types[] = {"LOC", "MISC", "ORG", "PER"};
    for (int i = 0; i < 4; i++) ax_tagset_add_type(&ts, types[i]);
    ax_bert_config cfg = {.vocab = BERT_VOCAB, .d_model = 128, .n_head = 4, .d_ff = 512, .layers = 2, .max_len = 128,
                          .n_labels = TAGS, .dropout = 0.1f, .ln_eps = 1e-5f};
    ax_bert *m = ax_bert_new(&cfg, &ts, NULL);
    ax_optim *opt = ax_optim_new(m->params, ax_optim_defaults(AX_OPTIM_ADAM));
    double best = 1e30;
    for (int r = 0; r <= REPEAT; r++) { // run 0 is the warm-up
        double t0 = now();
        ax_tensor *k = ax_empty_dtype(AX_BOOL, AX_SHAPE(BATCH, SUB_LEN));
        memcpy(k->data, keep, sizeof keep);
        ax_tensor *loss = ax_bert_token_loss(m, ax_from_i32(AX_SHAPE(BATCH, SUB_LEN), ids), k,
                                             ax_from_i32(AX_SHAPE(BATCH, SUB_LEN), labels), true);
        ax_backward(loss);
        ax_clip_grad_norm(m->params, 5.0f);
        ax_optim_step(opt);
        ax_optim_zero_grad(opt);
        double dt = now() - t0;
        ax_arena_reset();
        if (r > 0 && dt < best) best = dt;
    }
    printf("axon bert threads=%d step %.2f %.0f\n", threads, 1e3 * best, BATCH * LEN / best);
    fflush(stdout);
    ax_optim_free(opt);
    ax_bert_free(m);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc || i == 1; i++) bench(argc > 1 ? atoi(argv[i]) : 1);
    for (int i = 1; i < argc || i == 1; i++) bench_bert(argc > 1 ? atoi(argv[i]) : 1);
    ax_arena_release();
    return 0;
}
