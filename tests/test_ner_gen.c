/* Generative NER: entity lists as text (ax_ner_gen_format) and generated lists mapped back to spans
 * (ax_ner_gen_spans: repeated names, multi-token entities, hallucinated and ill-formed items, unknown types, other
 * orders); then `axon train ner --arch seq2seq` → `axon tag` end to end on a handful of sentences, and bad input. */
#include "check.h"
#include "ner_sample.h"

#include <stdlib.h>
#include <string.h>

static char tmp_dir[64];  // scratch directory for this run
static char out[1 << 16]; // the last command's output

#define tmp_path(name) check_join(tmp_dir, name)
#define run(...) check_axon(out, sizeof out, __VA_ARGS__)

static ax_tagset types(void) {
    ax_tagset ts;
    ax_tagset_init(&ts, AX_NER_IOB2);
    ax_tagset_add_type(&ts, "PER"), ax_tagset_add_type(&ts, "LOC"); // 0, 1
    return ts;
}

static void test_format(void) {
    ax_ner_corpus c;
    ax_ner_corpus_init(&c);
    c.tags = types(), c.labelled = true;
    const char *s0[] = {"Jane", "Bennet", "went", "to", "London", "."}, *s1[] = {"It", "rained", "."};
    const ax_ner_span sp[] = {{0, 2, 0}, {4, 5, 1}};
    CHECK(ax_ner_corpus_add(&c, s0, 6, sp, 2, NULL) == AX_OK && ax_ner_corpus_add(&c, s1, 3, NULL, 0, NULL) == AX_OK,
          "corpus");
    char *a = ax_ner_gen_format(&c, 0), *b = ax_ner_gen_format(&c, 1);
    CHECK(strcmp(a, "Jane Bennet <PER> ; London <LOC>") == 0, "two entities: '%s'", a);
    CHECK(strcmp(b, "<none>") == 0, "no entity: '%s'", b);
    ax_tagset ts = types();
    ax_ner_span back[6];
    int dropped, n = ax_ner_gen_spans(a, s0, 6, &ts, back, &dropped);
    CHECK(n == 2 && dropped == 0 && back[0].start == 0 && back[0].end == 2 && back[0].type == 0 && back[1].start == 4 &&
              back[1].end == 5 && back[1].type == 1,
          "the formatted list maps back to the spans (%d spans)", n);
    free(a), free(b);
    ax_ner_corpus_free(&c);
}

// the spans of text on the sentence words (space-separated) as "start-end:type …", and the dropped count
static const char *map(const char *text, const char *sentence, int *dropped) {
    static char buf[256];
    char copy[256], *save, *toks[32];
    int n = 0;
    snprintf(copy, sizeof copy, "%s", sentence);
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) toks[n++] = w;
    ax_tagset ts = types();
    ax_ner_span sp[32];
    int k = ax_ner_gen_spans(text, (const char *const *)toks, n, &ts, sp, dropped);
    buf[0] = '\0';
    for (int i = 0; i < k; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%d-%d:%s", i ? " " : "", sp[i].start, sp[i].end,
                 ts.types[sp[i].type]);
    return buf;
}

static void expect_map(const char *text, const char *sentence, const char *want, int want_dropped) {
    int dropped = -1;
    const char *got = map(text, sentence, &dropped);
    CHECK(strcmp(got, want) == 0 && dropped == want_dropped, "'%s' on '%s': '%s' (dropped %d), want '%s' (%d)", text,
          sentence, got, dropped, want, want_dropped);
}

static void test_mapping(void) {
    const char *s = "Jane saw Jane Bennet and Elizabeth in London";
    expect_map("Jane <PER> ; Jane <PER> ; Elizabeth <PER>", s, "0-1:PER 2-3:PER 5-6:PER", 0); // repeated: in order
    expect_map("Jane <PER> ; Jane <PER> ; Jane <PER>", s, "0-1:PER 2-3:PER", 1); // a third Jane: no free one
    expect_map("Jane Bennet <PER> ; Jane <PER>", s, "0-1:PER 2-4:PER", 0); // multi-token first takes tokens 2-3
    expect_map("London <LOC> ; Elizabeth <PER>", s, "5-6:PER 7-8:LOC", 0);  // another order: spans sorted
    expect_map("Darcy <PER> ; London <LOC>", s, "7-8:LOC", 1);             // hallucinated
    expect_map("Jane Darcy <PER>", s, "", 1);                               // a partial match is no match
    expect_map("London <ORG> ; Elizabeth <PER>", s, "5-6:PER", 1);           // a type the model lacks
    expect_map("Jane Bennet <PER> ; Bennet <LOC>", s, "2-4:PER", 1);         // tokens already taken
    expect_map("<none>", s, "", 0);
    expect_map("", s, "", 0);
    expect_map("<PER> ; ; London <LOC> ;", s, "7-8:LOC", 1); // an item without tokens; stray separators
    expect_map("London <LOC> ; Elizabeth", s, "7-8:LOC", 1);  // words without a type at the end
    expect_map("  London   <LOC>  ;  Jane <PER>", s, "0-1:PER 7-8:LOC", 0); // runs of spaces
    expect_map("London <LOC>", "", "", 1);                    // an empty sentence
}

/* ---- the commands ------------------------------------------------------------------------------------------- */

#define TINY                                                                                                           \
    "--vocab-size 300 --d-model 32 --heads 2 --d-ff 64 --layers 1 --epochs 60 --batch-tokens 512 --warmup 30 "        \
    "--lr 1 --average 1 --dropout 0 --threads 1 --quiet"

static const char *const TRAIN = NER_SAMPLE_TRAIN;

static void write_file(const char *path, const char *text) {
    FILE *fp = fopen(path, "w");
    CHECK(fp && fputs(text, fp) >= 0 && fclose(fp) == 0, "writing %s", path);
}

static void test_train_and_tag(void) {
    int rc = run("train ner --arch seq2seq --data %s --valid %s --out %s " TINY " --json", tmp_path("train.conll"),
                 tmp_path("train.conll"), tmp_path("gen"));
    const char *f = strstr(out, "\"val_f1\":");
    CHECK(rc == 0 && f && atof(f + 9) >= 80, "trained, validation F1 ≥ 80 on its own sentences (exit %d): %s", rc, out);
    char *cfg = check_slurp(tmp_path("gen/config.json")), *pairs = check_slurp(tmp_path("gen/pairs/train.tsv"));
    CHECK(cfg && strstr(cfg, "\"axon_model\":\t\"transformer\"") && strstr(cfg, "\"arch\":\t\"seq2seq\"") &&
              strstr(cfg, "\"types\":\t[\"LOC\", \"PER\"]") && strstr(cfg, "\"val_f1\""),
          "config.json: a transformer of arch seq2seq with the types: %s", cfg ? cfg : "(missing)");
    CHECK(pairs && strstr(pairs, "Elizabeth went to London .\tElizabeth <PER> ; London <LOC>\n") &&
              strstr(pairs, "They walked to Meryton .\tMeryton <LOC>\n") &&
              strstr(pairs, "Jane Bennet saw Bingley at Netherfield .\tJane Bennet <PER> ; Bingley <PER> ; Netherfield <LOC>\n"),
          "pairs: %s", pairs ? pairs : "(missing)");
    free(cfg), free(pairs);
    rc = run("tag --ckpt %s --text 'Elizabeth went to London. Jesus went to Jerusalem.' --inline --quiet", tmp_path("gen"));
    CHECK(rc == 0 && strcmp(out, "[Elizabeth]PER went to [London]LOC .\n[Jesus]PER went to [Jerusalem]LOC .\n") == 0,
          "axon tag --inline with the generative checkpoint (exit %d): %s", rc, out);
    rc = run("tag --ckpt %s --conll %s --out %s --quiet", tmp_path("gen"), tmp_path("train.conll"), tmp_path("guess"));
    CHECK(rc == 0, "tag --conll (exit %d): %s", rc, out);
    rc = run("ner eval %s", tmp_path("guess"));
    CHECK(rc == 0 && strstr(out, "accuracy:"), "ner eval of the generated entities: %s", out);
}

static void expect_fail(int code, const char *needle, const char *what, int rc) {
    CHECK(rc == code && strstr(out, needle), "%s: exit %d, %s", what, rc, out);
}

static void test_bad_input(void) {
    expect_fail(1, "missing.conll", "a missing --data",
                run("train ner --arch seq2seq --data %s --out %s " TINY, tmp_path("missing.conll"), tmp_path("g1")));
    expect_fail(2, "--d-model", "a transformer option out of range",
                run("train ner --arch seq2seq --data %s --out %s --d-model 33 --heads 2 --quiet", tmp_path("train.conll"),
                    tmp_path("g2")));
    int rc = run("train ner --arch seq2seq --help");
    CHECK(rc == 0 && strstr(out, "axon train transformer") && strstr(out, "--data-scheme"), "--help: %s", out);
}

int main(void) {
    test_format();
    test_mapping();
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/axon_ner_gen_XXXXXX");
    CHECK(mkdtemp(tmp_dir) != NULL, "mkdtemp");
    write_file(tmp_path("train.conll"), TRAIN);
    test_train_and_tag();
    test_bad_input();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_dir);
    CHECK(system(cmd) == 0, "cleanup");
    return check_report();
}
