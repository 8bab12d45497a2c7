/* GPT speed, axon's side of `bench/run.sh gpt` (PyTorch's: tools/bench_gpt_torch.py, same modes and output):
 *   small TEXT [STEPS]  nanoGPT's CPU config — 4 layers, 4 heads, 128 wide, block 64, batch 12, the char
 *                       vocabulary of TEXT — training steps on random windows (the step `axon train gpt` runs:
 *                       forward + loss, backward, clip 1.0, AdamW) after 3 untimed steps
 *                       → "axon small <threads> <ms/step> <tokens/s> <peak RSS MB>"
 *   124m [STEPS]        GPT-2 124M, batch 4, block 64, random tokens, after 1 untimed step → "axon 124m …"
 *   generate [TOKENS]   GPT-2 124M (random weights), greedy generation with the KV cache after a 16-token prompt
 *                       → "axon generate <threads> <ms/token> <tokens/s> <peak RSS MB>"
 * Threads: AX_THREADS (bench/run.sh sets 2). */
#include "axon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double rss_mb(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_maxrss / 1024.0; // KiB on Linux
}

typedef struct {
    ax_gpt *m;           // the model
    ax_optim *opt;       // AdamW as `axon train gpt` sets it up
    const int32_t *ids;  // (n) token stream to draw windows from, or NULL for random tokens
    int64_t n;           // its length
    int B, T;            // windows per batch, tokens per window
    ax_rng rng;          // window starts / random tokens
} trainer;

static void fill_batch(trainer *t, int32_t *x, int32_t *y) {
    int V = t->m->cfg.vocab_size;
    for (int b = 0; b < t->B; b++) {
        int64_t at = t->ids ? (int64_t)(ax_rng_u32(&t->rng) % (uint32_t)(t->n - t->T - 1)) : 0;
        for (int i = 0; i < t->T; i++) {
            x[b * t->T + i] = t->ids ? t->ids[at + i] : (int32_t)(ax_rng_u32(&t->rng) % (uint32_t)V);
            y[b * t->T + i] = t->ids ? t->ids[at + i + 1] : (int32_t)(ax_rng_u32(&t->rng) % (uint32_t)V);
        }
    }
}

static void step(trainer *t) {
    ax_tensor *x = ax_empty_dtype(AX_I32, AX_SHAPE(t->B, t->T)), *y = ax_empty_dtype(AX_I32, AX_SHAPE(t->B, t->T));
    fill_batch(t, ax_i32(x), ax_i32(y));
    ax_tensor *loss = ax_gpt_loss(t->m, x, y, true);
    ax_optim_zero_grad(t->opt);
    ax_backward(loss);
    ax_clip_grad_norm(t->m->params, 1.0f);
    ax_optim_step(t->opt);
    ax_arena_reset();
}

static ax_gpt *new_model(ax_gpt_config cfg) {
    ax_gpt *m = ax_gpt_new(&cfg, ax_params_new());
    m->owns_params = true;
    ax_manual_seed(1337);
    ax_gpt_init(m);
    return m;
}

// ms per training step over `steps` steps after `warmup` untimed ones
static double time_training(trainer *t, int warmup, int steps) {
    ax_optim_config oc = ax_optim_defaults(AX_OPTIM_ADAMW);
    oc.lr = 1e-3f, oc.beta2 = 0.95f, oc.weight_decay = 0.1f;
    t->opt = ax_optim_new(t->m->params, oc);
    ax_rng_seed(&t->rng, 1);
    for (int i = 0; i < warmup; i++) step(t);
    double t0 = now();
    for (int i = 0; i < steps; i++) step(t);
    double ms = (now() - t0) * 1e3 / steps;
    ax_optim_free(t->opt);
    return ms;
}

static int small(const char *path, int steps) {
    void *text;
    size_t len, n;
    ax_tokenizer *tok;
    int32_t *ids;
    if (ax_read_file(path, (size_t)1 << 31, &text, &len) != AX_OK || ax_char_tokenizer_build(text, len, &tok) != AX_OK ||
        ax_tokenizer_encode(tok, text, len, &ids, &n) != AX_OK) {
        fprintf(stderr, "gpt: %s\n", ax_last_error());
        return 1;
    }
    ax_gpt_config cfg = {.vocab_size = ax_tokenizer_vocab_size(tok), .block_size = 64, .n_layer = 4, .n_head = 4,
                         .n_embd = 128, .bias = true, .ln_eps = 1e-5f};
    trainer t = {.m = new_model(cfg), .ids = ids, .n = (int64_t)n, .B = 12, .T = 64};
    double ms = time_training(&t, 3, steps);
    printf("axon small %d %.2f %.1f %.0f\n", ax_threads(), ms, 12 * 64 / ms * 1e3, rss_mb());
    ax_gpt_free(t.m);
    ax_tokenizer_free(tok);
    free(ids);
    free(text);
    return 0;
}

static int gpt2_124m(int steps) {
    ax_gpt_config cfg = ax_gpt_config_default();
    cfg.block_size = 64;
    trainer t = {.m = new_model(cfg), .B = 4, .T = 64};
    double ms = time_training(&t, 1, steps);
    printf("axon 124m %d %.1f %.2f %.0f\n", ax_threads(), ms, 4 * 64 / ms * 1e3, rss_mb());
    ax_gpt_free(t.m);
    return 0;
}

static int generate(int tokens) {
    ax_gpt *m = new_model(ax_gpt_config_default());
    ax_gpt_kv *kv = ax_gpt_kv_new(m);
    int32_t prompt[16], next = 0;
    ax_rng rng;
    ax_rng_seed(&rng, 1);
    for (int i = 0; i < 16; i++) prompt[i] = (int32_t)(ax_rng_u32(&rng) % 50257u);
    const float *logits = ax_gpt_kv_forward(m, kv, prompt, 16);
    double t0 = now();
    for (int i = 0; i < tokens; i++) {
        for (int v = 1; v < m->cfg.vocab_size; v++) // greedy
            if (logits[v] > logits[next]) next = v;
        logits = ax_gpt_kv_forward(m, kv, &next, 1);
    }
    double ms = (now() - t0) * 1e3 / tokens;
    printf("axon generate %d %.2f %.2f %.0f\n", ax_threads(), ms, 1e3 / ms, rss_mb());
    ax_gpt_kv_free(kv);
    ax_gpt_free(m);
    return 0;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    ax_set_threads(0); // AX_THREADS or all cores
    int rc = strcmp(mode, "small") == 0 && argc > 2 ? small(argv[2], argc > 3 ? atoi(argv[3]) : 20)
             : strcmp(mode, "124m") == 0           ? gpt2_124m(argc > 2 ? atoi(argv[2]) : 3)
             : strcmp(mode, "generate") == 0       ? generate(argc > 2 ? atoi(argv[2]) : 64)
                                                   : (fprintf(stderr, "usage: gpt small TEXT [STEPS] | 124m [STEPS] | generate [TOKENS]\n"), 2);
    ax_arena_release();
    return rc;
}
