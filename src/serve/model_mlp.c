/* MLP image classifiers in `axon serve`: POST /v1/classify with an image (pixel array or base64 PGM/PNG),
 * resized to the checkpoint's input size; answers every class's probability, with the checkpoint's labels. */
#include "cli/classifier.h"
#include "serve/image.h"
#include "serve/sched.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    cli_classifier c; // the model, its class names and image size
    int rows, cols;   // the input image size
} mlp_impl;

static int mlp_load(serve_model *m, const char *dir, const char *config_json) {
    mlp_impl *g = calloc(1, sizeof *g);
    if (!g || cli_classifier_load(dir, &g->c) != AX_OK) {
        fprintf(stderr, "axon: %s\n", g ? ax_last_error() : "out of memory");
        free(g);
        return AX_ERR;
    }
    int64_t in = g->c.mlp->cfg.in, side = (int64_t)lround(sqrt((double)in));
    if (g->c.rows > 0) g->rows = (int)g->c.rows, g->cols = (int)g->c.cols;
    else if (side * side == in) g->rows = g->cols = (int)side; // an older checkpoint: assume square images
    else g->rows = 1, g->cols = (int)in;
    m->impl = g;
    return AX_OK;
}

static void mlp_free(serve_model *m) {
    mlp_impl *g = m->impl;
    if (!g) return;
    cli_classifier_free(&g->c);
    free(g);
}

static void mlp_describe(const serve_model *m, cJSON *obj) {
    const mlp_impl *g = m->impl;
    cJSON_AddNumberToObject(obj, "image_rows", g->rows);
    cJSON_AddNumberToObject(obj, "image_cols", g->cols);
    cJSON *labels = cJSON_AddArrayToObject(obj, "labels");
    for (int64_t i = 0; i < g->c.mlp->cfg.classes; i++)
        cJSON_AddItemToArray(labels, cJSON_CreateString(g->c.class_names[i]));
}

typedef struct {
    const ax_mlp *mlp; // the model
    ax_image_set set;  // one image of its input size
    float *probs;      // (classes) the answer
} classify_task;

static void run_classify(void *ctx) { // on the scheduler thread
    classify_task *t = ctx;
    ax_mlp_predict(t->mlp, &t->set, NULL, 1, t->probs);
}

static cJSON *result_json(const serve_model *m, const mlp_impl *g, const float *probs) {
    int64_t C = g->c.mlp->cfg.classes;
    int64_t *order = calloc((size_t)C, sizeof *order);
    AX_ASSERT(order, "out of memory");
    for (int64_t i = 0; i < C; i++) { // insertion sort, most probable first (C is small)
        int64_t j = i;
        for (; j > 0 && probs[order[j - 1]] < probs[i]; j--) order[j] = order[j - 1];
        order[j] = i;
    }
    cJSON *j = cJSON_CreateObject(), *list;
    cJSON_AddStringToObject(j, "object", "classification");
    cJSON_AddStringToObject(j, "model", m->name);
    cJSON_AddNumberToObject(j, "class", (double)order[0]);
    cJSON_AddStringToObject(j, "label", g->c.class_names[order[0]]);
    list = cJSON_AddArrayToObject(j, "predictions");
    for (int64_t i = 0; i < C; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "class", (double)order[i]);
        cJSON_AddStringToObject(p, "label", g->c.class_names[order[i]]);
        cJSON_AddNumberToObject(p, "probability", probs[order[i]]);
        cJSON_AddItemToArray(list, p);
    }
    free(order);
    return j;
}

static void mlp_handle(serve_model *m, serve_call *call) {
    mlp_impl *g = m->impl;
    serve_error e = {0};
    serve_image img;
    const cJSON *inv = cJSON_GetObjectItemCaseSensitive(call->body, "invert"); // dark drawing on a light background
    if (inv && !cJSON_IsBool(inv)) {
        serve_fail(&e, "invert", "'invert' must be true or false");
        return serve_reply_error(call, &e);
    }
    bool invert = cJSON_IsTrue(inv);
    if (image_from_json(cJSON_GetObjectItemCaseSensitive(call->body, "image"), g->cols, g->rows, &img, &e) != AX_OK)
        return serve_reply_error(call, &e);
    size_t n = (size_t)g->rows * (size_t)g->cols;
    classify_task t = {.mlp = g->c.mlp, .set = {.n = 1, .rows = g->rows, .cols = g->cols, .images = malloc(n)},
                       .probs = malloc((size_t)g->c.mlp->cfg.classes * sizeof(float))};
    AX_ASSERT(t.set.images && t.probs, "out of memory");
    image_resize(&img, g->cols, g->rows, t.set.images);
    for (size_t i = 0; invert && i < n; i++) t.set.images[i] = (uint8_t)(255 - t.set.images[i]);
    if (sched_run_task(call->sched, run_classify, &t) == AX_OK) {
        serve_reply_json(call, 200, result_json(m, g, t.probs));
    } else {
        e = (serve_error){.status = 503, .type = "server_error", .code = "server_busy"};
        snprintf(e.message, sizeof e.message, "%s; retry later", ax_last_error());
        serve_reply_error(call, &e);
    }
    free(img.px);
    free(t.set.images);
    free(t.probs);
}

const serve_kind serve_kind_mlp = {
    .axon_model = "mlp",
    .task = "classify",
    .load = mlp_load,
    .free = mlp_free,
    .describe = mlp_describe,
    .handle = mlp_handle,
};
