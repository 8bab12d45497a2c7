/* tests/serve_fixture.h — what the `axon serve` tests share (tests/support/serve_fixture.c): a tiny GPT and
 * MLP checkpoint, a server process on a free loopback port, images in the formats /v1/classify takes, and the
 * headless-browser run of the playground. */
#ifndef AX_TESTS_SERVE_FIXTURE_H
#define AX_TESTS_SERVE_FIXTURE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SERVE_FIX_BLOCK 64 // the GPT's context

typedef struct {
    pid_t pid;          // the `axon serve` process
    int port;           // where it listens
    char gpt_dir[128];  // ROOT/gpt: a char-level GPT (V 33, T 64, C 32, 2 layers) with random weights
    char mlp_dir[128];  // ROOT/mlp: a 784-16-10 MLP with labels "zero" … "nine"
    char log[128];      // its stderr
} serve_server;

void serve_fixture_checkpoints(const char *root);  // writes ROOT/gpt and ROOT/mlp
/* Starts `axon serve` on both checkpoints (port 0, --quiet, plus extra_args) logging to ROOT/<name>.log and
 * waits until it listens; 0 on success. */
int serve_fixture_start(serve_server *s, const char *root, const char *name, const char *extra_args);
int serve_fixture_stop(serve_server *s); // SIGTERM; the exit status (0 = stopped cleanly), -1 if it hung
void serve_fixture_image(uint8_t *px);    // a 28×28 test picture (a bright bar on black)
char *serve_fixture_pgm(const char *root, const uint8_t *px); // writes ROOT/image.pgm; its path (static)
/* A /v1/classify body for px: as "list" (rows of numbers), "pgm" (a base64 data URL), or "pngT-D": a base64 PNG
 * of colour type T (0, 2, 3, 4, 6) and bit depth D (8, or 16 for T 0) showing the same grey levels. */
char *serve_fixture_body(const uint8_t *px, const char *as);
double serve_fixture_now(void); // monotonic seconds
/* Drives the playground in headless Chromium (tests/browser/playground.mjs with $NODE, default node; the
 * browser is $CHROMIUM, default chromium); screenshots go to $AXON_SCREENSHOTS (default: ./screenshots). */
void serve_fixture_browser(const serve_server *s, const char *env); // env: "NAME=value …" for the script, or ""

/* ---- JSON over HTTP --------------------------------------------------------------------------------------- */
cJSON *serve_post(int port, const char *path, const char *body, int *status); // the parsed answer (NULL if not JSON)
cJSON *serve_get(int port, const char *path, int *status);
const cJSON *json_at(const cJSON *j, const char *path); // "choices.0.text": members and array indices; NULL if absent
const char *json_str(const cJSON *j, const char *path); // its string, or "(none)"
double json_num(const cJSON *j, const char *path);      // its number, or -1
/* An OpenAI error object: {"error": {"message": string, "type": string, "param": string|null, "code": string|null}} */
bool serve_is_error(const cJSON *j);

#endif
