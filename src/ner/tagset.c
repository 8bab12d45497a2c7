/* Tag sets: "O" = 0, then the scheme's prefixes for each entity type; which tag may follow which. */
#include "axon/ner.h"

#include <stdio.h>
#include <string.h>

// prefixes per type: B I (IOB1, IOB2) or B I E S (BIOES)
static int n_prefixes(const ax_tagset *ts) { return ts->scheme == AX_NER_BIOES ? 4 : 2; }
static const char PREFIXES[] = "BIES";

void ax_tagset_init(ax_tagset *ts, ax_ner_scheme scheme) {
    memset(ts, 0, sizeof *ts);
    ts->scheme = scheme;
}

int ax_tagset_type(const ax_tagset *ts, const char *type) {
    for (int t = 0; t < ts->n_types; t++)
        if (strcmp(ts->types[t], type) == 0) return t;
    return -1;
}

int ax_tagset_add_type(ax_tagset *ts, const char *type) {
    int t = ax_tagset_type(ts, type);
    if (t >= 0) return t;
    size_t len = strlen(type);
    if (len == 0) return ax_error("empty entity type");
    if (len > AX_NER_TYPE_MAX) return ax_error("entity type '%.40s...' longer than %d bytes", type, AX_NER_TYPE_MAX);
    if (ts->n_types == AX_NER_MAX_TYPES) return ax_error("more than %d entity types", AX_NER_MAX_TYPES);
    memcpy(ts->types[ts->n_types], type, len + 1);
    return ts->n_types++;
}

int ax_tagset_size(const ax_tagset *ts) { return 1 + n_prefixes(ts) * ts->n_types; }

int ax_tagset_id(const ax_tagset *ts, const char *tag) {
    if (strcmp(tag, "O") == 0) return 0;
    const char *p = strchr(PREFIXES, tag[0]);
    if (!tag[0] || !p || tag[1] != '-' || p - PREFIXES >= n_prefixes(ts)) return -1;
    int t = ax_tagset_type(ts, tag + 2);
    return t < 0 ? -1 : 1 + t * n_prefixes(ts) + (int)(p - PREFIXES);
}

int ax_tagset_tag(const ax_tagset *ts, int id, char *buf, size_t cap) {
    if (id < 0 || id >= ax_tagset_size(ts)) return ax_error("tag id %d out of range (%d tags)", id, ax_tagset_size(ts));
    if (id == 0) snprintf(buf, cap, "O");
    else snprintf(buf, cap, "%c-%s", ax_tagset_prefix(ts, id), ts->types[ax_tagset_type_of(ts, id)]);
    return AX_OK;
}

char ax_tagset_prefix(const ax_tagset *ts, int id) { return id <= 0 ? 'O' : PREFIXES[(id - 1) % n_prefixes(ts)]; }

int ax_tagset_type_of(const ax_tagset *ts, int id) { return id <= 0 ? -1 : (id - 1) / n_prefixes(ts); }

// whether an entity is open after tag id (one that the next tag may continue)
static bool open_after(const ax_tagset *ts, int id) {
    char p = id < 0 ? 'O' : ax_tagset_prefix(ts, id);
    return p == 'B' || p == 'I';
}

bool ax_tagset_allowed(const ax_tagset *ts, int prev, int next) {
    char np = next < 0 ? 'O' : ax_tagset_prefix(ts, next);
    bool same = prev > 0 && next > 0 && ax_tagset_type_of(ts, prev) == ax_tagset_type_of(ts, next);
    if (ts->scheme == AX_NER_BIOES) { // I/E continue an open entity of their type; B/S/O/end need none open
        if (np == 'I' || np == 'E') return open_after(ts, prev) && same;
        return !open_after(ts, prev);
    }
    if (np != 'I') return ts->scheme == AX_NER_IOB2 || np != 'B' || same; // IOB1's B- only between same types
    return ts->scheme == AX_NER_IOB1 || (open_after(ts, prev) && same);  // IOB2's I- continues
}
