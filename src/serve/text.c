/* The generated text of a choice: stop strings and UTF-8 boundaries (see gen.h). A token may end in the middle
 * of a UTF-8 character (byte-level BPE) or of a stop string, so the text shown to the client lags behind the
 * text generated until the next token settles it. */
#define _GNU_SOURCE // memmem
#include "serve/gen.h"

#include <stdlib.h>
#include <string.h>

bool gen_text_add(gen_text *t, const char *piece, size_t n, char *const *stop, int n_stop) {
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

size_t gen_text_safe(const gen_text *t, char *const *stop, int n_stop, bool final) {
    if (final) return t->len;
    size_t hold = 0;
    for (int i = 0; i < n_stop; i++) {
        size_t m = partial_stop(t->buf, t->len, stop[i]);
        if (m > hold) hold = m;
    }
    size_t safe = utf8_complete(t->buf, t->len - hold);
    return safe > t->shown ? safe : t->shown;
}

// bytes of the valid UTF-8 character at s[0..n), or 0 if it is not one (overlong, surrogate, > U+10FFFF, cut)
static int utf8_valid_at(const unsigned char *s, size_t n) {
    int k = utf8_seq_len(s[0]);
    if (k == 0 || (size_t)k > n) return 0;
    for (int i = 1; i < k; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (k == 1) return 1;
    uint32_t cp = s[0] & (0x7F >> k);
    for (int i = 1; i < k; i++) cp = cp << 6 | (s[i] & 0x3F);
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    bool ok = cp >= min_cp[k] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    return ok ? k : 0;
}

char *utf8_clean(const char *s, size_t n) {
    char *out = malloc(3 * n + 1), *o = out; // each bad byte becomes 3 bytes (U+FFFD)
    AX_ASSERT(out, "out of memory");
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        int k = u[i] ? utf8_valid_at(u + i, n - i) : 0; // NUL is replaced too: C strings carry the text
        if (k) {
            memcpy(o, u + i, (size_t)k);
            o += k;
            i += (size_t)k;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    *o = '\0';
    return out;
}
