/* Row kernels of incremental (KV-cache) decoding, shared by the GPT and Transformer decoders (internal to src/models).
 * Plain loops over caller-owned buffers: no tape, no step arena. */
#ifndef AX_MODELS_DECODE_KERNELS_H
#define AX_MODELS_DECODE_KERNELS_H

#include <stdint.h>

/* One query row q (D) of one head over the keys and values at K + j·stride, V + j·stride for j < n_keys:
 * out (D) = Σ_j softmax_j(q·k_j·scale)·v_j, with a running maximum so the weights need no buffer (online softmax). */
void ax_attend_row(const float *q, const float *K, const float *V, int64_t n_keys, int64_t stride, int64_t D,
                   float scale, float *out);

/* y (n, out) = x (n, in) · Wᵀ + b for W (out, in) as torch.nn.Linear stores it; b may be NULL. A few rows read each row
 * of W once for all of them (dot products, split over threads by output); more rows run the blocked GEMM. */
void ax_linear_rows(const float *x, int64_t n, int64_t in, const float *W, const float *b, int64_t out, float *y);

#endif
