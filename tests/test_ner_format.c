/* NER data formats: tag sets, IOB1 / IOB2 / BIOES both ways, CoNLL and JSONL round trips, errors with line
 * numbers, the gold tokenizer and the sentence splitter. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/axon_nerfmtXXXXXX";

static const char *write_tmp(const char *name, const char *text) {
    const char *path = check_join(dir, name);
    FILE *fp = fopen(path, "w");
    fputs(text, fp);
    fclose(fp);
    return path;
}

static void test_tagset(void) {
    ax_tagset ts;
    ax_tagset_init(&ts, AX_NER_BIOES);
    CHECK(ax_tagset_add_type(&ts, "PER") == 0 && ax_tagset_add_type(&ts, "LOC") == 1 && ax_tagset_add_type(&ts, "PER") == 0,
          "types in order of addition");
    CHECK(ax_tagset_size(&ts) == 9 && ax_tagset_id(&ts, "O") == 0 && ax_tagset_id(&ts, "S-LOC") == 8 &&
              ax_tagset_id(&ts, "E-PER") == 3 && ax_tagset_id(&ts, "X-PER") == -1 && ax_tagset_id(&ts, "B-ORG") == -1,
          "BIOES ids");
    char buf[40];
    CHECK(ax_tagset_tag(&ts, 6, buf, sizeof buf) == AX_OK && strcmp(buf, "I-LOC") == 0, "tag of id 6: %s", buf);
    CHECK(ax_tagset_tag(&ts, 9, buf, sizeof buf) == AX_ERR, "id out of range");
    CHECK(ax_tagset_prefix(&ts, 7) == 'E' && ax_tagset_type_of(&ts, 7) == 1 && ax_tagset_type_of(&ts, 0) == -1, "prefix/type");
    CHECK(ax_tagset_allowed(&ts, 1, 2) && !ax_tagset_allowed(&ts, 1, 6) && !ax_tagset_allowed(&ts, 0, 2) &&
              !ax_tagset_allowed(&ts, 1, -1) && ax_tagset_allowed(&ts, 4, -1) && ax_tagset_allowed(&ts, -1, 4),
          "BIOES transitions");
    ax_tagset_init(&ts, AX_NER_IOB2);
    ax_tagset_add_type(&ts, "PER");
    CHECK(ax_tagset_allowed(&ts, 1, 2) && !ax_tagset_allowed(&ts, 0, 2) && ax_tagset_allowed(&ts, 2, 1), "IOB2");
    ts.scheme = AX_NER_IOB1;
    CHECK(ax_tagset_allowed(&ts, 0, 2) && !ax_tagset_allowed(&ts, 0, 1) && ax_tagset_allowed(&ts, 2, 1), "IOB1");
}

// the tags of spans in a scheme, joined by spaces
static void tags_of(ax_ner_scheme scheme, const ax_ner_span *sp, int k, int n, char *out) {
    ax_tagset ts;
    ax_tagset_init(&ts, scheme);
    ax_tagset_add_type(&ts, "PER");
    ax_tagset_add_type(&ts, "LOC");
    int32_t ids[16];
    ax_ner_spans_to_ids(&ts, sp, k, n, ids);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        char t[40];
        ax_tagset_tag(&ts, ids[i], t, sizeof t);
        strcat(out, i ? " " : "");
        strcat(out, t);
    }
    ax_ner_span back[16];
    int m = ax_ner_ids_to_spans(&ts, ids, n, back);
    CHECK(m == k && memcmp(back, sp, (size_t)k * sizeof *sp) == 0, "scheme %d: spans back from %s", scheme, out);
}

static void test_schemes(void) {
    // Elizabeth Bennet | Darcy (adjacent PER) | went to | London
    const ax_ner_span sp[] = {{0, 2, 0}, {2, 3, 0}, {5, 6, 1}};
    char out[256];
    tags_of(AX_NER_IOB2, sp, 3, 7, out);
    CHECK(strcmp(out, "B-PER I-PER B-PER O O B-LOC O") == 0, "IOB2: %s", out);
    tags_of(AX_NER_IOB1, sp, 3, 7, out);
    CHECK(strcmp(out, "I-PER I-PER B-PER O O I-LOC O") == 0, "IOB1: %s", out);
    tags_of(AX_NER_BIOES, sp, 3, 7, out);
    CHECK(strcmp(out, "B-PER E-PER S-PER O O S-LOC O") == 0, "BIOES: %s", out);
    // ill-formed sequences read as conlleval reads them
    ax_tagset ts;
    ax_tagset_init(&ts, AX_NER_IOB2);
    ax_tagset_add_type(&ts, "PER");
    ax_tagset_add_type(&ts, "LOC");
    const int32_t ids[] = {2, 2, 4, 0, 1}; // I-PER I-PER I-LOC O B-PER
    ax_ner_span got[5];
    int k = ax_ner_ids_to_spans(&ts, ids, 5, got);
    CHECK(k == 3 && got[0].start == 0 && got[0].end == 2 && got[1].type == 1 && got[2].start == 4, "lenient decode (%d)", k);
    // repaired: the same entities, well-formed
    int32_t fixed[5];
    memcpy(fixed, ids, sizeof ids);
    ax_ner_ids_repair(&ts, fixed, 5);
    const int32_t want[] = {1, 2, 3, 0, 1}; // B-PER I-PER B-LOC O B-PER
    CHECK(memcmp(fixed, want, sizeof want) == 0, "IOB2 repair: %d %d %d %d %d", fixed[0], fixed[1], fixed[2], fixed[3],
          fixed[4]);
    // BIOES: a piece cut inside entities, I-PER I-PER | O | B-LOC: S-/B-…E- again
    ax_tagset bs;
    ax_tagset_init(&bs, AX_NER_BIOES);
    ax_tagset_add_type(&bs, "PER");
    ax_tagset_add_type(&bs, "LOC");
    int32_t cut[] = {2, 2, 0, 5}; // I-PER I-PER O B-LOC (ids 1 + 4·type + B 0, I 1, E 2, S 3)
    ax_ner_ids_repair(&bs, cut, 4);
    const int32_t bioes[] = {1, 3, 0, 8}; // B-PER E-PER O S-LOC
    CHECK(memcmp(cut, bioes, sizeof bioes) == 0, "BIOES repair: %d %d %d %d", cut[0], cut[1], cut[2], cut[3]);
    int32_t good[] = {1, 3, 0, 5, 7};
    const int32_t same[] = {1, 3, 0, 5, 7}; // B-PER E-PER O B-LOC E-LOC: already well-formed, unchanged
    ax_ner_ids_repair(&bs, good, 5);
    CHECK(memcmp(good, same, sizeof same) == 0, "a well-formed sequence is left as it is");
}

static void test_conll_round_trip(void) {
    const char *path = write_tmp("a.conll", "-DOCSTART- O\n\nMr. O\nDarcy B-PER\nof O\nPemberley B-LOC\n\n"
                                            "Elizabeth B-PER\nBennet I-PER\n.\tO\n");
    ax_ner_corpus c, d;
    CHECK(ax_ner_read_conll(path, -1, AX_NER_IOB2, AX_NER_STRICT, &c) == AX_OK, "read: %s", ax_last_error());
    CHECK(c.n_sents == 2 && c.n_tokens == 7 && c.n_spans == 3 && c.line[1] == 4, "%lld sents %lld spans", (long long)c.n_sents,
          (long long)c.n_spans);
    for (int s = 0; s < 3; s++) {
        const char *out = check_join(dir, "b.conll");
        CHECK(ax_ner_write_conll(out, &c, NULL, (ax_ner_scheme)s) == AX_OK, "write scheme %d", s);
        CHECK(ax_ner_read_conll(out, -1, (ax_ner_scheme)s, AX_NER_STRICT, &d) == AX_OK, "reread %d: %s", s, ax_last_error());
        CHECK(d.n_spans == c.n_spans && memcmp(d.spans, c.spans, (size_t)c.n_spans * sizeof *c.spans) == 0,
              "spans survive scheme %d", s);
        ax_ner_corpus_free(&d);
    }
    char *text;
    size_t len;
    CHECK(ax_ner_format_conll(&c, &c, AX_NER_IOB2, &text, &len) == AX_OK && strstr(text, "Bennet I-PER I-PER\n"), "3 columns");
    free(text);
    const char *js = check_join(dir, "c.jsonl");
    CHECK(ax_ner_write_jsonl(js, &c) == AX_OK && ax_ner_read_jsonl(js, &d) == AX_OK, "jsonl: %s", ax_last_error());
    CHECK(d.n_spans == 3 && d.n_tokens == 7 && strcmp(d.tokens[3], "Pemberley") == 0 &&
              memcmp(d.spans, c.spans, 3 * sizeof *c.spans) == 0, "jsonl round trip");
    char *line = check_slurp(js);
    CHECK(line && strstr(line, "{\"start\":1,\"end\":2,\"label\":\"PER\"}"), "jsonl text: %s", line);
    free(line);
    ax_ner_corpus_free(&c);
    ax_ner_corpus_free(&d);
}

// reading text must fail with a message containing want
static void expect_error(const char *name, const char *text, ax_ner_scheme scheme, bool jsonl, const char *want) {
    const char *path = write_tmp(name, text);
    ax_ner_corpus c;
    int rc = jsonl ? ax_ner_read_jsonl(path, &c) : ax_ner_read_conll(path, -1, scheme, AX_NER_STRICT, &c);
    CHECK(rc == AX_ERR && strstr(ax_last_error(), want), "%s: want '%s', got '%s'", name, want, rc ? ax_last_error() : "ok");
}

static void test_errors(void) {
    expect_error("cols.conll", "a O\nb O\nc B-PER x\n", AX_NER_IOB2, false, "cols.conll:3: 3 columns");
    expect_error("one.conll", "a O\nB-PER\n", AX_NER_IOB2, false, "one.conll:2: 1 column");
    expect_error("type.conll", "a O\n\nJohn B-PER\nSmith I-LOC\n", AX_NER_IOB2, false, "type.conll:4: I-LOC continues a B-PER");
    expect_error("tag.conll", "a O\nb PER\n", AX_NER_IOB2, false, "tag.conll:2: tag 'PER'");
    expect_error("e.conll", "a O\nb E-PER\n", AX_NER_IOB2, false, "e.conll:2: tag 'E-PER'");
    expect_error("open.conll", "a B-PER\nb O\n", AX_NER_BIOES, false, "open.conll:2: O after B-PER");
    expect_error("empty.jsonl", "{\"tokens\": [\"a\"]}\n{\"tokens\": [\"a\", \"\"]}\n", 0, true, "empty.jsonl:2: token 1 is empty");
    expect_error("range.jsonl", "{\"tokens\": [\"a\"], \"spans\": [{\"start\": 0, \"end\": 2, \"label\": \"PER\"}]}\n", 0, true,
                 "range.jsonl:1: span [0, 2)");
    expect_error("over.jsonl",
                 "\n{\"tokens\": [\"a\", \"b\"], \"spans\": [{\"start\": 0, \"end\": 2, \"label\": \"PER\"}, "
                 "{\"start\": 1, \"end\": 2, \"label\": \"LOC\"}]}\n",
                 0, true, "over.jsonl:2: span [1, 2) overlaps");
    expect_error("bad.jsonl", "[1, 2]\n", 0, true, "bad.jsonl:1: not a JSON object");
    // IOB1-style I- starts are accepted in strict IOB2 as conlleval does
    const char *path = write_tmp("iob1.conll", "John I-PER\nSmith I-PER\nin O\nParis I-LOC\n");
    ax_ner_corpus c;
    CHECK(ax_ner_read_conll(path, -1, AX_NER_IOB2, AX_NER_STRICT, &c) == AX_OK && c.n_spans == 2 && c.spans[0].end == 2,
          "I- starts accepted");
    ax_ner_corpus_free(&c);
}

// tokens of text joined by "|"
static void tokenize(const char *text, char *out) {
    int64_t *st, *ln, n;
    CHECK(ax_ner_tokenize(text, strlen(text), &st, &ln, &n) == AX_OK, "tokenize");
    out[0] = 0;
    for (int64_t i = 0; i < n; i++) {
        strcat(out, i ? "|" : "");
        strncat(out, text + st[i], (size_t)ln[i]);
    }
    free(st);
    free(ln);
}

static void test_tokenizer(void) {
    static const char *const cases[][2] = {
        {"Mr. Darcy's sister, Mrs.Hurst", "Mr.|Darcy's|sister|,|Mrs.|Hurst"},
        {"I don't know - well-bred co--op", "I|don't|know|-|well-bred|co|-|-|op"},
        {"“Quotes,” she said… ‘x’", "“|Quotes|,|”|she|said|…|‘|x|’"},
        {"Café naïve Cæsar’s 1,000", "Café|naïve|Cæsar’s|1|,|000"},
        {"Mr Knightley; St.John Esq. Mrss.", "Mr|Knightley|;|St.|John|Esq.|Mrss|."},
        {"  ¶ LORD’s  ", "¶|LORD’s"},
        {"snake_case don'", "snake_case|don|'"},
    };
    char out[512];
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        tokenize(cases[k][0], out);
        CHECK(strcmp(out, cases[k][1]) == 0, "tokenize '%s': %s", cases[k][0], out);
    }
}

static void test_splitter(void) {
    const char *text = "\"Well!\" said Mrs. Jennings. \"That is _her_ revenge.\nIndeed.\"\n\n  \nEmma smiled. etc. and so\n"
                       "on? Yes";
    ax_ner_corpus c;
    ax_ner_corpus_init(&c);
    CHECK(ax_ner_split_text(text, strlen(text), 100, false, &c, NULL) == AX_OK, "split");
    CHECK(c.n_sents == 5, "%lld sentences", (long long)c.n_sents);
    if (c.n_sents == 5) {
        CHECK(c.sent_start[1] == 8 && strcmp(c.tokens[7], ".") == 0, "'\"Well!\" said' goes on; ends after Jennings .");
        CHECK(strcmp(c.tokens[c.sent_start[1] + 3], "her") == 0, "underscores removed");
        CHECK(strcmp(c.tokens[c.sent_start[3] - 1], "\"") == 0, "closing quote kept with its sentence");
        CHECK(c.sent_start[4] - c.sent_start[3] == 9, "'etc . and' does not end a sentence");
    }
    ax_ner_corpus_free(&c);
    ax_ner_corpus_init(&c);
    const char *lines = "a b. C d\n\ne f g\n";
    int64_t cut = -1;
    int rc = ax_ner_split_text(lines, strlen(lines), 3, true, &c, &cut);
    CHECK(rc == AX_OK && c.n_sents == 3 && c.sent_start[1] == 3 && c.sent_start[2] == 5 && cut == 1,
          "by line, the 5-token line cut at 3 tokens (%lld sentences, %lld cut)", (long long)c.n_sents, (long long)cut);
    ax_ner_corpus_free(&c);
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    test_tagset();
    test_schemes();
    test_conll_round_trip();
    test_errors();
    test_tokenizer();
    test_splitter();
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)!system(cmd);
    return check_report();
}
