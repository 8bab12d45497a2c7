/* Labelling functions that look words up: the gazetteers (longest match), name endings, language abbreviations. */
#include "ner/ner_internal.h"

#include <stdlib.h>
#include <string.h>

// longest entry of g starting at token i (the last token without a possessive ending); its length, 0 if none
static int longest_match(const gazetteer *g, const char *const *tok, int n, int i, const int64_t **counts) {
    char base[128];
    const char *key[16];
    int most = g->max_tokens < 16 ? g->max_tokens : 16;
    for (int len = n - i < most ? n - i : most; len >= 1; len--) {
        memcpy(key, tok + i, (size_t)len * sizeof *key);
        tok_base(tok[i + len - 1], base, sizeof base);
        key[len - 1] = base;
        if (!tok_cap(tok[i + len - 1])) continue;
        if ((*counts = gazetteer_find(g, key, len))) return len;
    }
    return 0;
}

// the votes of one gazetteer: capitalised names that are not common words, longest match first
static void gaz_votes(const ax_weak_labeler *wl, const gazetteer *g, const char *const *tok, int n, int8_t *votes,
                      int stride) {
    for (int i = 0; i < n; i++) {
        const int64_t *counts;
        if (!tok_name_word(tok[i]) || tok_common(wl, tok, i)) continue;
        int len = longest_match(g, tok, n, i, &counts);
        if (!len) continue;
        if (gazetteer_best_type(counts) >= 0) vote_span(votes, stride, i, i + len, gazetteer_best_type(counts));
        i += len - 1;
    }
}

void lf_gaz_bible(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride) {
    gaz_votes(wl, &wl->gaz[GAZ_BIBLE], tok, n, votes, stride);
}
void lf_gaz_titled(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride) {
    gaz_votes(wl, &wl->gaz[GAZ_TITLED], tok, n, votes, stride);
}
void lf_gaz_names(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride) {
    gaz_votes(wl, &wl->gaz[GAZ_NAMES], tok, n, votes, stride);
}
void lf_gaz_wordnet(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride) {
    gaz_votes(wl, &wl->gaz[GAZ_WORDNET], tok, n, votes, stride);
}
void lf_gaz_iso(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride) {
    gaz_votes(wl, &wl->gaz[GAZ_ISO], tok, n, votes, stride);
}

_Static_assert(AX_WEAK_GAZ_LISTS == N_GAZ, "a gazetteer feature per word list");
_Static_assert(AX_WEAK_GAZ_CLASSES == 1 + 2 * WEAK_N_TYPES, "no match, B- and I- of each type");

void ax_weak_gaz_features(const ax_weak_labeler *wl, const char *const *tok, int n, int32_t *feat) {
    int8_t *votes = malloc((size_t)(n ? n : 1) * N_GAZ);
    AX_ASSERT(votes, "out of memory");
    memset(votes, -1, (size_t)n * N_GAZ);
    for (int g = 0; g < N_GAZ; g++) gaz_votes(wl, &wl->gaz[g], tok, n, votes + g, N_GAZ);
    for (int64_t i = 0; i < (int64_t)n * N_GAZ; i++) feat[i] = votes[i] < 0 ? 0 : votes[i];
    free(votes);
}

/* ---- endings of peoples' names: Levites, Ithrite, Philistines, Egyptians, Pharisees → MISC ---- */
static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n > m + 2 && strcmp(s + n - m, suffix) == 0;
}

void lf_suffix(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride) {
    static const char *const ENDINGS[] = {"ites", "ite", "ians", "eans", "ees", "ines", "itans", "ish", NULL};
    for (int i = 0; i < n; i++) {
        char base[128];
        tok_base(tok[i], base, sizeof base);
        if (!tok_name_word(tok[i]) || tok_all_caps(base) || tok_common(wl, tok, i)) continue;
        for (const char *const *e = ENDINGS; *e; e++)
            if (ends_with(base, *e)) {
                vote_span(votes, stride, i, i + 1, WEAK_MISC);
                break;
            }
    }
}

/* ---- abbreviated language names in footnotes (": Heb . ...", "or , Chald .") → MISC ---- */
// whether a MISC entry of g starts with the abbreviation a
static bool abbreviates(const gazetteer *g, const char *a) {
    size_t m = strlen(a);
    for (uint32_t e = 0; e < g->map.n; e++) {
        size_t len;
        const char *key = strmap_key(&g->map, e, &len);
        if (len > m && memcmp(key, a, m) == 0 && !memchr(key, ' ', len) && gazetteer_best_type(g->counts[e]) == WEAK_MISC)
            return true;
    }
    return false;
}

void lf_language(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride) {
    for (int i = 1; i + 1 < n; i++) {
        size_t len = strlen(tok[i]);
        if (len < 2 || len > 6 || !tok_name_word(tok[i]) || strcmp(tok[i + 1], ".") != 0) continue;
        if (strcmp(tok[i - 1], ":") != 0 && strcmp(tok[i - 1], ",") != 0) continue;
        if (abbreviates(&wl->gaz[GAZ_WORDNET], tok[i]) || abbreviates(&wl->gaz[GAZ_ISO], tok[i]))
            vote_span(votes, stride, i, i + 1, WEAK_MISC);
    }
}
