/* axon/transformer.h — the Transformer encoder–decoder translator (Vaswani et al. 2017, docs/transformer.md).
 *
 * Tokens. One joint byte-level BPE vocabulary (ax_bpe_train on both sides of the training pairs) serves source
 * and target. Its "<|endoftext|>" id is bos, eos and padding at once: a source is [s_1 … s_n eos], the decoder
 * input [bos y_1 … y_m], its target [y_1 … y_m eos]; padding is masked out of attention (src_keep) and out of
 * the loss (target −100).
 *
 * Model (the layers of torch.nn.TransformerEncoderLayer / TransformerDecoderLayer, batch_first):
 *   e(x)  = drop(E[x]·√d + P[0..T))       E (V, d) shared by source, target and the output projection
 *   P     = sinusoidal (the paper's sin/cos table) or learned (max_len, d)
 *   post-LN (paper, default):  x = LN(x + drop(Sublayer(x)))
 *   pre-LN  (option):          x = x + drop(Sublayer(LN(x))), and a final LayerNorm after each stack
 *   encoder layer:  self-attention (src padding masked), FF(x) = W_2·drop(relu(W_1·x + b_1)) + b_2
 *   decoder layer:  causal self-attention, cross-attention to the encoder output (src padding masked), FF
 *   logits = h · Eᵀ                        tied, no bias
 * No dropout on the attention probabilities (the fused attention kernel never forms them); every other
 * dropout of torch's layers is applied.
 *
 * Parameter names are torch.nn.Transformer's, so a state_dict transfers both ways:
 *   embed.weight (V, d), pos.weight (max_len, d) only when learned,
 *   encoder.layers.{i}.self_attn.in_proj_weight (3d, d), .in_proj_bias (3d), .out_proj.weight (d, d), .out_proj.bias,
 *   encoder.layers.{i}.linear1.{weight,bias} (d_ff, d)/(d_ff), .linear2 (d, d_ff)/(d), .norm1, .norm2,
 *   decoder.layers.{i}.self_attn.*, .multihead_attn.* (cross), .linear1, .linear2, .norm1, .norm2, .norm3,
 *   encoder.norm / decoder.norm (pre-LN only).
 * Init: xavier_uniform on every matrix (as nn.Transformer), E ~ N(0, d^−½), biases 0, LayerNorms 1/0.
 *
 * Checkpoint directory: config.json {"axon_model": "transformer", …}, model.safetensors, the tokenizer files. */
#ifndef AXON_TRANSFORMER_H
#define AXON_TRANSFORMER_H

#include "nn.h"
#include "seq2seq.h"
#include "tokenize.h"

/* ---- configuration ------------------------------------------------------------------------------------------ */
typedef struct {
    int vocab;        // V: joint BPE vocabulary size
    int d_model;      // d: residual width; d % n_head == 0
    int n_head;       // attention heads of d / n_head
    int d_ff;         // feed-forward hidden width
    int enc_layers;   // N encoder layers
    int dec_layers;   // N decoder layers
    float dropout;    // residual, embedding and feed-forward dropout (torch's `dropout`)
    bool pre_ln;      // false: post-LN as in the paper; true: pre-LN with final norms
    bool learned_pos; // false: sinusoidal positions; true: a learned (max_len, d) table
    int max_len;      // most tokens on either side, bos/eos included
    float ln_eps;     // LayerNorm epsilon (torch: 1e-5)
    int32_t eot;      // the tokenizer's <|endoftext|> id: bos, eos and padding
} ax_transformer_config;

ax_transformer_config ax_transformer_config_small(int vocab, int32_t eot); // the default that trains here
ax_transformer_config ax_transformer_config_base(int vocab, int32_t eot);  // the paper's base: d 512, 8 heads, d_ff 2048, 6+6, dropout 0.1
int ax_transformer_config_check(const ax_transformer_config *cfg);                 // AX_ERR naming the bad field
char *ax_transformer_config_to_json(const ax_transformer_config *cfg);              // {"axon_model": "transformer", …}, malloc'd
int ax_transformer_config_from_json(const char *json, ax_transformer_config *cfg); // AX_ERR on a bad config

/* ---- the model ---------------------------------------------------------------------------------------------- */
typedef struct {
    ax_tensor *in_proj_w, *in_proj_b;   // (3d, d), (3d): q | k | v
    ax_tensor *out_proj_w, *out_proj_b; // (d, d), (d)
} ax_mha_weights;

typedef struct {
    ax_mha_weights self_attn;        // self-attention
    ax_mha_weights cross_attn;       // decoder only: multihead_attn (q from the decoder, k v from the memory)
    ax_linear_layer linear1;         // (d_ff, d)
    ax_linear_layer linear2;         // (d, d_ff)
    ax_layernorm_layer norm1, norm2; // around self-attention and (encoder) FF / (decoder) cross-attention
    ax_layernorm_layer norm3;        // decoder only: around FF
} ax_transformer_layer;

typedef struct {
    ax_transformer_config cfg;     // architecture
    ax_params *params;             // every parameter (owned)
    ax_tensor *embed;              // (V, d) shared embedding and output projection
    ax_tensor *pos;                // (max_len, d): learned table, or the fixed sinusoidal one (not a parameter)
    ax_transformer_layer *enc;     // (enc_layers)
    ax_transformer_layer *dec;     // (dec_layers)
    ax_layernorm_layer enc_norm;   // pre-LN only: after the encoder stack
    ax_layernorm_layer dec_norm;   // pre-LN only: after the decoder stack
} ax_transformer;

ax_transformer *ax_transformer_new(const ax_transformer_config *cfg); // initialised from the global RNG
void ax_transformer_free(ax_transformer *m);                           // NULL is fine
int ax_transformer_save(const ax_transformer *m, const char *dir);     // config.json + model.safetensors, atomic
int ax_transformer_load(const char *dir, ax_transformer **out);        // AX_ERR (one line) if missing or corrupt

/* ---- training forward ---------------------------------------------------------------------------------------- */
/* src I32 (B, S) padded with eot after each sentence's eos; src_keep BOOL (B, S) true at real tokens → memory (B, S, d). */
ax_tensor *ax_transformer_encode(const ax_transformer *m, ax_tensor *src, ax_tensor *src_keep, bool train);
/* tgt_in I32 (B, T) = [bos y_1 … y_m pad …] → logits (B, T, V), attending causally and to memory's kept positions. */
ax_tensor *ax_transformer_decode(const ax_transformer *m, ax_tensor *memory, ax_tensor *src_keep, ax_tensor *tgt_in,
                                 bool train);
/* Label-smoothed mean cross-entropy (nats per target token, −100 targets ignored) of tgt_out I32 (B, T). */
ax_tensor *ax_transformer_loss(const ax_transformer *m, ax_tensor *src, ax_tensor *src_keep, ax_tensor *tgt_in,
                               ax_tensor *tgt_out, float label_smoothing, bool train);

/* One encoder layer (self-attention over x's positions where keep BOOL (B, T) is true, or all when keep is NULL, then
 * FF; post- or pre-LN by cfg) on x (B, T, d) → (B, T, d): what ax_transformer_encode runs, for other encoders (BERT).
 * ax_transformer_layer_add registers layer i of stack "encoder" (or "decoder") under torch's names, initialised. */
ax_tensor *ax_transformer_encoder_layer(const ax_transformer_config *cfg, const ax_transformer_layer *l, ax_tensor *x,
                                       ax_tensor *keep, bool train);
void ax_transformer_layer_add(ax_params *p, const ax_transformer_config *cfg, const char *stack, int i,
                              ax_transformer_layer *l);

/* ---- decoding (no gradients; incremental with a per-layer self-attention KV cache and cross-attention keys and
 * values computed once per source) ----------------------------------------------------------------------------- */
/* Greedy decoding of n sources at once: src[i] holds src_len[i] ids ending in eos. out[i] (max_len + 1 each)
 * gets the target ids, then eos (an eos at [max_len] when cut), eot padding after it. Argmax ties: lowest id. */
void ax_transformer_greedy(const ax_transformer *m, const int32_t *const *src, const int *src_len, int n, int max_len,
                           int32_t *const *out);
/* Beam search for one source ids[0 .. n) (ending in eos); hypotheses are decoded as rows of one batch.
 * cfg->sos and cfg->eos must be the eot id. Returns the number of results in out, or AX_ERR. */
int ax_transformer_beam(const ax_transformer *m, const int32_t *src, int n, const ax_beam_config *cfg,
                        ax_beam_hyp *out);
/* Cross-attention weights (len + 1, n) of target ids tgt[0 .. len) then eos, decoded with teacher forcing over
 * src[0 .. n): of decoder layer `layer` (−1: mean over layers) and head `head` (−1: mean over heads). */
void ax_transformer_cross_attention(const ax_transformer *m, const int32_t *src, int n, const int32_t *tgt, int len,
                                    int layer, int head, float *out);

#endif
