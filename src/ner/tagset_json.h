/* A tag set in a checkpoint's config.json: "scheme" ("iob2", "iob1", "bioes"), "types" (the entity types in id
 * order) and "tags" (every tag by id, for readers such as PyTorch; written, not read). Shared by the taggers'
 * checkpoint files (src/models/ner_tagger_io.c, bert_io.c). */
#ifndef AX_NER_TAGSET_JSON_H
#define AX_NER_TAGSET_JSON_H

#include "axon/ner.h"

#include <cjson/cJSON.h>

/* Adds "scheme", "types" and "tags" (all of the tag set's tags when with_tags, else an empty list) to obj. */
void ner_tagset_to_json(const ax_tagset *ts, bool with_tags, cJSON *obj);
/* The tag set of obj's "scheme" and "types" (at least min_types of them); AX_ERR naming the bad member. */
int ner_tagset_from_json(const cJSON *obj, int min_types, ax_tagset *ts);

#endif
