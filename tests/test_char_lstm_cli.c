/* `axon train char-lstm` → `axon generate` end to end on a tiny generated corpus (seconds): the checkpoint's
 * files and torch names, metrics with validation bits per char, a model that beats the uniform guess, seeded
 * generation that is reproducible; then bad input: one line, a non-zero exit, no checkpoint written. */
#include "check.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define TINY                                                                                                           \
    "--hidden 32 --layers 2 --seq-len 16 --batch-size 4 --max-iters 200 --eval-every 50 --log-every 10 "               \
    "--lr 1e-2 --warmup-steps 5 --dropout 0 --threads 1 --quiet"

static char tmp_dir[64];  // scratch directory for this run
static char out[1 << 16]; // the last command's output

#define tmp_path(name) check_join(tmp_dir, name)

#define run(...) check_axon(out, sizeof out, __VA_ARGS__)

#define slurp check_slurp

// a repetitive text the model can learn in a few dozen steps
static void write_corpus(const char *path) {
    FILE *fp = fopen(path, "w");
    static const char *const lines[] = {"the cat sat on the mat.\n", "a dog ran in the fog.\n", "we sing a song.\n"};
    for (int i = 0; fp && i < 300; i++) fputs(lines[i % 3], fp);
    CHECK(fp && fclose(fp) == 0, "writing %s", path);
}

static void train_and_generate(void) {
    const char *corpus = tmp_path("corpus.txt"), *ck = tmp_path("ck");
    write_corpus(corpus);
    int rc = run("train char-lstm --data %s --out %s " TINY " --json", corpus, ck);
    CHECK(rc == 0, "train char-lstm exit %d: %s", rc, out);
    const char *v = strstr(out, "\"val_bpc\": ");
    double bpc = v ? atof(v + 11) : NAN;
    // 17 distinct characters: a uniform guess costs log2(17) = 4.09 bits; the text is nearly deterministic
    CHECK(bpc > 0 && bpc < 1.0, "val bpc %g after 200 steps", bpc);
    char *cfg = slurp(tmp_path("ck/config.json")), *metrics = slurp(tmp_path("ck/metrics.jsonl"));
    CHECK(cfg && strstr(cfg, "\"char-lstm\"") && strstr(cfg, "\"num_layers\":\t2"), "config.json: %s", cfg ? cfg : "");
    CHECK(metrics && strstr(metrics, "\"val_bpc\"") && strstr(metrics, "\"tokens_per_s\""), "metrics.jsonl");
    char *svg = slurp(tmp_path("ck/bpc.svg"));
    CHECK(svg && strstr(svg, "<svg"), "bpc.svg");
    free(svg);
    free(cfg);
    free(metrics);
    ax_safetensors *st = NULL;
    CHECK(ax_safetensors_read(tmp_path("ck/model.safetensors"), &st) == AX_OK, "weights: %s", ax_last_error());
    if (st) {
        const ax_st_entry *e = ax_safetensors_find(st, "lstm.weight_hh_l1");
        CHECK(e && e->shape[0] == 128 && e->shape[1] == 32, "torch-named LSTM weight (4H, H)");
        CHECK(ax_safetensors_find(st, "fc.weight") && ax_safetensors_find(st, "lstm.bias_ih_l0"), "fc and biases");
        ax_safetensors_free(st);
    }
    static char first[sizeof out];
    rc = run("generate --ckpt %s --prompt 'the ' --max-new-tokens 40 --seed 7 --top-k 3 --temperature 0.7 --quiet", ck);
    snprintf(first, sizeof first, "%s", out);
    CHECK(rc == 0 && strncmp(out, "the ", 4) == 0 && strlen(out) == 4 + 40 + 1, "generate: rc %d '%s'", rc, out);
    rc = run("generate --ckpt %s --prompt 'the ' --max-new-tokens 40 --seed 7 --top-k 3 --temperature 0.7 --quiet", ck);
    CHECK(rc == 0 && strcmp(out, first) == 0, "same seed, same text: '%s' vs '%s'", out, first);
    rc = run("generate --ckpt %s --prompt 'the ' --max-new-tokens 30 --greedy --json --quiet", ck);
    CHECK(rc == 0 && strstr(out, "\"new_tokens\":30"), "generate --json: %s", out);
    // --stop: greedy text cut just before the first stop string it generates (found after the prompt)
    rc = run("generate --ckpt %s --prompt 'the ' --max-new-tokens 40 --greedy --quiet --no-echo", ck);
    static char greedy[sizeof out], stop[4];
    snprintf(greedy, sizeof greedy, "%s", out);
    snprintf(stop, sizeof stop, "%.3s", greedy + 10);
    char *at = strstr(greedy, stop);
    int want = at ? (int)(at - greedy) : -1;
    rc = run("generate --ckpt %s --prompt 'the ' --max-new-tokens 40 --greedy --quiet --no-echo --stop '%s'", ck, stop);
    CHECK(rc == 0 && want >= 0 && (int)strlen(out) == want + 1 && strncmp(out, greedy, (size_t)want) == 0,
          "--stop '%s': '%s' (greedy '%s')", stop, out, greedy);
    rc = run("generate --ckpt %s --prompt 'the ' --max-new-tokens 40 --greedy --quiet --json --stop '%s'", ck, stop);
    CHECK(rc == 0 && strstr(out, "\"stop_reason\":\"stop\""), "--stop --json: %s", out);
    // the prompt from stdin when --prompt is absent: the same text as --prompt
    const char *prompt_file = tmp_path("prompt.txt");
    FILE *pf = fopen(prompt_file, "w");
    CHECK(pf && fputs("the ", pf) >= 0 && fclose(pf) == 0, "writing %s", prompt_file);
    rc = run("generate --ckpt %s --max-new-tokens 40 --greedy --quiet --no-echo < %s", ck, prompt_file);
    CHECK(rc == 0 && strcmp(out, greedy) == 0, "prompt from stdin: '%s' vs '%s'", out, greedy);
    rc = run("generate --ckpt %s --prompt 'Z!' --max-new-tokens 5 --quiet", ck);
    CHECK(rc == 1 && strncmp(out, "axon: ", 6) == 0, "prompt with characters outside the vocabulary: %d %s", rc, out);
}

// the default corpus (built-in Austen): one step of a tiny model
static void default_corpus(void) {
    int rc = run("train char-lstm --out %s --hidden 8 --layers 1 --seq-len 8 --batch-size 2 --max-iters 1 "
                 "--val-fraction 0.001 --quiet --json",
                 tmp_path("austen"));
    CHECK(rc == 0 && strstr(out, "\"val_bpc\""), "built-in corpus: %d %s", rc, out);
    char *vocab = slurp(tmp_path("austen/char_vocab.json"));
    CHECK(vocab && strstr(vocab, "\"axon_tokenizer\""), "char vocabulary of the corpus");
    free(vocab);
}

static void bad_input(void) {
    int rc = run("train char-lstm --data %s/missing.txt --out %s --quiet", tmp_dir, tmp_path("none"));
    CHECK(rc == 1 && strncmp(out, "axon: ", 6) == 0, "missing file: %d %s", rc, out);
    const char *small = tmp_path("small.txt");
    FILE *fp = fopen(small, "w");
    CHECK(fp && fputs("abcabc", fp) >= 0 && fclose(fp) == 0, "writing %s", small);
    rc = run("train char-lstm --data %s --out %s " TINY, small, tmp_path("small_ck"));
    CHECK(rc == 1 && strstr(out, "too few"), "corpus too small: %d %s", rc, out);
    CHECK(!slurp(tmp_path("small_ck/model.safetensors")), "no checkpoint from a failed run");
    rc = run("train char-lstm --data %s --layers 0", small);
    CHECK(rc == 2, "--layers 0: %d %s", rc, out);
    rc = run("train char-lstm --data %s --init xavier", small);
    CHECK(rc == 2 && strstr(out, "--init must be keras or torch"), "--init xavier: %d %s", rc, out);
    rc = run("train char-lstm --data %s --gate-bias 11", small);
    CHECK(rc == 2 && strstr(out, "--gate-bias"), "--gate-bias 11: %d %s", rc, out);
    rc = run("train char-lstm --help");
    CHECK(rc == 0 && strstr(out, "--seq-len") && strstr(out, "(default 100)"), "help: %s", out);
}

int main(void) {
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/axon_char_lstm_XXXXXX");
    CHECK(mkdtemp(tmp_dir) != NULL, "mkdtemp");
    train_and_generate();
    default_corpus();
    bad_input();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_dir);
    CHECK(system(cmd) == 0, "cleanup");
    return check_report();
}
