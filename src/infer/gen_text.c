/* Generated text with stop strings (axon/sample.h): what may be shown so far, and where a stop string cuts it. */
#define _GNU_SOURCE // memmem
#include "axon/sample.h"

#include <stdlib.h>
#include <string.h>

bool ax_gen_text_add(ax_gen_text *t, const char *piece, size_t n, const char *const *stop, int n_stop) {
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1) cap *= 2;
        char *b = realloc(t->buf, cap);
        AX_ASSERT(b, "out of memory for generated text");
        t->buf = b;
        t->cap = cap;
    }
    size_t old = t->len;
    memcpy(t->buf + t->len, piece, n);
    t->len += n;
    t->buf[t->len] = '\0';
    size_t cut = t->len + 1; // earliest stop hit
    for (int i = 0; i < n_stop; i++) {
        size_t k = strlen(stop[i]), from = old >= k ? old - k + 1 : 0;
        // memmem: the text may hold NUL bytes decoded from a token
        const char *hit = k ? memmem(t->buf + from, t->len - from, stop[i], k) : NULL;
        if (hit && (size_t)(hit - t->buf) < cut) cut = (size_t)(hit - t->buf);
    }
    if (cut > t->len) return false;
    t->len = cut;
    t->buf[cut] = '\0';
    return true;
}

// length of the longest proper prefix of stop that ends buf[0..len)
static size_t partial_stop(const char *buf, size_t len, const char *stop) {
    size_t k = strlen(stop);
    for (size_t m = k ? k - 1 : 0; m > 0; m--)
        if (m <= len && memcmp(buf + len - m, stop, m) == 0) return m;
    return 0;
}

// bytes in a UTF-8 sequence that starts with byte c (0 for a continuation or invalid byte)
static int utf8_seq_len(unsigned char c) {
    return c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
}

// length of s[0..n) without a trailing incomplete (so far valid) UTF-8 sequence
static size_t utf8_complete(const char *s, size_t n) {
    for (size_t back = 1; back <= 3 && back <= n; back++) {
        unsigned char c = (unsigned char)s[n - back];
        if ((c & 0xC0) == 0x80) continue; // a continuation byte: look further back
        int want = utf8_seq_len(c);
        return want > (int)back ? n - back : n;
    }
    return n;
}

size_t ax_gen_text_safe(const ax_gen_text *t, const char *const *stop, int n_stop, bool final) {
    if (final) return t->len;
    size_t hold = 0;
    for (int i = 0; i < n_stop; i++) {
        size_t m = partial_stop(t->buf, t->len, stop[i]);
        if (m > hold) hold = m;
    }
    size_t safe = utf8_complete(t->buf, t->len - hold);
    return safe > t->shown ? safe : t->shown;
}

void ax_gen_text_free(ax_gen_text *t) {
    free(t->buf);
    *t = (ax_gen_text){0};
}
