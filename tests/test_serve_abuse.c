/* `axon serve` against bad and hostile requests (the same tiny checkpoints as tests/test_serve.c): malformed
 * JSON, wrong types and ranges of every field, unknown models and paths, prompts beyond the context, bad
 * images — each a 4xx with an OpenAI error object naming the field; a 2 MB body and a 10 MB Content-Length
 * (413), 20000 nested arrays, garbage bytes, a partial request left hanging (closed by --idle-timeout); then
 * the server still healthy. A server whose --timeout has passed answers 504; one whose queue is full, 503. */
#include "check.h"
#include "http.h"
#include "serve_fixture.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static char root[64];    // temporary directory
static serve_server srv; // the server under test

/* ---- bad requests: 4xx with an OpenAI error, never a crash ---------------------------------------------------- */
static void expect_error(const char *path, const char *body, int status, const char *param, const char *what) {
    int st;
    cJSON *j = serve_post(srv.port, path, body, &st);
    const char *p = cJSON_GetStringValue(json_at(j, "error.param"));
    CHECK(st == status && serve_is_error(j) && (!param || (p && strcmp(p, param) == 0)), "%s: %d (want %d), param %s", what, st,
          status, p ? p : "null");
    cJSON_Delete(j);
}

static void test_bad_requests(void) {
    static const struct {
        const char *path, *body; // the request
        int status;              // the answer
        const char *param;       // the field it names (NULL: any)
    } cases[] = {
        {"/v1/completions", "{\"prompt\": \"a\",", 400, NULL},
        {"/v1/completions", "[1, 2]", 400, NULL},
        {"/v1/completions", "", 400, NULL},
        {"/v1/completions", "{}", 400, "prompt"},
        {"/v1/completions", "{\"prompt\": 12}", 400, "prompt"},
        {"/v1/completions", "{\"prompt\": [\"a\", \"b\"]}", 400, "prompt"},
        {"/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": -1}", 400, "max_tokens"},
        {"/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 0}", 400, "max_tokens"},
        {"/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 1e12}", 400, "max_tokens"},
        {"/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": \"5\"}", 400, "max_tokens"},
        {"/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 2.5}", 400, "max_tokens"},
        {"/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 64}", 400, "max_tokens"},
        {"/v1/completions", "{\"prompt\": \"a\", \"temperature\": 5}", 400, "temperature"},
        {"/v1/completions", "{\"prompt\": \"a\", \"temperature\": \"hot\"}", 400, "temperature"},
        {"/v1/completions", "{\"prompt\": \"a\", \"top_p\": 2}", 400, "top_p"},
        {"/v1/completions", "{\"prompt\": \"a\", \"n\": 0}", 400, "n"},
        {"/v1/completions", "{\"prompt\": \"a\", \"n\": 1000}", 400, "n"},
        {"/v1/completions", "{\"prompt\": \"a\", \"stop\": [\"a\", \"b\", \"c\", \"d\", \"e\"]}", 400, "stop"},
        {"/v1/completions", "{\"prompt\": \"a\", \"stop\": 3}", 400, "stop"},
        {"/v1/completions", "{\"prompt\": \"a\", \"stream\": \"yes\"}", 400, "stream"},
        {"/v1/completions", "{\"prompt\": \"a\", \"seed\": \"x\"}", 400, "seed"},
        {"/v1/completions", "{\"prompt\": \"a\", \"model\": \"nope\"}", 404, "model"},
        {"/v1/completions", "{\"prompt\": \"a\", \"model\": 7}", 400, "model"},
        {"/v1/completions", "{\"prompt\": \"a\", \"model\": \"mlp\"}", 400, "model"},
        {"/v1/completions", "{\"prompt\": \"ÄÖÜ not in the vocabulary\"}", 400, "prompt"},
        {"/v1/chat/completions", "{\"messages\": []}", 400, "messages"},
        {"/v1/chat/completions", "{\"messages\": [{\"content\": \"a\"}]}", 400, "messages"},
        {"/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": 5}]}", 400, "messages"},
        {"/v1/chat/completions", "{\"messages\": \"hi\"}", 400, "messages"},
        {"/v1/translate", "{\"text\": \"hallo\"}", 404, NULL},
        {"/v1/ner", "{\"text\": \"Paris\"}", 404, NULL},
        {"/v1/classify", "{}", 400, "image"},
        {"/v1/classify", "{\"image\": \"%%%%\"}", 400, "image"},
        {"/v1/classify", "{\"image\": \"aGVsbG8gd29ybGQ=\"}", 400, "image"},
        {"/v1/classify", "{\"image\": \"iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB\"}", 400, "image"},
        {"/v1/classify", "{\"image\": [[1, 2], [3]]}", 400, "image"},
        {"/v1/classify", "{\"image\": [1, 2, 3]}", 400, "image"},
        {"/v1/classify", "{\"image\": [[300]]}", 400, "image"},
        {"/v1/classify", "{\"image\": [[1]], \"invert\": 1}", 400, "invert"},
        {"/v1/classify", "{\"image\": [[1]], \"model\": \"gpt\"}", 400, "model"},
        {"/v1/nothing", "{}", 404, NULL},
        {"/health", "{}", 405, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_error(cases[i].path, cases[i].body, cases[i].status, cases[i].param, cases[i].body);
    char prompt[SERVE_FIX_BLOCK + 40];
    memset(prompt, 'a', sizeof prompt - 1);
    prompt[sizeof prompt - 1] = '\0';
    char body[256];
    snprintf(body, sizeof body, "{\"prompt\": \"%s\"}", prompt);
    int st;
    cJSON *j = serve_post(srv.port, "/v1/completions", body, &st);
    CHECK(st == 400 && strcmp(json_str(j, "error.code"), "context_length_exceeded") == 0, "a prompt beyond the context: %d",
          st);
    cJSON_Delete(j);
    j = serve_post(srv.port, "/v1/translate", "{\"text\": \"hallo\"}", &st);
    CHECK(strstr(json_str(j, "error.message"), "no translation model loaded") != NULL, "translate without a model: %s",
          json_str(j, "error.message"));
    cJSON_Delete(j);
}

static void test_hostile(void) {
    // a body over the limit (2 MB) and a Content-Length announcing 10 MB: 413 before reading it
    size_t big = 2 << 20;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    memcpy(huge, "{\"prompt\": \"", 12);
    http_reply r = http_request(srv.port, "POST", "/v1/completions", huge, big);
    CHECK(r.status == 413 && strstr(r.body, "\"request_too_large\""), "2 MB body: %d", r.status);
    http_reply_free(&r);
    free(huge);
    const char *liar = "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\n\r\n{\"prompt\"";
    r = http_raw(srv.port, liar, strlen(liar), 5);
    CHECK(r.status == 413, "Content-Length 10 MB: %d", r.status);
    http_reply_free(&r);
    // deep nesting, garbage, a bad request line, a partial request left hanging (closed by --idle-timeout)
    char deep[20010];
    memset(deep, '[', 20000);
    deep[20000] = '\0';
    char *req = malloc(21000);
    snprintf(req, 21000, "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n%s", deep);
    r = http_raw(srv.port, req, strlen(req), 5);
    CHECK(r.status == 400, "20000 nested arrays: %d", r.status);
    http_reply_free(&r);
    free(req);
    r = http_raw(srv.port, "\x16\x03\x01garbage\r\n\r\n", 13, 5);
    CHECK(r.status == -1 || (r.status >= 400 && r.status < 500), "garbage bytes: %d", r.status);
    http_reply_free(&r);
    const char *slow = "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Le";
    double t0 = serve_fixture_now();
    r = http_raw(srv.port, slow, strlen(slow), 10);
    CHECK(serve_fixture_now() - t0 < 5, "a partial request is closed after the idle timeout (%.1f s)",
          serve_fixture_now() - t0);
    http_reply_free(&r);
    int st;
    cJSON *j = serve_get(srv.port, "/health", &st);
    CHECK(st == 200 && strcmp(json_str(j, "status"), "ok") == 0, "healthy after the abuse: %d", st);
    cJSON_Delete(j);
}

// a server whose timeout has always passed: generation requests end with 504 {"error": {"type": "timeout"}}
static void test_timeout(void) {
    serve_server fast;
    CHECK(serve_fixture_start(&fast, root, "timeout", "--timeout 0.000001") == 0, "second server");
    http_reply r = http_request(fast.port, "POST", "/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 50}", 34);
    cJSON *j = cJSON_Parse(r.body);
    CHECK(r.status == 504 && serve_is_error(j) && strcmp(json_str(j, "error.type"), "timeout") == 0, "timeout: %d %s", r.status,
          r.body);
    cJSON_Delete(j);
    http_reply_free(&r);
    CHECK(serve_fixture_stop(&fast) == 0, "the second server stops cleanly");
}

/* A burst of requests at a server that lets one wait: those that find the queue full get 503 with an OpenAI
 * error, the others complete. (Each request decodes 8 × 63 tokens; the burst arrives within a millisecond or
 * two, long before the first one ends.) */
#define BURST 16
typedef struct {
    int port;   // the server
    int status; // the answer
    bool error; // it holds an OpenAI error object
} burst_job;

static void *run_burst(void *arg) {
    burst_job *b = arg;
    const char *body = "{\"prompt\": \"a\", \"max_tokens\": 63, \"n\": 8}";
    http_reply r = http_request(b->port, "POST", "/v1/completions", body, strlen(body));
    cJSON *j = cJSON_Parse(r.body);
    b->status = r.status;
    b->error = serve_is_error(j);
    cJSON_Delete(j);
    http_reply_free(&r);
    return NULL;
}

static void test_queue_full(void) {
    serve_server small;
    CHECK(serve_fixture_start(&small, root, "queue", "--max-queue 1 --max-batch 8") == 0, "third server");
    pthread_t th[BURST];
    burst_job jobs[BURST];
    for (int i = 0; i < BURST; i++) {
        jobs[i] = (burst_job){.port = small.port};
        pthread_create(&th[i], NULL, run_burst, &jobs[i]);
    }
    int ok = 0, busy = 0;
    for (int i = 0; i < BURST; i++) {
        pthread_join(th[i], NULL);
        ok += jobs[i].status == 200;
        busy += jobs[i].status == 503 && jobs[i].error;
    }
    CHECK(ok >= 1 && busy >= 1 && ok + busy == BURST, "a full queue: %d completed, %d answered 503", ok, busy);
    CHECK(serve_fixture_stop(&small) == 0, "the third server stops cleanly");
}

int main(void) {
    snprintf(root, sizeof root, "/tmp/axon_serve_abuse_XXXXXX");
    AX_ASSERT(mkdtemp(root), "mkdtemp");
    serve_fixture_checkpoints(root);
    if (serve_fixture_start(&srv, root, "main", "--idle-timeout 2") != 0) return check_report();
    test_bad_requests();
    test_hostile();
    CHECK(serve_fixture_stop(&srv) == 0, "the server stops cleanly on SIGTERM");
    test_timeout();
    test_queue_full();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    CHECK(system(cmd) == 0, "%s", cmd);
    return check_report();
}
