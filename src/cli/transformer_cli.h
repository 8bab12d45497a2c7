/* What `axon train transformer`, `axon translate` and `axon serve` share for the Transformer translator
 * (include/axon/transformer.h): sentence pairs as joint-BPE ids, length-bucketed batches under a token budget,
 * validation (loss and BLEU of greedy translations), and opening a checkpoint (model + tokenizer, checked to fit). */
#ifndef AX_CLI_TRANSFORMER_CLI_H
#define AX_CLI_TRANSFORMER_CLI_H

#include "axon.h"
#include "axon/tokenize.h"
#include "axon/transformer.h"
#include "cli/seq2seq_cli.h" // s2s_texts: the two sides of a pair file

#define TF_EXTRA_LEN 50 // decoding stops after source length + this many tokens (and at the model's max_len)

/* A sentence of a pair file as the Transformer reads it (s2s_texts_read_splits' clean): whitespace runs as single
 * spaces, trimmed; no other normalisation (BPE covers any text, and BLEU is scored on the raw references as
 * sacreBLEU does). malloc'd. */
char *tf_clean_text(const char *text);

/* Pairs as ids: source = BPE ids cut to max_len − 1, then eot; target = BPE ids cut to max_len − 1 (the decoder
 * reads [eot y…] and predicts [y… eot], max_len each). */
typedef struct {
    int64_t n; // pairs
    int32_t *ids; // every sentence's ids back to back
    int64_t *src_off; // (n) where each source starts in ids
    int64_t *tgt_off; // (n) where each target starts
    int32_t *src_len; // (n) source ids, eot included: 1 .. max_len
    int32_t *tgt_len; // (n) target ids without bos / eos: 0 .. max_len − 1
    const char **ref; // (n) the target texts (not cut; owned by the s2s_texts): BLEU references
    int64_t cut; // sentences (either side) longer than max_len tokens, cut
    int64_t tgt_tokens; // Σ (tgt_len + 1): predicted tokens, eos included
} tf_set;

int tf_set_build(tf_set *s, const s2s_texts *t, ax_tokenizer *tok, int max_len); // AX_ERR if the tokenizer fails
void tf_set_free(tf_set *s);
int tf_width(const tf_set *s, int64_t i); // padded positions pair i needs: max(src_len, tgt_len + 1)

/* An epoch's batches: pairs of similar length whose padded size (pairs × widest pair) stays within a token budget
 * (a single pair wider than the budget is a batch of its own). */
typedef struct {
    int64_t *pairs; // (n) indices into the set, batch by batch
    int64_t *start; // (n_batches + 1) batch b is pairs[start[b] .. start[b + 1])
    int64_t n_batches;
} tf_batches;

/* Every pair once: rng != NULL shuffles, sorts by width (the shuffle breaks ties), cuts, then shuffles the batches;
 * rng == NULL sorts by width (ties by index) and keeps the batches in order (evaluation). */
void tf_batches_make(const tf_set *s, int64_t budget, ax_rng *rng, tf_batches *out);
void tf_batches_free(tf_batches *b);

/* Pairs idx[0 .. B) as arena tensors: src I32 (B, S) padded with eot, src_keep BOOL (B, S), tgt_in I32 (B, T) =
 * [eot y… eot-padding], tgt_out I32 (B, T) = [y… eot −100…]. Returns the predicted tokens (Σ tgt_len + 1). */
int64_t tf_batch(const tf_set *s, int32_t eot, const int64_t *idx, int64_t B, ax_tensor **src, ax_tensor **src_keep,
                 ax_tensor **tgt_in, ax_tensor **tgt_out);

/* Mean cross-entropy per predicted token over the set (no label smoothing, no dropout). */
double tf_eval_loss(const ax_transformer *m, const tf_set *s, int64_t budget);
/* Greedy translations of pairs [0, n) (batched by length under the token budget), each stopped after its source
 * length + TF_EXTRA_LEN tokens: hyps[i] malloc'd text (free with ax_segments_free). */
int tf_greedy_texts(const ax_transformer *m, const ax_tokenizer *tok, const tf_set *s, int64_t n, int64_t budget,
                    char **hyps);
/* Corpus BLEU (sacreBLEU, raw text) of greedy translations of the first n pairs; hyps as tf_greedy_texts when not
 * NULL. words_bleu (when not NULL) gets the BLEU on ax_words_normalize'd texts: the `axon train seq2seq` measure. */
double tf_bleu(const ax_transformer *m, const ax_tokenizer *tok, const tf_set *s, int64_t n, int64_t budget,
               double *words_bleu, char ***hyps);

/* ids (up to the first eot) as text, malloc'd; NULL after ax_error for an id out of range. */
char *tf_decode(const ax_tokenizer *tok, const int32_t *ids, int n);
/* A display name of one token: its bytes with invalid UTF-8 and control characters as '?', a leading space as '▁'. */
char *tf_token_name(const ax_tokenizer *tok, int32_t id);

/* A Transformer checkpoint: the model and its tokenizer, checked to fit (same vocabulary size and eot); AX_ERR with
 * one line. */
int tf_open(const char *dir, ax_transformer **m, ax_tokenizer **tok);
/* The model name in DIR/config.json ("seq2seq", "transformer", …) into name; AX_ERR if unreadable. */
int tf_model_kind(const char *dir, char name[AX_MODEL_NAME_MAX]);

#endif
