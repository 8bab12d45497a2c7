/* Fixture reader (see tests/fixture.h). */
#include "fixture.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fx {
    cJSON *root;         // the parsed file
    char path[512];      // for messages
};

static _Noreturn void fx_die(const fx *f, const char *what, const char *a, const char *b) {
    fprintf(stderr, "fixture %s: %s %s %s\n", f ? f->path : "?", what, a ? a : "", b ? b : "");
    exit(1);
}

fx *fx_open(const char *module) {
    fx *f = calloc(1, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s/%s.json", AX_FIXTURE_DIR, module);
    void *buf;
    size_t len;
    if (ax_read_file(f->path, 256u << 20, &buf, &len) != AX_OK) fx_die(f, "cannot read:", ax_last_error(), NULL);
    f->root = cJSON_ParseWithLength(buf, len);
    free(buf);
    if (!f->root) fx_die(f, "bad JSON", NULL, NULL);
    return f;
}

static cJSON *fx_item(fx *f, const char *test_case, const char *name) {
    cJSON *c = cJSON_GetObjectItemCaseSensitive(f->root, test_case);
    if (!c) fx_die(f, "no case", test_case, NULL);
    return cJSON_GetObjectItemCaseSensitive(c, name);
}

bool fx_has(fx *f, const char *test_case, const char *name) { return fx_item(f, test_case, name) != NULL; }

ax_tensor *fx_get(fx *f, const char *test_case, const char *name) {
    cJSON *t = fx_item(f, test_case, name);
    if (!t) fx_die(f, "no tensor", test_case, name);
    cJSON *shape = cJSON_GetObjectItemCaseSensitive(t, "shape"), *data = cJSON_GetObjectItemCaseSensitive(t, "data");
    cJSON *dt = cJSON_GetObjectItemCaseSensitive(t, "dtype");
    if (!cJSON_IsArray(shape) || !cJSON_IsArray(data)) fx_die(f, "malformed tensor", test_case, name);
    int ndim = cJSON_GetArraySize(shape);
    if (ndim > AX_MAX_DIMS) fx_die(f, "too many dims", test_case, name);
    int64_t dims[AX_MAX_DIMS];
    for (int d = 0; d < ndim; d++) dims[d] = (int64_t)cJSON_GetArrayItem(shape, d)->valuedouble;
    ax_dtype dtype = AX_F32;
    if (cJSON_IsString(dt) && strcmp(dt->valuestring, "i32") == 0) dtype = AX_I32;
    if (cJSON_IsString(dt) && strcmp(dt->valuestring, "bool") == 0) dtype = AX_BOOL;
    ax_tensor *x = ax_empty_dtype(dtype, ndim, dims);
    if (cJSON_GetArraySize(data) != ax_numel(x)) fx_die(f, "data length does not match shape", test_case, name);
    int64_t i = 0;
    for (cJSON *v = data->child; v; v = v->next, i++) {
        if (dtype == AX_F32) ((float *)x->data)[i] = (float)v->valuedouble;
        else if (dtype == AX_I32) ((int32_t *)x->data)[i] = (int32_t)v->valuedouble;
        else ((uint8_t *)x->data)[i] = v->valuedouble != 0;
    }
    return x;
}

ax_tensor *fx_param(fx *f, const char *test_case, const char *name) {
    ax_tensor *x = fx_get(f, test_case, name);
    ax_requires_grad(x, true);
    return x;
}

double fx_num(fx *f, const char *test_case, const char *name) {
    cJSON *v = fx_item(f, test_case, name);
    if (!cJSON_IsNumber(v)) fx_die(f, "no number", test_case, name);
    return v->valuedouble;
}

void fx_close(fx *f) {
    cJSON_Delete(f->root);
    free(f);
}
