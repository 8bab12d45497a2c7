/* conlleval: the report on the fixture files equals the original script's byte for byte, the overall scores match
 * scores.json, the script's chunk rules on hand-made cases (IOB1 I- starts, BIOES S- read its way, hyphenated
 * types), the CoNLL reader's sentences / -DOCSTART- / errors with line numbers, and `axon ner eval`. */
#include "check.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CE_DIR AX_FIXTURE_DIR "/conlleval"

static char *slurp(const char *path) {
    char *text = NULL;
    size_t len;
    if (ax_read_file(path, 1 << 20, (void **)&text, &len) != AX_OK) return NULL;
    return text;
}

// conlleval over a CoNLL file's last two columns (the same walk as `axon ner eval`, without -DOCSTART-s)
static bool score_file(const char *path, ax_conlleval *ev) {
    ax_conll c;
    if (!CHECK(ax_conll_read(path, 3, &c) == AX_OK, "read %s: %s", path, ax_last_error())) return false;
    ax_conlleval_init(ev);
    for (int64_t s = 0; s < c.n_sents; s++) {
        ax_conlleval_boundary(ev);
        for (int64_t t = c.sent_start[s]; t < c.sent_start[s + 1]; t++)
            ax_conlleval_token(ev, c.cells[t * c.n_cols + 1], c.cells[t * c.n_cols + 2]);
    }
    ax_conlleval_finish(ev);
    ax_conll_free(&c);
    return true;
}

static void test_fixtures(void) {
    char *js = slurp(CE_DIR "/scores.json");
    cJSON *j = js ? cJSON_Parse(js) : NULL;
    free(js);
    if (!CHECK(j != NULL, "scores.json")) return;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(j, "cases")) {
        const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
        char path[512], want_path[512];
        snprintf(path, sizeof path, CE_DIR "/%s.conll", name);
        snprintf(want_path, sizeof want_path, CE_DIR "/%s.conlleval.txt", name);
        ax_conlleval ev;
        if (!score_file(path, &ev)) continue;
        char *got = ax_conlleval_report(&ev), *want = slurp(want_path);
        CHECK(got && want && strcmp(got, want) == 0, "%s report:\n%s\nwant:\n%s", name, got, want);
        double p, r, f;
        ax_conlleval_prf(ev.correct, ev.found_guessed, ev.found_correct, &p, &r, &f);
        CHECK_NEAR(p, cJSON_GetObjectItem(c, "overall_precision")->valuedouble, 0.005);
        CHECK_NEAR(r, cJSON_GetObjectItem(c, "overall_recall")->valuedouble, 0.005);
        CHECK_NEAR(f, cJSON_GetObjectItem(c, "overall_f1")->valuedouble, 0.005);
        free(got);
        free(want);
        ax_conlleval_free(&ev);
    }
    cJSON_Delete(j);
}

// scores one sentence of gold/guess tag pairs ("g1 g2 ...", "p1 p2 ...") and returns the report
static char *score_tags(const char *gold, const char *guess, ax_conlleval *ev) {
    char g[256], p[256], *gs, *ps;
    snprintf(g, sizeof g, "%s", gold);
    snprintf(p, sizeof p, "%s", guess);
    ax_conlleval_init(ev);
    char *a = strtok_r(g, " ", &gs), *b = strtok_r(p, " ", &ps);
    for (; a && b; a = strtok_r(NULL, " ", &gs), b = strtok_r(NULL, " ", &ps)) ax_conlleval_token(ev, a, b);
    ax_conlleval_finish(ev);
    return ax_conlleval_report(ev);
}

static void expect(const char *gold, const char *guess, int64_t n_gold, int64_t n_found, int64_t n_correct,
                   int64_t n_tags_ok) {
    ax_conlleval ev;
    char *rep = score_tags(gold, guess, &ev);
    CHECK(ev.found_correct == n_gold && ev.found_guessed == n_found && ev.correct == n_correct &&
              ev.correct_tags == n_tags_ok,
          "gold [%s] guess [%s]: gold %lld found %lld correct %lld tags %lld, want %lld %lld %lld %lld\n%s", gold,
          guess, (long long)ev.found_correct, (long long)ev.found_guessed, (long long)ev.correct,
          (long long)ev.correct_tags, (long long)n_gold, (long long)n_found, (long long)n_correct,
          (long long)n_tags_ok, rep);
    free(rep);
    ax_conlleval_free(&ev);
}

static void test_rules(void) {
    expect("I-PER I-PER B-PER O", "I-PER I-PER B-PER O", 2, 2, 2, 4); // IOB1: O→I starts, B splits
    expect("I-PER I-LOC", "I-PER I-PER", 2, 1, 0, 1);                  // a type change starts a chunk
    expect("B-PER I-PER", "B-PER B-PER", 1, 2, 0, 1);                  // a split chunk is wrong
    expect("I-PER I-PER", "B-PER I-PER", 1, 1, 1, 1);                  // IOB1 and IOB2 spans agree
    expect("O I-PER", "B-PER I-PER", 1, 1, 0, 1);                      // different starts
    expect("S-PER S-PER", "B-PER E-PER", 1, 1, 1, 0); // the script has no S rule: S-X S-X is one chunk
    expect("B-PER E-PER E-PER", "B-PER E-PER B-PER", 2, 1, 0, 2); // E→E starts a chunk; the script has no E→B rule
    expect("B-ORG-X I-ORG-X", "B-ORG-X I-ORG-X", 1, 1, 1, 2);     // the type is everything after the first '-'
    ax_conlleval ev;
    char *rep = score_tags("B-ORG-X I-ORG-X", "B-ORG-X I-ORG-X", &ev);
    CHECK(rep && strstr(rep, "            ORG-X: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"), "%s", rep);
    free(rep);
    ax_conlleval_free(&ev);
    // untyped chunks: the script lists the false name "" once per table it is in
    rep = score_tags("B O", "B O", &ev);
    const char *row = "                 : precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n";
    char *first = rep ? strstr(rep, row) : NULL;
    CHECK(first && strstr(first + 1, row), "untyped rows:\n%s", rep);
    free(rep);
    ax_conlleval_free(&ev);
    rep = score_tags("", "", &ev);
    CHECK(rep && strcmp(rep, "processed 0 tokens with 0 phrases; found: 0 phrases; correct: 0.\n") == 0, "empty: %s",
          rep);
    free(rep);
    ax_conlleval_free(&ev);
}

static void write_file(const char *path, const char *text) {
    FILE *fp = fopen(path, "w");
    if (fp) fputs(text, fp), fclose(fp);
}

static void test_reader(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/a.conll", dir);
    write_file(path, "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n\r\nPeter NNP B-NP B-PER\n"
                     "-DOCSTART- -X- -X- O\n\nBlackburn NNP B-NP I-PER");
    ax_conll c;
    if (CHECK(ax_conll_read(path, 2, &c) == AX_OK, "CoNLL-2003 file: %s", ax_last_error())) {
        CHECK(c.n_cols == 4 && c.n_tokens == 4 && c.n_sents == 3 && c.n_docs == 2, "cols %d tokens %lld sents %lld",
              c.n_cols, (long long)c.n_tokens, (long long)c.n_sents);
        CHECK(c.sent_start[1] == 2 && c.sent_start[2] == 3 && c.docs_before[0] == 1 && c.docs_before[1] == 0 &&
                  c.docs_before[2] == 1 && c.line[3] == 10 && strcmp(c.cells[3 * 4 + 3], "I-PER") == 0,
              "sentences / documents / line numbers");
        ax_conll_free(&c);
    }
    write_file(path, "a O\tO\nb O\n");
    CHECK(ax_conll_read(path, 2, &c) == AX_ERR && strstr(ax_last_error(), "a.conll:2: 2 columns, but line 1 has 3"),
          "ragged: %s", ax_last_error());
    write_file(path, "\nword\n");
    CHECK(ax_conll_read(path, 2, &c) == AX_ERR && strstr(ax_last_error(), ":2: 1 column, need at least 2"), "%s",
          ax_last_error());
    snprintf(path, sizeof path, "%s/missing.conll", dir);
    CHECK(ax_conll_read(path, 2, &c) == AX_ERR, "missing file");
}

static void test_cli(const char *dir) {
    char out[8192], cmd[2048];
    const char *bin = check_axon_bin();
    snprintf(cmd, sizeof cmd, "%s ner eval %s/public_iob1_60.conll", bin, CE_DIR);
    int rc = check_run(cmd, out, sizeof out);
    char *want = slurp(CE_DIR "/public_iob1_60.conlleval.txt");
    CHECK(rc == 0 && want && strcmp(out, want) == 0, "ner eval: rc %d\n%s", rc, out);
    free(want);
    snprintf(cmd, sizeof cmd, "%s ner eval %s/public_iob2_20.conll --json", bin, CE_DIR);
    rc = check_run(cmd, out, sizeof out);
    cJSON *j = cJSON_Parse(out);
    const cJSON *f1 = j ? cJSON_GetObjectItem(j, "f1") : NULL, *types = j ? cJSON_GetObjectItem(j, "types") : NULL;
    CHECK(rc == 0 && f1 && f1->valuedouble > 66.535 && f1->valuedouble < 66.545 && cJSON_GetObjectItem(types, "PER"),
          "ner eval --json: %s", out);
    cJSON_Delete(j);
    char path[512];
    snprintf(path, sizeof path, "%s/doc.conll", dir);
    write_file(path, "-DOCSTART- O O\n\nJohn B-PER B-PER\nsmiled O O\n");
    snprintf(cmd, sizeof cmd, "%s ner eval %s", bin, path);
    CHECK(check_run(cmd, out, sizeof out) == 0 && strstr(out, "processed 3 tokens with 1 phrases; found: 1 phrases; "
                                                              "correct: 1."),
          "-DOCSTART- counts as a token like in conlleval: %s", out);
    write_file(path, "John B-PER B-PER\nsmiled O\n");
    snprintf(cmd, sizeof cmd, "%s ner eval %s", bin, path);
    CHECK(check_run(cmd, out, sizeof out) == 1 && strstr(out, "doc.conll:2:"), "bad file names the line: %s", out);
    snprintf(cmd, sizeof cmd, "%s ner frobnicate", bin);
    CHECK(check_run(cmd, out, sizeof out) == 2, "unknown subcommand: %s", out);
    snprintf(cmd, sizeof cmd, "%s ner eval", bin);
    CHECK(check_run(cmd, out, sizeof out) == 2, "no file: %s", out);
}

int main(void) {
    char dir[] = "/tmp/axon_conllXXXXXX";
    if (!mkdtemp(dir)) return 1;
    test_fixtures();
    test_rules();
    test_reader(dir);
    test_cli(dir);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    return check_report();
}
