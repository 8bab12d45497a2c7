/* `axon ner weak-label`: the weak labeller on raw text, CoNLL tokens, or the default corpora. */
#ifndef AX_CLI_NER_WEAK_CLI_H
#define AX_CLI_NER_WEAK_CLI_H

#include "axon/ner.h"

#include <stdbool.h>

#define NER_MAX_SENT_TOKENS 200 // longer sentences of raw text are cut (with a notice)

/* The default unlabelled corpora as sentences: the built-in Austen novels, then the KJV verses of
 * $AXON_DATA/ner/kjv.txt or data/ner/kjv.txt (skipped with a notice when missing). */
int ner_default_corpus(ax_ner_corpus *out, bool quiet);
int ner_weak_label(int argc, char **argv); // the subcommand (words after "weak-label")

#endif
