/* What `axon train ner --arch seq2seq` and `axon tag` share for generative NER: a Transformer translator trained to
 * turn a sentence into its entity list (ax_ner_gen_format), whose checkpoint is the Transformer's with "arch":
 * "seq2seq" and the entity types added to config.json; tagging a corpus by generating each sentence's list and
 * mapping it back to spans (ax_ner_gen_spans). */
#ifndef AX_CLI_NER_GEN_CLI_H
#define AX_CLI_NER_GEN_CLI_H

#include "axon.h"
#include "axon/tokenize.h"
#include "axon/transformer.h"

#define NER_GEN_ARCH "seq2seq" // config.json "arch" of a generative NER checkpoint
#define NER_GEN_BATCH_TOKENS 4096 // padded tokens per decoding batch

typedef struct {
    ax_transformer *m; // the translator
    ax_tokenizer *tok; // its joint BPE
    ax_tagset tags;    // the entity types it generates (IOB2)
} ner_gen_model;

char *ner_gen_sentence(const ax_ner_corpus *c, int64_t s); // sentence s's tokens joined by spaces, malloc'd
bool ner_gen_is_checkpoint(const char *dir); // config.json: a "transformer" model of arch "seq2seq"
int ner_gen_open(const char *dir, ner_gen_model *g); // AX_ERR (one line) on a missing or bad checkpoint
void ner_gen_close(ner_gen_model *g);
/* Every sentence of c tagged by generation: *guess as ner_tag_corpus makes it; *dropped gets the generated entities
 * that matched no tokens (or had an unknown type), *cut the sentences longer than the model's max_len (their end
 * is not seen). */
int ner_gen_tag_corpus(const ner_gen_model *g, const ax_ner_corpus *c, ax_ner_corpus *guess, int64_t *dropped,
                       int64_t *cut);
/* The same for `axon tag`: the counts as notes on stderr (unless quiet). */
int ner_gen_tag(const ner_gen_model *g, const ax_ner_corpus *c, bool quiet, ax_ner_corpus *guess);

#endif
