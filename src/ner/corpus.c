/* Sentences with their entity spans: building, freeing, and reading tag strings into spans. */
#include "axon/ner.h"

#include <stdlib.h>
#include <string.h>

void ax_ner_corpus_init(ax_ner_corpus *c) {
    memset(c, 0, sizeof *c);
    ax_tagset_init(&c->tags, AX_NER_IOB2);
}

void ax_ner_corpus_free(ax_ner_corpus *c) {
    for (int64_t i = 0; i < c->n_tokens; i++) free(c->tokens[i]);
    free(c->tokens);
    free(c->line);
    free(c->sent_start);
    free(c->spans);
    free(c->span_start);
    ax_ner_corpus_init(c);
}

// makes room for need elements of elem bytes in *a, whose capacity is the next power of two ≥ have
static int grow(void *a, int64_t have, int64_t need, size_t elem) {
    int64_t cap = 1;
    while (cap < have) cap *= 2;
    if (have > 0 && need <= cap) return AX_OK;
    while (cap < need) cap *= 2;
    void *p = realloc(*(void **)a, (size_t)cap * elem);
    if (!p) return ax_error("out of memory holding the sentences");
    *(void **)a = p;
    return AX_OK;
}

int ax_ner_corpus_add(ax_ner_corpus *c, const char *const *tokens, int n, const ax_ner_span *spans, int n_spans,
                      const int64_t *lines) {
    int64_t t0 = c->n_tokens, s0 = c->n_spans, k = c->n_sents;
    if (grow(&c->tokens, t0, t0 + n, sizeof *c->tokens) || grow(&c->line, t0, t0 + n, sizeof *c->line) ||
        grow(&c->sent_start, k + 1, k + 2, sizeof *c->sent_start) ||
        grow(&c->span_start, k + 1, k + 2, sizeof *c->span_start) ||
        grow(&c->spans, s0, s0 + n_spans, sizeof *c->spans))
        return AX_ERR;
    for (int i = 0; i < n; i++) {
        c->tokens[t0 + i] = strdup(tokens[i]);
        if (!c->tokens[t0 + i]) {
            while (i-- > 0) free(c->tokens[t0 + i]);
            return ax_error("out of memory holding the sentences");
        }
        c->line[t0 + i] = lines ? lines[i] : 0;
    }
    if (n_spans) memcpy(c->spans + s0, spans, (size_t)n_spans * sizeof *spans);
    c->sent_start[0] = c->span_start[0] = 0;
    c->n_tokens += n;
    c->n_spans += n_spans;
    c->sent_start[++c->n_sents] = c->n_tokens;
    c->span_start[c->n_sents] = c->n_spans;
    return AX_OK;
}

// the tag's id in ts (its type added), or AX_ERR when it is not "O" or PREFIX-TYPE of the scheme
static int parse_tag(ax_tagset *ts, const char *tag, const char *path, int64_t line) {
    const char *prefixes = ts->scheme == AX_NER_BIOES ? "BIES" : "BI";
    if (strcmp(tag, "O") == 0) return 0;
    if (!tag[0] || !strchr(prefixes, tag[0]) || tag[1] != '-' || !tag[2])
        return ax_error("%s:%lld: tag '%.40s' is not O or %s-TYPE", path, (long long)line, tag,
                        ts->scheme == AX_NER_BIOES ? "B-/I-/E-/S" : "B-/I");
    if (ax_tagset_add_type(ts, tag + 2) < 0) return ax_error("%s:%lld: %s", path, (long long)line, ax_last_error());
    return ax_tagset_id(ts, tag);
}

// strict mode: the ill-formed transition prev → cur (ids), or AX_OK
static int check_transition(const ax_tagset *ts, int prev, int cur, const char *path, int64_t line) {
    char p = ax_tagset_prefix(ts, prev), q = ax_tagset_prefix(ts, cur);
    bool open = p == 'B' || p == 'I', same = ax_tagset_type_of(ts, prev) == ax_tagset_type_of(ts, cur);
    char buf[2][AX_NER_TYPE_MAX + 3];
    ax_tagset_tag(ts, prev, buf[0], sizeof buf[0]);
    ax_tagset_tag(ts, cur, buf[1], sizeof buf[1]);
    if ((q == 'I' || q == 'E') && open && !same && ts->scheme != AX_NER_IOB1)
        return ax_error("%s:%lld: %s continues a %s entity (a %s entity must start with B-)", path, (long long)line,
                        buf[1], buf[0], ts->types[ax_tagset_type_of(ts, cur)]);
    if (ts->scheme == AX_NER_BIOES && open && (q == 'B' || q == 'S' || q == 'O'))
        return ax_error("%s:%lld: %s after %s: the entity was not closed with E-", path, (long long)line, buf[1],
                        buf[0]);
    return AX_OK;
}

int ax_ner_tags_to_spans(ax_tagset *ts, const char *const *tags, int n, int flags, const char *path,
                         const int64_t *lines, ax_ner_span *spans, int *n_spans) {
    int32_t *ids = malloc((size_t)(n ? n : 1) * sizeof *ids);
    if (!ids) return ax_error("out of memory reading tags");
    int rc = AX_OK;
    for (int i = 0; i < n && rc == AX_OK; i++) {
        int64_t line = lines ? lines[i] : 0;
        ids[i] = parse_tag(ts, tags[i], path, line);
        if (ids[i] < 0) rc = AX_ERR;
        else if (flags & AX_NER_STRICT) rc = check_transition(ts, i ? ids[i - 1] : 0, ids[i], path, line);
    }
    if (rc == AX_OK && (flags & AX_NER_STRICT) && n > 0)
        rc = check_transition(ts, ids[n - 1], 0, path, lines ? lines[n - 1] : 0);
    if (rc == AX_OK) *n_spans = ax_ner_ids_to_spans(ts, ids, n, spans);
    free(ids);
    return rc;
}
