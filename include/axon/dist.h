/* axon/dist.h — data-parallel training over MPI.
 *
 * A job is N processes ("ranks", started by `mpirun -np N`, `srun` or a hostfile across machines); every rank
 * holds the whole model, computes the gradients of its share of each global batch, and the ranks sum them
 * (all-reduce, bucketed) so that all of them take the same optimizer step. With ZeRO-1 (ax_zero) each rank
 * keeps the optimizer state of only 1/N of the parameters: reduce-scatter of the gradients, the update of the
 * rank's shard, all-gather of the weights.
 *
 * Built without MPI (cmake -DAXON_MPI=OFF), or started without mpirun, there is one rank and every call below
 * works as the N = 1 case (a sum over one rank is the value itself), so training code calls them unconditionally.
 * Every function marked "collective" must be called by all ranks in the same order. */
#ifndef AXON_DIST_H
#define AXON_DIST_H

#include "optim.h"

#define AX_DIST_BUCKET_BYTES (16u << 20) // gradient bytes per all-reduce message (a larger parameter is one alone)

/* ---- the job ------------------------------------------------------------------------------------------ */
int ax_dist_init(void);      // joins the MPI job if started by mpirun/srun (else one rank); AX_ERR if started so but built without MPI
void ax_dist_finalize(void); // leaves it (after the last collective call); a no-op for one rank
int ax_dist_rank(void);      // this process: 0 .. ax_dist_size() − 1
int ax_dist_size(void);      // ranks in the job (1 without mpirun)
double ax_dist_comm_seconds(void); // wall time of the gradient and weight communication so far (not counting waits for slower ranks)

/* ---- small collectives -------------------------------------------------------------------------------- */
int ax_dist_first_failure(bool failed);     // collective: the lowest rank that passed true, or −1
void ax_dist_sum(double *v, int n);         // collective: each v[i] ← its sum over the ranks
void ax_dist_bcast(void *buf, size_t bytes); // collective: rank 0's bytes to every rank
void ax_dist_bcast_params(ax_params *p);    // collective: every parameter's values from rank 0

/* ---- gradient all-reduce ------------------------------------------------------------------------------- */
typedef struct ax_grad_sync ax_grad_sync;
ax_grad_sync *ax_grad_sync_new(ax_params *p, size_t bucket_bytes); // the registry must not change afterwards
void ax_grad_sync_free(ax_grad_sync *s);
void ax_grad_sync_sum(ax_grad_sync *s); // collective: every gradient ← its sum over the ranks (a missing one counts as 0)

/* ---- ZeRO-1: AdamW state sharded over the ranks --------------------------------------------------------- */
typedef struct ax_zero ax_zero;
ax_zero *ax_zero_new(ax_params *p, ax_optim_config cfg, size_t bucket_bytes); // Adam/AdamW; this rank's shard of p's current values, zero state
void ax_zero_free(ax_zero *z);
ax_optim *ax_zero_optim(ax_zero *z);              // the optimizer over this rank's shard (for its learning rate)
float ax_zero_reduce(ax_zero *z, float max_norm); // collective: shard gradients ← sums over the ranks, clipped to the global norm (returned, before clipping)
void ax_zero_step(ax_zero *z);                    // collective: the update of the shard, then every rank gets all weights
void ax_zero_gather(ax_zero *z, ax_optim *full);  // collective: the whole state into `full` (an optimizer over p) on rank 0; NULL elsewhere
void ax_zero_scatter(ax_zero *z, const ax_optim *full); // collective: rank 0's `full` state and step counts into the shards

#endif
