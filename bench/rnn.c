/* Recurrent layers (ax_rnn_forward + backward) on the char-LSTM case study's shapes: input 81 (one-hot
 * characters), hidden 256, batch 64, 100 steps, 1/2/4 layers, LSTM and GRU; and one training step of the
 * translator (include/axon/seq2seq.h) at the shapes `axon train seq2seq` uses on the German–English pairs.
 *
 * Usage: rnn [threads ...]   (default: 1). One line per cell, layer count and thread count:
 *   axon <cell> L=<layers> threads=<n> fwd <ms> fwdbwd <ms> <characters per second of forward + backward>
 * then per thread count
 *   axon seq2seq threads=<n> step <ms> <target words per second of training>
 * tools/bench_rnn_torch.py times torch.nn.LSTM/GRU and the same translator on the same shapes. Each figure is the
 * best of several timed runs after a warm-up (the box is shared and noisy). */
#include "axon.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define IN 81
#define HIDDEN 256
#define BATCH 64
#define STEPS 100
#define REPEAT 5

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

// best time of REPEAT runs of one forward (and backward) pass, in seconds
static double time_pass(const ax_rnn *r, ax_tensor *x, ax_tensor *grad_out, bool backward) {
    double best = 1e30;
    for (int i = 0; i <= REPEAT; i++) { // run 0 is the warm-up
        bool prev = ax_set_grad_enabled(backward);
        double t0 = now();
        ax_tensor *y = ax_rnn_forward(r, x, NULL, NULL, NULL, false, NULL, NULL);
        if (backward) ax_backward_from(y, grad_out);
        double dt = now() - t0;
        ax_set_grad_enabled(prev);
        ax_arena_reset();
        if (i > 0 && dt < best) best = dt;
    }
    return best;
}

static void bench(ax_rnn_mode mode, int layers, int threads) {
    ax_set_threads(threads);
    ax_params *p = ax_params_new();
    ax_rnn r;
    ax_manual_seed(1);
    ax_rnn_init(&r, p, "", mode, IN, HIDDEN, layers, false, 0.0f, true);
    ax_tensor *x = ax_tensor_new(AX_F32, AX_SHAPE(BATCH, STEPS, IN));
    ax_tensor *g = ax_tensor_new(AX_F32, AX_SHAPE(BATCH, STEPS, HIDDEN));
    ax_init_normal(x, 0.0f, 1.0f);
    ax_init_normal(g, 0.0f, 1.0f);
    double fwd = time_pass(&r, x, g, false), fb = time_pass(&r, x, g, true);
    printf("axon %s L=%d threads=%d fwd %.1f fwdbwd %.1f %.0f\n", mode == AX_LSTM ? "lstm" : "gru", layers, threads,
           1e3 * fwd, 1e3 * fb, BATCH * STEPS / fb);
    fflush(stdout);
    ax_tensor_free(x);
    ax_tensor_free(g);
    ax_params_free(p);
}

/* ---- the translator: loss, backward, clipping and an Adam step on one batch of full-length pairs ---- */
#define S2S_BATCH 64    // pairs per step
#define S2S_LEN 13      // 12 words + <eos> on both sides (the data's 90th percentile is 14 words)
#define S2S_SRC_V 7769  // the vocabularies of the German–English training pairs at --min-freq 2
#define S2S_TGT_V 7101

static void bench_seq2seq(int threads) {
    ax_set_threads(threads);
    ax_manual_seed(1);
    ax_seq2seq_config cfg = {.src_vocab = S2S_SRC_V, .tgt_vocab = S2S_TGT_V, .emb = 128, .hidden = 128,
                             .enc_layers = 1, .attn = AX_ATTN_BAHDANAU, .dropout = 0.3f, .max_len = 30};
    ax_seq2seq *m = ax_seq2seq_new(&cfg);
    ax_optim *opt = ax_optim_new(m->params, ax_optim_defaults(AX_OPTIM_ADAM));
    int32_t src[S2S_BATCH * S2S_LEN], tgt[S2S_BATCH * S2S_LEN], len[S2S_BATCH];
    ax_rng rng;
    ax_rng_seed(&rng, 2);
    for (int i = 0; i < S2S_BATCH * S2S_LEN; i++) {
        bool last = i % S2S_LEN == S2S_LEN - 1;
        src[i] = last ? AX_EOS : AX_N_SPECIAL + (int32_t)(ax_rng_u32(&rng) % (S2S_SRC_V - AX_N_SPECIAL));
        tgt[i] = last ? AX_EOS : AX_N_SPECIAL + (int32_t)(ax_rng_u32(&rng) % (S2S_TGT_V - AX_N_SPECIAL));
    }
    for (int b = 0; b < S2S_BATCH; b++) len[b] = S2S_LEN;
    double best = 1e30;
    for (int i = 0; i <= REPEAT; i++) {
        double t0 = now();
        ax_tensor *loss = ax_seq2seq_loss(m, ax_from_i32(AX_SHAPE(S2S_BATCH, S2S_LEN), src),
                                          ax_from_i32(AX_SHAPE(S2S_BATCH), len),
                                          ax_from_i32(AX_SHAPE(S2S_BATCH, S2S_LEN), tgt), 1.0f, true);
        ax_backward(loss);
        ax_clip_grad_norm(m->params, 1.0f);
        ax_optim_step(opt);
        ax_optim_zero_grad(opt);
        ax_arena_reset();
        double dt = now() - t0;
        if (i > 0 && dt < best) best = dt;
    }
    printf("axon seq2seq threads=%d step %.1f %.0f\n", threads, 1e3 * best, S2S_BATCH * S2S_LEN / best);
    fflush(stdout);
    ax_optim_free(opt);
    ax_seq2seq_free(m);
}

int main(int argc, char **argv) {
    int threads[8] = {1}, n = 1;
    if (argc > 1) n = 0;
    for (int i = 1; i < argc && n < 8; i++) threads[n++] = atoi(argv[i]);
    const ax_rnn_mode modes[2] = {AX_LSTM, AX_GRU};
    const int layers[3] = {1, 2, 4};
    for (int m = 0; m < 2; m++)
        for (int l = 0; l < 3; l++)
            for (int t = 0; t < n; t++) bench(modes[m], layers[l], threads[t]);
    for (int t = 0; t < n; t++) bench_seq2seq(threads[t]);
    return 0;
}
