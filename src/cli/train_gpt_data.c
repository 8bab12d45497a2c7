/* The data side of `axon train gpt`: the corpus (a file or the built-in novels) through the tokenizer into ids,
 * split into a training part (the beginning) and a validation part (the end); random training windows drawn from
 * the trainer's own generator (its state is the data position a checkpoint keeps); a fixed, evenly spaced set of
 * validation windows, so every validation measures the same tokens. On N ranks every rank draws all windows of
 * a step and keeps its contiguous share, and the validation windows are shared out the same way, so the
 * numbers are those of one process up to the order of the sums. */
#include "cli/corpus.h"
#include "cli/train_gpt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// the text to train on, from --data or the built-in corpus
static int read_corpus(gpt_trainer *t, char **text, size_t *len) {
    t->corpus.name = t->o.data ? t->o.data : CLI_AUSTEN_NAME;
    if (t->o.data ? cli_read_text(t->o.data, text, len) : cli_austen_text(text, len)) return AX_ERR;
    if (*len == 0) {
        free(*text);
        return ax_error("%s is empty: nothing to train on", t->corpus.name);
    }
    return AX_OK;
}

// --tokenizer: "char" builds one from the text; "gpt2" and a directory are loaded
static int make_tokenizer(gpt_trainer *t, const char *text, size_t len) {
    const char *name = t->o.tokenizer;
    if (strcmp(name, "char") == 0) return ax_char_tokenizer_build(text, len, &t->tok);
    return ax_tokenizer_load(name, &t->tok);
}

static uint64_t fnv1a(const int32_t *ids, int64_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    const unsigned char *b = (const unsigned char *)ids;
    for (size_t i = 0; i < (size_t)n * sizeof *ids; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return (h ^ (uint64_t)n) * 0x100000001b3ull;
}

// the split: the last val_fraction of the tokens validate; both parts need a window of block + 1 tokens
static int split(gpt_trainer *t) {
    gpt_corpus *c = &t->corpus;
    int64_t n_val = (int64_t)floor((double)c->n * t->o.val_fraction), need = t->o.block + 1;
    c->n_train = c->n - n_val;
    if (c->n_train < need || n_val < need)
        return ax_error("%s: %lld tokens are too few for --block-size %lld with --val-fraction %g (the training and "
                        "validation parts need at least %lld tokens each)",
                        c->name, (long long)c->n, (long long)t->o.block, t->o.val_fraction, (long long)need);
    c->hash = fnv1a(c->ids, c->n);
    return AX_OK;
}

int gpt_corpus_load(gpt_trainer *t) {
    char *text;
    size_t len, n;
    if (read_corpus(t, &text, &len) != AX_OK) return 1;
    int rc = make_tokenizer(t, text, len);
    if (rc == AX_OK) rc = ax_tokenizer_encode(t->tok, text, len, &t->corpus.ids, &n);
    free(text);
    if (rc != AX_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", ax_last_error());
        return ax_error("%s: %s", t->corpus.name, why), 1;
    }
    t->corpus.n = (int64_t)n;
    return split(t) == AX_OK ? 0 : 1;
}

void gpt_corpus_free(gpt_corpus *c) {
    free(c->ids);
    memset(c, 0, sizeof *c);
}

const char *gpt_tokenizer_name(const gpt_trainer *t) {
    if (ax_tokenizer_kind_of(t->tok) == AX_TOK_CHAR) return "char";
    return strcmp(t->o.tokenizer, "gpt2") == 0 ? "gpt2" : "bpe";
}

// uniform in [0, n) for n ≥ 1: 64 random bits, rejecting the top partial range so no value is favoured
static int64_t draw_below(ax_rng *rng, int64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % (uint64_t)n, v;
    do {
        uint64_t hi = ax_rng_u32(rng); // two statements: the order of the draws is fixed
        v = hi << 32 | ax_rng_u32(rng);
    } while (v >= limit);
    return (int64_t)(v % (uint64_t)n);
}

// window b of a batch: x = ids[at .. at+T), y = ids[at+1 .. at+T+1)
static void window(const int32_t *ids, int64_t at, int64_t T, int64_t b, int32_t *x, int32_t *y) {
    memcpy(x + b * T, ids + at, (size_t)T * sizeof *x);
    memcpy(y + b * T, ids + at + 1, (size_t)T * sizeof *y);
}

// rank r's share [lo, hi) of n items
static void share(const gpt_trainer *t, int64_t n, int64_t *lo, int64_t *hi) {
    *lo = n * t->rank / t->world;
    *hi = n * (t->rank + 1) / t->world;
}

int64_t gpt_step_windows(gpt_trainer *t) {
    int64_t n = t->o.batch * t->o.accum, lo, hi, starts = t->corpus.n_train - t->o.block; // a window: T + 1 tokens
    share(t, n, &lo, &hi);
    for (int64_t i = 0; i < n; i++) {
        int64_t at = draw_below(&t->data_rng, starts);
        if (i >= lo && i < hi) t->starts[i - lo] = at;
    }
    return hi - lo;
}

void gpt_fill_batch(const gpt_trainer *t, const int64_t *starts, int64_t n, int32_t *x, int32_t *y) {
    for (int64_t b = 0; b < n; b++) window(t->corpus.ids, starts[b], t->o.block, b, x, y);
}

// the mean loss of each window, summed over this rank's share of the validation windows, in batches of ≤ B
double gpt_validate(gpt_trainer *t) {
    const gpt_corpus *c = &t->corpus;
    int64_t B = t->o.batch, T = t->o.block, n_win = t->o.eval_iters * B, last = c->n - c->n_train - T - 1, lo, hi;
    share(t, n_win, &lo, &hi);
    bool grad = ax_set_grad_enabled(false);
    double sum = 0;
    for (int64_t i = lo; i < hi; i += B) {
        int64_t n = hi - i < B ? hi - i : B;
        ax_tensor *x = ax_empty_dtype(AX_I32, AX_SHAPE(n, T)), *y = ax_empty_dtype(AX_I32, AX_SHAPE(n, T));
        for (int64_t k = 0; k < n; k++) // evenly spaced, both ends included
            window(c->ids, c->n_train + (n_win > 1 ? last * (i + k) / (n_win - 1) : 0), T, k, ax_i32(x), ax_i32(y));
        sum += (double)ax_item(ax_gpt_loss(t->model, x, y, false)) * (double)n;
        ax_arena_reset();
    }
    ax_set_grad_enabled(grad);
    ax_dist_sum(&sum, 1);
    return sum / (double)n_win;
}
