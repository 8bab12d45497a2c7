/* Buckets and the packing of tensors into them (see layout.h). */
#include "dist/layout.h"

#include "autograd/tape.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static void slice(dist_bucket *b, int ranks) {
    b->counts = malloc((size_t)ranks * sizeof *b->counts);
    b->displs = malloc((size_t)ranks * sizeof *b->displs);
    AX_ASSERT(b->counts && b->displs, "out of memory");
    for (int r = 0; r < ranks; r++) {
        b->displs[r] = (int)(b->numel * r / ranks);
        b->counts[r] = (int)(b->numel * (r + 1) / ranks) - b->displs[r];
    }
}

void dist_layout_init(dist_layout *l, ax_params *p, size_t bucket_bytes) {
    int n = p->n;
    *l = (dist_layout){.params = p};
    l->numel = malloc((size_t)n * sizeof *l->numel);
    l->b = malloc((size_t)n * sizeof *l->b);
    l->ptr = malloc((size_t)n * sizeof *l->ptr);
    AX_ASSERT((l->numel && l->b && l->ptr) || n == 0, "out of memory");
    int64_t cap = (int64_t)(bucket_bytes / sizeof(float)), largest = 0;
    for (int i = 0; i < n; i++) {
        l->numel[i] = ax_numel(p->items[i].t);
        AX_ASSERT(l->numel[i] <= INT_MAX, "parameter %s %s is too large for one MPI message", p->items[i].name,
                  ax_shape_str(p->items[i].t));
        dist_bucket *b = l->n ? &l->b[l->n - 1] : NULL;
        if (b && b->numel + l->numel[i] <= cap) {
            b->count++, b->numel += l->numel[i];
        } else {
            l->b[l->n++] = (dist_bucket){.first = i, .count = 1, .numel = l->numel[i]};
        }
    }
    for (int k = 0; k < l->n; k++) {
        slice(&l->b[k], ax_dist_size());
        if (l->b[k].numel > largest) largest = l->b[k].numel;
    }
    l->buf = malloc((size_t)(largest ? largest : 1) * sizeof *l->buf);
    AX_ASSERT(l->buf, "out of memory");
}

void dist_layout_free(dist_layout *l) {
    for (int k = 0; k < l->n; k++) free(l->b[k].counts), free(l->b[k].displs);
    free(l->numel), free(l->b), free(l->buf), free(l->ptr);
    memset(l, 0, sizeof *l);
}

float **dist_grad_ptrs(const dist_layout *l, bool create) {
    for (int i = 0; i < l->params->n; i++) {
        ax_tensor *t = l->params->items[i].t;
        l->ptr[i] = create ? ax_grad_buf(t) : t->grad ? ax_f32(t->grad) : NULL;
    }
    return l->ptr;
}

float **dist_value_ptrs(const dist_layout *l) {
    for (int i = 0; i < l->params->n; i++) l->ptr[i] = ax_f32(l->params->items[i].t);
    return l->ptr;
}

void dist_concat(float *dst, float *const *src, const int64_t *len, int n) {
    for (int i = 0; i < n; dst += len[i++]) {
        if (src[i]) memcpy(dst, src[i], (size_t)len[i] * sizeof *dst);
        else memset(dst, 0, (size_t)len[i] * sizeof *dst);
    }
}

void dist_split(const float *src, float *const *dst, const int64_t *len, int n) {
    for (int i = 0; i < n; src += len[i++])
        if (dst[i]) memcpy(dst[i], src, (size_t)len[i] * sizeof *src);
}
