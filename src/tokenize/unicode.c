/* UTF-8 decoding, Unicode classes and the hand-written GPT-2 pre-tokenizer regex (see unicode.h). */
#include "tokenize/unicode.h"

/* ---- UTF-8 ---- */

static int is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

uint32_t utf8_decode(const unsigned char *s, size_t n, size_t *len) {
    unsigned char c = s[0];
    *len = 1;
    if (c < 0x80) return c;
    size_t need;                        // bytes in the sequence
    unsigned char lo = 0x80, hi = 0xBF; // the range allowed for the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0) lo = 0xA0; // no overlong forms
        if (c == 0xED) hi = 0x9F; // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0) lo = 0x90; // no overlong forms
        if (c == 0xF4) hi = 0x8F; // nothing above U+10FFFF
    } else {
        return UTF8_INVALID;
    }
    uint32_t cp = c & (0x7Fu >> need);
    if (n < need || s[1] < lo || s[1] > hi) return UTF8_INVALID;
    for (size_t k = 1; k < need; k++) {
        if (!is_cont(s[k])) return UTF8_INVALID;
        cp = cp << 6 | (s[k] & 0x3F);
    }
    *len = need;
    return cp;
}

size_t utf8_encode(uint32_t cp, char out[4]) {
    static const unsigned char lead[5] = {0, 0x00, 0xC0, 0xE0, 0xF0}; // first-byte marker by length
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (size_t k = n - 1; k > 0; k--, cp >>= 6) out[k] = (char)(0x80 | (cp & 0x3F));
    out[0] = (char)(lead[n] | cp);
    return n;
}

size_t utf8_invalid_at(const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, len;
    while (i < n) {
        if (utf8_decode(u + i, n - i, &len) == UTF8_INVALID) return i;
        i += len;
    }
    return n;
}

/* ---- classes ---- */

static uclass ascii_class(unsigned char c) {
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return UCLASS_LETTER;
    if (c >= '0' && c <= '9') return UCLASS_NUMBER;
    if (c == ' ' || (c >= '\t' && c <= '\r')) return UCLASS_SPACE;
    return UCLASS_OTHER;
}

uclass uclass_of(uint32_t cp) {
    if (cp < 0x80) return ascii_class((unsigned char)cp);
    int lo = 0, hi = uclass_n_ranges - 1; // binary search for the range holding cp
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (cp < uclass_ranges[mid].lo)
            hi = mid - 1;
        else if (cp > uclass_ranges[mid].hi)
            lo = mid + 1;
        else
            return (uclass)uclass_ranges[mid].cls;
    }
    return UCLASS_OTHER;
}

/* ---- the GPT-2 pre-tokenizer ---- */

typedef struct {
    uclass cls; // class of the character
    size_t len; // its length in bytes
} uchar;

static uchar char_at(const unsigned char *s, size_t n, size_t i) {
    if (s[i] < 0x80) return (uchar){ascii_class(s[i]), 1};
    size_t len;
    uint32_t cp = utf8_decode(s + i, n - i, &len);
    return (uchar){cp == UTF8_INVALID ? UCLASS_OTHER : uclass_of(cp), len};
}

// end of the run of characters of class cls starting at i
static size_t run_end(const unsigned char *s, size_t n, size_t i, uclass cls) {
    while (i < n) {
        uchar c = char_at(s, n, i);
        if (c.cls != cls) break;
        i += c.len;
    }
    return i;
}

// 's|'t|'re|'ve|'m|'ll|'d at i (s[i] == '\''): the end of the contraction, or 0
static size_t contraction_end(const unsigned char *s, size_t n, size_t i) {
    if (i + 1 >= n) return 0;
    unsigned char c = s[i + 1];
    if (c == 's' || c == 't' || c == 'm' || c == 'd') return i + 2;
    if (i + 2 < n && (((c == 'r' || c == 'v') && s[i + 2] == 'e') || (c == 'l' && s[i + 2] == 'l'))) return i + 3;
    return 0;
}

size_t gpt2_piece_end(const char *text, size_t n, size_t i) {
    const unsigned char *s = (const unsigned char *)text;
    if (s[i] == '\'') {
        size_t end = contraction_end(s, n, i);
        if (end) return end;
    }
    uchar c = char_at(s, n, i);
    size_t start = i;
    if (s[i] == ' ' && i + 1 < n) { // ` ?X+`: one space joins a following run of letters, numbers or others
        uchar next = char_at(s, n, i + 1);
        if (next.cls != UCLASS_SPACE) start = i + 1, c = next;
    }
    if (c.cls != UCLASS_SPACE) return run_end(s, n, start + c.len, c.cls);
    // a whitespace run: `\s+(?!\S)` leaves its last character to the next piece when a non-space follows it
    // (if the run has two or more characters); otherwise `\s+` takes all of it
    size_t last = i, j = i;
    while (j < n) {
        uchar w = char_at(s, n, j);
        if (w.cls != UCLASS_SPACE) break;
        last = j;
        j += w.len;
    }
    return (j < n && last > i) ? last : j;
}
