/* axon.h — the public API of libaxon, a deep-learning library in C.
 * Layers, bottom to top (see docs/architecture.md):
 *   base      versions, dtypes, errors, threads
 *   tensor    tensors, views, the step arena, RNG
 *   autograd  the tape, backward, no-grad, gradcheck
 *   ops       differentiable operations
 *   nn        parameters, initialisers, layers
 *   optim     SGD / Adam / AdamW, LR schedules, clipping
 *   io        safetensors, atomic files, checkpoints, metrics logs, SVG plots
 *   data      IDX files (MNIST), image sets, PGM images, shuffling
 *   tokenize  char-level and byte-level BPE tokenizers (GPT-2 exact), BPE trainer
 *   models    complete models (XOR demo, MLP image classifier, GPT-2: axon/gpt.h)
 *   sample    next-token sampling (greedy, temperature, top-k, top-p, repetition penalty)
 *   rnn       recurrent layers: RNN, LSTM, GRU (PyTorch names and gate order), fused over time
 *   eval      metrics: BLEU and chrF (sacreBLEU-exact), conlleval entity scores
 *   seq2seq   the GRU + attention translator: word vocabularies, greedy and beam search
 *   transformer  the Transformer encoder–decoder translator: KV-cache greedy and beam decoding
 *   bert      a BERT-style encoder: masked-LM pre-training, token classification (NER) */
#ifndef AXON_H
#define AXON_H

#include "axon/base.h"
#include "axon/tensor.h"
#include "axon/autograd.h"
#include "axon/ops.h"
#include "axon/nn.h"
#include "axon/optim.h"
#include "axon/io.h"
#include "axon/data.h"
#include "axon/tokenize.h"
#include "axon/models.h"
#include "axon/gpt.h"
#include "axon/sample.h"
#include "axon/rnn.h"
#include "axon/eval.h"
#include "axon/seq2seq.h"
#include "axon/ner.h"
#include "axon/tagger.h"
#include "axon/transformer.h"
#include "axon/bert.h"

#endif
