/* axon/data.h — data sets: IDX files (the MNIST format), labelled image sets, PGM images, shuffling.
 *
 * IDX (http://yann.lecun.com/exdb/mnist/): 2 zero bytes, an element-type byte (0x08 = unsigned byte), a
 * dimension-count byte, that many big-endian uint32 sizes, then the elements row-major. Files may be gzip
 * compressed (read through zlib) or raw. Readers validate everything and fail with one line, never crash. */
#ifndef AXON_DATA_H
#define AXON_DATA_H

#include "tensor.h"

#define AX_IDX_MAX_DIMS 4                  // most dimensions an IDX file may declare
#define AX_IDX_MAX_BYTES ((int64_t)1 << 31) // larger element data is rejected as corrupt

typedef struct {
    int ndim;                        // 1 .. AX_IDX_MAX_DIMS (labels: 1, images: 3)
    int64_t shape[AX_IDX_MAX_DIMS];  // sizes, outermost first, each ≥ 1
    uint8_t *data;                   // (shape) unsigned bytes, row-major, owned
} ax_idx;

int ax_idx_read(const char *path, ax_idx *out); // .gz or raw, unsigned-byte elements only; AX_ERR with a message
void ax_idx_free(ax_idx *x);

/* A set of grey-scale images with optional class labels. */
typedef struct {
    int64_t n;          // number of images
    int64_t rows, cols; // image size in pixels
    int n_classes;      // 1 + the largest label (0 without labels)
    uint8_t *images;    // (n, rows, cols) pixels, 0 = black, 255 = white; owned
    uint8_t *labels;    // (n) class indices, owned; NULL for an unlabelled set
} ax_image_set;

/* An images file (n, rows, cols) and, unless labels_path is NULL, a labels file (n) with the same n. */
int ax_image_set_load(const char *images_path, const char *labels_path, ax_image_set *out);
/* The MNIST file pair of a split ("train", "t10k") in dir: <split>-images-idx3-ubyte and
 * <split>-labels-idx1-ubyte, each also accepted with "." for the second "-" and with ".gz". */
int ax_image_set_load_split(const char *dir, const char *split, ax_image_set *out);
int ax_pgm_read(const char *path, ax_image_set *out); // one image from a PGM file (P2 or P5), unlabelled
void ax_image_set_free(ax_image_set *s);
/* The network input for images idx[0..n): x (n, rows·cols) = pixel / 255, and y (n) their labels unless y is
 * NULL (the set must then have labels). */
void ax_image_set_batch(const ax_image_set *s, const int64_t *idx, int64_t n, float *x, int32_t *y);

/* Fisher–Yates with numbers from rng: ax_shuffle puts idx[0..n) in a uniformly random order; ax_permutation
 * fills it with a random permutation of 0..n−1. */
void ax_shuffle(ax_rng *rng, int64_t *idx, int64_t n);
void ax_permutation(ax_rng *rng, int64_t *idx, int64_t n);

/* ---- CoNLL column files (named entities) ----
 * One token a line, columns separated by spaces or tabs (2: `token tag`; 3: `token gold guess`; CoNLL-2003's 4:
 * `token POS chunk NER`), sentences separated by blank lines. A line whose first column is -DOCSTART- is a
 * document break and a "-X-" line (CoNLL-2000) a sentence break; neither is a token. */
typedef struct {
    int n_cols;             // columns on every token line
    int64_t n_tokens;       // token lines
    int64_t n_sents;        // sentences (non-empty runs of token lines)
    int64_t n_docs;         // -DOCSTART- lines
    char **cells;           // (n_tokens, n_cols) column texts, NUL-terminated, pointing into text
    int64_t *sent_start;    // (n_sents + 1) first token of each sentence; sent_start[n_sents] = n_tokens
    int64_t *docs_before;   // (n_sents + 1) -DOCSTART- lines just before each sentence; [n_sents]: after the last
    int64_t *line;          // (n_tokens) 1-based line number of each token
    char *text;             // the file's bytes, cut into cells; owned
} ax_conll;

/* Every token line must have the same number of columns, at least min_cols; AX_ERR with "path:line: …". */
int ax_conll_read(const char *path, int min_cols, ax_conll *out);
void ax_conll_free(ax_conll *c);

/* ---- parallel sentence pairs (Anki / Tatoeba TSV) ----
 * `source<TAB>target[<TAB>attribution]` one pair a line. A line with another number of columns or an empty side
 * is skipped with a warning on stderr naming the file and line; blank lines are ignored. */
typedef struct {
    int64_t n;          // pairs read
    int64_t skipped;    // malformed lines skipped
    char **src, **tgt;  // (n) the two sides, NUL-terminated, pointing into text
    char *text;         // the file's bytes, cut into fields; owned
} ax_pairs;

int ax_pairs_read_tsv(const char *path, ax_pairs *out); // AX_ERR only for an unreadable file
void ax_pairs_free(ax_pairs *p);

#endif
