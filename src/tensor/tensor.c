/* Tensor creation, inspection and persistent storage. */
#include "axon/tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- shape helpers ---- */

static void set_shape(ax_tensor *t, int ndim, const int64_t *shape) {
    AX_ASSERT(ndim >= 0 && ndim <= AX_MAX_DIMS, "a tensor has at most %d dims, got %d", AX_MAX_DIMS, ndim);
    t->ndim = ndim;
    int64_t stride = 1;
    for (int d = AX_MAX_DIMS - 1; d >= 0; d--) {
        int64_t size = d < ndim ? shape[d] : 1;
        AX_ASSERT(size >= 0, "negative size %lld in dim %d", (long long)size, d);
        t->shape[d] = size;
        t->stride[d] = stride;
        stride *= size > 0 ? size : 1;
    }
}

static int64_t shape_numel(int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    return n;
}

int64_t ax_numel(const ax_tensor *t) { return shape_numel(t->ndim, t->shape); }

bool ax_is_contiguous(const ax_tensor *t) {
    if (ax_numel(t) == 0) return true;
    int64_t expected = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        if (t->shape[d] != 1 && t->stride[d] != expected) return false;
        expected *= t->shape[d];
    }
    return true;
}

bool ax_same_shape(const ax_tensor *a, const ax_tensor *b) {
    if (a->ndim != b->ndim) return false;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d]) return false;
    return true;
}

int ax_norm_dim(const ax_tensor *t, int dim) {
    int d = dim < 0 ? dim + t->ndim : dim;
    AX_ASSERT(d >= 0 && d < t->ndim, "dim %d out of range for shape %s", dim, ax_shape_str(t));
    return d;
}

const char *ax_shape_str(const ax_tensor *t) {
    static _Thread_local char bufs[8][96];
    static _Thread_local int next;
    char *b = bufs[next++ & 7];
    int n = snprintf(b, 96, "(");
    for (int d = 0; d < t->ndim; d++) n += snprintf(b + n, 96 - n, d ? ", %lld" : "%lld", (long long)t->shape[d]);
    snprintf(b + n, 96 - n, ")");
    return b;
}

float *ax_f32(const ax_tensor *t) {
    AX_ASSERT(t->dtype == AX_F32, "expected an f32 tensor, got %s %s", ax_dtype_name(t->dtype), ax_shape_str(t));
    return (float *)t->data;
}

int32_t *ax_i32(const ax_tensor *t) {
    AX_ASSERT(t->dtype == AX_I32, "expected an i32 tensor, got %s %s", ax_dtype_name(t->dtype), ax_shape_str(t));
    return (int32_t *)t->data;
}

float ax_get(const ax_tensor *t, const int64_t *index) {
    int64_t off = 0;
    for (int d = 0; d < t->ndim; d++) {
        AX_ASSERT(index[d] >= 0 && index[d] < t->shape[d], "index %lld out of range in dim %d of %s",
                  (long long)index[d], d, ax_shape_str(t));
        off += index[d] * t->stride[d];
    }
    return ax_f32(t)[off];
}

float ax_item(const ax_tensor *t) {
    AX_ASSERT(ax_numel(t) == 1, "ax_item needs one element, got shape %s", ax_shape_str(t));
    return ax_f32(t)[0];
}

void ax_copy_to_f32(const ax_tensor *t, float *dst) {
    const float *src = ax_f32(t);
    if (ax_is_contiguous(t)) {
        memcpy(dst, src, (size_t)ax_numel(t) * sizeof(float));
        return;
    }
    int64_t s[AX_MAX_DIMS], st[AX_MAX_DIMS]; // right-aligned: the inner loop runs along the last dim
    int pad = AX_MAX_DIMS - t->ndim;
    for (int d = 0; d < AX_MAX_DIMS; d++) {
        s[d] = d < pad ? 1 : t->shape[d - pad];
        st[d] = d < pad ? 0 : t->stride[d - pad];
    }
    int64_t k = 0;
    for (int64_t i0 = 0; i0 < s[0]; i0++)
        for (int64_t i1 = 0; i1 < s[1]; i1++)
            for (int64_t i2 = 0; i2 < s[2]; i2++) {
                const float *row = src + i0 * st[0] + i1 * st[1] + i2 * st[2];
                for (int64_t i3 = 0; i3 < s[3]; i3++) dst[k++] = row[i3 * st[3]];
            }
}

/* ---- step-arena creation ---- */

ax_tensor *ax_empty_dtype(ax_dtype dtype, int ndim, const int64_t *shape) {
    ax_tensor *t = ax_arena_alloc(sizeof *t);
    memset(t, 0, sizeof *t);
    t->dtype = dtype;
    set_shape(t, ndim, shape);
    t->data = ax_arena_alloc((size_t)ax_numel(t) * ax_dtype_size(dtype));
    return t;
}

ax_tensor *ax_empty(int ndim, const int64_t *shape) { return ax_empty_dtype(AX_F32, ndim, shape); }

ax_tensor *ax_full(int ndim, const int64_t *shape, float value) {
    ax_tensor *t = ax_empty(ndim, shape);
    float *p = t->data;
    for (int64_t i = 0, n = ax_numel(t); i < n; i++) p[i] = value;
    return t;
}

// n bytes of zeros, on the threads when there are many (gradient buffers of whole activations: ~10 MB)
static void zero_bytes(void *p, size_t n) {
    enum { CHUNK = 1 << 18 };
    int64_t chunks = (int64_t)((n + CHUNK - 1) / CHUNK);
#pragma omp parallel for if (chunks > 4)
    for (int64_t c = 0; c < chunks; c++) {
        size_t at = (size_t)c * CHUNK;
        memset((char *)p + at, 0, n - at < CHUNK ? n - at : CHUNK);
    }
}

ax_tensor *ax_zeros(int ndim, const int64_t *shape) {
    ax_tensor *t = ax_empty(ndim, shape);
    zero_bytes(t->data, (size_t)ax_numel(t) * sizeof(float));
    return t;
}

ax_tensor *ax_ones(int ndim, const int64_t *shape) { return ax_full(ndim, shape, 1.0f); }
ax_tensor *ax_scalar(float value) { return ax_full(0, NULL, value); }

ax_tensor *ax_from_f32(int ndim, const int64_t *shape, const float *src) {
    ax_tensor *t = ax_empty(ndim, shape);
    memcpy(t->data, src, (size_t)ax_numel(t) * sizeof(float));
    return t;
}

ax_tensor *ax_from_i32(int ndim, const int64_t *shape, const int32_t *src) {
    ax_tensor *t = ax_empty_dtype(AX_I32, ndim, shape);
    memcpy(t->data, src, (size_t)ax_numel(t) * sizeof(int32_t));
    return t;
}

ax_tensor *ax_rand(int ndim, const int64_t *shape, float lo, float hi) {
    ax_tensor *t = ax_empty(ndim, shape);
    float *p = t->data;
    for (int64_t i = 0, n = ax_numel(t); i < n; i++) p[i] = lo + (hi - lo) * ax_rng_uniform(ax_rng_global());
    return t;
}

ax_tensor *ax_randn(int ndim, const int64_t *shape, float mean, float std) {
    ax_tensor *t = ax_empty(ndim, shape);
    float *p = t->data;
    for (int64_t i = 0, n = ax_numel(t); i < n; i++) p[i] = mean + std * (float)ax_rng_normal(ax_rng_global());
    return t;
}

ax_tensor *ax_empty_like(const ax_tensor *t) { return ax_empty_dtype(t->dtype, t->ndim, t->shape); }

ax_tensor *ax_zeros_like(const ax_tensor *t) {
    ax_tensor *z = ax_empty_like(t);
    zero_bytes(z->data, (size_t)ax_numel(z) * ax_dtype_size(z->dtype));
    return z;
}

/* ---- persistent tensors ---- */

ax_tensor *ax_tensor_new(ax_dtype dtype, int ndim, const int64_t *shape) {
    ax_tensor *t = calloc(1, sizeof *t);
    AX_ASSERT(t, "out of memory");
    t->dtype = dtype;
    set_shape(t, ndim, shape);
    size_t bytes = (size_t)ax_numel(t) * ax_dtype_size(dtype);
    t->data = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
    AX_ASSERT(t->data || bytes == 0, "out of memory allocating %zu bytes for %s", bytes, ax_shape_str(t));
    if (t->data) memset(t->data, 0, bytes);
    t->persistent = true;
    t->owns_data = true;
    return t;
}

ax_tensor *ax_tensor_keep(const ax_tensor *t) {
    ax_tensor *k = ax_tensor_new(t->dtype, t->ndim, t->shape);
    if (t->dtype == AX_F32) {
        ax_copy_to_f32(t, k->data);
    } else {
        AX_ASSERT(ax_is_contiguous(t), "ax_tensor_keep of a non-contiguous %s tensor", ax_dtype_name(t->dtype));
        memcpy(k->data, t->data, (size_t)ax_numel(t) * ax_dtype_size(t->dtype));
    }
    return k;
}

void ax_tensor_free(ax_tensor *t) {
    if (!t) return;
    AX_ASSERT(t->persistent, "ax_tensor_free of a step tensor %s (the arena owns it)", ax_shape_str(t));
    if (t->grad && t->grad->persistent) ax_tensor_free(t->grad);
    if (t->owns_data) free(t->data);
    free(t);
}
