/* UTF-8 scanning, whitespace splitting and multiset matching for the metrics. */
#include "eval/text.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int ev_char_len(const char *s) {
    unsigned char c = (unsigned char)s[0];
    int n = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF8 ? 4 : 1;
    for (int i = 1; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) return 1; // truncated or invalid: one byte
    return n;
}

// the code point of the UTF-8 character of n bytes at s
static uint32_t code_point(const unsigned char *s, int n) {
    if (n == 1) return s[0];
    uint32_t cp = s[0] & (0x7F >> n);
    for (int i = 1; i < n; i++) cp = cp << 6 | (s[i] & 0x3F);
    return cp;
}

int ev_space_len(const char *s) {
    int n = ev_char_len(s);
    uint32_t c = code_point((const unsigned char *)s, n);
    bool space = (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
                 (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
                 c == 0x3000;
    return space ? n : 0;
}

int64_t ev_split(const char *s, ev_span *out) {
    int64_t n = 0;
    while (*s) {
        int sp;
        while (*s && (sp = ev_space_len(s)) > 0) s += sp;
        if (!*s) break;
        const char *start = s;
        while (*s && ev_space_len(s) == 0) s += ev_char_len(s);
        if (out) out[n] = (ev_span){start, s - start};
        n++;
    }
    return n;
}

static int span_cmp(const void *a, const void *b) {
    const ev_span *x = a, *y = b;
    int64_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, (size_t)m);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

// the number of items equal to a[i] from i on (a sorted)
static int64_t run_len(const ev_span *a, int64_t n, int64_t i) {
    int64_t j = i + 1;
    while (j < n && span_cmp(&a[i], &a[j]) == 0) j++;
    return j - i;
}

int64_t ev_multiset_match(ev_span *h, int64_t nh, ev_span *r, int64_t nr) {
    qsort(h, (size_t)nh, sizeof *h, span_cmp);
    qsort(r, (size_t)nr, sizeof *r, span_cmp);
    int64_t i = 0, j = 0, match = 0;
    while (i < nh && j < nr) {
        int c = span_cmp(&h[i], &r[j]);
        if (c < 0) i += run_len(h, nh, i);
        else if (c > 0) j += run_len(r, nr, j);
        else {
            int64_t a = run_len(h, nh, i), b = run_len(r, nr, j);
            match += a < b ? a : b;
            i += a;
            j += b;
        }
    }
    return match;
}
