/* Images sent to POST /v1/classify: a JSON array of pixels, or PGM / PNG bytes in base64, made grey-scale and
 * resized to the classifier's input. Every decoder validates its input and bounds its output. */
#ifndef AX_SERVE_IMAGE_H
#define AX_SERVE_IMAGE_H

#include "serve/serve.h"

#include <stdint.h>

#define IMAGE_MAX_SIDE 4096 // larger images are refused (a PNG could otherwise inflate to gigabytes)

typedef struct {
    int w, h;    // size in pixels
    uint8_t *px; // (h, w) grey levels, 0 = black, malloc'd
} serve_image;

/* v: [[row], …] (h rows of w numbers) or [h·w numbers] (square, or shaped like want_w × want_h), values 0–255;
 * or a string of base64 PGM / PNG bytes (a "data:…;base64," prefix is allowed). AX_ERR after filling e. */
int image_from_json(const cJSON *v, int want_w, int want_h, serve_image *img, serve_error *e);
/* PGM (P2 / P5) or PNG bytes; AX_ERR with one line (ax_error). */
int image_decode(const uint8_t *data, size_t n, serve_image *img);
int png_decode(const uint8_t *data, size_t n, serve_image *img); // png.c: 8-bit (and 16-bit) non-interlaced PNG
/* Box-filter (area average) resampling of src to w × h into out (w·h bytes). */
void image_resize(const serve_image *src, int w, int h, uint8_t *out);

#endif
