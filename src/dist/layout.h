/* How axon/dist.h cuts a parameter registry into messages (not public API). Parameters, in registration order,
 * are grouped whole into buckets of about bucket_bytes (a larger parameter is a bucket alone); a bucket is one
 * all-reduce, or one reduce-scatter + all-gather, of its parameters laid back to back. For ZeRO-1 each bucket
 * is split into N contiguous slices, rank r owning elements [displs[r], displs[r] + counts[r]). */
#ifndef AX_DIST_LAYOUT_H
#define AX_DIST_LAYOUT_H

#include "axon/dist.h"

typedef struct {
    int first, count; // parameters [first, first + count) of the registry
    int64_t numel;    // their elements in all
    int *counts;      // (ranks) elements of each rank's slice
    int *displs;      // (ranks) where each rank's slice starts in the bucket
} dist_bucket;

typedef struct {
    ax_params *params; // the registry (not owned)
    int64_t *numel;    // (params->n) elements of each parameter
    dist_bucket *b;    // (n) the buckets, in registration order
    int n;             // number of buckets
    float *buf;        // (largest bucket) one bucket packed
    float **ptr;       // (params->n) scratch: one data pointer per parameter
} dist_layout;

void dist_layout_init(dist_layout *l, ax_params *p, size_t bucket_bytes);
void dist_layout_free(dist_layout *l);
float **dist_grad_ptrs(const dist_layout *l, bool create); // l->ptr[i] ← parameter i's gradient (NULL if none, unless create)
float **dist_value_ptrs(const dist_layout *l);             // l->ptr[i] ← parameter i's values

void dist_concat(float *dst, float *const *src, const int64_t *len, int n); // src[i] (len[i]) back to back; NULL: zeros
void dist_split(const float *src, float *const *dst, const int64_t *len, int n); // the reverse; NULL: skipped

#endif
