/* Labelling functions that read the words around a name: titles, deities, "land of", "tribe of", prepositions,
 * place words, and the common-word O votes. Each votes IOB2 ids of the weak types or abstains (−1). */
#include "ner/ner_internal.h"

#include <string.h>

static const char *const TITLES[] = {"Mr.", "Mrs.", "Mr", "Mrs", "Miss", "Sir", "Lady", "Colonel", "Captain", "Dr.",
                                     "Admiral", "Governor", "Lord", "King", "Queen", "Prince", "Princess", "General",
                                     "Lieutenant", "Dame", "Messrs.", "St.", NULL};
static const char *const NEVER[] = {"I", "O", "Oh", "Ah", "Amen", "Monday", "Tuesday", "Wednesday", "Thursday",
                                    "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "June",
                                    "July", "August", "September", "October", "November", "December", NULL};
static const char *const PARTICLES[] = {"de", "d'", "van", "von", "du", "le", "la", NULL}; // inside surnames

bool tok_name_word(const char *t) { return tok_cap(t) && !tok_is(t, TITLES) && !tok_is(t, NEVER); }

// the end of the run of name words starting at i (particles allowed between them; stops after a possessive)
static int name_run(const char *const *tok, int n, int i) {
    while (i < n && tok_name_word(tok[i])) {
        char base[128];
        tok_base(tok[i], base, sizeof base);
        i++;
        if (strcmp(base, tok[i - 1]) != 0) break; // "Darcy's" ends the name
        if (i + 1 < n && tok_is(tok[i], PARTICLES) && tok_name_word(tok[i + 1])) i++;
    }
    return i;
}

/* ---- deities: LORD, God, Jesus Christ, the Holy Ghost, the most High (GUIDELINES: PER) ---- */
static const char *const DEITY[] = {"LORD", "GOD", "God", "Jesus", "Christ", "Almighty", "Jehovah", NULL};
static const char *const DEITY_MID[] = {"Father", "Spirit", "Lord", NULL}; // only inside a sentence

// the end of the deity name starting at i, or i
static int deity_end(const char *const *tok, int n, int i) {
    char w[64];
    tok_base(tok[i], w, sizeof w);
    if (i + 1 < n && strcmp(w, "most") == 0 && strcmp(tok[i + 1], "High") == 0) return i + 2;
    if (i + 1 < n && strcmp(w, "Holy") == 0 && tok_is(tok[i + 1], (const char *const[]){"Ghost", "Spirit", "One", NULL}))
        return i + 2;
    bool lord = strcmp(w, "Lord") == 0 || strcmp(w, "LORD") == 0;
    if (!tok_is(w, DEITY) && !(tok_is(w, DEITY_MID) && !tok_sentence_initial(tok, i))) return i;
    int end = i + 1;
    if (strcmp(w, tok[i]) == 0 && end < n) { // no possessive: "LORD God", "Jesus Christ" continue
        char nx[64];
        tok_base(tok[end], nx, sizeof nx);
        bool god = strcmp(nx, "God") == 0 || strcmp(nx, "GOD") == 0;
        if ((lord && god) || (strcmp(w, "Jesus") == 0 && strcmp(nx, "Christ") == 0)) end++;
        else if (strcmp(w, "Lord") == 0 && tok_name_word(tok[end])) return i; // "Lord Jesus": a title
    }
    return end;
}

void lf_deity(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride) {
    for (int i = 0; i < n;) {
        int end = deity_end(tok, n, i);
        if (end > i) vote_span(votes, stride, i, end, WEAK_PER);
        i = end > i ? end : i + 1;
    }
}

/* ---- a title and a capitalised name → PER, title left out ---- */
void lf_title(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride) {
    for (int i = 0; i + 1 < n; i++) {
        if (!tok_is(tok[i], TITLES) || tok_all_caps(tok[i + 1]) || deity_end(tok, n, i) > i + 1) continue;
        int end = name_run(tok, n, i + 1);
        if (end > i + 1) vote_span(votes, stride, i + 1, end, WEAK_PER);
    }
}

/* ---- "land of X", "king of X", "mount X" → LOC; "tribe of X", "children of X" → MISC (or PER for a clan) ---- */
static const char *const PLACE_OF[] = {"land", "lands", "city", "cities", "king", "kings", "queen", "wilderness",
                                       "plains", "plain", "valley", "rivers", "streets", "borders", "border", "coast",
                                       "coasts", "country", "province", "towns", "villages", "mountains", NULL};
static const char *const PLACE_BEFORE[] = {"mount", "river", "brook", "sea", "valley", "city", "town", NULL};
static const char *const PEOPLE_OF[] = {"children", "house", "elders", "remnant", "congregation", "families", "people",
                                        "tribes", "tribe", "daughters", "sons", "virgin", "men", "Holy", "God",
                                        "princes", "heads", NULL};

// whether word is a tribe or people name (tribes.tsv)
static bool tribe(const ax_weak_labeler *wl, const char *w) {
    char base[128];
    tok_base(w, base, sizeof base);
    const char *k[1] = {base};
    return gazetteer_find(&wl->gaz[GAZ_TRIBES], k, 1) != NULL;
}

void lf_of_context(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride) {
    for (int i = 1; i < n; i++) {
        if (!tok_name_word(tok[i]) || deity_end(tok, n, i) > i) continue;
        int end = name_run(tok, n, i);
        bool of = i >= 2 && strcmp(tok[i - 1], "of") == 0;
        if ((of && tok_is(tok[i - 2], PLACE_OF)) || tok_is(tok[i - 1], PLACE_BEFORE))
            vote_span(votes, stride, i, end, WEAK_LOC);
        else if (of && (strcmp(tok[i - 2], "tribe") == 0 || strcmp(tok[i - 2], "tribes") == 0))
            vote_span(votes, stride, i, end, WEAK_MISC);
        else if (of && tok_is(tok[i - 2], PEOPLE_OF))
            vote_span(votes, stride, i, end, tribe(wl, tok[i]) ? WEAK_MISC : WEAK_PER);
        i = end - 1;
    }
}

/* ---- a preposition of place and a capitalised word that is not a known person → LOC ---- */
static const char *const PLACE_PREPS[] = {"to", "from", "at", "in", "into", "toward", "towards", "near", "through",
                                          "round", "about", NULL};

static bool known_person(const ax_weak_labeler *wl, const char *const *tok, int i) {
    char base[128];
    tok_base(tok[i], base, sizeof base);
    const char *k[1] = {base};
    for (int g = GAZ_BIBLE; g <= GAZ_NAMES; g++) {
        const int64_t *c = gazetteer_find(&wl->gaz[g], k, 1);
        if (c && gazetteer_best_type(c) == WEAK_PER) return true;
    }
    return false;
}

void lf_prep_place(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride) {
    for (int i = 1; i < n; i++)
        if (tok_is(tok[i - 1], PLACE_PREPS) && tok_name_word(tok[i]) && !tok_all_caps(tok[i]) &&
            deity_end(tok, n, i) == i && !known_person(wl, tok, i) && !tok_common(wl, tok, i))
            vote_span(votes, stride, i, name_run(tok, n, i), WEAK_LOC);
}

/* ---- names ending in a place word: "Mansfield Park", "Northanger Abbey" → LOC ---- */
static const char *const PLACE_WORDS[] = {"Park", "Hall", "Abbey", "Lodge", "Street", "Place", "Cottage", "House",
                                          "Court", "Grove", "Farm", "Buildings", "Square", "Castle", "Church", "Rooms",
                                          "Crescent", "Common", "Manor", "Priory", "Parsonage", "Inn", "Arms", NULL};

void lf_place_word(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride) {
    for (int i = 0; i + 1 < n; i++) {
        int end = name_run(tok, n, i);
        if (end > i + 1 && tok_is(tok[end - 1], PLACE_WORDS)) vote_span(votes, stride, i, end, WEAK_LOC);
        if (end > i) i = end - 1;
    }
}

/* ---- O for words that are no names: lower case, punctuation, numbers, titles, common capitalised words ---- */
void lf_common(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride) {
    for (int i = 0; i < n; i++) {
        const char *t = tok[i];
        bool letter = (t[0] >= 'a' && t[0] <= 'z') || tok_cap(t);
        if (!letter || !tok_cap(t) || tok_is(t, TITLES) || tok_is(t, NEVER) ||
            (!tok_all_caps(t) && tok_common(wl, tok, i)))
            votes[i * stride] = 0;
    }
}

/* ---- a capitalised word inside a sentence that is not a common word → PER (most names are people's) ---- */
void lf_proper(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride) {
    for (int i = 0; i < n; i++) {
        if (!tok_name_word(tok[i]) || tok_all_caps(tok[i]) || tok_common(wl, tok, i)) continue;
        int end = name_run(tok, n, i);
        if (!tok_sentence_initial(tok, i)) vote_span(votes, stride, i, end, WEAK_PER);
        i = end - 1;
    }
}
