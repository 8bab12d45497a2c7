/* axon/dist.h in one process (every build, with or without MPI): the collectives over one rank, the gradient
 * all-reduce leaving gradients alone, and ZeRO-1 over many small buckets equal, bit for bit, to the plain AdamW
 * (weights, gathered state, a shard rebuilt from it). test_mpi.c runs the same checks on 2 ranks under mpirun. */
#include "dist_check.h"

static void test_one_rank(void) {
    CHECK(ax_dist_init() == AX_OK && ax_dist_rank() == 0 && ax_dist_size() == 1, "one rank without mpirun");
    CHECK(ax_dist_first_failure(false) == -1 && ax_dist_first_failure(true) == 0, "first failure");
    double v[2] = {1.5, -2};
    ax_dist_sum(v, 2);
    CHECK(v[0] == 1.5 && v[1] == -2, "a sum over one rank: %g %g", v[0], v[1]);
    ax_params *p = dist_params();
    dist_set_grads(p, 0, 1, 0, false);
    ax_grad_sync *s = ax_grad_sync_new(p, DIST_BUCKET_BYTES);
    ax_grad_sync_sum(s);
    ax_params *want = dist_params();
    dist_set_grads(want, 0, 1, 0, false);
    bool same = true;
    for (int i = 0; i < p->n; i++)
        same &= memcmp(p->items[i].t->grad->data, want->items[i].t->grad->data,
                       (size_t)ax_numel(p->items[i].t) * sizeof(float)) == 0;
    CHECK(same, "the all-reduce over one rank leaves the gradients as they are");
    ax_grad_sync_free(s);
    ax_params_free(p), ax_params_free(want);
}

int main(void) {
    test_one_rank();
    dist_check_zero();
    ax_dist_finalize();
    return check_report();
}
