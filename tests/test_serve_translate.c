/* POST /v1/translate of `axon serve` with a tiny GRU seq2seq checkpoint trained here by `axon train seq2seq` (under a
 * second), served beside the GPT and MLP of tests/serve_fixture.h: the model in /v1/models, the answer's JSON shape,
 * beam_size 1 (and the default beam) equal to `axon translate`, lists of sentences, the attention matrix's shape
 * (target words + <eos> rows of source words + <eos> columns, each a distribution), max_length, and bad requests
 * (missing or mistyped fields, beam_size 0 or huge, a model of another task) answered 400 / 404 in OpenAI's shape.
 * A tiny Transformer checkpoint served alone answers as `axon translate` does (beam 1 and 4, attention rows).
 * `test_serve_translate --browser` drives the playground's Translate tab in headless Chromium instead. */
#include "check.h"
#include "serve_fixture.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static char root[64];     // temporary directory
static char s2s_dir[128]; // ROOT/s2s: the GRU translator
static char tf_dir[128];  // ROOT/tf: a Transformer translator
static serve_server srv;  // the server under test
static char out[1 << 16]; // output of the last CLI command

static const char *const PAIRS[] = {
    "I am tired.\tIch bin müde.",          "You are tired.\tDu bist müde.",     "I am here.\tIch bin hier.",
    "We are here.\tWir sind hier.",        "He is not here.\tEr ist nicht hier.", "She is very tired.\tSie ist sehr müde.",
    "We are not tired.\tWir sind nicht müde.", "You are here.\tDu bist hier.",
};

static void train(void) {
    const char *pairs = check_join(root, "pairs.tsv");
    FILE *fp = fopen(pairs, "w");
    for (size_t i = 0; fp && i < sizeof PAIRS / sizeof *PAIRS; i++) fprintf(fp, "%s\n", PAIRS[i]);
    CHECK(fp && fclose(fp) == 0, "writing %s", pairs);
    int rc = check_axon(out, sizeof out,
                        "train seq2seq --data %s --valid %s --out %s --emb 16 --hidden 16 --epochs 40 --batch-size 4 "
                        "--min-freq 1 --lr 1e-2 --dropout 0 --test none --threads 1 --quiet",
                        pairs, pairs, s2s_dir);
    CHECK(rc == 0, "axon train seq2seq: %d %s", rc, out);
}

// a tiny Transformer on the same pairs (a few seconds)
static void train_transformer(void) {
    int rc = check_axon(out, sizeof out,
                        "train transformer --data %s --valid %s --test none --out %s --epochs 30 --average 1 "
                        "--vocab-size 300 --d-model 32 --heads 2 --d-ff 64 --layers 1 --max-len 24 --dropout 0 "
                        "--label-smoothing 0 --warmup 10 --lr 0.5 --batch-tokens 48 --threads 1 --quiet",
                        check_join(root, "pairs.tsv"), check_join(root, "pairs.tsv"), tf_dir);
    CHECK(rc == 0, "axon train transformer: %d %s", rc, out);
}

// `axon translate --json` by the model in dir of text with beam width beam: its best translation's text and score
static void cli_translate_with(const char *dir, const char *text, int beam, char *want, size_t cap, double *score) {
    int rc = check_axon(out, sizeof out, "translate --ckpt %s --text '%s' --beam %d --json --quiet", dir, text, beam);
    cJSON *j = cJSON_Parse(out);
    CHECK(rc == 0 && j, "axon translate: %d %s", rc, out);
    snprintf(want, cap, "%s", json_str(j, "translations.0.text"));
    *score = json_num(j, "translations.0.score");
    cJSON_Delete(j);
}

static void cli_translate(const char *text, int beam, char *want, size_t cap, double *score) {
    cli_translate_with(s2s_dir, text, beam, want, cap, score);
}

static void test_models(void) {
    int st;
    cJSON *j = serve_get(srv.port, "/v1/models", &st);
    CHECK(st == 200 && cJSON_GetArraySize(json_at(j, "data")) == 3 && strcmp(json_str(j, "data.2.id"), "s2s") == 0 &&
              strcmp(json_str(j, "data.2.axon_model"), "seq2seq") == 0 &&
              strcmp(json_str(j, "data.2.task"), "translate") == 0 && json_num(j, "data.2.max_length") == 30 &&
              strcmp(json_str(j, "data.2.attention"), "bahdanau") == 0,
          "the seq2seq entry of /v1/models: %d %s", st, json_str(j, "data.2.id"));
    cJSON_Delete(j);
}

// the server's translation of text with beam_size beam equals `axon translate --beam beam`
static void check_equals_cli(const char *text, int beam) {
    char want[256], body[256];
    double score;
    cli_translate(text, beam, want, sizeof want, &score);
    snprintf(body, sizeof body, "{\"text\": \"%s\", \"beam_size\": %d}", text, beam);
    int st;
    cJSON *j = serve_post(srv.port, "/v1/translate", body, &st);
    CHECK(st == 200 && strcmp(json_str(j, "translations.0.text"), want) == 0 &&
              fabs(json_num(j, "translations.0.score") - score) < 1e-4,
          "beam %d: served '%s' (%g) vs axon translate '%s' (%g)", beam, json_str(j, "translations.0.text"),
          json_num(j, "translations.0.score"), want, score);
    cJSON_Delete(j);
}

static void test_translate(void) {
    int st;
    cJSON *j = serve_post(srv.port, "/v1/translate", "{\"model\": \"s2s\", \"text\": \"Ich bin müde.\", \"beam_size\": 1}", &st);
    CHECK(st == 200 && strcmp(json_str(j, "object"), "translation") == 0 && strcmp(json_str(j, "model"), "s2s") == 0 &&
              cJSON_GetArraySize(json_at(j, "translations")) == 1 &&
              strcmp(json_str(j, "translations.0.text"), "i am tired.") == 0 &&
              json_at(j, "translations.0.score") && !json_at(j, "translations.0.attention") && !json_at(j, "translation"),
          "translation envelope: %d '%s'", st, json_str(j, "translations.0.text"));
    CHECK(cJSON_GetArraySize(json_at(j, "translations.0.source_tokens")) == 5 &&
              strcmp(json_str(j, "translations.0.source_tokens.2"), "müde") == 0 &&
              strcmp(json_str(j, "translations.0.source_tokens.4"), "<eos>") == 0 &&
              strcmp(json_str(j, "translations.0.target_tokens.2"), "tired") == 0 &&
              strcmp(json_str(j, "translations.0.source_tokens.0"), "ich") == 0,
          "source and target tokens, ending in <eos>");
    CHECK(json_num(j, "usage.prompt_tokens") == 5 && json_num(j, "usage.completion_tokens") == 5 &&
              json_num(j, "usage.total_tokens") == 10,
          "usage: %g + %g", json_num(j, "usage.prompt_tokens"), json_num(j, "usage.completion_tokens"));
    cJSON_Delete(j);
    check_equals_cli("Ich bin müde.", 1);
    check_equals_cli("Er ist nicht hier.", 1);
    check_equals_cli("Sie ist xyzzy müde.", 1);
    check_equals_cli("Wir sind hier.", 5);
    // a list of sentences, one translation each, in order; max_length cuts the source and the translation
    j = serve_post(srv.port, "/v1/translate", "{\"text\": [\"Wir sind hier.\", \"\", \"Du bist hier und du bist müde.\"], "
                                             "\"max_length\": 3}",
                   &st);
    CHECK(st == 200 && cJSON_GetArraySize(json_at(j, "translations")) == 3 &&
              strcmp(json_str(j, "translations.0.text"), "we are here") == 0 &&
              cJSON_GetArraySize(json_at(j, "translations.1.source_tokens")) == 1 &&
              cJSON_GetArraySize(json_at(j, "translations.2.source_tokens")) == 4 &&
              cJSON_GetArraySize(json_at(j, "translations.2.target_tokens")) <= 4,
          "three sentences with max_length 3: %d '%s'", st, json_str(j, "translations.0.text"));
    cJSON_Delete(j);
}

static void test_attention(void) {
    int st;
    cJSON *j = serve_post(srv.port, "/v1/translate", "{\"text\": \"Ich bin hier.\", \"beam_size\": 4, \"attention\": true}", &st);
    const cJSON *att = json_at(j, "translations.0.attention");
    int rows = cJSON_GetArraySize(att), cols = cJSON_GetArraySize(json_at(j, "translations.0.source_tokens"));
    CHECK(st == 200 && strcmp(json_str(j, "translations.0.text"), "i am here.") == 0 &&
              rows == cJSON_GetArraySize(json_at(j, "translations.0.target_tokens")) && cols == 5,
          "attention: %d rows (target tokens) × %d source tokens", rows, cols);
    bool shaped = rows > 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, att) {
        double sum = 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, row) sum += cJSON_IsNumber(v) && v->valuedouble >= 0 ? v->valuedouble : NAN;
        shaped = shaped && cJSON_GetArraySize(row) == cols && fabs(sum - 1) < 1e-4;
    }
    CHECK(shaped, "every attention row has one weight per source token and sums to 1");
    cJSON_Delete(j);
}

static void test_bad_requests(void) {
    static const struct {
        const char *body, *param; // request, the field the error names
        int status;               // expected status
    } cases[] = {
        {"{}", "text", 400},
        {"{\"text\": null}", "text", 400},
        {"{\"text\": 3}", "text", 400},
        {"{\"text\": []}", "text", 400},
        {"{\"text\": [\"gut\", 1]}", "text", 400},
        {"{\"text\": {\"de\": \"gut\"}}", "text", 400},
        {"{\"text\": \"gut\", \"beam_size\": 0}", "beam_size", 400},
        {"{\"text\": \"gut\", \"beam_size\": 100000}", "beam_size", 400},
        {"{\"text\": \"gut\", \"beam_size\": 2.5}", "beam_size", 400},
        {"{\"text\": \"gut\", \"beam_size\": \"4\"}", "beam_size", 400},
        {"{\"text\": \"gut\", \"max_length\": 0}", "max_length", 400},
        {"{\"text\": \"gut\", \"max_length\": 1e12}", "max_length", 400},
        {"{\"text\": \"gut\", \"attention\": \"yes\"}", "attention", 400},
        {"{\"text\": \"gut\", \"model\": 7}", "model", 400},
        {"{\"text\": \"gut\", \"model\": \"gpt\"}", "model", 400},
        {"{\"text\": \"gut\", \"model\": \"nope\"}", "model", 404},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int st;
        cJSON *j = serve_post(srv.port, "/v1/translate", cases[i].body, &st);
        CHECK(st == cases[i].status && serve_is_error(j) && strcmp(json_str(j, "error.param"), cases[i].param) == 0,
              "%s → %d naming '%s' (got %d, '%s': %s)", cases[i].body, cases[i].status, cases[i].param, st,
              json_str(j, "error.param"), json_str(j, "error.message"));
        cJSON_Delete(j);
    }
}

// /v1/translate with a Transformer checkpoint: axon translate's beam-1 text (its greedy path prints no score) and
// beam-4 text and score, attention rows summing to 1
static void test_transformer(void) {
    train_transformer();
    serve_server tf;
    char args[192];
    snprintf(args, sizeof args, "--ckpt %s", tf_dir);
    if (serve_fixture_start(&tf, root, "translate_tf", args) != 0) return;
    for (int beam = 1; beam <= 4; beam += 3) {
        char want[256], body[256];
        double score;
        cli_translate_with(tf_dir, "Wir sind nicht müde.", beam, want, sizeof want, &score);
        snprintf(body, sizeof body, "{\"text\": \"Wir sind nicht müde.\", \"beam_size\": %d, \"attention\": true}", beam);
        int st;
        cJSON *j = serve_post(tf.port, "/v1/translate", body, &st);
        const cJSON *row;
        bool rows_ok = cJSON_GetArraySize(json_at(j, "translations.0.attention")) > 0;
        cJSON_ArrayForEach(row, json_at(j, "translations.0.attention")) {
            double sum = 0;
            const cJSON *v;
            cJSON_ArrayForEach(v, row) sum += v->valuedouble;
            rows_ok = rows_ok && fabs(sum - 1) < 1e-4;
        }
        CHECK(st == 200 && strcmp(json_str(j, "model"), "tf") == 0 && *want &&
                  strcmp(json_str(j, "translations.0.text"), want) == 0 &&
                  (beam == 1 || fabs(json_num(j, "translations.0.score") - score) < 1e-4) && rows_ok,
              "Transformer, beam %d: served '%s' (%g) vs axon translate '%s' (%g)", beam,
              json_str(j, "translations.0.text"), json_num(j, "translations.0.score"), want, score);
        cJSON_Delete(j);
    }
    CHECK(serve_fixture_stop(&tf) == 0, "the Transformer server stops cleanly");
}

int main(int argc, char **argv) {
    snprintf(root, sizeof root, "/tmp/axon_serve_tr_XXXXXX");
    AX_ASSERT(mkdtemp(root), "mkdtemp");
    snprintf(s2s_dir, sizeof s2s_dir, "%s/s2s", root);
    snprintf(tf_dir, sizeof tf_dir, "%s/tf", root);
    serve_fixture_checkpoints(root);
    train();
    char args[192];
    snprintf(args, sizeof args, "--ckpt %s", s2s_dir);
    if (serve_fixture_start(&srv, root, "translate", args) != 0) return check_report();
    if (argc > 1 && strcmp(argv[1], "--browser") == 0) { // CTest test_serve_translate_browser
        serve_fixture_browser(&srv, "TRANSLATE='Wir sind nicht müde.'");
    } else {
        test_models();
        test_translate();
        test_attention();
        test_bad_requests();
    }
    CHECK(serve_fixture_stop(&srv) == 0, "the server stops cleanly on SIGTERM");
    if (argc == 1) test_transformer();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    CHECK(system(cmd) == 0, "%s", cmd);
    return check_report();
}
