/* axon/eval.h — evaluation metrics.
 *
 * Machine translation: corpus and sentence BLEU and chrF / chrF++ computed exactly as sacreBLEU 2.x does with its
 * defaults (13a tokenisation, mixed case, one reference; BLEU: n-grams up to 4, exponential smoothing, brevity
 * penalty; chrF: character 6-grams without whitespace, β = 2, statistics summed over the corpus).
 * Texts are UTF-8; "whitespace" means what Python's str.split() splits on.
 *
 * Named entities: chunk counts, precision / recall / F1 and the report of the CoNLL `conlleval` script (version
 * 2004-01-26), reproduced decision for decision (IOB1, IOB2, IOE, and its reading of BIOES tags). */
#ifndef AXON_EVAL_H
#define AXON_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define AX_SACREBLEU_VERSION "2.5.1" // the sacreBLEU release whose scores these reproduce (for signatures)
#define AX_BLEU_ORDER 4              // BLEU's largest n-gram
#define AX_CHRF_CHAR_ORDER 6         // chrF's largest character n-gram
#define AX_CHRF_MAX_WORD_ORDER 4     // largest word n-gram order accepted for chrF+ (chrF++ uses 2)
#define AX_CHRF_BETA 2               // recall weighs β² = 4 times precision

/* sacreBLEU's "13a" tokenisation (mteval-v13a) of one segment: trailing whitespace stripped, &quot; &amp; &lt;
 * &gt; unescaped, punctuation split off, tokens joined by single spaces. Returns a malloc'd string. */
char *ax_tok13a(const char *line);

/* The lines of a UTF-8 text file (one segment each; "\n" or "\r\n" line ends; no trailing empty line for a final
 * "\n"): *lines (n of them) is malloc'd, free with ax_segments_free. AX_ERR with a message. */
int ax_segments_read(const char *path, char ***lines, int64_t *n);
void ax_segments_free(char **lines, int64_t n);

/* ---- BLEU ---- */
typedef struct {
    int64_t sys_len;                 // hypothesis tokens
    int64_t ref_len;                 // reference tokens
    int64_t correct[AX_BLEU_ORDER];  // [n−1]: hypothesis n-grams found in the reference (clipped counts)
    int64_t total[AX_BLEU_ORDER];    // [n−1]: hypothesis n-grams
} ax_bleu_stats;

typedef struct {
    double score;                      // 0 .. 100
    double precisions[AX_BLEU_ORDER];  // [n−1]: smoothed n-gram precision in percent
    double bp;                         // brevity penalty
    double ratio;                      // sys_len / ref_len (0 without reference tokens)
    ax_bleu_stats stats;               // the counts it was computed from
} ax_bleu;

void ax_bleu_segment_stats(const char *hyp, const char *ref, ax_bleu_stats *out); // raw texts, tokenised inside
void ax_bleu_stats_add(ax_bleu_stats *acc, const ax_bleu_stats *s);               // acc += s
/* The score of summed statistics with exponential smoothing; effective_order averages only the orders that have
 * hypothesis n-grams (sacreBLEU's sentence-level default). */
ax_bleu ax_bleu_from_stats(const ax_bleu_stats *s, bool effective_order);
ax_bleu ax_corpus_bleu(const char *const *hyps, const char *const *refs, int64_t n); // sacreBLEU corpus_score
double ax_sentence_bleu(const char *hyp, const char *ref);                           // sacreBLEU sentence_score
/* "BLEU = 45.71 81.2/55.0/40.1/30.2 (BP = 1.000 ratio = 1.012 hyp_len = 2602 ref_len = 2757)" into buf. */
void ax_bleu_format(const ax_bleu *b, char *buf, size_t cap);
const char *ax_bleu_signature(void); // "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.5.1"

/* ---- chrF ---- */
typedef struct {
    int word_order;                                            // 0 = chrF, 2 = chrF++
    int64_t hyp[AX_CHRF_CHAR_ORDER + AX_CHRF_MAX_WORD_ORDER];   // per order (chars 1..6, then words): hyp n-grams
    int64_t ref[AX_CHRF_CHAR_ORDER + AX_CHRF_MAX_WORD_ORDER];   // reference n-grams
    int64_t match[AX_CHRF_CHAR_ORDER + AX_CHRF_MAX_WORD_ORDER]; // clipped matches
} ax_chrf_stats;

/* word_order in 0 .. AX_CHRF_MAX_WORD_ORDER. */
void ax_chrf_segment_stats(const char *hyp, const char *ref, int word_order, ax_chrf_stats *out);
void ax_chrf_stats_add(ax_chrf_stats *acc, const ax_chrf_stats *s);
double ax_chrf_from_stats(const ax_chrf_stats *s); // 0 .. 100
double ax_corpus_chrf(const char *const *hyps, const char *const *refs, int64_t n, int word_order);
/* "chrF2" / "chrF2++" and "nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.5.1" into buf. */
void ax_chrf_name(int word_order, char *buf, size_t cap);
void ax_chrf_signature(int word_order, char *buf, size_t cap);

/* ---- conlleval ---- */
typedef struct {
    char *name;            // entity type ("PER"), owned
    int64_t found_correct; // gold chunks of this type
    int64_t found_guessed; // guessed chunks
    int64_t correct;       // guessed chunks that match a gold chunk exactly
} ax_chunk_counts;

typedef struct {
    int64_t tokens;           // tokens (sentence breaks not counted)
    int64_t correct_tags;     // tokens whose guessed tag equals the gold tag
    int64_t found_correct;    // gold chunks
    int64_t found_guessed;    // guessed chunks
    int64_t correct;          // correctly guessed chunks
    int n_types;              // entries of types
    ax_chunk_counts *types;   // (n_types) per entity type, sorted by name after ax_conlleval_finish
    // the scanner's state between tokens (conlleval's variables)
    bool in_correct;          // the chunk being read is correct so far
    char last_correct;        // previous gold tag prefix ('B', 'I', 'O', 'E', '[', ']', '.', or '?' for others)
    char last_guessed;        // previous guessed tag prefix, same coding
    int last_correct_type;    // index into types of the previous gold type
    int last_guessed_type;    // index into types of the previous guessed type
} ax_conlleval;

void ax_conlleval_init(ax_conlleval *ev);
void ax_conlleval_token(ax_conlleval *ev, const char *gold, const char *guess); // tags such as "B-PER", "O"
void ax_conlleval_boundary(ax_conlleval *ev); // a sentence break (blank line)
void ax_conlleval_finish(ax_conlleval *ev);   // after the last token: closes an open chunk, sorts types
void ax_conlleval_free(ax_conlleval *ev);
/* conlleval's percentages: precision = 100·correct/guessed, recall = 100·correct/gold, f1 = their harmonic
 * mean (each 0 when undefined). */
void ax_conlleval_prf(int64_t correct, int64_t guessed, int64_t gold, double *precision, double *recall,
                      double *f1);
char *ax_conlleval_report(const ax_conlleval *ev); // conlleval's text output, malloc'd

#endif
