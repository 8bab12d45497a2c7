/* The message-passing primitives under axon/dist.h (not public API): comm_mpi.c implements them on MPI,
 * comm_serial.c for a single process (CMake compiles one of the two). Buffers hold float32 unless named
 * otherwise; counts and displacements are in elements, one per rank. All calls are collective. */
#ifndef AX_DIST_COMM_H
#define AX_DIST_COMM_H

#include "axon/dist.h"

void comm_sum_f32(float *buf, int64_t n);  // buf ← its sum over the ranks (all-reduce)
void comm_sum_f64(double *buf, int n);     // the same for doubles
void comm_max_i64(int64_t *buf, int n);    // buf ← its maximum over the ranks
void comm_min_i32(int *buf, int n);        // buf ← its minimum over the ranks
void comm_bcast(void *buf, size_t bytes);  // rank 0's bytes to every rank
void comm_barrier(void);                   // returns when every rank has called it
// recv (counts[rank]) ← the sum over the ranks of send[displs[rank] .. + counts[rank]) (reduce-scatter)
void comm_reduce_scatter_f32(const float *send, float *recv, const int *counts, const int *displs);
// all[displs[r] .. + counts[r]) ← rank r's mine, on every rank (all-gather)
void comm_allgather_f32(const float *mine, float *all, const int *counts, const int *displs);
// the same to rank 0 only (gather), and its reverse from rank 0 (scatter)
void comm_gather_f32(const float *mine, float *all, const int *counts, const int *displs);
void comm_scatter_f32(const float *all, float *mine, const int *counts, const int *displs);

/* Wall time of communication, for ax_dist_comm_seconds: comm_start() waits for every rank (a rank that computed
 * longer is not the network's time) and returns the clock; comm_stop(start) adds the time since. */
double comm_start(void);
void comm_stop(double start);

#endif
