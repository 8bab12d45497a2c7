/* The models `axon serve` loaded, by kind and name (see serve.h). A kind serves the checkpoints whose
 * config.json says "axon_model": <its name>. */
#include "serve/serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const serve_kind *const kinds[] = {&serve_kind_gpt, &serve_kind_mlp, &serve_kind_seq2seq,
                                          &serve_kind_transformer, &serve_kind_ner};
#define N_KINDS ((int)(sizeof kinds / sizeof *kinds))

static const struct {
    serve_endpoint ep; // endpoint
    const char *task;  // the task of the models it uses
    const char *none;  // its error when no such model is loaded
} tasks[] = {
    {EP_COMPLETIONS, "generate", "no text generation model loaded (serve a GPT checkpoint: --ckpt DIR)"},
    {EP_CHAT, "generate", "no text generation model loaded (serve a GPT checkpoint: --ckpt DIR)"},
    {EP_CLASSIFY, "classify", "no image classifier loaded (serve an MLP checkpoint: --ckpt DIR)"},
    {EP_TRANSLATE, "translate", "no translation model loaded (serve a seq2seq or transformer checkpoint: --ckpt DIR)"},
    {EP_NER, "ner", "no NER model loaded (serve a checkpoint of axon train ner: --ckpt DIR)"},
};

// the row of tasks[] for ep (a POST endpoint)
static int task_row(serve_endpoint ep) {
    for (size_t i = 0; i < sizeof tasks / sizeof *tasks; i++)
        if (tasks[i].ep == ep) return (int)i;
    AX_ASSERT(false, "endpoint %d has no models", (int)ep);
    return 0;
}

// the last component of dir (trailing slashes ignored), made unique among the first n models with -2, -3, …
static void model_name(const serve_registry *r, int n, const char *dir, char *name, size_t cap) {
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') len--;
    size_t start = len;
    while (start > 0 && dir[start - 1] != '/') start--;
    char base[64];
    snprintf(base, sizeof base, "%.*s", (int)(len - start), dir + start);
    snprintf(name, cap, "%s", base);
    for (int k = 2;; k++) {
        bool taken = false;
        for (int i = 0; i < n; i++) taken = taken || strcmp(r->models[i].name, name) == 0;
        if (!taken) return;
        snprintf(name, cap, "%.50s-%d", base, k);
    }
}

static int load_one(serve_registry *r, const char *dir) {
    char *config, kind_name[AX_MODEL_NAME_MAX];
    if (ax_checkpoint_read_config(dir, &config, kind_name) != AX_OK) {
        fprintf(stderr, "axon: %s\n", ax_last_error());
        return AX_ERR;
    }
    const serve_kind *kind = NULL;
    for (int i = 0; i < N_KINDS; i++)
        if (strcmp(kinds[i]->axon_model, kind_name) == 0) kind = kinds[i];
    serve_model *m = &r->models[r->n];
    memset(m, 0, sizeof *m);
    model_name(r, r->n, dir, m->name, sizeof m->name);
    snprintf(m->dir, sizeof m->dir, "%s", dir);
    m->kind = kind;
    int rc = kind ? kind->load(m, dir, config) : AX_ERR; // a kind prints its own error
    if (!kind) fprintf(stderr, "axon: %s holds a '%s' model, which axon serve cannot serve yet\n", dir, kind_name);
    free(config);
    if (rc == AX_OK) r->n++;
    return rc;
}

int serve_registry_load(serve_registry *r, const char *const *dirs, int n) {
    r->models = calloc((size_t)n, sizeof *r->models);
    r->n = 0;
    if (!r->models) return ax_error("out of memory");
    for (int i = 0; i < n; i++)
        if (load_one(r, dirs[i]) != AX_OK) {
            serve_registry_free(r);
            return AX_ERR;
        }
    return AX_OK;
}

void serve_registry_free(serve_registry *r) {
    for (int i = 0; i < r->n; i++) r->models[i].kind->free(&r->models[i]);
    free(r->models);
    r->models = NULL;
    r->n = 0;
}

serve_model *serve_registry_find(const serve_registry *r, serve_endpoint ep, const cJSON *body, serve_error *e) {
    const char *task = tasks[task_row(ep)].task, *none = tasks[task_row(ep)].none;
    const cJSON *field = cJSON_GetObjectItemCaseSensitive(body, "model");
    if (field && !cJSON_IsNull(field) && !cJSON_IsString(field))
        return serve_fail(e, "model", "'model' must be a string"), NULL;
    const char *want = cJSON_GetStringValue(field);
    for (int i = 0; i < r->n; i++) {
        serve_model *m = &r->models[i];
        if (want && strcmp(m->name, want) != 0) continue;
        if (strcmp(m->kind->task, task) == 0) return m;
        if (want) // the right name, the wrong kind of model
            return serve_fail(e, "model", "the model '%s' is a %s model; this endpoint needs a %s model", want,
                              m->kind->axon_model, task),
                   NULL;
    }
    if (want) serve_fail(e, "model", "the model '%.200s' does not exist", want);
    else serve_fail(e, "model", "%s", none);
    e->status = 404;
    e->code = "model_not_found";
    return NULL;
}

cJSON *serve_registry_json(const serve_registry *r) {
    cJSON *j = cJSON_CreateObject(), *data;
    cJSON_AddStringToObject(j, "object", "list");
    data = cJSON_AddArrayToObject(j, "data");
    for (int i = 0; i < r->n; i++) {
        const serve_model *m = &r->models[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", m->name);
        cJSON_AddStringToObject(o, "object", "model");
        cJSON_AddNumberToObject(o, "created", 0);
        cJSON_AddStringToObject(o, "owned_by", "axon");
        cJSON_AddStringToObject(o, "axon_model", m->kind->axon_model);
        cJSON_AddStringToObject(o, "task", m->kind->task);
        m->kind->describe(m, o);
        cJSON_AddItemToArray(data, o);
    }
    return j;
}
