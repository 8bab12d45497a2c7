/* Tag sequences ⇄ entity spans. Decoding follows conlleval's chunk rules so that every scheme (and every
 * ill-formed sequence) reads the way the scorer reads it. */
#include "axon/ner.h"

#include <stdlib.h>

// conlleval's endOfChunk: does the entity open before a token (prev prefix/type) end before one of (cur)?
static bool chunk_ends(char prev, int prev_type, char cur, int cur_type) {
    if (prev == 'E' || prev == 'S') return true;
    if (prev == 'O') return false;
    return cur == 'B' || cur == 'S' || cur == 'O' || prev_type != cur_type;
}

// conlleval's startOfChunk: does an entity start at the current token?
static bool chunk_starts(char prev, int prev_type, char cur, int cur_type) {
    if (cur == 'O') return false;
    if (cur == 'B' || cur == 'S') return true;
    return prev == 'O' || prev == 'E' || prev == 'S' || prev_type != cur_type;
}

int ax_ner_ids_to_spans(const ax_tagset *ts, const int32_t *ids, int n, ax_ner_span *spans) {
    int n_spans = 0, open = -1; // open: start of the entity being read, -1 if none
    char prev = 'O';            // prefix of the previous token
    int pt = -1;                // type of the previous token
    for (int i = 0; i <= n; i++) {
        char cur = i < n ? ax_tagset_prefix(ts, ids[i]) : 'O';
        int ct = i < n ? ax_tagset_type_of(ts, ids[i]) : -1;
        if (open >= 0 && chunk_ends(prev, pt, cur, ct)) {
            spans[n_spans++] = (ax_ner_span){open, i, pt};
            open = -1;
        }
        if (chunk_starts(open >= 0 ? prev : 'O', pt, cur, ct)) open = i;
        prev = cur;
        pt = ct;
    }
    return n_spans;
}

void ax_ner_spans_to_ids(const ax_tagset *ts, const ax_ner_span *spans, int n_spans, int n, int32_t *ids) {
    int k = ts->scheme == AX_NER_BIOES ? 4 : 2; // ids of type t: 1 + k·t + (B 0, I 1, E 2, S 3)
    for (int i = 0; i < n; i++) ids[i] = 0;
    for (int s = 0; s < n_spans; s++) {
        const ax_ner_span *sp = &spans[s];
        int base = 1 + k * sp->type;
        for (int i = sp->start; i < sp->end; i++) ids[i] = base + 1;
        bool adjacent_same = s > 0 && spans[s - 1].end == sp->start && spans[s - 1].type == sp->type;
        if (ts->scheme == AX_NER_IOB2 || (ts->scheme == AX_NER_IOB1 && adjacent_same)) ids[sp->start] = base;
        if (ts->scheme == AX_NER_BIOES) {
            ids[sp->start] = base;
            ids[sp->end - 1] = sp->end - sp->start == 1 ? base + 3 : base + 2;
        }
    }
}

void ax_ner_ids_repair(const ax_tagset *ts, int32_t *ids, int n) {
    if (n <= 0) return;
    ax_ner_span *spans = malloc((size_t)n * sizeof *spans);
    AX_ASSERT(spans, "out of memory");
    ax_ner_spans_to_ids(ts, spans, ax_ner_ids_to_spans(ts, ids, n, spans), n, ids);
    free(spans);
}
