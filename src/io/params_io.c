/* Saving and loading a parameter registry as a safetensors file (every parameter F32, by registry name).
 * Loading checks the whole file against the registry before it copies anything, so a failed load leaves the
 * parameters untouched. */
#include "axon/io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ax_params_save(const ax_params *p, const char *path) {
    ax_st_entry *entries = calloc((size_t)p->n + 1, sizeof *entries);
    if (!entries) return ax_error("out of memory saving %s", path);
    for (int i = 0; i < p->n; i++) {
        const ax_tensor *t = p->items[i].t;
        AX_ASSERT(t->dtype == AX_F32 && ax_is_contiguous(t), "parameter '%s' must be contiguous f32", p->items[i].name);
        ax_st_entry *e = &entries[i];
        e->name = p->items[i].name;
        e->dtype = AX_F32;
        e->ndim = t->ndim;
        memcpy(e->shape, t->shape, (size_t)t->ndim * sizeof *t->shape);
        e->data = t->data;
        e->nbytes = (size_t)ax_numel(t) * sizeof(float);
    }
    static const char *const keys[] = {"format"}, *const values[] = {"pt"}; // what Hugging Face loaders expect
    int rc = ax_safetensors_write(path, entries, p->n, keys, values, 1);
    free(entries);
    return rc;
}

/* "(2, 3)" for an entry's shape, into buf. */
static const char *entry_shape_str(const ax_st_entry *e, char *buf, size_t cap) {
    int n = snprintf(buf, cap, "(");
    for (int d = 0; d < e->ndim && (size_t)n < cap; d++)
        n += snprintf(buf + n, cap - (size_t)n, d ? ", %lld" : "%lld", (long long)e->shape[d]);
    if ((size_t)n < cap) snprintf(buf + n, cap - (size_t)n, ")");
    return buf;
}

static bool same_shape(const ax_st_entry *e, const ax_tensor *t) {
    if (e->ndim != t->ndim) return false;
    for (int d = 0; d < t->ndim; d++)
        if (e->shape[d] != t->shape[d]) return false;
    return true;
}

/* Every parameter present with its shape and a float dtype, and no tensor the registry does not know. */
static int check_file(const ax_params *p, const ax_safetensors *st, const char *path) {
    char shape[160];
    for (int i = 0; i < p->n; i++) {
        const char *name = p->items[i].name;
        const ax_tensor *t = p->items[i].t;
        const ax_st_entry *e = ax_safetensors_find(st, name);
        if (!e) return ax_error("%s: missing tensor '%s' (the model expects shape %s)", path, name, ax_shape_str(t));
        if (!same_shape(e, t))
            return ax_error("%s: tensor '%s' has shape %s in the file but the model expects %s", path, name,
                            entry_shape_str(e, shape, sizeof shape), ax_shape_str(t));
        if (e->dtype != AX_F32 && e->dtype != AX_BF16 && e->dtype != AX_F16)
            return ax_error("%s: tensor '%s' has dtype %s (expected f32, bf16 or f16)", path, name,
                            ax_dtype_name(e->dtype));
    }
    for (int i = 0; i < st->n; i++)
        if (!ax_params_get(p, st->entries[i].name))
            return ax_error("%s: unexpected tensor '%s' %s (not a model parameter)", path, st->entries[i].name,
                            entry_shape_str(&st->entries[i], shape, sizeof shape));
    return AX_OK;
}

static float bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* IEEE binary16 → binary32, exact for every value (subnormals, infinities, NaN payloads). */
static float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    if (exp == 0) { // zero or subnormal: mant · 2^-24
        float v = ldexpf((float)mant, -24);
        return sign ? -v : v;
    }
    uint32_t bits = sign | (exp == 0x1F ? 0xFFu : exp + 112) << 23 | mant << 13; // rebias 15 → 127
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* Entry data (f32, bf16 or f16, possibly unaligned) into its numel floats. */
void ax_st_entry_to_f32(const ax_st_entry *e, float *dst) {
    int64_t n = (int64_t)(e->nbytes / ax_dtype_size(e->dtype));
    AX_ASSERT(e->dtype == AX_F32 || e->dtype == AX_BF16 || e->dtype == AX_F16, "tensor '%s' of dtype %s is not a float",
              e->name, ax_dtype_name(e->dtype));
    if (n == 0) return; // dst may be NULL
    if (e->dtype == AX_F32) {
        memcpy(dst, e->data, e->nbytes);
        return;
    }
    const uint8_t *src = e->data;
    for (int64_t i = 0; i < n; i++) {
        uint16_t h = (uint16_t)(src[2 * i] | src[2 * i + 1] << 8);
        dst[i] = e->dtype == AX_BF16 ? bf16_to_f32(h) : f16_to_f32(h);
    }
}

int ax_params_load(ax_params *p, const char *path) {
    ax_safetensors *st;
    if (ax_safetensors_read(path, &st) != AX_OK) return AX_ERR;
    int rc = check_file(p, st, path);
    for (int i = 0; rc == AX_OK && i < p->n; i++) {
        ax_tensor *t = p->items[i].t;
        ax_st_entry_to_f32(ax_safetensors_find(st, p->items[i].name), ax_f32(t));
    }
    ax_safetensors_free(st);
    return rc;
}
