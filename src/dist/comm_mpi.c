/* axon/dist.h's job and comm.h's primitives on MPI (built with AXON_MPI). MPI is started only when this
 * process was launched by an MPI starter (the variables mpirun, mpiexec and srun set), so a plain `axon` stays
 * one process and never touches the MPI runtime. OpenMP threads run inside each rank; only the main thread
 * calls MPI (MPI_THREAD_FUNNELED). MPI's default error handler ends the whole job on a failed call. Until MPI
 * is started (one rank) the collectives return their input, as in comm_serial.c. */
#include "dist/comm.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (1 << 30) // elements per MPI call: counts are int

static bool started;   // MPI_Init_thread was called by ax_dist_init
static int rank, size = 1; // this process and the job size (0 and 1 until started)

static bool launched_by_mpi(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i])) return true;
    return false;
}

int ax_dist_init(void) {
    if (started || !launched_by_mpi()) return AX_OK;
    int provided;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return ax_error("MPI_Init failed");
    started = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    return AX_OK;
}

void ax_dist_finalize(void) {
    int done;
    if (started && MPI_Finalized(&done) == MPI_SUCCESS && !done) MPI_Finalize();
}

int ax_dist_rank(void) { return rank; }
int ax_dist_size(void) { return size; }


// one rank: the result of a gather or scatter is the input
static void copy(const float *from, float *to, int n) {
    if (from != to) memmove(to, from, (size_t)n * sizeof *to);
}

void comm_sum_f32(float *buf, int64_t n) {
    if (!started) return;
    for (int64_t at = 0; at < n; at += CHUNK)
        MPI_Allreduce(MPI_IN_PLACE, buf + at, (int)(n - at < CHUNK ? n - at : CHUNK), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

void comm_sum_f64(double *buf, int n) {
    if (started) MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

void comm_max_i64(int64_t *buf, int n) {
    if (started) MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
}

void comm_min_i32(int *buf, int n) {
    if (started) MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
}

void comm_barrier(void) {
    if (started) MPI_Barrier(MPI_COMM_WORLD);
}

void comm_bcast(void *buf, size_t bytes) {
    if (!started) return;
    for (size_t at = 0; at < bytes; at += CHUNK)
        MPI_Bcast((char *)buf + at, (int)(bytes - at < CHUNK ? bytes - at : CHUNK), MPI_BYTE, 0, MPI_COMM_WORLD);
}

// MPI_Reduce_scatter takes the ranks' blocks back to back in rank order, as the buckets lay them out (displs)
void comm_reduce_scatter_f32(const float *send, float *recv, const int *counts, const int *displs) {
    if (!started) copy(send + displs[0], recv, counts[0]);
    else MPI_Reduce_scatter(send, recv, counts, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

void comm_allgather_f32(const float *mine, float *all, const int *counts, const int *displs) {
    if (!started) copy(mine, all + displs[0], counts[0]);
    else MPI_Allgatherv(mine, counts[rank], MPI_FLOAT, all, counts, displs, MPI_FLOAT, MPI_COMM_WORLD);
}

void comm_gather_f32(const float *mine, float *all, const int *counts, const int *displs) {
    if (!started) copy(mine, all + displs[0], counts[0]);
    else MPI_Gatherv(mine, counts[rank], MPI_FLOAT, all, counts, displs, MPI_FLOAT, 0, MPI_COMM_WORLD);
}

void comm_scatter_f32(const float *all, float *mine, const int *counts, const int *displs) {
    if (!started) copy(all + displs[0], mine, counts[0]);
    else MPI_Scatterv(all, counts, displs, MPI_FLOAT, mine, counts[rank], MPI_FLOAT, 0, MPI_COMM_WORLD);
}
