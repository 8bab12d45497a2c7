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

#endif
