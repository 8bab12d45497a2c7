/* Data-parallel gradient all-reduce: after every rank's backward, each bucket of gradients is summed over the
 * ranks in one MPI_Allreduce (a bucket of one parameter in place, others packed into one buffer), so every rank
 * holds the same summed gradients and takes the same optimizer step. Buckets keep the number of messages low
 * (latency) without a copy of the whole gradient set. A rank that did not reach a parameter adds zeros, and
 * afterwards every rank holds a gradient for it (as torch DDP, which also expects every parameter used). */
#include "dist/comm.h"
#include "dist/layout.h"

#include <stdlib.h>

struct ax_grad_sync {
    dist_layout l; // the buckets
};

ax_grad_sync *ax_grad_sync_new(ax_params *p, size_t bucket_bytes) {
    ax_grad_sync *s = calloc(1, sizeof *s);
    AX_ASSERT(s, "out of memory");
    dist_layout_init(&s->l, p, bucket_bytes);
    return s;
}

void ax_grad_sync_free(ax_grad_sync *s) {
    if (!s) return;
    dist_layout_free(&s->l);
    free(s);
}

void ax_grad_sync_sum(ax_grad_sync *s) {
    if (ax_dist_size() == 1) return; // the sum over one rank
    double t0 = comm_start();
    const dist_layout *l = &s->l;
    float **grad = dist_grad_ptrs(l, true);
    for (int k = 0; k < l->n; k++) {
        const dist_bucket *b = &l->b[k];
        if (b->count == 1) {
            comm_sum_f32(grad[b->first], b->numel);
            continue;
        }
        dist_concat(l->buf, grad + b->first, l->numel + b->first, b->count);
        comm_sum_f32(l->buf, b->numel);
        dist_split(l->buf, grad + b->first, l->numel + b->first, b->count);
    }
    comm_stop(t0);
}
