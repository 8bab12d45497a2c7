/* The rank-independent part of axon/dist.h's job: small collectives and the communication clock. */
#include "dist/comm.h"

#include <limits.h>
#include <time.h>

static double comm_seconds; // ax_dist_comm_seconds

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double comm_start(void) {
    comm_barrier();
    return now();
}

void comm_stop(double start) { comm_seconds += now() - start; }
double ax_dist_comm_seconds(void) { return comm_seconds; }

int ax_dist_first_failure(bool failed) {
    int r = failed ? ax_dist_rank() : INT_MAX;
    comm_min_i32(&r, 1);
    return r == INT_MAX ? -1 : r;
}

void ax_dist_sum(double *v, int n) { comm_sum_f64(v, n); }
void ax_dist_bcast(void *buf, size_t bytes) { comm_bcast(buf, bytes); }

void ax_dist_bcast_params(ax_params *p) {
    for (int i = 0; i < p->n; i++) {
        ax_tensor *t = p->items[i].t;
        comm_bcast(t->data, (size_t)ax_numel(t) * sizeof(float));
    }
}
