/* IDX files and labelled image sets (see axon/data.h).
 *
 * zlib's gzread reads gzip and raw files alike. The element buffer grows as data arrives, so a tiny file that
 * claims huge dimensions fails as truncated without first allocating what it claims. */
#include "axon/data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IDX_UBYTE 0x08               // the element-type byte of unsigned-byte data
#define IDX_FIRST_CHUNK (16u << 20)  // bytes allocated before the data proves to be that long

/* Reads up to len bytes; returns the count read (short at end of file) or −1 after ax_error on corrupt data. */
static int64_t gz_read_all(gzFile f, const char *path, uint8_t *dst, int64_t len) {
    int64_t got = 0;
    while (got < len) {
        int64_t want = len - got > (1 << 30) ? (1 << 30) : len - got;
        int n = gzread(f, dst + got, (unsigned)want);
        if (n < 0) {
            int err;
            const char *msg = gzerror(f, &err);
            return ax_error("%s: corrupt gzip data (%s)", path, msg);
        }
        if (n == 0) break;
        got += n;
    }
    return got;
}

static int read_header(gzFile f, const char *path, ax_idx *out) {
    uint8_t magic[4], dims[4 * AX_IDX_MAX_DIMS];
    int64_t got = gz_read_all(f, path, magic, 4);
    if (got < 0) return AX_ERR;
    if (got < 4) return ax_error("%s: truncated IDX header (%lld of 4 bytes)", path, (long long)got);
    if (magic[0] != 0 || magic[1] != 0)
        return ax_error("%s: not an IDX file (magic bytes %02x %02x %02x %02x)", path, magic[0], magic[1], magic[2],
                        magic[3]);
    if (magic[2] != IDX_UBYTE)
        return ax_error("%s: IDX element type 0x%02x is not supported (only unsigned bytes, 0x08)", path, magic[2]);
    out->ndim = magic[3];
    if (out->ndim < 1 || out->ndim > AX_IDX_MAX_DIMS)
        return ax_error("%s: IDX file declares %d dimensions (expected 1 to %d)", path, out->ndim, AX_IDX_MAX_DIMS);
    got = gz_read_all(f, path, dims, 4 * out->ndim);
    if (got < 0) return AX_ERR;
    if (got < 4 * out->ndim) return ax_error("%s: truncated IDX header (dimension sizes missing)", path);
    int64_t numel = 1;
    for (int d = 0; d < out->ndim; d++) {
        const uint8_t *b = dims + 4 * d;
        out->shape[d] = (int64_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
        if (out->shape[d] == 0) return ax_error("%s: IDX dimension %d has size 0", path, d);
        if (out->shape[d] > AX_IDX_MAX_BYTES / numel)
            return ax_error("%s: IDX dimensions are too large (more than %lld bytes of data)", path,
                            (long long)AX_IDX_MAX_BYTES);
        numel *= out->shape[d];
    }
    return AX_OK;
}

/* Reads exactly numel bytes into a growing buffer, then checks that nothing follows. */
static int read_data(gzFile f, const char *path, int64_t numel, uint8_t **data) {
    int64_t cap = numel < IDX_FIRST_CHUNK ? numel : IDX_FIRST_CHUNK, got = 0, n;
    uint8_t *buf = NULL;
    for (;;) {
        uint8_t *grown = realloc(buf, (size_t)cap);
        if (!grown) {
            free(buf);
            return ax_error("%s: out of memory for %lld bytes", path, (long long)cap);
        }
        buf = grown;
        if ((n = gz_read_all(f, path, buf + got, cap - got)) < 0) break;
        got += n;
        if (got < cap) {
            ax_error("%s: truncated IDX data (%lld of %lld bytes)", path, (long long)got, (long long)numel);
            break;
        }
        if (cap == numel) {
            uint8_t extra;
            if ((n = gz_read_all(f, path, &extra, 1)) == 0) {
                *data = buf;
                return AX_OK;
            }
            if (n > 0) ax_error("%s: unexpected bytes after the %lld bytes of IDX data", path, (long long)numel);
            break;
        }
        cap = cap > numel / 2 ? numel : 2 * cap;
    }
    free(buf);
    return AX_ERR;
}

int ax_idx_read(const char *path, ax_idx *out) {
    memset(out, 0, sizeof *out);
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) return ax_error("cannot open %s: %s", path, errno ? strerror(errno) : "out of memory");
    gzbuffer(f, 1u << 17);
    int rc = read_header(f, path, out);
    if (rc == AX_OK) {
        int64_t numel = 1;
        for (int d = 0; d < out->ndim; d++) numel *= out->shape[d];
        rc = read_data(f, path, numel, &out->data);
    }
    gzclose(f);
    if (rc != AX_OK) memset(out, 0, sizeof *out);
    return rc;
}

void ax_idx_free(ax_idx *x) {
    free(x->data);
    memset(x, 0, sizeof *x);
}

/* ---- labelled image sets ---- */

void ax_image_set_free(ax_image_set *s) {
    free(s->images);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

static int load_labels(const char *path, int64_t n, ax_image_set *out) {
    ax_idx lab;
    if (ax_idx_read(path, &lab) != AX_OK) return AX_ERR;
    int rc = lab.ndim != 1 ? ax_error("%s: a labels file has 1 dimension, this one has %d", path, lab.ndim)
             : lab.shape[0] != n
                 ? ax_error("%s: %lld labels for %lld images", path, (long long)lab.shape[0], (long long)n)
                 : AX_OK;
    if (rc != AX_OK) {
        ax_idx_free(&lab);
        return rc;
    }
    int max = 0;
    for (int64_t i = 0; i < n; i++) max = lab.data[i] > max ? lab.data[i] : max;
    out->labels = lab.data;
    out->n_classes = max + 1;
    return AX_OK;
}

int ax_image_set_load(const char *images_path, const char *labels_path, ax_image_set *out) {
    memset(out, 0, sizeof *out);
    ax_idx img;
    if (ax_idx_read(images_path, &img) != AX_OK) return AX_ERR;
    if (img.ndim != 3) {
        int rc = ax_error("%s: an images file has 3 dimensions (count, rows, columns), this one has %d", images_path,
                          img.ndim);
        ax_idx_free(&img);
        return rc;
    }
    *out = (ax_image_set){.n = img.shape[0], .rows = img.shape[1], .cols = img.shape[2], .images = img.data};
    if (labels_path && load_labels(labels_path, out->n, out) != AX_OK) {
        ax_image_set_free(out);
        return AX_ERR;
    }
    return AX_OK;
}

/* The first existing file among dir/<split>-<kind><sep><rest>[.gz] into path; false if none exists. */
static bool find_split_file(const char *dir, const char *split, const char *kind, const char *rest, char *path,
                            size_t cap) {
    static const char *const seps[] = {"-", "."}, *const exts[] = {".gz", ""};
    for (int s = 0; s < 2; s++)
        for (int e = 0; e < 2; e++) {
            snprintf(path, cap, "%s/%s-%s%s%s%s", dir, split, kind, seps[s], rest, exts[e]);
            FILE *fp = fopen(path, "rb");
            if (fp) {
                fclose(fp);
                return true;
            }
        }
    snprintf(path, cap, "%s/%s-%s-%s.gz", dir, split, kind, rest); // the name the error message shows
    return false;
}

int ax_image_set_load_split(const char *dir, const char *split, ax_image_set *out) {
    memset(out, 0, sizeof *out);
    char images[4096], labels[4096];
    if (!find_split_file(dir, split, "images", "idx3-ubyte", images, sizeof images))
        return ax_error("no %s images in %s (expected %s or the same without .gz)", split, dir, images);
    if (!find_split_file(dir, split, "labels", "idx1-ubyte", labels, sizeof labels))
        return ax_error("no %s labels in %s (expected %s or the same without .gz)", split, dir, labels);
    return ax_image_set_load(images, labels, out);
}

void ax_image_set_batch(const ax_image_set *s, const int64_t *idx, int64_t n, float *x, int32_t *y) {
    const int64_t d = s->rows * s->cols;
    AX_ASSERT(y == NULL || s->labels != NULL, "ax_image_set_batch: labels requested from an unlabelled set");
    for (int64_t i = 0; i < n; i++) {
        AX_ASSERT(idx[i] >= 0 && idx[i] < s->n, "ax_image_set_batch: index %lld outside [0, %lld)",
                  (long long)idx[i], (long long)s->n);
        const uint8_t *p = s->images + idx[i] * d;
        float *xi = x + i * d;
        for (int64_t j = 0; j < d; j++) xi[j] = (float)p[j] / 255.0f; // as torchvision's ToTensor
        if (y) y[i] = s->labels[idx[i]];
    }
}

/* An unbiased integer in [0, bound) (bound ≥ 1) from 64 random bits, by rejection. */
static uint64_t uniform_below(ax_rng *rng, uint64_t bound) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound, r;
    do {
        uint64_t hi = ax_rng_u32(rng);
        r = hi << 32 | ax_rng_u32(rng);
    } while (r >= limit);
    return r % bound;
}

void ax_shuffle(ax_rng *rng, int64_t *idx, int64_t n) {
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)uniform_below(rng, (uint64_t)i + 1), t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

void ax_permutation(ax_rng *rng, int64_t *idx, int64_t n) {
    for (int64_t i = 0; i < n; i++) idx[i] = i;
    ax_shuffle(rng, idx, n);
}
