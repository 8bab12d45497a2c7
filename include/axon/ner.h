/* axon/ner.h — named-entity data: tag sets, tagging schemes, CoNLL / JSONL files, the gold tokenizer, and the
 * weak labeller (docs/ner.md).
 *
 * Entities are spans of tokens [start, end) of one sentence with a type ("PER", "LOC", "ORG", "MISC", ...). A
 * sentence's tags spell its spans in one of three schemes:
 *   IOB2   B- starts every entity, I- continues it              Elizabeth/B-PER Bennet/I-PER
 *   IOB1   I- everywhere, B- only for an entity that directly follows one of the same type (CoNLL-2003)
 *   BIOES  B- begin, I- inside, E- end, S- a one-token entity
 * Readers accept what conlleval accepts: an I- tag after O or at a sentence start starts an entity (IOB1 style).
 * Strict reading (AX_NER_STRICT) also rejects an I-/E- tag that continues an entity of another type, an E-/I-
 * after a BIOES entity that already ended, and a B-/S-/O after an unfinished BIOES entity, naming the line. */
#ifndef AXON_NER_H
#define AXON_NER_H

#include "base.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define AX_NER_TYPE_MAX 31 // longest entity type name in bytes
#define AX_NER_MAX_TYPES 64 // most entity types one tag set holds

typedef enum {
    AX_NER_IOB2 = 0, // B- begins, I- continues (the default)
    AX_NER_IOB1,     // I- begins too; B- only between two adjacent entities of one type
    AX_NER_BIOES,    // B- I- E- S-
} ax_ner_scheme;

/* ---- tag sets: tag string ⇄ id, "O" = 0 ----
 * Ids: 0 = "O", then for each type t (in order of addition) the scheme's prefixes: IOB1/IOB2 B-t, I-t (ids
 * 1 + 2t, 2 + 2t); BIOES B-t, I-t, E-t, S-t (1 + 4t .. 4 + 4t). */
typedef struct {
    ax_ner_scheme scheme;                     // the prefixes of the tags
    int n_types;                              // entity types
    char types[AX_NER_MAX_TYPES][AX_NER_TYPE_MAX + 1]; // (n_types) type names
} ax_tagset;

void ax_tagset_init(ax_tagset *ts, ax_ner_scheme scheme);           // no types yet: only "O"
int ax_tagset_add_type(ax_tagset *ts, const char *type);           // index of the type (added if new); AX_ERR
int ax_tagset_type(const ax_tagset *ts, const char *type);         // index of a type, -1 if unknown
int ax_tagset_size(const ax_tagset *ts);                           // number of tag ids
int ax_tagset_id(const ax_tagset *ts, const char *tag);            // id of "B-PER" / "O", -1 if not in the set
int ax_tagset_tag(const ax_tagset *ts, int id, char *buf, size_t cap); // the tag text of an id; AX_ERR if out of range
char ax_tagset_prefix(const ax_tagset *ts, int id);                // 'O', 'B', 'I', 'E' or 'S'
int ax_tagset_type_of(const ax_tagset *ts, int id);                // type index of an id, -1 for O
/* Whether tag `next` may follow tag `prev` in a well-formed sequence of the scheme (prev = -1: sentence start,
 * next = -1: sentence end). For constrained decoding (CRF / Viterbi). */
bool ax_tagset_allowed(const ax_tagset *ts, int prev, int next);

/* ---- spans ⇄ tags ---- */
typedef struct {
    int32_t start, end; // tokens [start, end) of the sentence
    int32_t type;       // index into the tag set's types
} ax_ner_span;

/* Tag ids of one n-token sentence (ids, n) → spans (at most n; returns how many). Ill-formed sequences are
 * read as conlleval reads them (an I- or E- after O or another type starts an entity). */
int ax_ner_ids_to_spans(const ax_tagset *ts, const int32_t *ids, int n, ax_ner_span *spans);
/* Spans (sorted, not overlapping, inside 0..n) → tag ids of an n-token sentence in the tag set's scheme. */
void ax_ner_spans_to_ids(const ax_tagset *ts, const ax_ner_span *spans, int n_spans, int n, int32_t *ids);
/* Makes the tags of an n-token sequence well-formed in the scheme, keeping the entities conlleval reads in them: an
 * I- or E- that opens an entity becomes B- (or S-), an entity that stops at the end gets its E- (ids → spans → ids).
 * For a piece cut out of a longer sentence, whose first tag may continue an entity of the piece before it. */
void ax_ner_ids_repair(const ax_tagset *ts, int32_t *ids, int n);

/* ---- sentences with entities: what the files hold ---- */
typedef struct {
    int64_t n_sents;       // sentences
    int64_t n_tokens;      // tokens of all sentences
    int64_t *sent_start;   // (n_sents + 1) first token of each sentence; [n_sents] = n_tokens
    char **tokens;         // (n_tokens) NUL-terminated token texts, owned (one malloc each)
    int64_t *line;         // (n_tokens) 1-based line of the token in the file it came from, 0 if none
    int64_t n_spans;       // entities of all sentences
    ax_ner_span *spans;    // (n_spans) by sentence, then start; token indices within their sentence
    int64_t *span_start;   // (n_sents + 1) first span of each sentence
    ax_tagset tags;        // the entity types (scheme: the one the corpus was read in)
    bool labelled;         // false for raw text (no tags at all)
} ax_ner_corpus;

void ax_ner_corpus_init(ax_ner_corpus *c);
void ax_ner_corpus_free(ax_ner_corpus *c);
/* Appends a sentence of n tokens (copied) with its spans (types index c->tags, token indices within it). */
int ax_ner_corpus_add(ax_ner_corpus *c, const char *const *tokens, int n, const ax_ner_span *spans, int n_spans,
                      const int64_t *lines);

#define AX_NER_STRICT 1 // reading flag: reject ill-formed tag sequences (see the top of this file)

/* A CoNLL file (ax_conll_read: 2+ columns, blank lines between sentences, -DOCSTART-): the token is column 0,
 * the tags column tag_col (−1: the last; −2: the one before it, the gold column of `token gold guess`; 0: none,
 * the sentences are read unlabelled).
 * Tags are read in `scheme`; errors name "path:line". */
int ax_ner_read_conll(const char *path, int tag_col, ax_ner_scheme scheme, int flags, ax_ner_corpus *out);
/* Writes `token tag` lines (or `token gold guess` when guess is not NULL: a corpus with the same tokens) in
 * `scheme`, a blank line after each sentence, atomically (ax_write_file_atomic); path "-" is stdout. */
int ax_ner_write_conll(const char *path, const ax_ner_corpus *gold, const ax_ner_corpus *guess,
                       ax_ner_scheme scheme);
/* The same text into a malloc'd string (*len bytes, NUL-terminated). */
int ax_ner_format_conll(const ax_ner_corpus *gold, const ax_ner_corpus *guess, ax_ner_scheme scheme, char **text,
                        size_t *len);

/* JSON lines, one sentence each: {"tokens": ["Mr.", "Darcy"], "spans": [{"start": 1, "end": 2, "label": "PER"}]}
 * with end exclusive. Reading rejects missing fields, empty tokens, and spans out of range or overlapping, with
 * the line number. */
int ax_ner_read_jsonl(const char *path, ax_ner_corpus *out);
int ax_ner_write_jsonl(const char *path, const ax_ner_corpus *c); // atomic; "-" is stdout

/* Reads tag strings of one sentence (n of them) into spans of c's tag set (types are added as met); where is
 * "path:line" of the first tag for messages and lines the line of each token (NULL: none). AX_ERR for a tag
 * that is neither "O" nor PREFIX-TYPE with a prefix of the scheme, and (strict) for ill-formed sequences. */
int ax_ner_tags_to_spans(ax_tagset *ts, const char *const *tags, int n, int flags, const char *path,
                         const int64_t *lines, ax_ner_span *spans, int *n_spans);

/* ---- raw text ---- */
/* The gold tokenization (data/ner-gold/README.md): the Python regex, Unicode \w,
 *     (?:Mr|Mrs|Dr|St|Messrs|Esq)\.|\w+(?:['’-]\w+)*|[^\w\s]
 * over text[0..len). Each token is (*starts)[i], (*lens)[i] bytes (malloc'd arrays, *n of them). */
int ax_ner_tokenize(const char *text, size_t len, int64_t **starts, int64_t **lens, int64_t *n);
/* Raw text → sentences of tokens, appended to out (unlabelled). Underscores (italics in Project Gutenberg
 * texts) are removed first. by_line: every non-empty line is one sentence (a verse a line); otherwise
 * paragraphs end at blank lines and sentences after . ! ? (and closing quotes) when the next token starts with a
 * capital letter, a digit or an opening quote. Sentences longer than max_tokens are cut into pieces; *n_cut (may
 * be NULL) gets how many were. */
int ax_ner_split_text(const char *text, size_t len, int max_tokens, bool by_line, ax_ner_corpus *out, int64_t *n_cut);

/* ---- weak labelling ---- */
typedef struct ax_weak_labeler ax_weak_labeler; // gazetteers + labelling functions; opaque

typedef enum {
    AX_WEAK_VOTE = 0,       // majority vote of the labelling functions per token (ties: the more precise LF)
    AX_WEAK_DAWID_SKENE,    // Dawid–Skene: per-LF confusion matrices and class priors fitted by EM
} ax_weak_aggregate;

/* Loads the gazetteers from dir (NULL: $AXON_DATA/ner, else the source tree's data/ner). AX_ERR if missing. */
int ax_weak_labeler_load(const char *dir, ax_weak_labeler **out);
void ax_weak_labeler_free(ax_weak_labeler *wl);
int ax_weak_n_lfs(const ax_weak_labeler *wl);
const char *ax_weak_lf_name(const ax_weak_labeler *wl, int lf);

/* The votes of every labelling function on every token of c: votes (n_tokens, n_lfs), −1 = abstain, else a tag
 * id of the IOB2 tag set types (PER, LOC, ORG, MISC) as *types is filled. Malloc'd. */
int ax_weak_votes(const ax_weak_labeler *wl, const ax_ner_corpus *c, ax_tagset *types, int8_t **votes);
/* Aggregates votes (n_tokens, n_lfs) — a class 0 .. n_classes−1 (≤ 127) or −1 for an abstention — into one class
 * per token (out, n_tokens). Dawid–Skene runs iters EM iterations from the majority vote. */
void ax_weak_aggregate_votes(const int8_t *votes, int64_t n_tokens, int n_lfs, int n_classes,
                             ax_weak_aggregate how, int iters, int32_t *out);
/* Gazetteer features for a tagger: per token and word list (bible, titled, names, wordnet, iso, tribes), the class
 * of the list's longest match over the token as the gazetteer labelling functions find it (capitalised names that
 * are not common words): 0 = none, else the IOB2 tag id of its type (B = 1 + 2·type, I = 2 + 2·type; types PER,
 * LOC, ORG, MISC). feat (n, AX_WEAK_GAZ_LISTS). */
#define AX_WEAK_GAZ_LISTS 6   // word lists a token is looked up in
#define AX_WEAK_GAZ_CLASSES 9 // classes of one lookup: none + B/I of 4 types
void ax_weak_gaz_features(const ax_weak_labeler *wl, const char *const *tok, int n, int32_t *feat);
/* Writes the labeller's word lists and case statistics to dir (created), as ax_weak_labeler_load reads them. */
int ax_weak_labeler_save(const ax_weak_labeler *wl, const char *dir);

/* Labels the sentences of text (tokens kept) into out: its spans, from the aggregated votes. If report is not
 * NULL, prints each LF's coverage, overlaps and conflicts (and, for a labelled c, precision on its tags). */
int ax_weak_label(const ax_weak_labeler *wl, const ax_ner_corpus *c, ax_weak_aggregate how, FILE *report,
                  ax_ner_corpus *out);

/* ---- generative NER: a sentence's entities as text (docs/ner.md, "Generative NER") ----
 * The target a seq2seq model learns for a sentence is its entity list in order, each entity's tokens joined by
 * spaces and followed by its type in angle brackets, separated by " ; ": "Elizabeth Bennet <PER> ; London <LOC>",
 * or AX_NER_GEN_NONE when the sentence has none. */
#define AX_NER_GEN_NONE "<none>"

/* The entity list of sentence s of c, malloc'd. */
char *ax_ner_gen_format(const ax_ner_corpus *c, int64_t s);
/* A generated entity list back to spans of the sentence toks[0 .. n): the items (tokens then "<TYPE>"; ";" between
 * items) are taken left to right, each matched to the first run of tokens equal to its tokens none of which an
 * earlier item took. Items of a type ts lacks, without tokens, without a type, or that match nowhere are dropped
 * and counted in *dropped. spans (room for n) get the matches sorted by start; returns how many. */
int ax_ner_gen_spans(const char *text, const char *const *toks, int n, const ax_tagset *ts, ax_ner_span *spans,
                     int *dropped);

#endif
