/* axon/tagger.h — the BiLSTM-CRF named-entity tagger (docs/ner.md, "Taggers: BiLSTM-CRF").
 *
 * Each token is represented by the concatenation of
 *   - a word embedding (Ew) of the token lower-cased (ASCII letters) with every digit read as 0, from a vocabulary
 *     of the training tokens seen at least min_freq times (others: <unk>);
 *   - a capitalisation embedding (Ec) of its shape: no letter, lower, Title, UPPER, mIxEd (AX_TAGGER_CASES);
 *   - the final states of a character BiLSTM (Hc per direction) over its first max_word_chars characters
 *     (character embeddings Ek; characters of the training tokens, others <unk>);
 *   - if gaz_dim > 0, per word list of the weak labeller (AX_WEAK_GAZ_LISTS) an embedding (Eg) of the class of
 *     the list's longest match over the token (ax_weak_gaz_features: none, B-/I- of PER LOC ORG MISC);
 * then dropout → a BiLSTM over the sentence (H per direction, L layers, packed by length) → dropout → a linear layer
 * to the tag scores (emissions) → a linear-chain CRF (axon/crf.h). Decoding is Viterbi with the transitions that
 * the tag scheme forbids (ax_tagset_allowed, e.g. O → I-PER in IOB2) excluded.
 * Parameter names (PyTorch style): word_emb.weight, case_emb.weight, [gaz_emb.weight,] char_emb.weight, char_lstm.weight_ih_l0[_reverse]
 * …, lstm.weight_ih_l{k}[_reverse] …, out.weight, out.bias, crf.start_transitions, crf.end_transitions,
 * crf.transitions. Checkpoint: config.json {"axon_model": "ner", "arch": "bilstm-crf", "scheme", "types", "tags",
 * sizes…}, model.safetensors, words.txt and chars.txt (one entry a line, ids 0..3 the specials of axon/seq2seq.h),
 * and with gazetteer features the word lists in gazetteers/ (ax_weak_labeler_save). */
#ifndef AXON_TAGGER_H
#define AXON_TAGGER_H

#include "crf.h"
#include "ner.h"
#include "rnn.h"
#include "seq2seq.h" // ax_vocab

#define AX_TAGGER_CASES 5          // capitalisation classes: none, lower, Title, UPPER, mixed
#define AX_TAGGER_WORDS "words.txt" // the word vocabulary file of a checkpoint
#define AX_TAGGER_CHARS "chars.txt" // the character vocabulary file of a checkpoint
#define AX_TAGGER_GAZ "gazetteers"  // the directory of a checkpoint's word lists

typedef struct {
    int64_t words, chars;  // vocabulary sizes, specials included
    int64_t word_dim;      // Ew
    int64_t case_dim;      // Ec
    int64_t gaz_dim;       // Eg per word list; 0: no gazetteer features
    int64_t char_dim;      // Ek
    int64_t char_hidden;   // Hc per direction
    int64_t hidden;        // H per direction of the sentence BiLSTM
    int layers;            // L stacked sentence BiLSTM layers
    float dropout;         // on the token features and the BiLSTM output, in training
    int max_word_chars;    // characters of a token read by the character BiLSTM
} ax_tagger_config;

typedef struct {
    ax_tagger_config cfg;        // architecture
    ax_tagset tags;              // the tag set: CRF state k is tag id k
    ax_vocab *words, *chars;     // vocabularies (owned)
    ax_weak_labeler *gaz;        // word lists of the gazetteer features (owned); NULL when gaz_dim = 0
    ax_params *params;           // every parameter
    ax_embedding_layer word_emb; // (words, Ew)
    ax_embedding_layer case_emb; // (AX_TAGGER_CASES, Ec)
    ax_embedding_layer gaz_emb;  // (AX_WEAK_GAZ_LISTS · AX_WEAK_GAZ_CLASSES, Eg) when gaz_dim > 0
    ax_embedding_layer char_emb; // (chars, Ek)
    ax_rnn char_lstm;            // bidirectional LSTM Ek → 2·Hc over a token's characters
    ax_rnn lstm;                 // bidirectional LSTM (Ew + Ec + lists·Eg + 2·Hc) → 2H over the sentence
    ax_linear_layer out;         // (K, 2H) emissions
    ax_crf crf;                  // K tags
} ax_tagger;

int ax_tagger_config_check(const ax_tagger_config *cfg); // AX_ERR naming the bad field
/* A new model (weights from the global RNG) that takes ownership of the vocabularies and of gaz, the word lists of
 * the gazetteer features (needed when cfg->gaz_dim > 0, else NULL). */
ax_tagger *ax_tagger_new(const ax_tagger_config *cfg, const ax_tagset *tags, ax_vocab *words, ax_vocab *chars,
                         ax_weak_labeler *gaz);
void ax_tagger_free(ax_tagger *m); // NULL is fine
/* Saves config.json (plus the members of extra_json, an object or NULL), model.safetensors, both vocabularies and
 * the word lists. */
int ax_tagger_save(const ax_tagger *m, const char *dir, const char *extra_json);
int ax_tagger_load(const char *dir, ax_tagger **out); // AX_ERR (one line) on a missing or bad checkpoint
bool ax_tagger_is_checkpoint(const char *dir);        // config.json names an "ner" model of arch "bilstm-crf"

/* ---- features ---------------------------------------------------------------------------------------------- */
/* Vocabularies of a corpus's tokens: word forms (lower-cased, digits as 0) seen ≥ min_freq times, every character. */
void ax_tagger_vocab_build(const ax_ner_corpus *c, int min_freq, ax_vocab **words, ax_vocab **chars);
/* The tag ids of every token of c in the tag set ts (types matched by name), into ids (c->n_tokens). AX_ERR naming
 * the type and the line of a token whose type ts does not know. */
int ax_tagger_corpus_ids(const ax_tagset *ts, const ax_ner_corpus *c, const char *path, int32_t *ids);

/* A batch of B token sequences, as step tensors (arena). */
typedef struct {
    int64_t B, T;         // sequences, longest length
    ax_tensor *words;     // I32 (B, T) word ids (0 on padding)
    ax_tensor *cases;     // I32 (B, T) capitalisation classes
    ax_tensor *gaz;       // I32 (B, T, AX_WEAK_GAZ_LISTS) gazetteer class of list l + l·AX_WEAK_GAZ_CLASSES, or NULL
    ax_tensor *chars;     // I32 (B·T, C) character ids of each position's token, C the longest kept
    ax_tensor *char_len;  // I32 (B·T) characters kept per token (1 on padding)
    ax_tensor *lengths;   // I32 (B) tokens per sequence, each ≥ 1
    ax_tensor *tags;      // I32 (B, T) gold tag ids (0 on padding), or NULL
} ax_tagger_batch;

/* Sequence i is the n[i] ≥ 1 tokens toks[i][0..n[i]) with tags[i][0..n[i]) (tags NULL: unlabelled). */
ax_tagger_batch ax_tagger_make_batch(const ax_tagger *m, const char *const *const *toks, const int *n,
                                     const int32_t *const *tags, int64_t B);

/* ---- the model ------------------------------------------------------------------------------------------------ */
ax_tensor *ax_tagger_emissions(const ax_tagger *m, const ax_tagger_batch *b, bool train); // (B, T, K)
ax_tensor *ax_tagger_loss(const ax_tagger *m, const ax_tagger_batch *b, bool train); // mean CRF NLL per sequence
/* The best tag ids under the scheme's constraints, I32 (B, T), −1 on padding. No gradient. */
ax_tensor *ax_tagger_decode(const ax_tagger *m, const ax_tagger_batch *b);
/* As ax_tagger_decode; prob (B) also gets each best path's probability p(y* | x) = exp(s(y*) − log Z) under the CRF
 * with the scheme's forbidden transitions removed: the sentence's confidence (self-training keeps sentences whose
 * confidence reaches a threshold). */
ax_tensor *ax_tagger_decode_prob(const ax_tagger *m, const ax_tagger_batch *b, double *prob);

#endif
