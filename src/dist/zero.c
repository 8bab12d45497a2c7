/* ZeRO-1 (Rajbhandari et al., 2020, stage 1): the optimizer state sharded over the ranks. Every bucket of the
 * layout is split into N slices; rank r owns slice r of each, as a "shard" registry holding one 1-D segment per
 * parameter the slice touches (a copy of those weights, their summed gradient, and through an ordinary ax_optim
 * over the shard, their AdamW moments). A step is
 *   reduce-scatter  each rank receives the sum over the ranks of its slice of the gradients
 *   clip            the global norm from the shards' sums of squares (one more all-reduce of a double)
 *   update          AdamW on the shard: element for element the arithmetic of the unsharded optimizer
 *   all-gather      every rank receives every slice of the new weights
 * so the weights equal those of the plain all-reduce path, with 1/N of the optimizer memory. Checkpoints hold
 * the whole state (ax_zero_gather / ax_zero_scatter), whatever N saved or loads them. */
#include "dist/comm.h"
#include "dist/layout.h"
#include "optim/optim_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ax_zero {
    dist_layout l;   // the buckets over the full registry
    ax_params *shard; // this rank's segments, in bucket order: one 1-D tensor per parameter the rank's slices touch
    int *param;       // (shard->n) the full registry's index of each segment's parameter
    int64_t *offset;  // (shard->n) where each segment starts inside its parameter
    int64_t *len;     // (shard->n) elements of each segment
    int *first_seg;   // (l.n + 1) the segments of bucket k are [first_seg[k], first_seg[k + 1])
    float **ptr;      // (shard->n) scratch: one data pointer per segment
    float *slice;     // (largest slice) this rank's slice of one bucket, packed
    ax_optim *opt;    // AdamW (or any ax_optim) over the shard
};

// the segment of parameter i (at `at` in bucket b) inside this rank's slice of b, if any
static void add_segment(ax_zero *z, const dist_bucket *b, int i, int64_t at) {
    int64_t lo = b->displs[ax_dist_rank()], hi = lo + b->counts[ax_dist_rank()];
    int64_t from = at > lo ? at : lo, to = at + z->l.numel[i] < hi ? at + z->l.numel[i] : hi;
    if (from >= to) return;
    const ax_param *p = &z->l.params->items[i];
    int k = z->shard->n;
    int64_t n = to - from;
    ax_tensor *seg = ax_params_add(z->shard, p->name, 1, &n);
    z->shard->items[k].no_decay = p->no_decay;
    seg->grad = ax_tensor_new(AX_F32, 1, &n);
    memcpy(ax_f32(seg), ax_f32(p->t) + (from - at), (size_t)n * sizeof(float));
    z->param[k] = i, z->offset[k] = from - at, z->len[k] = n;
}

ax_zero *ax_zero_new(ax_params *p, ax_optim_config cfg, size_t bucket_bytes) {
    AX_ASSERT(cfg.kind != AX_OPTIM_SGD, "ZeRO-1 shards the state of Adam and AdamW, not SGD");
    ax_zero *z = calloc(1, sizeof *z);
    AX_ASSERT(z, "out of memory");
    dist_layout_init(&z->l, p, bucket_bytes);
    z->shard = ax_params_new();
    z->param = malloc((size_t)(p->n + 1) * sizeof *z->param); // a slice touches each parameter at most once
    z->offset = malloc((size_t)(p->n + 1) * sizeof *z->offset);
    z->len = malloc((size_t)(p->n + 1) * sizeof *z->len);
    z->ptr = malloc((size_t)(p->n + 1) * sizeof *z->ptr);
    z->first_seg = malloc((size_t)(z->l.n + 1) * sizeof *z->first_seg);
    AX_ASSERT(z->param && z->offset && z->len && z->ptr && z->first_seg, "out of memory");
    int largest = 1;
    for (int k = 0; k < z->l.n; k++) {
        const dist_bucket *b = &z->l.b[k];
        z->first_seg[k] = z->shard->n;
        for (int i = b->first, at = 0; i < b->first + b->count; at += (int)z->l.numel[i++]) add_segment(z, b, i, at);
        if (b->counts[ax_dist_rank()] > largest) largest = b->counts[ax_dist_rank()];
    }
    z->first_seg[z->l.n] = z->shard->n;
    z->slice = malloc((size_t)largest * sizeof *z->slice);
    AX_ASSERT(z->slice, "out of memory");
    z->opt = ax_optim_new(z->shard, cfg);
    return z;
}

void ax_zero_free(ax_zero *z) {
    if (!z) return;
    ax_optim_free(z->opt);
    ax_params_free(z->shard);
    dist_layout_free(&z->l);
    free(z->param), free(z->offset), free(z->len), free(z->ptr), free(z->first_seg), free(z->slice);
    free(z);
}

ax_optim *ax_zero_optim(ax_zero *z) { return z->opt; }

// z->ptr[s] ← segment s's gradient, values, or optimizer state slot 0 / 1
typedef enum { SEG_GRAD, SEG_VALUE, SEG_STATE0, SEG_STATE1 } seg_what;
static float **seg_ptrs(const ax_zero *z, seg_what what) {
    for (int s = 0; s < z->shard->n; s++) {
        ax_tensor *t = z->shard->items[s].t;
        z->ptr[s] = ax_f32(what == SEG_GRAD ? t->grad : what == SEG_VALUE ? t : ax_optim_state(z->opt, s, what - SEG_STATE0));
    }
    return z->ptr;
}

// this rank's slice of bucket k: its segments, packed (src: one pointer per segment)
static void pack_slice(const ax_zero *z, int k, float *const *src) {
    int s = z->first_seg[k];
    dist_concat(z->slice, src + s, z->len + s, z->first_seg[k + 1] - s);
}

static void unpack_slice(const ax_zero *z, int k, float *const *dst) {
    int s = z->first_seg[k];
    dist_split(z->slice, dst + s, z->len + s, z->first_seg[k + 1] - s);
}

float ax_zero_reduce(ax_zero *z, float max_norm) {
    double t0 = comm_start();
    const dist_layout *l = &z->l;
    float **grad = dist_grad_ptrs(l, false), **seg = seg_ptrs(z, SEG_GRAD);
    for (int k = 0; k < l->n; k++) {
        const dist_bucket *b = &l->b[k];
        dist_concat(l->buf, grad + b->first, l->numel + b->first, b->count);
        comm_reduce_scatter_f32(l->buf, z->slice, b->counts, b->displs);
        unpack_slice(z, k, seg);
    }
    comm_stop(t0);
    double sq = 0; // clipping as ax_clip_grad_norm, over the whole gradient: the shards' sums of squares, summed
    for (int s = 0; s < z->shard->n; s++) sq += ax_grad_sum_squares(seg[s], z->len[s]);
    comm_sum_f64(&sq, 1);
    float norm = (float)sqrt(sq), coef = max_norm / (norm + 1e-6f);
    if (coef < 1.0f)
        for (int s = 0; s < z->shard->n; s++) ax_grad_scale(seg[s], z->len[s], coef);
    return norm;
}

void ax_zero_step(ax_zero *z) {
    ax_optim_step(z->opt);
    double t0 = comm_start();
    const dist_layout *l = &z->l;
    float **value = dist_value_ptrs(l), **seg = seg_ptrs(z, SEG_VALUE);
    for (int k = 0; k < l->n; k++) {
        const dist_bucket *b = &l->b[k];
        pack_slice(z, k, seg);
        comm_allgather_f32(z->slice, l->buf, b->counts, b->displs);
        dist_split(l->buf, value + b->first, l->numel + b->first, b->count);
    }
    comm_stop(t0);
}

// l->ptr[i] ← the state slot of parameter i in `full` (rank 0), or NULL (elsewhere: nothing is read or written)
static float **full_ptrs(const ax_zero *z, const ax_optim *full, int slot) {
    for (int i = 0; i < z->l.params->n; i++) z->l.ptr[i] = full ? ax_f32(ax_optim_state(full, i, slot)) : NULL;
    return z->l.ptr;
}

void ax_zero_gather(ax_zero *z, ax_optim *full) {
    const dist_layout *l = &z->l;
    for (int slot = 0; slot < 2; slot++) {
        float **dst = full_ptrs(z, full, slot), **seg = seg_ptrs(z, SEG_STATE0 + slot);
        for (int k = 0; k < l->n; k++) {
            const dist_bucket *b = &l->b[k];
            pack_slice(z, k, seg);
            comm_gather_f32(z->slice, l->buf, b->counts, b->displs);
            dist_split(l->buf, dst + b->first, l->numel + b->first, b->count);
        }
    }
    int64_t *steps = calloc((size_t)l->params->n + 1, sizeof *steps);
    AX_ASSERT(steps, "out of memory");
    for (int s = 0; s < z->shard->n; s++) steps[z->param[s]] = ax_optim_param_steps(z->opt, s);
    comm_max_i64(steps, l->params->n); // a parameter's count is that of any of its segments
    if (full) ax_optim_set_steps(full, ax_optim_steps(z->opt), steps);
    free(steps);
}

void ax_zero_scatter(ax_zero *z, const ax_optim *full) {
    const dist_layout *l = &z->l;
    for (int slot = 0; slot < 2; slot++) {
        float **src = full_ptrs(z, full, slot), **seg = seg_ptrs(z, SEG_STATE0 + slot);
        for (int k = 0; k < l->n; k++) {
            const dist_bucket *b = &l->b[k];
            if (full) dist_concat(l->buf, src + b->first, l->numel + b->first, b->count);
            comm_scatter_f32(l->buf, z->slice, b->counts, b->displs);
            unpack_slice(z, k, seg);
        }
    }
    int n = l->params->n;
    int64_t *steps = calloc((size_t)n + 1, sizeof *steps), *seg_steps = calloc((size_t)z->shard->n + 1, sizeof *steps);
    AX_ASSERT(steps && seg_steps, "out of memory");
    steps[n] = full ? ax_optim_steps(full) : 0; // the optimizer's own count travels after the parameters'
    for (int i = 0; full && i < n; i++) steps[i] = ax_optim_param_steps(full, i);
    comm_bcast(steps, (size_t)(n + 1) * sizeof *steps);
    for (int s = 0; s < z->shard->n; s++) seg_steps[s] = steps[z->param[s]];
    ax_optim_set_steps(z->opt, steps[n], seg_steps);
    free(steps), free(seg_steps);
}
