/* Optimizer state files (optim_state.h). */
#include "cli/optim_state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_CAP 192 // "exp_avg_sq." + a parameter name

// the file name of slot (0: exp_avg, 1: exp_avg_sq) of parameter i
static void slot_name(char *out, const ax_params *p, int i, int slot) {
    snprintf(out, NAME_CAP, "%s.%s", slot ? "exp_avg_sq" : "exp_avg", p->items[i].name);
}

int cli_optim_save(const ax_optim *opt, const ax_params *p, int64_t step, const char *path) {
    int n = p->n;
    ax_st_entry *e = calloc(2 * (size_t)n + 1, sizeof *e);
    char *names = malloc(2 * (size_t)n * NAME_CAP + 1);
    int64_t *steps = malloc((size_t)n * sizeof *steps + 1);
    AX_ASSERT(e && names && steps, "out of memory");
    for (int i = 0; i < 2 * n; i++) {
        const ax_tensor *s = ax_optim_state(opt, i / 2, i % 2);
        AX_ASSERT(s, "the optimizer keeps no moments for %s", p->items[i / 2].name);
        char *name = names + (size_t)i * NAME_CAP;
        slot_name(name, p, i / 2, i % 2);
        e[i] = (ax_st_entry){.name = name,
                             .dtype = AX_F32,
                             .ndim = s->ndim,
                             .data = s->data,
                             .nbytes = (size_t)ax_numel(s) * sizeof(float)};
        for (int d = 0; d < s->ndim; d++) e[i].shape[d] = s->shape[d];
    }
    for (int i = 0; i < n; i++) steps[i] = ax_optim_param_steps(opt, i);
    e[2 * n] = (ax_st_entry){.name = "param_steps",
                             .dtype = AX_I64,
                             .ndim = 1,
                             .shape = {n},
                             .data = steps,
                             .nbytes = (size_t)n * sizeof *steps};
    char text[32];
    snprintf(text, sizeof text, "%" PRId64, step);
    const char *keys[] = {"step"}, *values[] = {text};
    int rc = ax_safetensors_write(path, e, 2 * n + 1, keys, values, 1);
    free(e), free(names), free(steps);
    return rc;
}

static int check(const ax_safetensors *st, const ax_params *p, int64_t step, const char *path) {
    const char *meta = ax_safetensors_meta(st, "step");
    if (!meta || strtoll(meta, NULL, 10) != step)
        return ax_error("%s is from step %s, the trainer state from step %lld (an interrupted save?)", path,
                        meta ? meta : "?", (long long)step);
    for (int i = 0; i < 2 * p->n; i++) {
        char name[NAME_CAP];
        slot_name(name, p, i / 2, i % 2);
        const ax_st_entry *e = ax_safetensors_find(st, name);
        const ax_tensor *want = p->items[i / 2].t;
        if (!e || e->dtype != AX_F32 || e->nbytes != (size_t)ax_numel(want) * sizeof(float))
            return ax_error("%s: '%s' is missing or not f32 %s", path, name, ax_shape_str(want));
    }
    const ax_st_entry *e = ax_safetensors_find(st, "param_steps");
    if (!e || e->dtype != AX_I64 || e->nbytes != (size_t)p->n * sizeof(int64_t))
        return ax_error("%s: 'param_steps' is missing or not i64 (%d)", path, p->n);
    for (int i = 0; i < p->n; i++) {
        int64_t k;
        memcpy(&k, (const char *)e->data + (size_t)i * sizeof k, sizeof k);
        if (k < 0 || k > step)
            return ax_error("%s: param_steps[%d] = %lld is not in [0, %lld]", path, i, (long long)k, (long long)step);
    }
    return AX_OK;
}

int cli_optim_load(ax_optim *opt, const ax_params *p, int64_t step, const char *path) {
    ax_safetensors *st;
    if (ax_safetensors_read(path, &st) != AX_OK) return AX_ERR;
    int rc = check(st, p, step, path);
    if (rc == AX_OK) {
        for (int i = 0; i < 2 * p->n; i++) {
            char name[NAME_CAP];
            slot_name(name, p, i / 2, i % 2);
            const ax_st_entry *e = ax_safetensors_find(st, name);
            memcpy(ax_f32(ax_optim_state(opt, i / 2, i % 2)), e->data, e->nbytes);
        }
        int64_t *steps = malloc((size_t)p->n * sizeof *steps + 1);
        AX_ASSERT(steps, "out of memory");
        memcpy(steps, ax_safetensors_find(st, "param_steps")->data, (size_t)p->n * sizeof *steps);
        ax_optim_set_steps(opt, step, steps);
        free(steps);
    }
    ax_safetensors_free(st);
    return rc;
}
