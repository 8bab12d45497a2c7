/* `axon train ner --arch bert` → `axon tag` end to end on a handful of sentences (a few seconds): a BPE and a short
 * masked-LM pre-training on the default corpora, fine-tuning that learns the sentences (F1 asserted), the checkpoint's
 * files and the pre-trained encoder, `token tag`, --inline and --conll output (scored by `axon ner eval`), long input
 * in pieces, --init from the pre-trained encoder; then bad input: one line, the right exit code, no checkpoint. */
#include "check.h"
#include "ner_sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TINY                                                                                                           \
    "--arch bert --pretrain-steps 10 --pretrain-len 16 --bpe-vocab 600 --d-model 32 --heads 4 --d-ff 64 --layers 2 " \
    "--epochs 30 --batch-size 2 --lr 3e-3 --dropout 0 --threads 1 --quiet"

static char tmp_dir[64];  // scratch directory for this run
static char out[1 << 16]; // the last command's output

#define tmp_path(name) check_join(tmp_dir, name)
#define run(...) check_axon(out, sizeof out, __VA_ARGS__)

static const char *const TRAIN = NER_SAMPLE_TRAIN;

static bool one_line(const char *s) { return strncmp(s, "axon: ", 6) == 0 && strchr(s, '\n') == s + strlen(s) - 1; }

static void write_file(const char *path, const char *text) {
    FILE *fp = fopen(path, "w");
    CHECK(fp && fputs(text, fp) >= 0 && fclose(fp) == 0, "writing %s", path);
}

static double best_f1(void) {
    const char *f = strstr(out, "\"best_val_f1\":");
    return f ? atof(f + 14) : NAN;
}

static void test_train(void) {
    int rc = run("train ner --data %s --valid %s --out %s " TINY " --json", tmp_path("train.conll"),
                 tmp_path("train.conll"), tmp_path("ck"));
    CHECK(rc == 0 && best_f1() >= 90, "train ner --arch bert exit %d, F1 %g: %s", rc, best_f1(), out);
    char *cfg = check_slurp(tmp_path("ck/config.json")), *metrics = check_slurp(tmp_path("ck/metrics.jsonl"));
    CHECK(cfg && strstr(cfg, "\"bert\"") && strstr(cfg, "\"B-LOC\"") && strstr(cfg, "\"pretrain_steps\""), "config.json");
    CHECK(metrics && strstr(metrics, "\"mlm_loss\"") && strstr(metrics, "\"val_f1\""), "metrics.jsonl");
    char *enc = check_slurp(tmp_path("ck/encoder.json")), *pre = check_slurp(tmp_path("ck/pretrained/config.json"));
    CHECK(enc && pre && strstr(pre, "\"num_labels\":\t0,"), "tokenizer files and the pre-trained encoder");
    free(cfg), free(metrics), free(enc), free(pre);
}

static void test_tag(void) {
    int rc = run("tag --ckpt %s --text 'Elizabeth went to London. Jesus went to Jerusalem.' --inline", tmp_path("ck"));
    CHECK(rc == 0 && strcmp(out, "[Elizabeth]PER went to [London]LOC .\n[Jesus]PER went to [Jerusalem]LOC .\n") == 0,
          "--inline (exit %d): %s", rc, out);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "printf 'Jane Bennet saw Bingley.\\n' | %s tag --ckpt %s", check_axon_bin(), tmp_path("ck"));
    rc = check_run(cmd, out, sizeof out);
    CHECK(rc == 0 && strcmp(out, "Jane B-PER\nBennet I-PER\nsaw O\nBingley B-PER\n. O\n\n") == 0,
          "token tag lines from stdin (exit %d): %s", rc, out);
    rc = run("tag --ckpt %s --conll %s --out %s", tmp_path("ck"), tmp_path("train.conll"), tmp_path("guess.conll"));
    char *g = check_slurp(tmp_path("guess.conll"));
    CHECK(rc == 0 && g && strncmp(g, "Elizabeth B-PER B-PER\nwent O O\n", 31) == 0, "--conll (exit %d): %s", rc, out);
    free(g);
    rc = run("ner eval %s", tmp_path("guess.conll"));
    CHECK(rc == 0 && strstr(out, "FB1: 100.00"), "ner eval of the tagged file: %s", out);
    rc = run("tag --ckpt %s --text 'Jesus went to Jerusalem and Bethany .' --max-len 2", tmp_path("ck"));
    CHECK(rc == 0 && strstr(out, "tagged in pieces") && strstr(out, "Jesus B-PER\n") && strstr(out, "\n. O\n"),
          "pieces: %s", out);
}

static void test_init(void) {
    int rc = run("train ner --data %s --valid %s --out %s " TINY " --init %s --json", tmp_path("train.conll"),
                 tmp_path("train.conll"), tmp_path("ck_init"), tmp_path("ck/pretrained"));
    char *pre = check_slurp(tmp_path("ck_init/pretrained/config.json")), *cfg = check_slurp(tmp_path("ck_init/config.json"));
    CHECK(rc == 0 && best_f1() >= 90 && !pre && cfg && strstr(cfg, "\"init\""), "--init: exit %d, %s", rc, out);
    free(pre), free(cfg);
}

static void expect_fail(int code, const char *needle, const char *what, int rc) {
    CHECK(rc == code && one_line(out) && strstr(out, needle), "%s: exit %d, %s", what, rc, out);
}

static void test_bad_input(void) {
    expect_fail(2, "--heads", "d-model not a multiple of heads",
                run("train ner --arch bert --d-model 30 --heads 4 --data %s", tmp_path("train.conll")));
    expect_fail(2, "--self-train", "self-training with bert",
                run("train ner --arch bert --self-train 1 --data %s", tmp_path("train.conll")));
    expect_fail(1, "nothing", "--init of a missing directory",
                run("train ner --data %s --out %s " TINY " --init %s", tmp_path("train.conll"), tmp_path("bad_ck"),
                    tmp_path("nothing")));
    char *ck = check_slurp(tmp_path("bad_ck/model.safetensors"));
    CHECK(!ck, "no checkpoint from a failed run");
    free(ck);
    write_file(tmp_path("broken/config.json"), "{\"axon_model\": \"ner\", \"arch\": \"bert\", \"d_model\": 32}");
    expect_fail(1, "config.json", "tag with a broken bert config", run("tag --ckpt %s --text hi", tmp_path("broken")));
}

int main(void) {
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/axon_bert_cli_XXXXXX");
    CHECK(mkdtemp(tmp_dir) != NULL, "mkdtemp");
    write_file(tmp_path("train.conll"), TRAIN);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/broken", tmp_dir);
    CHECK(system(cmd) == 0, "mkdir");
    test_train();
    test_tag();
    test_init();
    test_bad_input();
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_dir);
    CHECK(system(cmd) == 0, "cleanup");
    return check_report();
}
