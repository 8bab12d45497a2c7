/* POST /v1/ner of `axon serve` with a tiny BiLSTM-CRF trained here by `axon train ner` (a second), served beside the
 * GPT and MLP of tests/serve_fixture.h: the model in /v1/models, the entities equal `axon tag --inline`'s, their
 * character offsets (also after non-ASCII text), text without entities, and bad requests answered 400 / 404.
 * `test_serve_ner --browser` drives the playground's NER tab in headless Chromium instead. */
#include "check.h"
#include "ner_sample.h"
#include "serve_fixture.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static char root[64];     // temporary directory
static char ner_dir[128]; // ROOT/ner: the tagger
static serve_server srv;  // the server under test
static char out[1 << 16]; // output of the last CLI command

static const char *const TRAIN = NER_SAMPLE_TRAIN;

static void train(void) {
    const char *data = check_join(root, "train.conll");
    FILE *fp = fopen(data, "w");
    CHECK(fp && fputs(TRAIN, fp) >= 0 && fclose(fp) == 0, "writing %s", data);
    int rc = check_axon(out, sizeof out,
                        "train ner --arch bilstm-crf --data %s --valid %s --out %s --word-dim 16 --case-dim 4 "
                        "--char-dim 8 --char-hidden 8 --hidden 16 --epochs 25 --batch-size 2 --min-freq 1 --lr 2e-2 "
                        "--dropout 0 --threads 1 --quiet",
                        data, data, ner_dir);
    CHECK(rc == 0, "axon train ner: %d %s", rc, out);
}

static void test_models(void) {
    int st;
    cJSON *j = serve_get(srv.port, "/v1/models", &st);
    CHECK(st == 200 && cJSON_GetArraySize(json_at(j, "data")) == 3 && strcmp(json_str(j, "data.2.id"), "ner") == 0 &&
              strcmp(json_str(j, "data.2.task"), "ner") == 0 && strcmp(json_str(j, "data.2.arch"), "bilstm-crf") == 0 &&
              cJSON_GetArraySize(json_at(j, "data.2.types")) == 2,
          "the ner entry of /v1/models: %d %s", st, json_str(j, "data.2.id"));
    cJSON_Delete(j);
}

// the entities of text as "[tokens]TYPE" pieces joined by spaces, and each one's offsets checked against text
static void entities(const char *text, char *got, size_t cap) {
    char body[512];
    snprintf(body, sizeof body, "{\"text\": \"%s\"}", text);
    int st;
    cJSON *j = serve_post(srv.port, "/v1/ner", body, &st);
    CHECK(st == 200 && strcmp(json_str(j, "object"), "ner") == 0, "/v1/ner answers: %d", st);
    *got = '\0';
    const cJSON *e;
    cJSON_ArrayForEach(e, json_at(j, "entities")) {
        const char *t = json_str(e, "text"), *type = json_str(e, "type");
        size_t len = strlen(got);
        snprintf(got + len, cap - len, "%s[%s]%s", len ? " " : "", t, type);
        int start = (int)json_num(e, "start"), end = (int)json_num(e, "end");
        double score = json_num(e, "score");
        CHECK(score > 0 && score <= 1, "the score of '%s' is a probability: %g", t, score);
        // code-point offsets: count characters of text up to each byte
        int chars = 0, s_byte = -1, e_byte = -1;
        for (int b = 0;; b++) {
            if (chars == start && s_byte < 0 && (text[b] & 0xC0) != 0x80) s_byte = b;
            if (chars == end && (text[b] & 0xC0) != 0x80) {
                e_byte = b;
                break;
            }
            if (!text[b]) break;
            chars += (text[b] & 0xC0) != 0x80;
        }
        CHECK(s_byte >= 0 && e_byte > s_byte && strncmp(text + s_byte, t, strlen(t)) == 0 &&
                  (size_t)(e_byte - s_byte) == strlen(t),
              "offsets %d..%d of '%s' in '%s'", start, end, t, text);
    }
    cJSON_Delete(j);
}

static void test_ner(void) {
    char got[512];
    entities("Elizabeth went to London. Jesus went to Jerusalem.", got, sizeof got);
    int rc = check_axon(out, sizeof out, "tag --ckpt %s --text 'Elizabeth went to London. Jesus went to Jerusalem.' "
                        "--inline --quiet", ner_dir);
    CHECK(rc == 0 && strcmp(got, "[Elizabeth]PER [London]LOC [Jesus]PER [Jerusalem]LOC") == 0 &&
              strstr(out, "[Elizabeth]PER") && strstr(out, "[Jerusalem]LOC"),
          "the server's entities '%s' are axon tag's: %s", got, out);
    entities("Grüße! Jane Bennet saw Bingley at Netherfield.", got, sizeof got);
    CHECK(strcmp(got, "[Jane Bennet]PER [Bingley]PER [Netherfield]LOC") == 0, "after non-ASCII text: '%s'", got);
    entities("nothing to see here", got, sizeof got);
    CHECK(*got == '\0', "no entities: '%s'", got);
    entities("", got, sizeof got);
    CHECK(*got == '\0', "empty text: '%s'", got);
}

static void test_bad_requests(void) {
    static const struct {
        const char *body; // request
        int status;       // expected HTTP status
        const char *param; // the field the error names
    } cases[] = {
        {"{}", 400, "text"},
        {"{\"text\": 3}", 400, "text"},
        {"{\"text\": \"x\", \"model\": \"gpt\"}", 400, "model"},
        {"{\"text\": \"x\", \"model\": \"nope\"}", 404, "model"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int st;
        cJSON *j = serve_post(srv.port, "/v1/ner", cases[i].body, &st);
        CHECK(st == cases[i].status && serve_is_error(j) && strcmp(json_str(j, "error.param"), cases[i].param) == 0,
              "%s → %d naming '%s' (got %d, '%s')", cases[i].body, cases[i].status, cases[i].param, st,
              json_str(j, "error.param"));
        cJSON_Delete(j);
    }
}

int main(int argc, char **argv) {
    snprintf(root, sizeof root, "/tmp/axon_serve_ner_XXXXXX");
    AX_ASSERT(mkdtemp(root), "mkdtemp");
    snprintf(ner_dir, sizeof ner_dir, "%s/ner", root);
    serve_fixture_checkpoints(root);
    train();
    char args[192];
    snprintf(args, sizeof args, "--ckpt %s", ner_dir);
    if (serve_fixture_start(&srv, root, "ner", args) != 0) return check_report();
    if (argc > 1 && strcmp(argv[1], "--browser") == 0) { // CTest test_serve_ner_browser
        serve_fixture_browser(&srv, "NER='Elizabeth went to London.'");
    } else {
        test_models();
        test_ner();
        test_bad_requests();
    }
    CHECK(serve_fixture_stop(&srv) == 0, "the server stops cleanly on SIGTERM");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    CHECK(system(cmd) == 0, "%s", cmd);
    return check_report();
}
