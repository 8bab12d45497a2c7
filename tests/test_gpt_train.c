/* `axon train gpt` on a tiny corpus written here (a 1-layer, 16-wide GPT; each run well under a second):
 * the files it writes, generation from its checkpoint, --resume continuing bit for bit (weights, optimizer state,
 * losses), gradient accumulation equal to a larger batch, the built-in corpus, and bad input: an empty corpus, one
 * shorter than a block, a checkpoint of another config or corpus, a diverging loss — one line each, nothing
 * overwritten. Also the optimizer's step counters that resuming restores. */
#include "check.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TINY "--n-layer 1 --n-head 2 --n-embd 16 --block-size 16 --batch-size 4 --eval-iters 2 --threads 2 --quiet"
#define RUN8 TINY " --lr-decay-iters 8 --warmup-iters 2 --eval-interval 4 --log-every 1 --dropout 0.1"

static char root[64];     // temporary directory of this run
static char out[1 << 16]; // output of the last command

#define path(name) check_join(root, name)

#define axon(...) check_axon(out, sizeof out, __VA_ARGS__)

static bool one_line(void) { return strncmp(out, "axon: ", 6) == 0 && strchr(out, '\n') == out + strlen(out) - 1; }

static char *slurp(const char *p, size_t *len) {
    void *buf = NULL;
    size_t n = 0;
    if (ax_read_file(p, 1u << 26, &buf, &n) != AX_OK) return NULL;
    if (len) *len = n;
    return buf;
}

static bool same_file(const char *a, const char *b) {
    size_t na, nb;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    bool same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

static void write_text(const char *p, const char *text) {
    FILE *fp = fopen(p, "w");
    CHECK(fp && fputs(text, fp) >= 0 && fclose(fp) == 0, "writing %s", p);
}

// about 2 KB of varied lines
static void write_corpus(void) {
    static const char *const words[] = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "far"};
    char text[4096];
    size_t n = 0;
    for (int i = 0; i < 400; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s%s", words[(i * 7 + i / 10) % 10], i % 9 == 8 ? ".\n" : " ");
    write_text(path("corpus.txt"), text);
}

// the "key" values of every metrics.jsonl line that has one, as text ("1:2.345,2:2.301,…")
static void series(const char *dir, const char *key, char *buf, size_t cap) {
    char p[300];
    snprintf(p, sizeof p, "%s/metrics.jsonl", dir);
    char *text = slurp(p, NULL);
    size_t n = 0;
    buf[0] = '\0';
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key), *s = cJSON_GetObjectItemCaseSensitive(j, "step");
        if (cJSON_IsNumber(v) && n < cap)
            n += (size_t)snprintf(buf + n, cap - n, "%g:%.9g,", s ? s->valuedouble : -1, v->valuedouble);
        cJSON_Delete(j);
    }
    free(text);
}

static void test_train_files(void) {
    CHECK(axon("train gpt --data %s --out %s --max-iters 8 " RUN8, path("corpus.txt"), path("a")) == 0 &&
              strncmp(out, "best validation loss ", 21) == 0 && strstr(out, "at step 8 of 8"),
          "--quiet: only the result: %s", out);
    static const char *const files[] = {"a/config.json", "a/model.safetensors", "a/char_vocab.json", "a/metrics.jsonl",
                                        "a/loss.svg", "a/last/config.json", "a/last/model.safetensors",
                                        "a/last/optimizer.safetensors", "a/last/trainer_state.json"};
    for (int i = 0; i < 9; i++) CHECK(access(path(files[i]), R_OK) == 0, "%s written", files[i]);
    char loss[2048], val[512];
    series(path("a"), "loss", loss, sizeof loss);
    series(path("a"), "val_loss", val, sizeof val);
    CHECK(strncmp(loss, "1:", 2) == 0 && strstr(loss, ",8:") && !strstr(loss, ",9:"), "8 loss lines: %s", loss);
    CHECK(strncmp(val, "0:", 2) == 0 && strstr(val, ",4:") && strstr(val, ",8:"), "validation at 0, 4, 8: %s", val);
    CHECK(axon("generate --ckpt %s --prompt the --max-new-tokens 10 --quiet", path("a")) == 0 && strlen(out) == 14,
          "generate from the checkpoint: %s", out);
    char *cfg = slurp(path("a/last/config.json"), NULL);
    CHECK(cfg && strstr(cfg, "\"train_step\":\t8") && strstr(cfg, "\"axon_tokenizer\":\t\"char\""), "config: %s", cfg);
    free(cfg);
}

// 4 steps, then --resume up to 8: the same weights, optimizer state, losses and validation losses as 8 straight
static void test_resume_bit_exact(void) {
    CHECK(axon("train gpt --data %s --out %s --max-iters 4 " RUN8, path("corpus.txt"), path("b")) == 0, "%s", out);
    CHECK(axon("train gpt --data %s --out %s --max-iters 8 --resume " RUN8, path("corpus.txt"), path("b")) == 0, "%s",
          out);
    CHECK(same_file(path("a/last/model.safetensors"), path("b/last/model.safetensors")), "last weights bit-exact");
    CHECK(same_file(path("a/last/optimizer.safetensors"), path("b/last/optimizer.safetensors")), "optimizer bit-exact");
    CHECK(same_file(path("a/model.safetensors"), path("b/model.safetensors")), "best weights bit-exact");
    char la[2048], lb[2048], va[512], vb[512];
    series(path("a"), "loss", la, sizeof la);
    series(path("b"), "loss", lb, sizeof lb);
    series(path("a"), "val_loss", va, sizeof va);
    series(path("b"), "val_loss", vb, sizeof vb);
    CHECK(strcmp(la, lb) == 0 && strcmp(va, vb) == 0, "same losses:\n%s\n%s\n%s\n%s", la, lb, va, vb);
    CHECK(axon("train gpt --data %s --out %s --max-iters 8 --resume " RUN8, path("corpus.txt"), path("b")) == 0 &&
              strstr(out, "nothing to train") == NULL, // --quiet hides the note
          "resuming a finished run: %s", out);
}

// batch 8 in one step vs 2 micro-batches of 4 (the same windows): the same first loss and nearly the same weights
static void test_grad_accum(void) {
    const char *common = "--n-layer 1 --n-head 2 --n-embd 16 --block-size 16 --threads 2 --quiet --max-iters 3 "
                         "--warmup-iters 0 --log-every 1";
    CHECK(axon("train gpt --data %s --out %s --batch-size 8 --eval-iters 2 %s", path("corpus.txt"), path("g1"), common) == 0,
          "%s", out);
    CHECK(axon("train gpt --data %s --out %s --batch-size 4 --grad-accum 2 --eval-iters 4 %s", path("corpus.txt"),
               path("g2"), common) == 0, // 16 validation windows on both sides
          "%s", out);
    char a[512], b[512];
    series(path("g1"), "val_loss", a, sizeof a);
    series(path("g2"), "val_loss", b, sizeof b);
    double va = atof(strrchr(a, ':') + 1), vb = atof(strrchr(b, ':') + 1);
    CHECK(fabs(va - vb) < 1e-4 && va != 0, "validation loss after 3 steps: %.6f vs %.6f", va, vb);
    series(path("g1"), "loss", a, sizeof a);
    series(path("g2"), "loss", b, sizeof b);
    CHECK(fabs(atof(a + 2) - atof(b + 2)) < 1e-5, "first loss: %s vs %s", a, b);
}

static void test_default_corpus(void) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd %s && %s train gpt --out d --max-iters 1 --n-layer 1 --n-head 2 --n-embd 16 "
             "--block-size 16 --batch-size 2 --eval-iters 1 --threads 2 --json 2>&1", root, check_axon_bin());
    int rc = check_run(cmd, out, sizeof out);
    char *cfg = slurp(path("d/config.json"), NULL);
    CHECK(rc == 0 && strstr(out, "Jane Austen") && strstr(out, "\"best_step\":1") && cfg &&
              strstr(cfg, "\"vocab_size\":\t81"),
          "the built-in corpus (81 characters): %s", out);
    free(cfg);
}

static void test_bad_input(void) {
    write_text(path("empty.txt"), "");
    CHECK(axon("train gpt --data %s --out %s " TINY, path("empty.txt"), path("e")) == 1 && one_line() &&
              strstr(out, "empty") && access(path("e"), F_OK) != 0,
          "empty corpus: %s", out);
    write_text(path("short.txt"), "far too short a text");
    CHECK(axon("train gpt --data %s --out %s " TINY, path("short.txt"), path("e")) == 1 && one_line() &&
              strstr(out, "too few") && access(path("e"), F_OK) != 0,
          "a corpus shorter than a block: %s", out);
    CHECK(axon("train gpt --data %s --out %s " TINY, path("missing.txt"), path("e")) == 1 && one_line() &&
              strstr(out, "missing.txt"),
          "missing corpus: %s", out);
    CHECK(axon("train gpt --n-embd 30 --n-head 4") == 2 && one_line(), "n_embd not a multiple of n_head: %s", out);
    CHECK(axon("train gpt --data %s --out %s --resume " TINY, path("corpus.txt"), path("e")) == 1 && one_line() &&
              strstr(out, "no checkpoint"),
          "--resume without a checkpoint: %s", out);
    CHECK(axon("train gpt --data %s --out %s --tokenizer %s " TINY, path("corpus.txt"), path("e"), root) == 1 &&
              one_line(),
          "a tokenizer directory without tokenizer files: %s", out);
}

// a checkpoint of another config or corpus, and a diverging loss: one line, exit 1, a/last unchanged
static void test_resume_refusals(void) {
    char *before = slurp(path("a/last/trainer_state.json"), NULL);
    CHECK(axon("train gpt --data %s --out %s --max-iters 12 --resume " RUN8 " --n-embd 32", path("corpus.txt"),
               path("a")) == 1 && one_line() && strstr(out, "another config") && strstr(out, "n_embd 16 there, 32 here"),
          "another config: %s", out);
    write_text(path("other.txt"), "a completely different text, long enough to be split into windows of sixteen "
                                  "characters for training and for validation, with room to spare. It goes on and on "
                                  "so that the tenth held out for validation is longer than a window. And more text.");
    CHECK(axon("train gpt --data %s --out %s --max-iters 12 --resume " RUN8, path("other.txt"), path("a")) == 1 &&
              one_line() && strstr(out, "other data"),
          "another corpus: %s", out);
    CHECK(axon("train gpt --data %s --out %s --max-iters 12 --resume --lr 1e30 --min-lr 1e30 " RUN8, path("corpus.txt"),
               path("a")) == 1 && one_line() && strstr(out, "diverged") && strstr(out, "step 10") && strstr(out, "--lr"),
          "a diverging loss names the step and the fix: %s", out);
    char *after = slurp(path("a/last/trainer_state.json"), NULL);
    CHECK(before && after && strcmp(before, after) == 0, "the last checkpoint is untouched");
    free(before);
    free(after);
}

// every parameter's values into buf (or, with back, from buf into the parameters)
static void copy_params(ax_params *p, float *buf, bool back) {
    for (int i = 0; i < p->n; i++) {
        size_t n = (size_t)ax_numel(p->items[i].t);
        if (back) memcpy(ax_f32(p->items[i].t), buf, n * sizeof *buf);
        else memcpy(buf, ax_f32(p->items[i].t), n * sizeof *buf);
        buf += n;
    }
}

// ax_optim_param_steps / ax_optim_set_steps: a copy of an optimizer's state continues exactly like the original
static void test_optim_steps(void) {
    ax_gpt_config cfg = {.vocab_size = 8, .block_size = 4, .n_layer = 1, .n_head = 1, .n_embd = 4, .bias = true,
                         .ln_eps = 1e-5f};
    ax_gpt *m = ax_gpt_new(&cfg, ax_params_new());
    m->owns_params = true;
    ax_manual_seed(1);
    ax_gpt_init(m);
    ax_optim *o = ax_optim_new(m->params, ax_optim_defaults(AX_OPTIM_ADAMW));
    const int32_t x[4] = {1, 2, 3, 4}, y[4] = {2, 3, 4, 5};
    for (int s = 0; s < 3; s++) {
        ax_optim_zero_grad(o);
        ax_backward(ax_gpt_loss(m, ax_from_i32(AX_SHAPE(1, 4), x), ax_from_i32(AX_SHAPE(1, 4), y), true));
        ax_optim_step(o);
        ax_arena_reset();
    }
    int n = m->params->n;
    int64_t *steps = malloc((size_t)n * sizeof *steps);
    for (int i = 0; i < n; i++) steps[i] = ax_optim_param_steps(o, i);
    CHECK(steps[0] == 3 && ax_optim_steps(o) == 3, "3 updates counted: %lld", (long long)steps[0]);
    ax_optim *copy = ax_optim_new(m->params, ax_optim_defaults(AX_OPTIM_ADAMW));
    for (int i = 0; i < 2 * n; i++) {
        ax_tensor *a = ax_optim_state(o, i / 2, i % 2), *b = ax_optim_state(copy, i / 2, i % 2);
        memcpy(b->data, a->data, (size_t)ax_numel(a) * sizeof(float));
    }
    ax_optim_set_steps(copy, 3, steps);
    CHECK(ax_optim_steps(copy) == 3 && ax_optim_param_steps(copy, n - 1) == 3, "counts restored");
    int64_t total = ax_params_count(m->params);
    float *start = malloc((size_t)total * sizeof *start), *after[2];
    copy_params(m->params, start, false);
    ax_optim *opts[2] = {o, copy};
    for (int k = 0; k < 2; k++) { // from the same weights and gradient, one update by each optimizer
        copy_params(m->params, start, true);
        ax_optim_zero_grad(opts[k]);
        ax_backward(ax_gpt_loss(m, ax_from_i32(AX_SHAPE(1, 4), x), ax_from_i32(AX_SHAPE(1, 4), y), false));
        ax_optim_step(opts[k]);
        ax_arena_reset();
        after[k] = malloc((size_t)total * sizeof *after[k]);
        copy_params(m->params, after[k], false);
    }
    CHECK(memcmp(after[0], after[1], (size_t)total * sizeof *start) == 0 && memcmp(after[0], start, sizeof *start) != 0,
          "the restored optimizer makes the same update");
    free(start), free(after[0]), free(after[1]), free(steps);
    ax_optim_free(copy);
    ax_optim_free(o);
    ax_gpt_free(m);
}

int main(void) {
    snprintf(root, sizeof root, "/tmp/axon_gpt_train_XXXXXX");
    if (!mkdtemp(root)) return 1;
    write_corpus();
    test_optim_steps();
    test_train_files();
    test_resume_bit_exact();
    test_grad_accum();
    test_default_corpus();
    test_bad_input();
    test_resume_refusals();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", root);
    return check_report();
}
