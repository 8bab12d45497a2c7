/* axon/crf.h — a linear-chain conditional random field over tag sequences (as pytorch-crf's CRF layer).
 *
 * Emissions e (B, T, K) score tag j at step t of sequence b; transitions trans (K, K) score tag i followed by
 * tag j; start (K) and end (K) score the first and the last tag. A sequence y of length L scores
 *   s(y) = start[y_0] + Σ_{t<L} e[t, y_t] + Σ_{0<t<L} trans[y_{t−1}, y_t] + end[y_{L−1}]
 * and p(y) = exp s(y) / Z with Z summed over all K^L tag sequences (the forward algorithm). Variable lengths:
 * lengths I32 (B), each 1..T; steps t ≥ lengths[b] are padding and take no part. Sums run in double precision;
 * a transition more than ~700 below the largest one counts as impossible (e^−700 underflows). */
#ifndef AXON_CRF_H
#define AXON_CRF_H

#include "nn.h"

/* The negative log-likelihood log Z − s(tags) of each sequence: (B) for AX_REDUCE_NONE, else its sum or mean over
 * the batch (0-dim). tags I32 (B, T) with values 0..K−1 on the valid steps (padding ignored). Backward (the
 * forward–backward algorithm): d e[t, j] = p(y_t = j) − [tags_t = j], d trans[i, j] = Σ_t p(y_{t−1} = i, y_t = j)
 * − gold count, d start / d end = first / last tag marginals − gold, each scaled by the sequence's dL/dnll. */
ax_tensor *ax_crf_nll(ax_tensor *emissions, const ax_tensor *tags, const ax_tensor *lengths, ax_tensor *start,
                      ax_tensor *end, ax_tensor *trans, ax_reduction reduction);

/* Viterbi decoding: the highest-scoring tag sequence of each sequence, I32 (B, T), −1 on padding steps. scores
 * (B) gets the best scores s(y) when not NULL. No gradient. */
ax_tensor *ax_crf_decode(ax_tensor *emissions, const ax_tensor *lengths, ax_tensor *start, ax_tensor *end,
                         ax_tensor *trans, float *scores);

/* ---- the layer: parameters named like pytorch-crf's CRF module ---------------------------------------- */
typedef struct {
    int64_t n_tags;     // K
    ax_tensor *start;   // (K) "<prefix>start_transitions"
    ax_tensor *end;     // (K) "<prefix>end_transitions"
    ax_tensor *trans;   // (K, K) "<prefix>transitions", [from, to]
} ax_crf;

void ax_crf_init(ax_crf *c, ax_params *p, const char *prefix, int64_t n_tags); // U(−0.1, 0.1) as pytorch-crf
ax_tensor *ax_crf_layer_nll(const ax_crf *c, ax_tensor *emissions, const ax_tensor *tags, const ax_tensor *lengths,
                            ax_reduction reduction);
ax_tensor *ax_crf_layer_decode(const ax_crf *c, ax_tensor *emissions, const ax_tensor *lengths);

#endif
