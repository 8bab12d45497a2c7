/* axon/gpt.h — the GPT-2 language model: training forward, checkpoints, fast inference.
 *
 * Architecture (Radford et al. 2019, as Hugging Face GPT2LMHeadModel / nanoGPT):
 *   x = drop(wte[idx] + wpe[0..T))                         token + learned position embeddings
 *   for each block:  x = x + drop(c_proj(attn(ln_1(x))))   pre-LayerNorm causal multi-head attention
 *                    x = x + drop(c_proj(gelu_tanh(c_fc(ln_2(x)))))   4·C MLP
 *   logits = ln_f(x) · wteᵀ                                weight tying: no separate lm_head
 *
 * Parameters are registered under Hugging Face names ("transformer.h.0.attn.c_attn.weight", ...) in the
 * Conv1D layout (in, out), so y = x · W + b runs ax_matmul(x, W) with no transpose, and a checkpoint
 * directory loads unchanged in transformers.GPT2LMHeadModel.from_pretrained(DIR).
 *
 * A checkpoint directory holds model.safetensors (those names, F32), config.json (GPT2Config keys plus
 * "axon_model": "gpt"), and whatever the caller adds (tokenizer files, optimizer state). */
#ifndef AXON_GPT_H
#define AXON_GPT_H

#include "nn.h"

/* ---- configuration ---------------------------------------------------------------------------------- */
typedef struct {
    int vocab_size; // V: token ids 0 .. V−1 (GPT-2: 50257)
    int block_size; // most positions (HF n_positions; GPT-2: 1024)
    int n_layer;    // transformer blocks
    int n_head;     // attention heads; n_embd % n_head == 0
    int n_embd;     // C, the residual width
    float dropout;  // p of the embedding, attention-output and MLP-output dropouts (HF *_pdrop)
    bool bias;      // biases in the linear layers and LayerNorms (GPT-2: true; false cannot load in HF)
    float ln_eps;   // LayerNorm epsilon (GPT-2: 1e-5)
} ax_gpt_config;

ax_gpt_config ax_gpt_config_default(void);           // GPT-2 124M: V 50257, T 1024, 12 layers, 12 heads, C 768, dropout 0, bias
int ax_gpt_config_check(const ax_gpt_config *cfg);   // AX_OK, or AX_ERR naming the bad field
int64_t ax_gpt_config_n_params(const ax_gpt_config *cfg); // parameter count (wte counted once: tied)

/* ---- the model --------------------------------------------------------------------------------------- */
typedef struct {
    ax_tensor *ln_1_w, *ln_1_b;         // (C), (C) or NULL       h.N.ln_1
    ax_tensor *attn_w, *attn_b;         // (C, 3C), (3C) or NULL  h.N.attn.c_attn: q | k | v along out
    ax_tensor *attn_proj_w, *attn_proj_b; // (C, C), (C) or NULL  h.N.attn.c_proj
    ax_tensor *ln_2_w, *ln_2_b;         // (C), (C) or NULL       h.N.ln_2
    ax_tensor *fc_w, *fc_b;             // (C, 4C), (4C) or NULL  h.N.mlp.c_fc
    ax_tensor *mlp_proj_w, *mlp_proj_b; // (4C, C), (C) or NULL   h.N.mlp.c_proj
} ax_gpt_block;

typedef struct {
    ax_gpt_config cfg;    // the architecture
    ax_params *params;    // the registry holding every tensor below
    bool owns_params;     // ax_gpt_free also frees params (models made by ax_gpt_load)
    ax_tensor *wte;       // (V, C) token embedding, also the output projection (tied)
    ax_tensor *wpe;       // (block_size, C) position embedding
    ax_gpt_block *h;      // (n_layer) the blocks
    ax_tensor *ln_f_w, *ln_f_b; // (C), (C) or NULL  final LayerNorm
} ax_gpt;

/* Registers every parameter in params (zeroed; 1-D ones are no_decay) under its Hugging Face name.
 * Asserts that cfg passes ax_gpt_config_check. The caller keeps ownership of params. */
ax_gpt *ax_gpt_new(const ax_gpt_config *cfg, ax_params *params);
void ax_gpt_init(ax_gpt *m);  // GPT-2 init from the global RNG: weights N(0, 0.02), c_proj N(0, 0.02/√(2·n_layer)), biases 0, LN 1/0
void ax_gpt_free(ax_gpt *m);  // frees the model (and its params if owns_params)

/* idx: I32 (B, T) with T ≤ block_size, ids in [0, V). train enables dropout. → logits (B, T, V). */
ax_tensor *ax_gpt_forward(ax_gpt *m, ax_tensor *idx, bool train);
/* Mean next-token cross-entropy of the logits of idx against targets I32 (B, T); targets equal to −1 are
 * ignored (nanoGPT's convention). Returns a 0-dim tensor; ax_backward(loss) fills every gradient. */
ax_tensor *ax_gpt_loss(ax_gpt *m, ax_tensor *idx, ax_tensor *targets, bool train);

/* ---- checkpoints ------------------------------------------------------------------------------------ */
/* Writes DIR/model.safetensors and DIR/config.json (creating DIR), each atomically. extra_json, if not NULL,
 * is a JSON object whose members are added to config.json (e.g. {"axon_tokenizer": "gpt2", "eos_token_id": 0}). */
int ax_gpt_save(const ax_gpt *m, const char *dir, const char *extra_json);
/* Reads DIR/config.json into cfg: axon's or a Hugging Face GPT2Config (n_positions, n_embd, ...; other
 * model_types, activations or n_inner are refused with one line). */
int ax_gpt_config_read(const char *dir, ax_gpt_config *cfg);
/* Loads DIR/model.safetensors into m. Accepts names with or without the "transformer." prefix, F32/F16/BF16,
 * ignores HF's attn.bias / attn.masked_bias buffers and a lm_head.weight; a missing tensor or a shape from
 * another config is AX_ERR with one line, and m is left unchanged. */
int ax_gpt_load_weights(ax_gpt *m, const char *dir);
int ax_gpt_load(const char *dir, ax_gpt **out); // config + weights into a new model that owns its params

/* ---- inference with a KV cache (batch 1, no autograd, no step arena) --------------------------------
 * Keeps every layer's keys and values for the positions seen so far, so each new token costs one pass over
 * the weights instead of a forward over the whole context. */
typedef struct ax_gpt_kv ax_gpt_kv;
ax_gpt_kv *ax_gpt_kv_new(const ax_gpt *m); // buffers for block_size positions (NULL + ax_error if out of memory)
void ax_gpt_kv_free(ax_gpt_kv *kv);
void ax_gpt_kv_reset(ax_gpt_kv *kv);       // forget every position
int ax_gpt_kv_len(const ax_gpt_kv *kv);    // positions held (the next token goes to this position)
/* Feeds n tokens at positions len .. len+n−1 (asserts len + n ≤ block_size) and returns the logits (V) of the
 * last one; the pointer is valid until the next call. */
const float *ax_gpt_kv_forward(const ax_gpt *m, ax_gpt_kv *kv, const int32_t *tokens, int n);
/* Batched decoding (continuous batching in `axon serve`): feeds tokens[i] to kv[i] (n distinct caches of m, each
 * with room for one more position) in one pass, writing the logits of sequence i to logits[i·V .. (i+1)·V).
 * Equals n calls of ax_gpt_kv_forward with one token each. AX_ERR if out of memory (the caches are unchanged). */
int ax_gpt_kv_forward_batch(const ax_gpt *m, ax_gpt_kv *const *kv, const int32_t *tokens, int n, float *logits);

#endif
