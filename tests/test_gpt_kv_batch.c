/* ax_gpt_kv_forward_batch (continuous batching in `axon serve`) against batch-1 ax_gpt_kv_forward: sequences
 * at different positions (prompts of different lengths), decoded together for several steps, give the logits
 * each would get alone; a batch of one; a sequence reaching the last position of the block; the cache
 * lengths advance by one. */
#include "check.h"

#include <stdlib.h>

#define N_SEQ 6
#define STEPS 5

/* The batch runs the matrix products over N rows instead of 1; a GEMM may block and order its sums
 * differently by row count, which moves the last float32 bits: 1e-5 relative as for ops. */
#define BATCH_RTOL FP32_RTOL
#define BATCH_ATOL 1e-5

static ax_gpt *tiny_gpt(void) {
    ax_gpt_config cfg = {.vocab_size = 50, .block_size = 128, .n_layer = 2, .n_head = 4, .n_embd = 64, .bias = true,
                         .ln_eps = 1e-5f};
    ax_gpt *m = ax_gpt_new(&cfg, ax_params_new());
    m->owns_params = true;
    ax_manual_seed(7);
    ax_gpt_init(m);
    return m;
}

static int32_t token(ax_rng *rng, int V) { return (int32_t)(ax_rng_u32(rng) % (uint32_t)V); }

static bool rows_close(const float *a, const float *b, int V) {
    for (int v = 0; v < V; v++) {
        float d = a[v] > b[v] ? a[v] - b[v] : b[v] - a[v], e = b[v] < 0 ? -b[v] : b[v];
        if (d > BATCH_ATOL + BATCH_RTOL * e) return false;
    }
    return true;
}

/* n sequences with prompts of lens[i] tokens, then STEPS steps: batch vs one at a time. */
static void compare(ax_gpt *m, int n, const int *lens, int steps) {
    int V = m->cfg.vocab_size;
    ax_gpt_kv *solo[N_SEQ], *batch[N_SEQ];
    int32_t prompt[128], next[N_SEQ];
    ax_rng rng;
    ax_rng_seed(&rng, 11);
    for (int i = 0; i < n; i++) {
        solo[i] = ax_gpt_kv_new(m);
        batch[i] = ax_gpt_kv_new(m);
        for (int t = 0; t < lens[i]; t++) prompt[t] = token(&rng, V);
        ax_gpt_kv_forward(m, solo[i], prompt, lens[i]);
        ax_gpt_kv_forward(m, batch[i], prompt, lens[i]);
    }
    float *logits = malloc((size_t)n * V * sizeof *logits);
    for (int s = 0; s < steps; s++) {
        for (int i = 0; i < n; i++) next[i] = token(&rng, V);
        CHECK(ax_gpt_kv_forward_batch(m, batch, next, n, logits) == AX_OK, "%s", ax_last_error());
        for (int i = 0; i < n; i++) {
            const float *want = ax_gpt_kv_forward(m, solo[i], &next[i], 1);
            CHECK(rows_close(logits + (size_t)i * V, want, V), "n %d, step %d, sequence %d (position %d): batch logits",
                  n, s, i, lens[i] + s);
            CHECK(ax_gpt_kv_len(batch[i]) == lens[i] + s + 1, "cache %d holds %d positions", i,
                  ax_gpt_kv_len(batch[i]));
        }
    }
    free(logits);
    for (int i = 0; i < n; i++) ax_gpt_kv_free(solo[i]), ax_gpt_kv_free(batch[i]);
}

int main(void) {
    ax_gpt *m = tiny_gpt();
    const int lens[N_SEQ] = {1, 7, 30, 100, 2, 64};
    compare(m, N_SEQ, lens, STEPS);
    compare(m, 1, (const int[]){3}, 2);
    compare(m, 2, (const int[]){126, 5}, 2); // the first reaches position 127, the last of the block
    ax_gpt_free(m);
    return check_report();
}
