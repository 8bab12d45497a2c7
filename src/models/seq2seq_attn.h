/* The translator's fused additive (Bahdanau) attention scores (internal to src/models/seq2seq*.c). */
#ifndef AX_MODELS_SEQ2SEQ_ATTN_H
#define AX_MODELS_SEQ2SEQ_ATTN_H

#include "axon/ops.h"

/* scores (n, S) = v · tanh(keys + wq) over the last dim, for keys (n, S, D) or (1, S, D) (shared by all rows),
 * wq (n, D) and v (1, D) (the weight of a Linear(D, 1) without bias): the composition v(tanh(keys + wq[:, None]))
 * as one op, without the (n, S, D) sum and its broadcast gradient. Differentiable in all three. */
ax_tensor *ax_s2s_additive_scores(ax_tensor *keys, ax_tensor *wq, ax_tensor *v);

#endif
