/* What `axon train seq2seq` and `axon translate` share: sentence-pair sets as word ids, padded batches, validation
 * (loss and BLEU), and opening a translator checkpoint. */
#ifndef AX_CLI_SEQ2SEQ_CLI_H
#define AX_CLI_SEQ2SEQ_CLI_H

#include "axon.h"

#define S2S_SRC_VOCAB "src_vocab.txt" // the source vocabulary in a checkpoint directory
#define S2S_TGT_VOCAB "tgt_vocab.txt" // the target vocabulary

/* Normalised texts of a TSV file of pairs (ax_pairs_read_tsv): the source side is the second column (German in
 * Anki files), the target the first; `reverse` swaps them. */
typedef struct {
    int64_t n;     // pairs
    char **src;    // (n) normalised source sentences, malloc'd
    char **tgt;    // (n) normalised target sentences, malloc'd
    int64_t skipped; // malformed lines skipped
} s2s_texts;

int s2s_texts_read(const char *path, bool reverse, s2s_texts *out); // AX_ERR if unreadable or without pairs
/* The same with each side made by clean (malloc'd result) instead of ax_words_normalize. */
int s2s_texts_read_as(const char *path, bool reverse, char *(*clean)(const char *), s2s_texts *out);
void s2s_texts_free(s2s_texts *t);
/* The pair files of a run: `data`, then `valid` and `test` as cli_sibling_path finds them (valid.tsv / test.tsv next
 * to data when ""; none for "none"), each side made by clean. Without a validation file a random val_fraction of the
 * training pairs is held out (order from rng). paths[0], paths[1] get the validation and test paths (malloc'd) or
 * NULL. split[0..3): train, valid, test (empty when absent). AX_ERR with one line. */
int s2s_texts_read_splits(const char *data, const char *valid, const char *test, bool reverse,
                          char *(*clean)(const char *), double val_fraction, ax_rng *rng, s2s_texts *split[3],
                          char *paths[2]);
/* Moves a random `fraction` of the training pairs (at least one; the order drawn from rng) into valid (empty before). */
void s2s_texts_hold_out(s2s_texts *train, s2s_texts *valid, double fraction, ax_rng *rng);

/* Pairs as ids: source words (cut at max_len) + <eos>, target words (cut at max_len) + <eos>. */
typedef struct {
    int64_t n;          // pairs
    int32_t *ids;       // every sentence's ids back to back
    int64_t *src_off;   // (n) where each source starts in ids
    int64_t *tgt_off;   // (n) where each target starts
    int32_t *src_len;   // (n) source length with <eos>
    int32_t *tgt_len;   // (n) target length with <eos>
    const char **ref;   // (n) the normalised target texts (not cut; owned by the s2s_texts): BLEU references
    int64_t cut;        // sentences (either side) longer than max_len words
    int64_t tgt_words;  // Σ tgt_len: target tokens, <eos> included
} s2s_set;

void s2s_set_build(s2s_set *s, const s2s_texts *t, const ax_vocab *sv, const ax_vocab *tv, int max_len);
void s2s_set_free(s2s_set *s);

/* Pairs idx[0 .. B) as arena tensors: src I32 (B, S) and tgt I32 (B, T) padded with <pad>, lengths I32 (B). */
void s2s_batch(const s2s_set *s, const int64_t *idx, int64_t B, ax_tensor **src, ax_tensor **len, ax_tensor **tgt);

/* Mean cross-entropy per target word over the whole set (teacher forcing, no dropout), batches of `batch`. */
double s2s_eval_loss(const ax_seq2seq *m, const s2s_set *s, int64_t batch);
/* Corpus BLEU (sacreBLEU, on the normalised words) of greedy translations of the first n pairs (n ≤ s->n). If hyps
 * is not NULL it receives the n translations (malloc'd strings, free with ax_segments_free). */
double s2s_bleu(const ax_seq2seq *m, const ax_vocab *tv, const s2s_set *s, int64_t n, int64_t batch, char ***hyps);

/* A translator checkpoint: the model and both vocabularies, checked to fit; AX_ERR with one line. */
int s2s_open(const char *dir, ax_seq2seq **m, ax_vocab **sv, ax_vocab **tv);
bool s2s_is_checkpoint(const char *dir); // does DIR/config.json name a seq2seq model?

#endif
