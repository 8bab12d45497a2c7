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

/* Every sentence of c tagged by m: *guess gets the same sentences with the model's entities (its tag set). Long
 * sentences are tagged in pieces of max_len tokens; batch: pieces per forward pass. */
int ner_tag_corpus(const ax_tagger *m, const ax_ner_corpus *c, int max_len, int64_t batch, ax_ner_corpus *guess);

/* conlleval over the two corpora (same sentences; both read as IOB2): ev is initialised, filled and finished. */
void ner_score(const ax_ner_corpus *gold, const ax_ner_corpus *guess, ax_conlleval *ev);

#endif
