/* `axon train ner` → `axon tag` end to end on a handful of sentences (a few seconds): the checkpoint's files,
 * metrics and plots, a tagger that learns its sentences (F1 asserted), `token tag`, --inline and --conll output
 * (scored by `axon ner eval`), long sentences cut into pieces with nothing lost, text without entities; then bad
 * input: one line, the right exit code, no checkpoint from a failed run. */
#include "check.h"
#include "ner_sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TINY                                                                                                           \
    "--word-dim 16 --case-dim 4 --char-dim 8 --char-hidden 8 --hidden 16 --epochs 25 --batch-size 2 --min-freq 1 "    \
    "--lr 2e-2 --dropout 0 --threads 1 --quiet"

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

static void test_train(void) {
    int rc = run("train ner --arch bilstm-crf --data %s --valid %s --out %s " TINY " --json", tmp_path("train.conll"),
                 tmp_path("train.conll"), tmp_path("ck"));
    CHECK(rc == 0, "train ner exit %d: %s", rc, out);
    const char *f = strstr(out, "\"best_val_f1\":");
    double f1 = f ? atof(f + 14) : NAN;
    CHECK(f1 >= 90, "entity F1 %g on the training sentences after 25 epochs", f1);
    char *cfg = check_slurp(tmp_path("ck/config.json")), *metrics = check_slurp(tmp_path("ck/metrics.jsonl"));
    CHECK(cfg && strstr(cfg, "\"ner\"") && strstr(cfg, "\"bilstm-crf\"") && strstr(cfg, "\"B-LOC\""), "config.json");
    CHECK(metrics && strstr(metrics, "\"val_f1\"") && strstr(metrics, "\"tokens_per_s\""), "metrics.jsonl");
    char *words = check_slurp(tmp_path("ck/words.txt")), *svg = check_slurp(tmp_path("ck/f1.svg"));
    CHECK(words && strncmp(words, "<pad>\n<sos>\n<eos>\n<unk>\n", 24) == 0 && strstr(words, "\nelizabeth\n"), "words.txt");
    CHECK(svg && strstr(svg, "<svg"), "f1.svg");
    free(cfg), free(metrics), free(words), free(svg);
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
    rc = run("tag --ckpt %s --text 'nothing to see here' --inline", tmp_path("ck"));
    CHECK(rc == 0 && strcmp(out, "nothing to see here\n") == 0, "no entities (exit %d): %s", rc, out);
    rc = run("tag --ckpt %s --conll %s --out %s", tmp_path("ck"), tmp_path("train.conll"), tmp_path("guess.conll"));
    char *g = check_slurp(tmp_path("guess.conll"));
    CHECK(rc == 0 && g && strncmp(g, "Elizabeth B-PER B-PER\nwent O O\n", 31) == 0, "--conll (exit %d): %s", rc, out);
    free(g);
    rc = run("ner eval %s", tmp_path("guess.conll"));
    CHECK(rc == 0 && strstr(out, "FB1: 100.00"), "ner eval of the tagged file: %s", out);
    // pieces of 2 tokens: a notice, every token still tagged
    rc = run("tag --ckpt %s --text 'Jesus went to Jerusalem and Bethany .' --max-len 2", tmp_path("ck"));
    CHECK(rc == 0 && strstr(out, "tagged in pieces") && strstr(out, "Bethany B-LOC\n. O\n"), "pieces: %s", out);
}

static void expect_fail(int code, const char *needle, const char *what, int rc) {
    CHECK(rc == code && one_line(out) && strstr(out, needle), "%s: exit %d, %s", what, rc, out);
}

static void test_bad_input(void) {
    expect_fail(2, "unknown --arch", "--arch foo", run("train ner --arch foo"));
    write_file(tmp_path("bad.conll"), "Elizabeth B-PER\nwent O extra\n");
    expect_fail(1, ":2", "wrong column count", run("train ner --data %s --out %s " TINY, tmp_path("bad.conll"),
                                                   tmp_path("bad_ck")));
    write_file(tmp_path("dev.conll"), "Elizabeth B-PER\nsaw O\nKent B-ORG\n");
    expect_fail(1, "--valid", "unknown valid label", run("train ner --data %s --valid %s --out %s " TINY,
                                                         tmp_path("train.conll"), tmp_path("dev.conll"),
                                                         tmp_path("bad_ck")));
    char *ck = check_slurp(tmp_path("bad_ck/model.safetensors"));
    CHECK(!ck, "no checkpoint from a failed run");
    free(ck);
    expect_fail(2, "--ckpt", "tag without --ckpt", run("tag --text hi"));
    expect_fail(2, "exclude", "--text with --conll", run("tag --ckpt x --text a --conll b"));
    expect_fail(1, "axon: ", "missing checkpoint", run("tag --ckpt %s --text hi", tmp_path("nothing")));
    expect_fail(1, ":2", "malformed --conll", run("tag --ckpt %s --conll %s", tmp_path("ck"), tmp_path("bad.conll")));
    // a long training sentence is cut into pieces, with a notice
    int rc = run("train ner --data %s --out %s --max-len 3 --epochs 1 --word-dim 4 --hidden 4 --char-hidden 2 "
                 "--char-dim 2 --case-dim 2 --min-freq 1 --threads 1", tmp_path("train.conll"), tmp_path("ck2"));
    CHECK(rc == 0 && strstr(out, "cut into pieces"), "--max-len 3: exit %d, %s", rc, out);
}

int main(void) {
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/axon_ner_cli_XXXXXX");
    CHECK(mkdtemp(tmp_dir) != NULL, "mkdtemp");
    write_file(tmp_path("train.conll"), TRAIN);
    test_train();
    test_tag();
    test_bad_input();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_dir);
    CHECK(system(cmd) == 0, "cleanup");
    return check_report();
}
