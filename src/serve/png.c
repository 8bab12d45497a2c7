/* A PNG reader for the classifier endpoint (https://www.w3.org/TR/png/): chunks with their CRCs, IHDR, PLTE,
 * the IDAT stream inflated by zlib into a buffer of exactly the expected size (a decompression bomb cannot
 * grow it), the five row filters, then grey levels: luma for colour, alpha composited over black (the
 * background of the Fashion-MNIST images). Bit depth 8 of every colour type, and 16 (top byte) except
 * palettes; interlaced images are refused. */
#include "serve/image.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

typedef struct {
    uint32_t w, h;      // size
    int depth, type;    // bit depth, colour type (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA)
    int channels;       // samples per pixel
    uint8_t plte[768];  // palette RGB
    int n_plte;         // palette entries
} png_info;

static int read_ihdr(const uint8_t *d, uint32_t len, png_info *p) {
    if (len != 13) return ax_error("PNG: bad IHDR");
    p->w = be32(d), p->h = be32(d + 4), p->depth = d[8], p->type = d[9];
    static const int channels[7] = {1, 0, 3, 1, 2, 0, 4};
    p->channels = p->type <= 6 ? channels[p->type] : 0;
    if (p->w == 0 || p->h == 0 || p->w > IMAGE_MAX_SIDE || p->h > IMAGE_MAX_SIDE)
        return ax_error("PNG: %ux%u pixels (1 to %d a side)", p->w, p->h, IMAGE_MAX_SIDE);
    if (!p->channels || !(p->depth == 8 || (p->depth == 16 && p->type != 3)))
        return ax_error("PNG: colour type %d with %d bits per sample is not supported (8-bit images are)", p->type,
                        p->depth);
    if (d[10] != 0 || d[11] != 0) return ax_error("PNG: unknown compression or filter method");
    if (d[12] != 0) return ax_error("PNG: interlaced images are not supported");
    return AX_OK;
}

// Paeth predictor of the PNG specification
static uint8_t paeth(int a, int b, int c) {
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return (uint8_t)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

// undoes the filters in place: raw holds h rows of (1 filter byte + stride bytes)
static int unfilter(uint8_t *raw, uint32_t h, size_t stride, int bpp) {
    const uint8_t *prev = NULL;
    for (uint32_t y = 0; y < h; y++) {
        uint8_t *row = raw + y * (stride + 1), f = row[0], *x = row + 1;
        if (f > 4) return ax_error("PNG: bad filter type %d", f);
        for (size_t i = 0; i < stride; i++) {
            int a = i >= (size_t)bpp ? x[i - bpp] : 0, b = prev ? prev[i] : 0, c = prev && i >= (size_t)bpp ? prev[i - bpp] : 0;
            x[i] += f == 1 ? a : f == 2 ? b : f == 3 ? (a + b) / 2 : f == 4 ? paeth(a, b, c) : 0;
        }
        prev = x;
    }
    return AX_OK;
}

static uint8_t grey(const png_info *p, const uint8_t *px) {
    int step = p->depth / 8; // 16-bit samples: their top byte
    int s[4] = {0};
    for (int c = 0; c < p->channels; c++) s[c] = px[c * step];
    if (p->type == 3) {
        int i = s[0] < p->n_plte ? s[0] : 0;
        s[0] = p->plte[3 * i], s[1] = p->plte[3 * i + 1], s[2] = p->plte[3 * i + 2];
    }
    bool colour = p->type == 2 || p->type == 3 || p->type == 6;
    int lum = colour ? (299 * s[0] + 587 * s[1] + 114 * s[2] + 500) / 1000 : s[0];
    int alpha = p->type == 4 ? s[1] : p->type == 6 ? s[3] : 255;
    return (uint8_t)((lum * alpha + 127) / 255);
}

// inflates the concatenated IDAT data into exactly out_len bytes
static int inflate_exact(const uint8_t *z, size_t zlen, uint8_t *out, size_t out_len) {
    z_stream s = {.next_in = (Bytef *)z, .avail_in = (uInt)zlen, .next_out = out, .avail_out = (uInt)out_len};
    if (inflateInit(&s) != Z_OK) return ax_error("PNG: zlib failed");
    int rc = inflate(&s, Z_FINISH);
    inflateEnd(&s);
    if (s.avail_out != 0 || (rc != Z_STREAM_END && rc != Z_BUF_ERROR && rc != Z_OK))
        return ax_error("PNG: the image data is corrupt or too short");
    return AX_OK;
}

// walks the chunks: IHDR into p, IDAT concatenated into *z (malloc'd)
static int read_chunks(const uint8_t *data, size_t n, png_info *p, uint8_t **z, size_t *zlen) {
    size_t at = 8, cap = 0;
    bool have_ihdr = false;
    *z = NULL, *zlen = 0;
    while (at + 12 <= n) {
        uint32_t len = be32(data + at);
        const uint8_t *type = data + at + 4, *body = data + at + 8;
        if (len > n - at - 12) return ax_error("PNG: a chunk runs past the end of the file");
        if (be32(body + len) != (uint32_t)crc32(crc32(0, NULL, 0), type, len + 4))
            return ax_error("PNG: bad CRC in a %.4s chunk", (const char *)type);
        if (memcmp(type, "IHDR", 4) == 0) {
            if (read_ihdr(body, len, p) != AX_OK) return AX_ERR;
            have_ihdr = true;
        } else if (memcmp(type, "PLTE", 4) == 0 && len % 3 == 0 && len <= 768) {
            memcpy(p->plte, body, len);
            p->n_plte = (int)(len / 3);
        } else if (memcmp(type, "IDAT", 4) == 0) {
            if (*zlen + len > cap) {
                cap = (*zlen + len) * 2;
                uint8_t *g = realloc(*z, cap);
                if (!g) return ax_error("out of memory");
                *z = g;
            }
            memcpy(*z + *zlen, body, len);
            *zlen += len;
        } else if (memcmp(type, "IEND", 4) == 0) {
            break;
        }
        at += 12 + (size_t)len;
    }
    if (!have_ihdr || !*zlen) return ax_error("PNG: no IHDR or no image data");
    return AX_OK;
}

int png_decode(const uint8_t *data, size_t n, serve_image *img) {
    png_info p = {0};
    uint8_t *z = NULL, *raw = NULL;
    size_t zlen;
    img->px = NULL;
    if (n < 8 || memcmp(data, "\x89PNG\r\n\x1a\n", 8) != 0) return ax_error("not a PNG file");
    int rc = read_chunks(data, n, &p, &z, &zlen);
    size_t bpp = (size_t)p.channels * (size_t)p.depth / 8, stride = (size_t)p.w * bpp;
    if (rc == AX_OK) {
        raw = malloc(p.h * (stride + 1));
        img->px = malloc((size_t)p.w * p.h);
        rc = raw && img->px ? inflate_exact(z, zlen, raw, p.h * (stride + 1)) : ax_error("out of memory");
    }
    if (rc == AX_OK) rc = unfilter(raw, p.h, stride, (int)bpp);
    if (rc == AX_OK) {
        for (uint32_t y = 0; y < p.h; y++)
            for (uint32_t x = 0; x < p.w; x++) img->px[y * p.w + x] = grey(&p, raw + y * (stride + 1) + 1 + x * bpp);
        img->w = (int)p.w, img->h = (int)p.h;
    } else {
        free(img->px);
        img->px = NULL;
    }
    free(z);
    free(raw);
    return rc;
}
