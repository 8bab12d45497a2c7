/* axon/seq2seq.h — the GRU + attention translator: word vocabularies, the encoder–decoder, greedy and beam search.
 *
 * Words. ax_words_normalize lower-cases (ASCII, Latin-1 and Latin Extended-A letters: exactly what the PyTorch
 * reference does), normalises ’ to ', and splits every punctuation character off as a token of its own; an
 * apostrophe between two word characters stays inside the word ("don't"). The result is the tokens joined by
 * single spaces. A vocabulary maps words to ids: 0 <pad>, 1 <sos>, 2 <eos>, 3 <unk>, then the words seen at
 * least min_freq times, most frequent first (ties in byte order). Saved as one word a line.
 *
 * Model (docs/seq2seq.md). Source ids → embedding (E) → bidirectional GRU encoder (H per direction, L layers,
 * packed by length) → memory M (B, S, 2H). Decoder: a GRU cell of 2H units starting from tanh(W_b [h_fwd; h_bwd]).
 * Each step t (y = embedding of the previous target word):
 *   Bahdanau:  c = attend(h_{t−1});  h_t = GRU([y; c], h_{t−1})
 *   Luong:     h_t = GRU([y; õ_{t−1}], h_{t−1});  c = attend(h_t)        (input feeding, õ_0 = 0)
 *   õ_t = tanh(W_c [h_t; c]);  logits = W_o dropout(õ_t)
 * attend(q) = Σ_s softmax_s(score(q, M_s)) M_s over the valid source positions, with
 *   bahdanau (additive):  v · tanh(W_q q + W_k M_s)     general:  q · (W_a M_s)     dot:  q · M_s
 * Parameter names (torch-style): src_emb.weight, tgt_emb.weight, encoder.weight_ih_l0[_reverse] …, bridge.*,
 * decoder.weight_ih / weight_hh / bias_ih / bias_hh (torch.nn.GRUCell), attn.query.weight, attn.key.weight,
 * attn.v.weight (bahdanau) or attn.key.weight (general), combine.*, out.*.
 * Checkpoint: config.json {"axon_model": "seq2seq", …}, model.safetensors, src_vocab.txt, tgt_vocab.txt. */
#ifndef AXON_SEQ2SEQ_H
#define AXON_SEQ2SEQ_H

#include "autograd.h"
#include "rnn.h"

/* ---- words and vocabularies ---------------------------------------------------------------------------- */
enum { AX_PAD = 0, AX_SOS = 1, AX_EOS = 2, AX_UNK = 3, AX_N_SPECIAL = 4 }; // the special word ids

char *ax_words_normalize(const char *text); // lower-cased tokens joined by single spaces, malloc'd
char *ax_words_detokenize(const char *words); // "i 'm here ." → "i'm here." (for display), malloc'd

typedef struct ax_vocab ax_vocab; // opaque; free with ax_vocab_free

/* From n normalised texts: the specials, then every word seen ≥ min_freq times; max_size > 0 caps the size. */
ax_vocab *ax_vocab_build(const char *const *texts, int64_t n, int min_freq, int max_size);
int ax_vocab_size(const ax_vocab *v);
const char *ax_vocab_word(const ax_vocab *v, int32_t id); // "<unk>" for an id out of range
int32_t ax_vocab_id(const ax_vocab *v, const char *word, size_t len); // AX_UNK if absent
/* The ids of a normalised text's words (unknown → AX_UNK), at most max_ids of them written; returns the number of
 * words in the text (more than max_ids when it was cut). */
int ax_vocab_encode(const ax_vocab *v, const char *words, int32_t *ids, int max_ids);
/* Words of ids joined by single spaces, up to the first AX_EOS; <pad> and <sos> skipped. malloc'd. */
char *ax_vocab_decode(const ax_vocab *v, const int32_t *ids, int n);
int ax_vocab_save(const ax_vocab *v, const char *path); // atomic; one word a line
int ax_vocab_load(const char *path, ax_vocab **out);    // AX_ERR (one line) on a missing or malformed file
void ax_vocab_free(ax_vocab *v);                        // NULL is fine

/* ---- the model --------------------------------------------------------------------------------------------- */
typedef enum { AX_ATTN_BAHDANAU = 0, AX_ATTN_GENERAL, AX_ATTN_DOT } ax_attn_kind;
int ax_attn_parse(const char *name, ax_attn_kind *kind); // "bahdanau" (or "additive"), "general", "dot"
const char *ax_attn_name(ax_attn_kind kind);
bool ax_attn_is_luong(ax_attn_kind kind); // general and dot: attention after the GRU, with input feeding

typedef struct {
    int64_t src_vocab, tgt_vocab; // V_s, V_t words, specials included
    int64_t emb;                  // E: word embedding width (source and target)
    int64_t hidden;               // H: encoder units per direction; the decoder has 2H
    int enc_layers;               // stacked bidirectional encoder layers
    ax_attn_kind attn;            // scoring function
    float dropout;                // on the embeddings, between encoder layers and before the output layer
    int max_len;                  // longest sentence in words: longer sources are cut, outputs stop there
} ax_seq2seq_config;

int ax_seq2seq_config_check(const ax_seq2seq_config *cfg);                 // AX_ERR naming the bad field
char *ax_seq2seq_config_to_json(const ax_seq2seq_config *cfg);              // {"axon_model": "seq2seq", …}, malloc'd
int ax_seq2seq_config_from_json(const char *json, ax_seq2seq_config *cfg); // AX_ERR on a bad config

typedef struct {
    ax_seq2seq_config cfg;          // architecture
    ax_params *params;              // every parameter
    ax_embedding_layer src_emb;     // (V_s, E)
    ax_embedding_layer tgt_emb;     // (V_t, E)
    ax_rnn encoder;                 // bidirectional GRU, E → 2H
    ax_linear_layer bridge;         // (2H, 2H): final encoder states → initial decoder state
    ax_rnn_weights dec;             // GRU cell: w_ih (3·2H, E + 2H), w_hh (3·2H, 2H), b_ih, b_hh
    ax_linear_layer attn_query;     // bahdanau: W_q (2H, 2H), no bias; unused otherwise
    ax_linear_layer attn_key;       // bahdanau: W_k, general: W_a (2H, 2H), no bias; unused for dot
    ax_linear_layer attn_v;         // bahdanau: v (1, 2H), no bias; unused otherwise
    ax_linear_layer combine;        // W_c (2H, 4H) with bias
    ax_linear_layer out;            // W_o (V_t, 2H) with bias
} ax_seq2seq;

ax_seq2seq *ax_seq2seq_new(const ax_seq2seq_config *cfg); // initialised from the global RNG (torch defaults)
void ax_seq2seq_free(ax_seq2seq *m);                       // NULL is fine
int ax_seq2seq_load(const char *dir, ax_seq2seq **out);    // config.json + model.safetensors; AX_ERR if corrupt

/* What the decoder attends to: the encoded source batch. */
typedef struct {
    ax_tensor *mem;  // (B, S, 2H) encoder outputs (zero past a sentence's length)
    ax_tensor *keys; // (B, S, 2H) W_k M (bahdanau), W_a M (general) or M itself (dot)
    ax_tensor *pad;  // BOOL (B, 1, S): true at padding positions
    ax_tensor *h0;   // (B, 2H) initial decoder state
} ax_s2s_memory;

/* The decoder's recurrent state; rows are hypotheses (batch rows, or beam entries sharing a one-row memory). */
typedef struct {
    ax_tensor *h;    // (n, 2H) GRU state
    ax_tensor *feed; // (n, 2H) õ of the previous step (Luong input feeding), zeros at the start
} ax_s2s_state;

/* src I32 (B, S) padded with AX_PAD, lengths I32 (B) (each 1..S). */
ax_s2s_memory ax_seq2seq_encode(const ax_seq2seq *m, ax_tensor *src, ax_tensor *lengths, bool train);
ax_s2s_state ax_seq2seq_start(const ax_seq2seq *m, const ax_s2s_memory *mem); // h = h0, feed = 0
/* One decoder step for the previous words y I32 (n): updates *st and returns õ (n, 2H). *attn (n, S) gets the
 * attention weights when attn is not NULL. A memory of one row serves any n (beam search). */
ax_tensor *ax_seq2seq_step(const ax_seq2seq *m, const ax_s2s_memory *mem, ax_s2s_state *st, ax_tensor *y,
                           bool train, ax_tensor **attn);
ax_tensor *ax_seq2seq_logits(const ax_seq2seq *m, ax_tensor *o, bool train); // õ (…, 2H) → (…, V_t)

/* Mean cross-entropy (nats per target word, <pad> ignored) of tgt I32 (B, T) = [w_1 … w_n <eos> <pad> …] given the
 * source, decoding with teacher forcing: the input of step t+1 is the true word with probability tf_ratio (one draw
 * from the global RNG per step), else the model's own argmax. */
ax_tensor *ax_seq2seq_loss(const ax_seq2seq *m, ax_tensor *src, ax_tensor *src_len, ax_tensor *tgt, float tf_ratio,
                           bool train);

/* Greedy decoding of a source batch (no gradients): out (B, max_len + 1) gets each sentence's words followed by
 * AX_EOS (an AX_EOS at [max_len] for a sentence cut there), AX_PAD after it. Each step takes the argmax of the
 * log-softmax (the first one on ties), as beam search with beam 1 does. */
void ax_seq2seq_greedy(const ax_seq2seq *m, ax_tensor *src, ax_tensor *src_len, int max_len, int32_t *out);

/* ---- beam search (any autoregressive scorer) ------------------------------------------------------------- */
typedef struct {
    int beam;     // hypotheses kept per step; 1 is greedy decoding
    int nbest;    // results wanted, 1 .. beam
    int max_len;  // most words per result (<eos> not counted); longer hypotheses end unfinished
    float alpha;  // length normalisation: score = log P / ((5 + len) / 6)^alpha (Wu et al. 2016); 0: none
    int32_t sos;  // first input
    int32_t eos;  // ends a hypothesis
} ax_beam_config;

typedef struct {
    int32_t *ids;  // (len) the words, without <sos> / <eos>; malloc'd
    int len;       // number of words
    float logp;    // Σ log-probabilities of the words and the final <eos>
    float score;   // logp after length normalisation: the ranking
    bool finished; // ended with <eos> (else cut at max_len)
} ax_beam_hyp;

/* Advances n hypotheses: row i of the new state continues row parent[i] of the previous one with word[i]; writes
 * the next-word log-probabilities (n, vocab) into logp. The first call has n = 1, parent {0}, word {sos}. */
typedef void (*ax_beam_step_fn)(void *ctx, int n, const int32_t *parent, const int32_t *word, float *logp);

/* Shrinking-beam search: each step keeps the `beam − finished` best expansions by log-probability (ties: lower row,
 * then lower id); those ending in eos leave the beam. Fills out[0 .. nbest) best score first (free with
 * ax_beam_hyp_free) and returns how many; AX_ERR on a bad config. */
int ax_beam_search(const ax_beam_config *cfg, int vocab, ax_beam_step_fn step, void *ctx, ax_beam_hyp *out);
void ax_beam_hyp_free(ax_beam_hyp *h, int n);

/* Beam search translation of one source sentence ids[0 .. n) (with its <eos>). */
int ax_seq2seq_beam(const ax_seq2seq *m, const int32_t *src, int n, const ax_beam_config *cfg, ax_beam_hyp *out);
/* Attention weights (len + 1, n) of the target words tgt[0 .. len) followed by <eos>, decoded with teacher
 * forcing over the source ids src[0 .. n): row t is the distribution over source positions when emitting word t. */
void ax_seq2seq_attention(const ax_seq2seq *m, const int32_t *src, int n, const int32_t *tgt, int len, float *out);

#endif
