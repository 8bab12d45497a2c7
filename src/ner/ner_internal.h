/* Internals of src/ner/: text output buffers and the labelling functions' shared view of a sentence. */
#ifndef AX_NER_INTERNAL_H
#define AX_NER_INTERNAL_H

#include "axon/ner.h"
#include "tokenize/hashmap.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct {
    char *p;         // the text, NUL-terminated (NULL while empty)
    size_t len, cap; // bytes used / allocated
    bool failed;     // an allocation failed: later puts do nothing
} text_buf;

void text_put(text_buf *b, const char *s);        // appends s
void text_putn(text_buf *b, const char *s, size_t n); // appends n bytes of s
/* Hands the text over (*text malloc'd, *len bytes); AX_ERR (buffer freed) if an allocation failed. */
int text_take(text_buf *b, char **text, size_t *len);
int ner_write_text(const char *path, const char *text, size_t len); // atomically, or stdout for "-"
int text_write(text_buf *b, const char *path); // b's text (taken) to path by ner_write_text


/* ---- gazetteers (data/ner/ TSV files: `entry<TAB>TYPE<TAB>count`, an entry = tokens joined by spaces) ---- */
enum { WEAK_PER, WEAK_LOC, WEAK_ORG, WEAK_MISC, WEAK_N_TYPES }; // the weak labeller's entity types

typedef struct {
    strmap map;        // entry → index into counts
    int64_t (*counts)[WEAK_N_TYPES]; // (map.n) evidence per type
    int max_tokens;    // longest entry in tokens
} gazetteer;

int gazetteer_load(gazetteer *g, const char *path); // AX_ERR with "path:line: ..." for a malformed line
void gazetteer_free(gazetteer *g);
int gazetteer_save(const gazetteer *g, const char *path); // in the format gazetteer_load reads
/* The entry made of the n tokens (joined by spaces) → its counts, or NULL. */
const int64_t *gazetteer_find(const gazetteer *g, const char *const *tokens, int n);
int gazetteer_best_type(const int64_t *counts); // the type with the most evidence, −1 on a tie

/* Corpus case statistics (case.tsv: `word<TAB>capitalised inside a sentence<TAB>lower case`). */
typedef struct {
    strmap map;          // lower-cased word → index
    int64_t (*counts)[2]; // (map.n) [capitalised inside a sentence, lower case]
} case_stats;

int case_stats_load(case_stats *c, const char *path);
void case_stats_free(case_stats *c);
int case_stats_save(const case_stats *c, const char *path); // in the format case_stats_load reads
/* Whether the token is usually a common word: seen lower case at least 1/factor times as often as capitalised
 * inside a sentence (factor 1 inside a sentence; a larger one at a sentence start, where capitals say little). */
bool case_stats_common(const case_stats *c, const char *token, int factor);

/* ---- the weak labeller ---- */
enum { GAZ_BIBLE, GAZ_TITLED, GAZ_NAMES, GAZ_WORDNET, GAZ_ISO, GAZ_TRIBES, N_GAZ }; // data/ner/ TSV files files

struct ax_weak_labeler {
    gazetteer gaz[N_GAZ]; // the word lists
    case_stats cases;     // how often words are capitalised inside a sentence
};

/* A labelling function: votes on the n tokens of one sentence, writing votes[i · stride] for token i: −1
 * abstain (already set), 0 = O, else an IOB2 tag id of the weak types (B = 1 + 2·type, I = 2 + 2·type). */
typedef void (*weak_lf_fn)(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride);

typedef struct {
    const char *name;  // for reports: "gaz_bible", "title_per", ...
    weak_lf_fn run;    // the function
} weak_lf;

/* The labelling functions (weak_lf_context.c, weak_lf_gaz.c), in the order of WEAK_LFS. */
void lf_deity(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride);
void lf_title(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride);
void lf_of_context(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride);
void lf_place_word(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride);
void lf_gaz_bible(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride);
void lf_gaz_titled(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride);
void lf_gaz_names(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride);
void lf_gaz_wordnet(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride);
void lf_gaz_iso(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride);
void lf_suffix(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride);
void lf_language(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride);
void lf_prep_place(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride);
void lf_proper(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride);
void lf_common(const ax_weak_labeler *wl, const char *const *tok, int n, int8_t *votes, int stride);

extern const weak_lf WEAK_LFS[]; // (WEAK_N_LFS) most precise first (ties of the majority vote go to the first)
extern const int WEAK_N_LFS;

/* Token tests shared by the labelling functions. */
bool tok_cap(const char *t);            // starts with a capital letter
bool tok_all_caps(const char *t);       // two or more letters, all capitals ("LORD")
bool tok_is(const char *t, const char *const *words); // t is one of the NULL-terminated words
bool tok_name_word(const char *t);      // capitalised, and not a title ("Mrs.") or a non-name ("I", "Monday")
bool tok_sentence_initial(const char *const *tok, int i); // first word, or after an opening quote or . ! ? ¶
bool tok_common(const ax_weak_labeler *wl, const char *const *tok, int i); // a common word here (case statistics)
void tok_base(const char *t, char *buf, size_t cap);      // t without a possessive 's / ’s / ' ending
void vote_span(int8_t *votes, int stride, int start, int end, int type); // B- then I- of type on [start, end)
/* The --lf-report table: per LF coverage, overlaps, conflicts with the aggregate, and (labelled c) precision.
 * cls_votes (n_tokens, WEAK_N_LFS) and cls (n_tokens): token classes, 0 = O, 1 + weak type. */
void weak_report(const ax_ner_corpus *c, const int8_t *cls_votes, const int32_t *cls, FILE *fp);

#endif
