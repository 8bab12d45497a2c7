/* The labelling functions' report: how much each one labels, how often it overlaps or conflicts with the others,
 * how often the aggregate agrees with it, and its precision where the input carries gold tags. */
#include "ner/ner_internal.h"

#include <stdlib.h>
#include <string.h>

// gold classes (0 = O, 1 + weak type) of every token of a labelled corpus whose types are weak type names
static int32_t *gold_classes(const ax_ner_corpus *c) {
    static const char *const NAMES[WEAK_N_TYPES] = {"PER", "LOC", "ORG", "MISC"};
    int32_t *g = calloc((size_t)(c->n_tokens ? c->n_tokens : 1), sizeof *g);
    for (int64_t s = 0; g && s < c->n_sents; s++)
        for (int64_t k = c->span_start[s]; k < c->span_start[s + 1]; k++) {
            int type = -1;
            for (int t = 0; t < WEAK_N_TYPES; t++)
                if (strcmp(c->tags.types[c->spans[k].type], NAMES[t]) == 0) type = t;
            for (int i = c->spans[k].start; i < c->spans[k].end; i++) g[c->sent_start[s] + i] = 1 + type;
        }
    return g;
}

typedef struct {
    int64_t voted;     // tokens it did not abstain on
    int64_t entity;    // tokens it gave an entity class
    int64_t overlaps;  // entity votes where another LF voted an entity class too
    int64_t conflicts; // votes where another LF voted another class
    int64_t agreed;    // votes equal to the aggregate
    int64_t correct;   // entity votes equal to the gold class
} lf_stats;

static void count(const int8_t *v, int32_t agg, int32_t gold, lf_stats *st) {
    for (int j = 0; j < WEAK_N_LFS; j++) {
        if (v[j] < 0) continue;
        bool other_entity = false, other_class = false;
        for (int k = 0; k < WEAK_N_LFS; k++)
            if (k != j && v[k] >= 0) other_entity |= v[k] > 0, other_class |= v[k] != v[j];
        st[j].voted++;
        st[j].entity += v[j] > 0;
        st[j].overlaps += v[j] > 0 && other_entity;
        st[j].conflicts += other_class;
        st[j].agreed += v[j] == agg;
        st[j].correct += v[j] > 0 && v[j] == gold;
    }
}

static double pct(int64_t a, int64_t b) { return b ? 100.0 * (double)a / (double)b : 0.0; }

void weak_report(const ax_ner_corpus *c, const int8_t *cls_votes, const int32_t *cls, FILE *fp) {
    lf_stats st[64] = {{0}};
    int32_t *gold = c->labelled ? gold_classes(c) : NULL;
    for (int64_t i = 0; i < c->n_tokens; i++) count(cls_votes + i * WEAK_N_LFS, cls[i], gold ? gold[i] : -1, st);
    fprintf(fp, "%-12s %9s %9s %9s %9s %9s%s\n", "LF", "votes", "entity%", "overlap%", "conflict%", "agree%",
            gold ? "     prec%" : "");
    for (int j = 0; j < WEAK_N_LFS; j++) {
        fprintf(fp, "%-12s %9lld %9.2f %9.2f %9.2f %9.2f", WEAK_LFS[j].name, (long long)st[j].voted,
                pct(st[j].entity, c->n_tokens), pct(st[j].overlaps, st[j].entity), pct(st[j].conflicts, st[j].voted),
                pct(st[j].agreed, st[j].voted));
        if (gold) fprintf(fp, " %9.2f", pct(st[j].correct, st[j].entity));
        fputc('\n', fp);
    }
    fprintf(fp, "(%lld tokens; entity%%: tokens given an entity type; overlap%%: of those, also by another LF; "
                "conflict%%: another LF voted otherwise; agree%%: the aggregate agrees%s)\n",
            (long long)c->n_tokens, gold ? "; prec%: entity votes of the gold type" : "");
    free(gold);
}
