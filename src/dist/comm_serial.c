/* axon/dist.h's job and comm.h's primitives for one process (built without MPI): every collective over a
 * single rank returns its input. Started by mpirun with several ranks, this build would run N independent
 * trainings into the same files, so ax_dist_init refuses. */
#include "dist/comm.h"

#include <stdlib.h>
#include <string.h>

// the number of ranks an MPI starter announced (1 if none)
static long launched_size(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i])) return strtol(getenv(vars[i]), NULL, 10);
    return 1;
}

int ax_dist_init(void) {
    long n = launched_size();
    if (n > 1)
        return ax_error("started as %ld MPI ranks, but this axon was built without MPI (install an MPI library, "
                        "e.g. libopenmpi-dev, and build with cmake -DAXON_MPI=ON)", n);
    return AX_OK;
}

void ax_dist_finalize(void) {}
int ax_dist_rank(void) { return 0; }
int ax_dist_size(void) { return 1; }


void comm_sum_f32(float *buf, int64_t n) {}
void comm_sum_f64(double *buf, int n) {}
void comm_max_i64(int64_t *buf, int n) {}
void comm_min_i32(int *buf, int n) {}
void comm_bcast(void *buf, size_t bytes) {}
void comm_barrier(void) {}

static void copy(const float *from, float *to, int n) {
    if (from != to) memmove(to, from, (size_t)n * sizeof *to);
}

void comm_reduce_scatter_f32(const float *send, float *recv, const int *counts, const int *displs) {
    copy(send + displs[0], recv, counts[0]);
}
void comm_allgather_f32(const float *mine, float *all, const int *counts, const int *displs) {
    copy(mine, all + displs[0], counts[0]);
}
void comm_gather_f32(const float *mine, float *all, const int *counts, const int *displs) {
    copy(mine, all + displs[0], counts[0]);
}
void comm_scatter_f32(const float *all, float *mine, const int *counts, const int *displs) {
    copy(all + displs[0], mine, counts[0]);
}
