/* What `axon train ner` and `axon tag` share for the BiLSTM-CRF tagger: sentences cut into pieces the model takes,
 * tagging a whole corpus in batches, and conlleval scores of a tagged corpus. */
#ifndef AX_CLI_NER_TAG_CLI_H
#define AX_CLI_NER_TAG_CLI_H

#include "axon.h"

typedef struct {
    int64_t first; // the piece's first token in the corpus's token array
    int n;         // its tokens, 1..max_len
} ner_piece;

int ner_scheme_parse(const char *name, ax_ner_scheme *s); // "iob2", "iob1", "bioes"; AX_ERR otherwise

/* The sentences of c cut into pieces of at most max_len tokens, in order (*pieces malloc'd, returns how many);
 * *n_cut (may be NULL) gets the number of sentences that were longer. */
int64_t ner_pieces(const ax_ner_corpus *c, int max_len, ner_piece **pieces, int64_t *n_cut);
// each piece's tag ids (into ids, indexed by token) made well-formed on their own: a piece cut inside an entity
// starts it again with B- (ax_ner_ids_repair), the only start the constrained decoder allows
void ner_pieces_repair_tags(const ax_tagset *ts, const ner_piece *p, int64_t n, int32_t *ids);

/* The model's tag ids of every token of c into ids (c->n_tokens), and when prob (c->n_sents) is not NULL each
 * sentence's confidence: the probability of its best tag sequence (ax_tagger_decode_prob; a product over the pieces
 * of a long sentence). */
void ner_tag_ids(const ax_tagger *m, const ax_ner_corpus *c, int max_len, int64_t batch, int32_t *ids, double *prob);

/* Every sentence of c tagged by m: *guess gets the same sentences with the model's entities (its tag set). Long
 * sentences are tagged in pieces of max_len tokens; batch: pieces per forward pass. */
int ner_tag_corpus(const ax_tagger *m, const ax_ner_corpus *c, int max_len, int64_t batch, ax_ner_corpus *guess);

/* A tagger of either kind: exactly one of the two is set. ner_tag_corpus_with tags as ner_tag_corpus does; prob
 * (c->n_sents, or NULL) gets each sentence's best-path probability (BiLSTM-CRF; NAN for a BERT-style tagger). */
typedef struct {
    const ax_tagger *crf; // a BiLSTM-CRF
    const ax_bert *bert;  // a BERT-style tagger
} ner_model;
int ner_tag_corpus_with(const ner_model *m, const ax_ner_corpus *c, int max_len, int64_t batch, ax_ner_corpus *guess,
                        double *prob);

/* ner_tag_bert.c: the pieces in[0 .. n) cut further so that none has more than max_sub sub-words of w (the corpus's
 * tokens); *out malloc'd, returns how many. */
int64_t ner_bert_cut(const ax_bert_words *w, const ner_piece *in, int64_t n, int max_sub, ner_piece **out);
/* The tag ids of every token of c by the BERT-style tagger (pieces of max_len words, batch per forward). AX_ERR. */
int ner_bert_tag_ids(const ax_bert *m, const ax_ner_corpus *c, int max_len, int64_t batch, int32_t *ids);

/* conlleval over the two corpora (same sentences; both read as IOB2): ev is initialised, filled and finished. */
void ner_score(const ax_ner_corpus *gold, const ax_ner_corpus *guess, ax_conlleval *ev);

#endif
