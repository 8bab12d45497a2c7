/* Tag sets in config.json (tagset_json.h). */
#include "ner/tagset_json.h"

#include <string.h>

static const char *const SCHEMES[] = {"iob2", "iob1", "bioes"}; // by ax_ner_scheme

void ner_tagset_to_json(const ax_tagset *ts, bool with_tags, cJSON *obj) {
    cJSON *types = cJSON_CreateArray(), *tags = cJSON_CreateArray();
    AX_ASSERT(types && tags, "out of memory");
    cJSON_AddStringToObject(obj, "scheme", SCHEMES[ts->scheme]);
    for (int t = 0; t < ts->n_types; t++) cJSON_AddItemToArray(types, cJSON_CreateString(ts->types[t]));
    for (int k = 0; with_tags && k < ax_tagset_size(ts); k++) {
        char tag[AX_NER_TYPE_MAX + 4];
        ax_tagset_tag(ts, k, tag, sizeof tag);
        cJSON_AddItemToArray(tags, cJSON_CreateString(tag));
    }
    cJSON_AddItemToObject(obj, "types", types);
    cJSON_AddItemToObject(obj, "tags", tags);
}

int ner_tagset_from_json(const cJSON *obj, int min_types, ax_tagset *ts) {
    const char *scheme = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "scheme"));
    const cJSON *types = cJSON_GetObjectItemCaseSensitive(obj, "types");
    int s = 0;
    while (s < 3 && !(scheme && strcmp(scheme, SCHEMES[s]) == 0)) s++;
    if (s == 3) return ax_error("\"scheme\" must be iob2, iob1 or bioes");
    if (!cJSON_IsArray(types) || cJSON_GetArraySize(types) < min_types) return ax_error("\"types\" is missing");
    ax_tagset_init(ts, (ax_ner_scheme)s);
    for (const cJSON *t = types->child; t; t = t->next)
        if (!cJSON_IsString(t) || ax_tagset_add_type(ts, t->valuestring) < 0) return ax_error("bad entry in \"types\"");
    return AX_OK;
}
