/* Token tests for the labelling functions: capitals, possessives, sentence starts; span votes. */
#include "ner/ner_internal.h"

#include <string.h>

bool tok_cap(const char *t) {
    unsigned char c = (unsigned char)t[0], d = (unsigned char)t[1];
    return (c >= 'A' && c <= 'Z') || (c == 0xC3 && d >= 0x80 && d <= 0x9E && d != 0x97); // ASCII or Latin-1
}

bool tok_all_caps(const char *t) {
    int letters = 0;
    for (const char *p = t; *p; p++) {
        if (*p >= 'a' && *p <= 'z') return false;
        letters += *p >= 'A' && *p <= 'Z';
    }
    return letters >= 2;
}

bool tok_is(const char *t, const char *const *words) {
    for (; *words; words++)
        if (strcmp(t, *words) == 0) return true;
    return false;
}

bool tok_sentence_initial(const char *const *tok, int i) {
    static const char *const OPENERS[] = {".", "!", "?", "\"", "“", "‘", "'", "(", "[", "¶", "-", ":", ";", NULL};
    return i == 0 || tok_is(tok[i - 1], OPENERS);
}

void tok_base(const char *t, char *buf, size_t cap) {
    size_t n = strlen(t);
    if (n >= cap) n = cap - 1;
    memcpy(buf, t, n);
    buf[n] = 0;
    if (n > 2 && buf[n - 2] == '\'' && buf[n - 1] == 's') buf[n - 2] = 0;
    else if (n > 4 && memcmp(buf + n - 4, "’s", 4) == 0) buf[n - 4] = 0;
    else if (n > 1 && buf[n - 1] == '\'') buf[n - 1] = 0;
}

void vote_span(int8_t *votes, int stride, int start, int end, int type) {
    for (int i = start; i < end; i++) votes[i * stride] = (int8_t)(i == start ? 1 + 2 * type : 2 + 2 * type);
}

bool tok_common(const ax_weak_labeler *wl, const char *const *tok, int i) {
    char base[128];
    tok_base(tok[i], base, sizeof base);
    return case_stats_common(&wl->cases, base, tok_sentence_initial(tok, i) ? 3 : 1);
}
