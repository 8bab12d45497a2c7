/* `axon serve` over loopback, with a tiny GPT (char tokenizer, random weights scaled up so that greedy choices
 * are clear-cut) and a tiny MLP classifier made here (tests/serve_fixture.h): every endpoint and the JSON
 * shapes of OpenAI's API; greedy completions equal `axon generate` token for token, also when requests are
 * decoded together (continuous batching); SSE framing; seeds; stop strings; n; chat; classification of pixel
 * arrays, PGM and PNG (every colour type and filter) equal `axon predict`; /metrics; the server stopping
 * cleanly on SIGTERM.
 * Bad and hostile requests: tests/test_serve_abuse.c.
 * `test_serve --browser` instead drives the playground in headless Chromium (tests/browser/playground.mjs). */
#include "check.h"
#include "http.h"
#include "serve_fixture.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char root[64];     // temporary directory
static serve_server srv;  // the server under test
static char out[1 << 16]; // output of the last CLI command

/* ---- helpers ------------------------------------------------------------------------------------------------ */

// the greedy continuation of prompt by `axon generate` (its --json "text")
static const char *cli_greedy(const char *prompt, int max_new) {
    static char text[4096];
    int rc = check_axon(out, sizeof out, "generate --ckpt %s --prompt '%s' --greedy --max-new-tokens %d --json --quiet",
                        srv.gpt_dir, prompt, max_new);
    cJSON *j = cJSON_Parse(out);
    CHECK(rc == 0 && cJSON_GetStringValue(json_at(j, "text")), "axon generate: %s", out);
    snprintf(text, sizeof text, "%s", json_str(j, "text"));
    cJSON_Delete(j);
    return text;
}

/* ---- the API ----------------------------------------------------------------------------------------------- */

static void test_models_health_metrics(void) {
    int st;
    cJSON *j = serve_get(srv.port, "/v1/models", &st);
    CHECK(st == 200 && strcmp(json_str(j, "object"), "list") == 0 && cJSON_GetArraySize(json_at(j, "data")) == 2,
          "/v1/models: %d", st);
    CHECK(strcmp(json_str(j, "data.0.id"), "gpt") == 0 && strcmp(json_str(j, "data.0.object"), "model") == 0 &&
              strcmp(json_str(j, "data.0.owned_by"), "axon") == 0 && json_num(j, "data.0.context_length") == SERVE_FIX_BLOCK,
          "the GPT entry: %s", json_str(j, "data.0.id"));
    CHECK(strcmp(json_str(j, "data.1.id"), "mlp") == 0 && strcmp(json_str(j, "data.1.task"), "classify") == 0 &&
              strcmp(json_str(j, "data.1.labels.9"), "nine") == 0 && json_num(j, "data.1.image_rows") == 28,
          "the MLP entry with its labels");
    cJSON_Delete(j);
    j = serve_get(srv.port, "/health", &st);
    CHECK(st == 200 && strcmp(json_str(j, "status"), "ok") == 0 && json_num(j, "models") == 2, "/health: %d", st);
    cJSON_Delete(j);
    http_reply r = http_request(srv.port, "GET", "/", NULL, 0);
    CHECK(r.status == 200 && strstr(r.body, "<title>axon playground</title>") && !strstr(r.body, "http://") &&
              !strstr(r.body, "https://"),
          "GET / is the playground, with no external resources");
    http_reply_free(&r);
}

static void test_completions(void) {
    int st;
    char body[512];
    snprintf(body, sizeof body, "{\"model\": \"gpt\", \"prompt\": \"the cat\", \"max_tokens\": 20, \"temperature\": 0}");
    cJSON *j = serve_post(srv.port, "/v1/completions", body, &st);
    const char *want = cli_greedy("the cat", 20);
    CHECK(st == 200 && strcmp(json_str(j, "object"), "text_completion") == 0 && strncmp(json_str(j, "id"), "cmpl-", 5) == 0 &&
              json_num(j, "created") > 1.6e9 && strcmp(json_str(j, "model"), "gpt") == 0,
          "completion envelope: %d", st);
    CHECK(strcmp(json_str(j, "choices.0.text"), want) == 0, "greedy text '%s' equals axon generate's '%s'",
          json_str(j, "choices.0.text"), want);
    CHECK(json_num(j, "choices.0.index") == 0 && strcmp(json_str(j, "choices.0.finish_reason"), "length") == 0 &&
              cJSON_IsNull(json_at(j, "choices.0.logprobs")),
          "choice fields");
    CHECK(json_num(j, "usage.prompt_tokens") == 7 && json_num(j, "usage.completion_tokens") == 20 &&
              json_num(j, "usage.total_tokens") == 27,
          "usage: %g + %g", json_num(j, "usage.prompt_tokens"), json_num(j, "usage.completion_tokens"));
    cJSON_Delete(j);
    // no "model": the first GPT; a stop string cuts the text before it
    char stop[4];
    snprintf(stop, sizeof stop, "%.3s", want + 5);
    snprintf(body, sizeof body, "{\"prompt\": \"the cat\", \"max_tokens\": 20, \"temperature\": 0, \"stop\": [\"%s\"]}", stop);
    j = serve_post(srv.port, "/v1/completions", body, &st);
    size_t keep = (size_t)(strstr(want, stop) - want); // the text up to the stop string's first appearance
    CHECK(st == 200 && strlen(json_str(j, "choices.0.text")) == keep && strncmp(json_str(j, "choices.0.text"), want, keep) == 0 &&
              strcmp(json_str(j, "choices.0.finish_reason"), "stop") == 0,
          "stop '%s': '%s'", stop, json_str(j, "choices.0.text"));
    cJSON_Delete(j);
    // sampling: the same seed gives the same text; n choices differ
    const char *sampled = "{\"prompt\": \"a\", \"max_tokens\": 30, \"temperature\": 1.5, \"top_p\": 0.9, \"top_k\": 8, "
                          "\"seed\": 42, \"n\": 3}";
    cJSON *a = serve_post(srv.port, "/v1/completions", sampled, &st), *b = serve_post(srv.port, "/v1/completions", sampled, &st);
    CHECK(st == 200 && cJSON_GetArraySize(json_at(a, "choices")) == 3 &&
              strcmp(json_str(a, "choices.0.text"), json_str(b, "choices.0.text")) == 0 &&
              strcmp(json_str(a, "choices.2.text"), json_str(b, "choices.2.text")) == 0 &&
              strcmp(json_str(a, "choices.0.text"), json_str(a, "choices.1.text")) != 0 && json_num(a, "choices.2.index") == 2 &&
              json_num(a, "usage.completion_tokens") == 90,
          "seeded sampling with n = 3: '%s' / '%s'", json_str(a, "choices.0.text"), json_str(a, "choices.1.text"));
    cJSON_Delete(a);
    cJSON_Delete(b);
}

static void test_chat(void) {
    int st;
    cJSON *j = serve_post(srv.port, "/v1/chat/completions",
                         "{\"model\": \"gpt\", \"messages\": [{\"role\": \"system\", \"content\": \"be brief\"}, "
                         "{\"role\": \"user\", \"content\": \"hello\"}], \"max_tokens\": 12, \"temperature\": 0}",
                         &st);
    char want[256];
    snprintf(want, sizeof want, "%s", cli_greedy("be brief\nhello", 12));
    CHECK(st == 200 && strcmp(json_str(j, "object"), "chat.completion") == 0 && strncmp(json_str(j, "id"), "chatcmpl-", 9) == 0 &&
              strcmp(json_str(j, "choices.0.message.role"), "assistant") == 0 &&
              strcmp(json_str(j, "choices.0.message.content"), want) == 0 && json_num(j, "usage.prompt_tokens") == 14,
          "chat: %d '%s' vs '%s'", st, json_str(j, "choices.0.message.content"), want);
    cJSON_Delete(j);
    // without max_tokens the completion fills the context
    j = serve_post(srv.port, "/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", "
                                          "\"text\": \"hi\"}]}], \"temperature\": 0}",
                  &st);
    CHECK(st == 200 && json_num(j, "usage.completion_tokens") == SERVE_FIX_BLOCK - 2 &&
              strcmp(json_str(j, "choices.0.finish_reason"), "length") == 0,
          "chat without max_tokens: %g tokens", json_num(j, "usage.completion_tokens"));
    cJSON_Delete(j);
}

/* The events of an SSE body: each "data: …\n\n"; returns how many, checks the framing, and concatenates the
 * text of choice 0 (completions: text, chat: delta.content) into text. */
static int sse_events(const char *body, bool chat, char *text, size_t cap, cJSON **last, bool *done) {
    int n = 0;
    size_t tl = 0;
    *done = false;
    *last = NULL;
    text[0] = '\0';
    for (const char *p = body; *p;) {
        const char *end = strstr(p, "\n\n");
        if (!end || strncmp(p, "data: ", 6) != 0) return -1; // a malformed frame
        if (strncmp(p + 6, "[DONE]\n\n", 8) == 0) {
            *done = true;
            return p[14] ? -1 : n; // nothing after [DONE]
        }
        cJSON *j = cJSON_ParseWithLength(p + 6, (size_t)(end - p - 6));
        if (!j) return -1;
        const char *t = cJSON_GetStringValue(json_at(j, chat ? "choices.0.delta.content" : "choices.0.text"));
        if (t && json_num(j, "choices.0.index") == 0) tl += (size_t)snprintf(text + tl, cap - tl, "%s", t);
        cJSON_Delete(*last);
        *last = j;
        n++;
        p = end + 2;
    }
    return -1; // no [DONE]
}

static void test_stream(void) {
    const char *body = "{\"prompt\": \"the dog\", \"max_tokens\": 16, \"temperature\": 0, \"stream\": true, "
                       "\"stream_options\": {\"include_usage\": true}}";
    http_reply r = http_request(srv.port, "POST", "/v1/completions", body, strlen(body));
    char type[64], text[512];
    cJSON *last;
    bool done;
    int n = sse_events(r.body, false, text, sizeof text, &last, &done);
    CHECK(r.status == 200 && http_header(&r, "Content-Type", type, sizeof type) && strcmp(type, "text/event-stream") == 0,
          "stream: %d %s", r.status, r.headers);
    CHECK(n == 16 + 2 && done, "16 token events, a finish event, a usage event, then [DONE]: %d events", n);
    CHECK(strcmp(text, cli_greedy("the dog", 16)) == 0, "streamed text '%s' equals axon generate's", text);
    CHECK(last && cJSON_GetArraySize(json_at(last, "choices")) == 0 && json_num(last, "usage.completion_tokens") == 16 &&
              strcmp(json_str(last, "object"), "text_completion") == 0,
          "the last chunk holds the usage");
    cJSON_Delete(last);
    http_reply_free(&r);
    body = "{\"messages\": [{\"role\": \"user\", \"content\": \"the dog\"}], \"max_tokens\": 5, \"temperature\": 0, "
           "\"stream\": true}";
    r = http_request(srv.port, "POST", "/v1/chat/completions", body, strlen(body));
    n = sse_events(r.body, true, text, sizeof text, &last, &done);
    cJSON *first = cJSON_Parse(r.body + 6);
    CHECK(n == 6 && done && strcmp(text, cli_greedy("the dog", 5)) == 0, "chat stream: %d events, '%s'", n, text);
    CHECK(strcmp(json_str(first, "object"), "chat.completion.chunk") == 0 &&
              strcmp(json_str(first, "choices.0.delta.role"), "assistant") == 0 &&
              strcmp(json_str(last, "choices.0.finish_reason"), "length") == 0 && json_at(last, "choices.0.delta"),
          "chat chunks: the role first, finish_reason last");
    cJSON_Delete(first);
    cJSON_Delete(last);
    http_reply_free(&r);
}

/* ---- continuous batching: concurrent streams decoded together give each one's solo text --------------------------- */
#define N_CONCURRENT 6
typedef struct {
    char prompt[32];  // its prompt
    char text[512];   // what came back
    int events;       // SSE events
} stream_job;

static void *run_stream(void *arg) {
    stream_job *job = arg;
    char body[256];
    snprintf(body, sizeof body, "{\"prompt\": \"%s\", \"max_tokens\": 40, \"temperature\": 0, \"stream\": true}",
             job->prompt);
    http_reply r = http_request(srv.port, "POST", "/v1/completions", body, strlen(body));
    cJSON *last;
    bool done;
    job->events = r.status == 200 ? sse_events(r.body, false, job->text, sizeof job->text, &last, &done) : -1;
    cJSON_Delete(last);
    http_reply_free(&r);
    return NULL;
}

static void test_concurrent(void) {
    pthread_t th[N_CONCURRENT];
    stream_job jobs[N_CONCURRENT];
    static const char *const prompts[N_CONCURRENT] = {"a", "the cat sat", "hello there", "x", "once upon a time", "q"};
    for (int i = 0; i < N_CONCURRENT; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        snprintf(jobs[i].prompt, sizeof jobs[i].prompt, "%s", prompts[i]);
        pthread_create(&th[i], NULL, run_stream, &jobs[i]);
    }
    for (int i = 0; i < N_CONCURRENT; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < N_CONCURRENT; i++)
        CHECK(jobs[i].events == 41 && strcmp(jobs[i].text, cli_greedy(prompts[i], 40)) == 0,
              "concurrent stream %d ('%s'): %d events, '%s'", i, prompts[i], jobs[i].events, jobs[i].text);
}

/* ---- classification ----------------------------------------------------------------------------------------- */
static void test_classify(void) {
    uint8_t px[28 * 28];
    serve_fixture_image(px);
    char *pgm = serve_fixture_pgm(root, px);
    CHECK(check_axon(out, sizeof out, "predict --ckpt %s %s --json --top 10", srv.mlp_dir, pgm) == 0, "predict: %s", out);
    cJSON *want = cJSON_Parse(out);
    static const char *const as[] = {"list", "pgm", "png0-8", "png0-16", "png2-8", "png3-8", "png4-8", "png6-8"};
    for (int k = 0; k < (int)(sizeof as / sizeof *as); k++) {
        char *body = serve_fixture_body(px, as[k]);
        int st;
        cJSON *j = serve_post(srv.port, "/v1/classify", body, &st);
        bool same = st == 200 && cJSON_GetArraySize(json_at(j, "predictions")) == 10;
        for (int c = 0; same && c < 10; c++) {
            char a[64], b[64];
            snprintf(a, sizeof a, "predictions.%d.probability", c);
            snprintf(b, sizeof b, "predictions.0.top.%d.probability", c);
            same = json_num(j, a) > 0 && fabs(json_num(j, a) - json_num(want, b)) < 1e-6;
            snprintf(a, sizeof a, "predictions.%d.label", c);
            snprintf(b, sizeof b, "predictions.0.top.%d.name", c);
            same = same && strcmp(json_str(j, a), json_str(want, b)) == 0;
        }
        CHECK(same && strcmp(json_str(j, "object"), "classification") == 0 &&
                  strcmp(json_str(j, "label"), json_str(want, "predictions.0.name")) == 0,
              "classify (%s) equals axon predict: %d %s", as[k], st, json_str(j, "label"));
        cJSON_Delete(j);
        free(body);
    }
    cJSON_Delete(want);
}

static void test_metrics(void) {
    http_reply r = http_request(srv.port, "GET", "/metrics", NULL, 0);
    CHECK(r.status == 200 && strstr(r.body, "# TYPE axon_requests_total counter") &&
              strstr(r.body, "axon_requests_total{endpoint=\"completions\",code=\"200\"}") &&
              strstr(r.body, "axon_requests_total{endpoint=\"classify\",code=\"200\"}") &&
              strstr(r.body, "axon_time_to_first_token_seconds_count") && strstr(r.body, "axon_queue_length 0") &&
              strstr(r.body, "axon_generated_tokens_total"),
          "/metrics: %.400s", r.body);
    http_reply_free(&r);
}

int main(int argc, char **argv) {
    snprintf(root, sizeof root, "/tmp/axon_serve_XXXXXX");
    AX_ASSERT(mkdtemp(root), "mkdtemp");
    serve_fixture_checkpoints(root);
    if (serve_fixture_start(&srv, root, "main", "--idle-timeout 2") != 0) return check_report();
    if (argc > 1 && strcmp(argv[1], "--browser") == 0) {
        serve_fixture_browser(&srv, "");
    } else {
        test_models_health_metrics();
        test_completions();
        test_chat();
        test_stream();
        test_concurrent();
        test_classify();
        test_metrics();
    }
    CHECK(serve_fixture_stop(&srv) == 0, "the server stops cleanly on SIGTERM");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    CHECK(system(cmd) == 0, "%s", cmd);
    return check_report();
}
