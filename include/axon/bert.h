/* axon/bert.h — a BERT-style encoder: masked-LM pre-training, then token classification for NER (docs/ner.md,
 * "Taggers: BERT-style").
 *
 * Tokens. A byte-level BPE (axon/tokenize.h) trained on the unlabelled corpora. Each word of a sentence is encoded on
 * its own as " word" (the GPT-2 way: the leading space belongs to the word's first token, so a word has the same
 * sub-words wherever it stands), at most AX_BERT_WORD_PIECES of them kept. One id after the BPE vocabulary is
 * [MASK]: mask = vocab − 1. Padding positions hold any id and are masked out of attention by keep.
 *
 * Model (post-LN, the encoder layers of axon/transformer.h, i.e. torch.nn.TransformerEncoderLayer with ReLU):
 *   e(x)    = drop(LN_e(E[x] + P[0..T)))               E (V, d), P learned (max_len, d)
 *   h       = N encoder layers over e(x), attending to the kept positions
 *   MLM     = LN_m(gelu(W_m·h + b_m)) · Eᵀ + b_V         tied decoder with its own bias (V); GELU with erf
 *   tags    = W_c·drop(h) + b_c                          (K, d): K = the tag set's size, 0 for an MLM-only encoder
 * Losses: MLM, the mean cross-entropy over the masked positions (targets −100 elsewhere) with BERT's masking (15 %
 * of the tokens; of those 80 % become [MASK], 10 % a random token, 10 % stay); token classification, the mean
 * cross-entropy of the first sub-word of each word (its other sub-words −100).
 * Parameter names: embed.weight, pos.weight, embed_norm.{weight,bias}, encoder.layers.{i}.* (axon/transformer.h),
 * mlm.dense.{weight,bias}, mlm.norm.{weight,bias}, mlm.bias, classifier.{weight,bias} (K > 0 only).
 * Init: E, P, W_m, W_c ~ N(0, 0.02) (BERT's), biases 0, LayerNorms 1/0, encoder layers as axon/transformer.h.
 * Checkpoint: config.json {"axon_model": "ner", "arch": "bert", sizes, "scheme", "types", "tags"}, model.safetensors,
 * the tokenizer files (encoder.json, vocab.bpe). */
#ifndef AXON_BERT_H
#define AXON_BERT_H

#include "ner.h"
#include "tokenize.h"
#include "transformer.h"

#define AX_BERT_WORD_PIECES 8 // most sub-words kept per word

typedef struct {
    int vocab;       // V: the BPE vocabulary + [MASK] (id V − 1)
    int d_model;     // d
    int n_head;      // attention heads; d % n_head == 0
    int d_ff;        // feed-forward width
    int layers;      // N encoder layers
    int max_len;     // most sub-words per sequence (learned positions)
    int n_labels;    // K: token classes of the head (0: no head)
    float dropout;   // embedding, residual, feed-forward and head dropout
    float ln_eps;    // LayerNorm epsilon
} ax_bert_config;

typedef struct {
    ax_bert_config cfg;             // architecture
    ax_transformer_config enc_cfg;  // the same as the encoder layers read it (post-LN)
    ax_tagset tags;                 // the labels: class k is tag id k (n_labels == 0: no types)
    ax_tokenizer *tok;              // the BPE (owned; NULL for a bare model)
    ax_params *params;              // every parameter (owned)
    ax_tensor *embed;               // (V, d) token embeddings, also the MLM decoder
    ax_tensor *pos;                 // (max_len, d) position embeddings
    ax_layernorm_layer embed_norm;  // LN_e
    ax_transformer_layer *enc;      // (layers) encoder layers
    ax_linear_layer mlm_dense;      // (d, d)
    ax_layernorm_layer mlm_norm;    // LN_m
    ax_tensor *mlm_bias;            // (V)
    ax_linear_layer classifier;     // (K, d), weight NULL when K == 0
} ax_bert;

int ax_bert_config_check(const ax_bert_config *cfg); // AX_ERR naming the bad field
/* A new model (weights from the global RNG) that owns tok (may be NULL) and labels the tags of ts (NULL: K = 0;
 * otherwise cfg->n_labels must be its size). */
ax_bert *ax_bert_new(const ax_bert_config *cfg, const ax_tagset *ts, ax_tokenizer *tok);
void ax_bert_free(ax_bert *m);                                        // NULL is fine
int ax_bert_save(const ax_bert *m, const char *dir, const char *extra_json); // + members of extra_json (or NULL)
int ax_bert_load(const char *dir, ax_bert **out);                     // AX_ERR (one line) on a bad checkpoint
bool ax_bert_is_checkpoint(const char *dir);                          // config.json: "ner" of arch "bert"
/* Copies every parameter of src whose name and shape dst has (a pre-trained encoder into a tagger); returns how many
 * were copied. */
int ax_bert_copy_params(ax_bert *dst, const ax_bert *src);

/* ---- forward ------------------------------------------------------------------------------------------------ */
/* ids I32 (B, T), keep BOOL (B, T) (NULL: all kept) → h (B, T, d). */
ax_tensor *ax_bert_encode(const ax_bert *m, ax_tensor *ids, ax_tensor *keep, bool train);
ax_tensor *ax_bert_mlm_logits(const ax_bert *m, ax_tensor *h);                // (…, d) → (…, V)
ax_tensor *ax_bert_token_logits(const ax_bert *m, ax_tensor *h, bool train); // (…, d) → (…, K)
/* Mean cross-entropy over the positions whose target (I32 (B, T)) is not −100; the MLM head runs on those only. */
ax_tensor *ax_bert_mlm_loss(const ax_bert *m, ax_tensor *ids, ax_tensor *keep, ax_tensor *targets, bool train);
ax_tensor *ax_bert_token_loss(const ax_bert *m, ax_tensor *ids, ax_tensor *keep, ax_tensor *labels, bool train);

/* BERT's masking of ids[0 .. n) (positions with keep[i] false are left alone; keep NULL: all): each kept position is
 * chosen with probability prob (at least one is when any is kept); a chosen one gets target = its id and input [MASK]
 * (80 %), a random BPE id (10 %) or its own id (10 %); the others input = id, target = −100. */
void ax_bert_mask(const ax_bert_config *cfg, ax_rng *rng, const int32_t *ids, const uint8_t *keep, int64_t n,
                  float prob, int32_t *inputs, int32_t *targets);

/* ---- words ⇄ sub-words ------------------------------------------------------------------------------------- */
typedef struct {
    int64_t n_words; // words encoded
    int64_t *off;    // (n_words + 1) first sub-word of each word in ids
    int32_t *ids;    // (off[n_words]) sub-word ids
} ax_bert_words;

/* The sub-words of words[0 .. n) (m->tok must be set); *out malloc'd, free with ax_bert_words_free. */
int ax_bert_encode_words(const ax_bert *m, const char *const *words, int64_t n, ax_bert_words *out);
void ax_bert_words_free(ax_bert_words *w);

/* A batch of B sequences of words: sequence b is words first[b] .. first[b] + n[b] of w (n[b] ≥ 1, at most
 * max_len sub-words in all); tags (NULL: unlabelled) the tag id of every word of w. Step tensors (arena). */
typedef struct {
    int64_t B, T, W;     // sequences, longest in sub-words, most words
    ax_tensor *ids;      // I32 (B, T) sub-word ids (0 on padding)
    ax_tensor *keep;     // BOOL (B, T) true at real sub-words
    ax_tensor *labels;   // I32 (B, T) the word's tag at its first sub-word, −100 elsewhere; NULL when unlabelled
    ax_tensor *first;    // I32 (B, W) position of each word's first sub-word (0 on padding)
    ax_tensor *n_words;  // I32 (B) words per sequence
} ax_bert_batch;

ax_bert_batch ax_bert_make_batch(const ax_bert *m, const ax_bert_words *w, const int64_t *first, const int *n,
                                 const int32_t *tags, int64_t B);
/* The tag of every word of the batch, I32 (B, W), −1 on padding: the best sequence that the tag scheme allows
 * (ax_tagset_allowed) under the log-probabilities of each word's first sub-word — the argmax, repaired where it is
 * not a valid sequence. No gradient. */
ax_tensor *ax_bert_decode(const ax_bert *m, const ax_bert_batch *b);

#endif
