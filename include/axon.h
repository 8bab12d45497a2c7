/* axon.h — the public API of libaxon, a deep-learning library in C.
 * Layers, bottom to top (see docs/architecture.md):
 *   base      versions, dtypes, errors, threads
 *   tensor    tensors, views, the step arena, RNG
 *   autograd  the tape, backward, no-grad, gradcheck
 *   ops       differentiable operations
 *   nn        parameters, initialisers, layers
 *   optim     SGD / Adam / AdamW, LR schedules, clipping
 *   io        safetensors, atomic files
 *   models    complete models (XOR demo today) */
#ifndef AXON_H
#define AXON_H

#include "axon/base.h"
#include "axon/tensor.h"
#include "axon/autograd.h"
#include "axon/ops.h"
#include "axon/nn.h"
#include "axon/optim.h"
#include "axon/io.h"
#include "axon/models.h"

#endif
