/* `axon predict --ckpt DIR [IMAGES]`: the predicted class and the top-k probabilities of images from an IDX
 * file (.gz or raw) or a PGM image; without IMAGES, of the test images the checkpoint was trained next to. */
#include "cli/classifier.h"
#include "cli/cli.h"
#include "cli/options.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *ckpt, *images, *labels; // checkpoint dir, images file (NULL: test split), labels file or NULL
    int64_t index, count, top, threads; // first image, how many, classes listed per image, threads
    bool show, json;                    // draw the images as text; JSON on stdout
} predict_opts;

static int parse(int argc, char **argv, predict_opts *o) {
    *o = (predict_opts){.ckpt = "runs/mlp", .count = 5, .top = 3};
    const cli_option opts[] = {
        {"ckpt", OPT_STRING, &o->ckpt, "checkpoint directory (config.json + model.safetensors)"},
        {"labels", OPT_STRING, &o->labels, "IDX labels for IMAGES, to show the true class"},
        {"index", OPT_INT, &o->index, "first image to classify"},
        {"count", OPT_INT, &o->count, "number of images to classify"},
        {"top", OPT_INT, &o->top, "classes listed per image, most probable first"},
        {"threads", OPT_INT, &o->threads, "threads (0: all cores)"},
        {"show", OPT_FLAG, &o->show, "draw each image with text characters"},
        {"json", OPT_FLAG, &o->json, "print the predictions as JSON on stdout"},
    };
    const cli_command_spec spec = {"axon predict --ckpt DIR [IMAGES] [options]",
                                   "Classify images: IMAGES is an IDX images file (.gz or raw) or a PGM image; "
                                   "without it, the test images of the checkpoint's data directory.",
                                   opts, (int)(sizeof opts / sizeof *opts)};
    const char *pos[1] = {NULL};
    int n_pos, rc = cli_parse(&spec, argc, argv, pos, 1, &n_pos);
    if (rc) return rc;
    o->images = pos[0];
    if (o->index < 0 || o->count < 1 || o->top < 1 || o->threads < 0) {
        fprintf(stderr, "axon: predict needs --index ≥ 0, --count ≥ 1, --top ≥ 1 and --threads ≥ 0\n");
        return 2;
    }
    return 0;
}

static bool is_pgm(const char *path) {
    size_t n = strlen(path);
    return n >= 4 && strcasecmp(path + n - 4, ".pgm") == 0;
}

static int load_images(const predict_opts *o, const cli_classifier *c, ax_image_set *s) {
    if (!o->images) return cli_load_split(*c->data ? c->data : CLI_DEFAULT_IMAGE_DATA, "test", s);
    if (is_pgm(o->images)) {
        if (o->labels) return ax_error("--labels goes with an IDX images file, not a PGM image");
        return ax_pgm_read(o->images, s);
    }
    return ax_image_set_load(o->images, o->labels, s);
}

// the image as rows of characters, darker to brighter
static void draw(const ax_image_set *s, int64_t i) {
    static const char shades[] = " .:-=+*#%@";
    const uint8_t *p = s->images + i * s->rows * s->cols;
    for (int64_t r = 0; r < s->rows; r++) {
        for (int64_t col = 0; col < s->cols; col++) {
            char ch = shades[p[r * s->cols + col] * (int)(sizeof shades - 2) / 255];
            putchar(ch);
            putchar(ch);
        }
        putchar('\n');
    }
}

// indices of the k largest of probs[0..C), largest first
static void top_k(const float *probs, int64_t C, int64_t k, int64_t *out) {
    for (int64_t j = 0; j < k; j++) {
        int64_t best = -1;
        for (int64_t c = 0; c < C; c++) {
            bool taken = false;
            for (int64_t u = 0; u < j; u++) taken = taken || out[u] == c;
            if (!taken && (best < 0 || probs[c] > probs[best])) best = c;
        }
        out[j] = best;
    }
}

static cJSON *json_prediction(const cli_classifier *c, const ax_image_set *s, int64_t i, const int64_t *top, int64_t k,
                              const float *probs) {
    cJSON *j = cJSON_CreateObject(), *list = cJSON_CreateArray();
    cJSON_AddNumberToObject(j, "index", (double)i);
    cJSON_AddNumberToObject(j, "class", (double)top[0]);
    cJSON_AddStringToObject(j, "name", c->class_names[top[0]]);
    if (s->labels) cJSON_AddNumberToObject(j, "label", s->labels[i]);
    for (int64_t r = 0; r < k; r++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "class", (double)top[r]);
        cJSON_AddStringToObject(e, "name", c->class_names[top[r]]);
        cJSON_AddNumberToObject(e, "probability", probs[top[r]]);
        cJSON_AddItemToArray(list, e);
    }
    cJSON_AddItemToObject(j, "top", list);
    return j;
}

static void print_prediction(const cli_classifier *c, const ax_image_set *s, int64_t i, const int64_t *top, int64_t k,
                             const float *probs) {
    printf("image %lld: %s", (long long)i, c->class_names[top[0]]);
    if (s->labels) {
        int label = s->labels[i];
        const char *name = label < c->mlp->cfg.classes ? c->class_names[label] : "?";
        printf("   (label: %s, %s)", name, label == top[0] ? "correct" : "wrong");
    }
    putchar('\n');
    for (int64_t r = 0; r < k; r++)
        printf("  %lld. %-14s %.4f\n", (long long)(r + 1), c->class_names[top[r]], probs[top[r]]);
}

static int predict(const predict_opts *o, const cli_classifier *c, const ax_image_set *s) {
    if (o->index >= s->n)
        return ax_error("--index %lld is past the last image (%lld images)", (long long)o->index, (long long)s->n);
    int64_t n = o->count < s->n - o->index ? o->count : s->n - o->index, C = c->mlp->cfg.classes;
    int64_t k = o->top < C ? o->top : C, *idx = malloc((size_t)n * sizeof *idx), *top = malloc((size_t)k * sizeof *top);
    float *probs = malloc((size_t)(n * C) * sizeof *probs);
    if (!idx || !top || !probs) {
        free(idx), free(top), free(probs);
        return ax_error("out of memory");
    }
    for (int64_t i = 0; i < n; i++) idx[i] = o->index + i;
    ax_mlp_predict(c->mlp, s, idx, n, probs);
    cJSON *all = o->json ? cJSON_CreateArray() : NULL;
    for (int64_t i = 0; i < n; i++) {
        top_k(probs + i * C, C, k, top);
        if (all) cJSON_AddItemToArray(all, json_prediction(c, s, idx[i], top, k, probs + i * C));
        if (!all && o->show) draw(s, idx[i]);
        if (!all) print_prediction(c, s, idx[i], top, k, probs + i * C);
    }
    if (all) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddItemToObject(root, "predictions", all);
        char *text = cJSON_PrintUnformatted(root);
        if (text) puts(text);
        free(text);
        cJSON_Delete(root);
    }
    free(idx), free(top), free(probs);
    return AX_OK;
}

int cmd_predict(int argc, char **argv) {
    predict_opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    ax_set_threads((int)o.threads);
    cli_classifier c;
    ax_image_set s = {0};
    if (cli_classifier_load(o.ckpt, &c) != AX_OK) {
        fprintf(stderr, "axon: %s\n", ax_last_error());
        return 1;
    }
    const char *what = o.images ? o.images : "test images";
    rc = load_images(&o, &c, &s) != AX_OK || cli_check_images(c.mlp, &s, what) != AX_OK || predict(&o, &c, &s) != AX_OK;
    if (rc) fprintf(stderr, "axon: %s\n", ax_last_error());
    ax_image_set_free(&s);
    cli_classifier_free(&c);
    return rc;
}
