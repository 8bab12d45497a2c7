/* The `axon serve` tests' fixture (see tests/serve_fixture.h). */
#include "serve_fixture.h"
#include "axon/tokenize.h"
#include "check.h"
#include "http.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>


#define SCALE 10.0f
#define VOCAB_TEXT "abcdefghijklmnopqrstuvwxyz .,!?'\n"

double serve_fixture_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Random GPT-2 initialisation gives almost uniform logits, where float rounding could flip a greedy choice;
 * matrices SCALE× larger make the winner clear by a wide margin, and the text varied (no training needed). */
static void save_gpt(const char *dir) {
    ax_tokenizer *tok;
    AX_ASSERT(ax_char_tokenizer_build(VOCAB_TEXT, strlen(VOCAB_TEXT), &tok) == AX_OK, "%s", ax_last_error());
    ax_gpt_config cfg = {.vocab_size = ax_tokenizer_vocab_size(tok), .block_size = SERVE_FIX_BLOCK, .n_layer = 2,
                         .n_head = 4, .n_embd = 32, .bias = true, .ln_eps = 1e-5f};
    ax_gpt *m = ax_gpt_new(&cfg, ax_params_new());
    m->owns_params = true;
    ax_manual_seed(1);
    ax_gpt_init(m);
    for (int k = 0; k < m->params->n; k++) { // every matrix: N(0, 0.02) → N(0, 0.02·SCALE)
        ax_tensor *t = m->params->items[k].t;
        float *d = ax_f32(t);
        for (int64_t i = 0; t->ndim == 2 && i < ax_numel(t); i++) d[i] *= SCALE;
    }
    AX_ASSERT(ax_gpt_save(m, dir, "{\"axon_tokenizer\": \"char\"}") == AX_OK, "%s", ax_last_error());
    AX_ASSERT(ax_tokenizer_save(tok, dir) == AX_OK, "%s", ax_last_error());
    ax_tokenizer_free(tok);
    ax_gpt_free(m);
}

static void save_mlp(const char *dir) {
    static const char *const names[10] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
    ax_mlp_config cfg = ax_mlp_defaults();
    cfg.n_hidden = 1;
    cfg.hidden[0] = 16;
    cfg.dropout = 0;
    ax_manual_seed(9);
    ax_mlp *m = ax_mlp_new(&cfg);
    char *arch = ax_mlp_config_to_json(&cfg);
    cJSON *j = cJSON_Parse(arch);
    cJSON_AddNumberToObject(j, "image_rows", 28);
    cJSON_AddNumberToObject(j, "image_cols", 28);
    cJSON_AddItemToObject(j, "class_names", cJSON_CreateStringArray(names, 10));
    char *text = cJSON_Print(j);
    AX_ASSERT(ax_checkpoint_save(dir, text, m->params) == AX_OK, "%s", ax_last_error());
    free(text);
    free(arch);
    cJSON_Delete(j);
    ax_mlp_free(m);
}

void serve_fixture_checkpoints(const char *root) {
    save_gpt(check_join(root, "gpt"));
    save_mlp(check_join(root, "mlp"));
}

int serve_fixture_start(serve_server *s, const char *root, const char *name, const char *extra_args) {
    memset(s, 0, sizeof *s);
    snprintf(s->gpt_dir, sizeof s->gpt_dir, "%s/gpt", root);
    snprintf(s->mlp_dir, sizeof s->mlp_dir, "%s/mlp", root);
    snprintf(s->log, sizeof s->log, "%s/%s.log", root, name);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "exec %s serve --ckpt %s --ckpt %s --port 0 --quiet --threads 1 %s 2>%s", check_axon_bin(),
             s->gpt_dir, s->mlp_dir, extra_args, s->log);
    if ((s->pid = fork()) == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    for (double t0 = serve_fixture_now(); serve_fixture_now() - t0 < 30; usleep(20000)) {
        char *log = check_slurp(s->log);
        const char *at = log ? strstr(log, "http://127.0.0.1:") : NULL;
        if (at) s->port = atoi(at + 17);
        free(log);
        if (s->port > 0) return 0;
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) break;
    }
    char *log = check_slurp(s->log);
    CHECK(false, "axon serve did not start: %s", log ? log : "(no log)");
    free(log);
    return -1;
}

int serve_fixture_stop(serve_server *s) {
    kill(s->pid, SIGTERM);
    for (double t0 = serve_fixture_now(); serve_fixture_now() - t0 < 30; usleep(20000)) {
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
                char *log = check_slurp(s->log);
                fprintf(stderr, "axon serve log:\n%s\n", log ? log : "");
                free(log);
            }
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    return -1;
}

/* ---- images ------------------------------------------------------------------------------------------------- */
void serve_fixture_image(uint8_t *px) {
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++) px[y * 28 + x] = (uint8_t)(x >= 11 && x < 17 && y >= 3 && y < 25 ? 200 + y : x * 3);
}

char *serve_fixture_pgm(const char *root, const uint8_t *px) {
    static char path[256];
    snprintf(path, sizeof path, "%s/image.pgm", root);
    FILE *f = fopen(path, "wb");
    AX_ASSERT(f, "cannot write %s", path);
    fprintf(f, "P5\n# a test image\n28 28\n255\n");
    fwrite(px, 1, 28 * 28, f);
    fclose(f);
    return path;
}

static char *base64(const uint8_t *d, size_t n) {
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(4 * (n / 3 + 1) + 1), *o = out;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0) | (i + 2 < n ? d[i + 2] : 0);
        *o++ = abc[v >> 18 & 63], *o++ = abc[v >> 12 & 63];
        *o++ = i + 1 < n ? abc[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? abc[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

static size_t png_chunk(uint8_t *out, const char *type, const uint8_t *data, uint32_t len) {
    uint8_t *p = out;
    *p++ = (uint8_t)(len >> 24), *p++ = (uint8_t)(len >> 16), *p++ = (uint8_t)(len >> 8), *p++ = (uint8_t)len;
    memcpy(p, type, 4);
    if (len) memcpy(p + 4, data, len);
    uint32_t crc = (uint32_t)crc32(crc32(0, NULL, 0), p, len + 4);
    p += 4 + len;
    *p++ = (uint8_t)(crc >> 24), *p++ = (uint8_t)(crc >> 16), *p++ = (uint8_t)(crc >> 8), *p++ = (uint8_t)crc;
    return (size_t)(p - out);
}

// PNG's Paeth predictor
static int paeth(int a, int b, int c) {
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* px as a PNG of colour type `type` (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA; colours R = G = B, alpha 255)
 * and bit depth `depth` (8, or 16 for grey), row y filtered with filter y % 5 — every filter of the format. */
static uint8_t *png(const uint8_t *px, int type, int depth, size_t *n) {
    static const int channels[7] = {1, 0, 3, 1, 2, 0, 4};
    int bpp = channels[type] * depth / 8, stride = 28 * bpp;
    uint8_t samples[28 * 28 * 8], raw[28 * (1 + 28 * 8)], z[16384], plte[768], *out = malloc(32768);
    for (int i = 0; i < 28 * 28; i++)
        for (int c = 0; c < bpp; c++) // grey/colour samples are px (16-bit: px in the top byte), alpha 255
            samples[i * bpp + c] = (uint8_t)((type == 4 || type == 6) && c == bpp - 1 ? 255 : depth == 16 && c % 2 ? 0 : px[i]);
    for (int i = 0; i < 256; i++) plte[3 * i] = plte[3 * i + 1] = plte[3 * i + 2] = (uint8_t)i;
    for (int y = 0; y < 28; y++) {
        const uint8_t *row = samples + y * stride, *up = y ? row - stride : NULL;
        uint8_t f = (uint8_t)(y % 5), *o = raw + y * (1 + stride);
        o[0] = f;
        for (int i = 0; i < stride; i++) {
            int a = i >= bpp ? row[i - bpp] : 0, b = up ? up[i] : 0, c = up && i >= bpp ? up[i - bpp] : 0;
            int pred = f == 1 ? a : f == 2 ? b : f == 3 ? (a + b) / 2 : f == 4 ? paeth(a, b, c) : 0;
            o[1 + i] = (uint8_t)(row[i] - pred);
        }
    }
    uLongf zn = sizeof z;
    AX_ASSERT(compress(z, &zn, raw, (uLong)(28 * (1 + stride))) == Z_OK, "zlib");
    const uint8_t ihdr[13] = {0, 0, 0, 28, 0, 0, 0, 28, (uint8_t)depth, (uint8_t)type, 0, 0, 0};
    memcpy(out, "\x89PNG\r\n\x1a\n", 8);
    *n = 8;
    *n += png_chunk(out + *n, "IHDR", ihdr, 13);
    if (type == 3) *n += png_chunk(out + *n, "PLTE", plte, 768);
    *n += png_chunk(out + *n, "IDAT", z, (uint32_t)zn);
    *n += png_chunk(out + *n, "IEND", NULL, 0);
    return out;
}

char *serve_fixture_body(const uint8_t *px, const char *as) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "model", "mlp");
    if (strcmp(as, "list") == 0) {
        cJSON *rows = cJSON_AddArrayToObject(j, "image");
        for (int y = 0; y < 28; y++) {
            int row[28];
            for (int x = 0; x < 28; x++) row[x] = px[y * 28 + x];
            cJSON_AddItemToArray(rows, cJSON_CreateIntArray(row, 28));
        }
    } else {
        size_t n;
        uint8_t *bytes;
        int type, depth;
        if (sscanf(as, "png%d-%d", &type, &depth) == 2) {
            bytes = png(px, type, depth, &n);
        } else {
            const char *head = "P5 28 28 255\n";
            n = strlen(head) + 28 * 28;
            bytes = malloc(n);
            memcpy(bytes, head, strlen(head));
            memcpy(bytes + strlen(head), px, 28 * 28);
        }
        char *b64 = base64(bytes, n), *url = malloc(strlen(b64) + 64);
        sprintf(url, "%s%s", strncmp(as, "png", 3) == 0 ? "" : "data:image/x-portable-graymap;base64,", b64);
        cJSON_AddStringToObject(j, "image", url);
        free(url);
        free(b64);
        free(bytes);
    }
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return text;
}

/* ---- the browser ------------------------------------------------------------------------------------------ */
void serve_fixture_browser(const serve_server *s, const char *env) {
    const char *shots = getenv("AXON_SCREENSHOTS") ? getenv("AXON_SCREENSHOTS") : "screenshots";
    char cmd[1024], *out = malloc(1 << 16);
    // the page's default prompt has capitals, outside this GPT's vocabulary
    snprintf(cmd, sizeof cmd, "PROMPT='the cat' %s \"${NODE:-node}\" %s/../browser/playground.mjs http://127.0.0.1:%d %s",
             env, AX_FIXTURE_DIR, s->port, shots);
    int rc = check_run(cmd, out, 1 << 16);
    CHECK(rc == 0 && strstr(out, "playground: ok"), "the playground in headless Chromium: rc %d\n%s", rc, out);
    free(out);
}

/* ---- JSON over HTTP --------------------------------------------------------------------------------------- */
static cJSON *parsed(http_reply *r, int *status) {
    *status = r->status;
    cJSON *j = cJSON_Parse(r->body);
    http_reply_free(r);
    return j;
}

cJSON *serve_post(int port, const char *path, const char *body, int *status) {
    http_reply r = http_request(port, "POST", path, body, strlen(body));
    return parsed(&r, status);
}

cJSON *serve_get(int port, const char *path, int *status) {
    http_reply r = http_request(port, "GET", path, NULL, 0);
    return parsed(&r, status);
}

const cJSON *json_at(const cJSON *j, const char *path) {
    char key[64];
    for (const char *p = path; j && *p;) {
        size_t n = strcspn(p, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, p);
        j = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, atoi(key)) : cJSON_GetObjectItemCaseSensitive(j, key);
        p += n + (p[n] == '.');
    }
    return j;
}

const char *json_str(const cJSON *j, const char *path) {
    const char *s = cJSON_GetStringValue(json_at(j, path));
    return s ? s : "(none)";
}

double json_num(const cJSON *j, const char *path) {
    const cJSON *v = json_at(j, path);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

bool serve_is_error(const cJSON *j) {
    const cJSON *e = json_at(j, "error"), *param = json_at(e, "param"), *code = json_at(e, "code");
    return cJSON_IsString(json_at(e, "message")) && cJSON_IsString(json_at(e, "type")) && param &&
           (cJSON_IsString(param) || cJSON_IsNull(param)) && code && (cJSON_IsString(code) || cJSON_IsNull(code));
}
