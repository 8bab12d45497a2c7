/* PGM images (netpbm grey maps): "P5" binary or "P2" text, header fields separated by whitespace and
 * "#" comments, samples up to maxval (1..65535; two big-endian bytes per binary sample above 255), scaled to
 * 0..255. The result is a one-image ax_image_set without labels. */
#include "axon/data.h"
#include "axon/io.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define PGM_MAX_BYTES (64u << 20) // a larger file is rejected
#define PGM_MAX_SIDE 16384        // most pixels along one side

typedef struct {
    const uint8_t *p;   // next byte
    const uint8_t *end; // one past the last byte
} pgm_cursor;

static void skip_space_and_comments(pgm_cursor *c) {
    while (c->p < c->end && (isspace(*c->p) || *c->p == '#')) {
        if (*c->p == '#')
            while (c->p < c->end && *c->p != '\n') c->p++;
        else
            c->p++;
    }
}

/* A decimal number ≤ max after optional whitespace/comments; false if there is none or it is too large. */
static bool read_number(pgm_cursor *c, long max, long *value) {
    skip_space_and_comments(c);
    if (c->p >= c->end || !isdigit(*c->p)) return false;
    long v = 0;
    while (c->p < c->end && isdigit(*c->p)) {
        v = 10 * v + (*c->p++ - '0');
        if (v > max) return false;
    }
    *value = v;
    return true;
}

static int read_pixels(pgm_cursor *c, bool binary, long maxval, int64_t npix, uint8_t *dst, const char *path) {
    int bytes = maxval > 255 ? 2 : 1;
    if (binary) {
        if (c->p >= c->end || !isspace(*c->p)) return ax_error("%s: no whitespace after the PGM header", path);
        c->p++;
        if (c->end - c->p < npix * bytes)
            return ax_error("%s: truncated PGM data (%lld of %lld bytes)", path, (long long)(c->end - c->p),
                            (long long)(npix * bytes));
    }
    for (int64_t i = 0; i < npix; i++) {
        long v;
        if (binary) {
            v = bytes == 2 ? (long)c->p[0] << 8 | c->p[1] : c->p[0];
            c->p += bytes;
        } else if (!read_number(c, maxval, &v)) {
            return ax_error("%s: PGM sample %lld is missing or above maxval %ld", path, (long long)i, maxval);
        }
        if (v > maxval) return ax_error("%s: PGM sample %lld is above maxval %ld", path, (long long)i, maxval);
        dst[i] = (uint8_t)((v * 255 + maxval / 2) / maxval);
    }
    return AX_OK;
}

static int parse_pgm(const uint8_t *buf, size_t len, const char *path, ax_image_set *out) {
    pgm_cursor c = {buf, buf + len};
    if (len < 2 || buf[0] != 'P' || (buf[1] != '5' && buf[1] != '2'))
        return ax_error("%s: not a PGM image (expected P5 or P2 at the start)", path);
    bool binary = buf[1] == '5';
    c.p += 2;
    long w, h, maxval;
    if (!read_number(&c, PGM_MAX_SIDE, &w) || !read_number(&c, PGM_MAX_SIDE, &h) || w == 0 || h == 0)
        return ax_error("%s: bad PGM size (width and height must be 1 to %d)", path, PGM_MAX_SIDE);
    if (!read_number(&c, 65535, &maxval) || maxval == 0)
        return ax_error("%s: bad PGM maxval (must be 1 to 65535)", path);
    uint8_t *pixels = malloc((size_t)(w * h));
    if (!pixels) return ax_error("%s: out of memory", path);
    if (read_pixels(&c, binary, maxval, (int64_t)w * h, pixels, path) != AX_OK) {
        free(pixels);
        return AX_ERR;
    }
    *out = (ax_image_set){.n = 1, .rows = h, .cols = w, .images = pixels};
    return AX_OK;
}

int ax_pgm_read(const char *path, ax_image_set *out) {
    memset(out, 0, sizeof *out);
    void *buf;
    size_t len;
    if (ax_read_file(path, PGM_MAX_BYTES, &buf, &len) != AX_OK) return AX_ERR;
    int rc = parse_pgm(buf, len, path, out);
    free(buf);
    return rc;
}
