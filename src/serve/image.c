/* Images for POST /v1/classify (see image.h): JSON pixel arrays, base64, PGM, and box-filter resizing. */
#include "serve/image.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- base64 (RFC 4648; whitespace ignored, padding optional) ------------------------------------------------- */
static int b64_value(int c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' || c == '-' ? 62 : c == '/' || c == '_' ? 63 : -1; // standard and URL-safe alphabets
}

static uint8_t *b64_decode(const char *s, size_t *n_out) {
    size_t len = strlen(s), n = 0;
    uint8_t *out = malloc(len / 4 * 3 + 3);
    if (!out) return NULL;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len && s[i] != '='; i++) {
        if (isspace((unsigned char)s[i])) continue;
        int v = b64_value((unsigned char)s[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = acc << 6 | (uint32_t)v;
        if ((bits += 6) >= 8) out[n++] = (uint8_t)(acc >> (bits -= 8));
    }
    *n_out = n;
    return out;
}

/* ---- PGM (netpbm P2 plain / P5 raw, maxval up to 65535) ---------------------------------------------------------- */
// the next decimal number of a PGM header (skipping whitespace and # comments); -1 if none
static long pgm_number(const uint8_t *d, size_t n, size_t *at) {
    for (;;) {
        while (*at < n && isspace(d[*at])) (*at)++;
        if (*at < n && d[*at] == '#')
            while (*at < n && d[*at] != '\n') (*at)++;
        else break;
    }
    if (*at >= n || !isdigit(d[*at])) return -1;
    long v = 0;
    while (*at < n && isdigit(d[*at]) && v < 1000000) v = v * 10 + (d[(*at)++] - '0');
    return v;
}

static int pgm_decode(const uint8_t *d, size_t n, serve_image *img) {
    size_t at = 2;
    bool plain = d[1] == '2';
    long w = pgm_number(d, n, &at), h = pgm_number(d, n, &at), maxval = pgm_number(d, n, &at);
    if (w < 1 || h < 1 || w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE || maxval < 1 || maxval > 65535)
        return ax_error("PGM: bad header (size 1 to %d a side, maxval 1 to 65535)", IMAGE_MAX_SIDE);
    at++; // the single whitespace byte after maxval
    size_t count = (size_t)w * (size_t)h, bytes = maxval > 255 ? 2 : 1;
    if (!plain && (at > n || n - at < count * bytes)) return ax_error("PGM: the pixel data is too short");
    if (!(img->px = malloc(count))) return ax_error("out of memory");
    for (size_t i = 0; i < count; i++) {
        long v = plain ? pgm_number(d, n, &at) : bytes == 2 ? d[at + 2 * i] << 8 | d[at + 2 * i + 1] : d[at + i];
        if (v < 0 || v > maxval) {
            free(img->px);
            img->px = NULL;
            return ax_error("PGM: pixel %zu is missing or above maxval", i);
        }
        img->px[i] = (uint8_t)((v * 255 + maxval / 2) / maxval);
    }
    img->w = (int)w, img->h = (int)h;
    return AX_OK;
}

int image_decode(const uint8_t *data, size_t n, serve_image *img) {
    img->px = NULL;
    if (n >= 3 && data[0] == 'P' && (data[1] == '2' || data[1] == '5') && isspace(data[2])) return pgm_decode(data, n, img);
    if (n >= 8 && memcmp(data, "\x89PNG", 4) == 0) return png_decode(data, n, img);
    return ax_error("the image must be PGM (P2/P5) or PNG");
}

/* ---- JSON ----------------------------------------------------------------------------------------------------- */
static int pixel(const cJSON *v, uint8_t *out, serve_error *e) {
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 255))
        return serve_fail(e, "image", "pixels must be numbers from 0 to 255");
    *out = (uint8_t)lround(v->valuedouble);
    return AX_OK;
}

// [[row], …] or a flat list (square, or want_w × want_h)
static int from_array(const cJSON *v, int want_w, int want_h, serve_image *img, serve_error *e) {
    int rows = cJSON_GetArraySize(v);
    bool nested = rows > 0 && cJSON_IsArray(cJSON_GetArrayItem(v, 0));
    int w = nested ? cJSON_GetArraySize(cJSON_GetArrayItem(v, 0)) : 0, h = nested ? rows : 0;
    if (!nested) {
        int side = (int)lround(sqrt((double)rows));
        if (rows == want_w * want_h) w = want_w, h = want_h;
        else if (side * side == rows) w = h = side;
    }
    if (w < 1 || h < 1 || w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE)
        return serve_fail(e, "image", "'image' must be rows of pixels or a flat square list (%d×%d for this model)",
                          want_w, want_h);
    if (!(img->px = malloc((size_t)w * (size_t)h))) return serve_fail(e, "image", "out of memory");
    img->w = w, img->h = h;
    int i = 0, rc = AX_OK;
    const cJSON *row, *p;
    cJSON_ArrayForEach(row, v) {
        if (!nested) {
            rc = pixel(row, &img->px[i++], e);
        } else if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != w) {
            rc = serve_fail(e, "image", "every row of 'image' must hold %d pixels", w);
        } else {
            cJSON_ArrayForEach(p, row) if ((rc = pixel(p, &img->px[i++], e)) != AX_OK) break;
        }
        if (rc != AX_OK) break;
    }
    if (rc != AX_OK) free(img->px), img->px = NULL;
    return rc;
}

int image_from_json(const cJSON *v, int want_w, int want_h, serve_image *img, serve_error *e) {
    img->px = NULL;
    if (cJSON_IsArray(v)) return from_array(v, want_w, want_h, img, e);
    if (!cJSON_IsString(v))
        return serve_fail(e, "image", "'image' is required: an array of pixels or base64 PGM/PNG bytes");
    const char *s = v->valuestring, *comma = strchr(s, ',');
    if (strncmp(s, "data:", 5) == 0 && comma) s = comma + 1; // a data URL
    size_t n;
    uint8_t *bytes = b64_decode(s, &n);
    if (!bytes) return serve_fail(e, "image", "'image' is not valid base64");
    int rc = image_decode(bytes, n, img);
    free(bytes);
    return rc == AX_OK ? AX_OK : serve_fail(e, "image", "%s", ax_last_error());
}

/* ---- resizing ----------------------------------------------------------------------------------------------- */
void image_resize(const serve_image *src, int w, int h, uint8_t *out) {
    for (int y = 0; y < h; y++) {
        int y0 = (int)((int64_t)y * src->h / h), y1 = (int)(((int64_t)y + 1) * src->h / h);
        if (y1 <= y0) y1 = y0 + 1;
        for (int x = 0; x < w; x++) {
            int x0 = (int)((int64_t)x * src->w / w), x1 = (int)(((int64_t)x + 1) * src->w / w);
            if (x1 <= x0) x1 = x0 + 1;
            uint64_t sum = 0;
            for (int yy = y0; yy < y1; yy++)
                for (int xx = x0; xx < x1; xx++) sum += src->px[(int64_t)yy * src->w + xx];
            uint64_t cnt = (uint64_t)(y1 - y0) * (uint64_t)(x1 - x0);
            out[y * w + x] = (uint8_t)((sum + cnt / 2) / cnt);
        }
    }
}
