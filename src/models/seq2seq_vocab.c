/* Word vocabularies of the translator (include/axon/seq2seq.h): built from normalised texts by frequency, saved as
 * one word a line (id = line number − 1, the four specials first). */
#include "axon/io.h"
#include "axon/seq2seq.h"
#include "tokenize/hashmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOCAB_MAX_BYTES (64u << 20) // a larger vocabulary file is rejected
#define VOCAB_MAX_WORDS 1000000     // more words than this is not a vocabulary file

static const char *const SPECIALS[AX_N_SPECIAL] = {"<pad>", "<sos>", "<eos>", "<unk>"};

struct ax_vocab {
    strmap index; // word → id; entry i is the word with id i
    char **words; // (n) NUL-terminated copies, by id
    int n;        // words, specials included
};

static ax_vocab *vocab_new(void) {
    ax_vocab *v = calloc(1, sizeof *v);
    AX_ASSERT(v, "out of memory");
    return v;
}

// appends a word (not yet present) as the next id
static void vocab_push(ax_vocab *v, const char *w, size_t len) {
    bool added;
    AX_ASSERT(strmap_add(&v->index, w, len, (uint64_t)v->n, &added) && added, "vocabulary: out of memory");
    if ((v->n & (v->n - 1)) == 0) {
        v->words = realloc(v->words, (size_t)(v->n ? 2 * v->n : 1) * sizeof *v->words);
        AX_ASSERT(v->words, "out of memory");
    }
    char *copy = malloc(len + 1);
    AX_ASSERT(copy, "out of memory");
    memcpy(copy, w, len);
    copy[len] = '\0';
    v->words[v->n++] = copy;
}

static ax_vocab *with_specials(void) {
    ax_vocab *v = vocab_new();
    for (int i = 0; i < AX_N_SPECIAL; i++) vocab_push(v, SPECIALS[i], strlen(SPECIALS[i]));
    return v;
}

typedef struct {
    const char *w; // the word (in the counting map's key buffer)
    size_t len;    // its bytes
    uint64_t n;    // occurrences
} word_count;

static int by_count(const void *pa, const void *pb) {
    const word_count *a = pa, *b = pb;
    if (a->n != b->n) return a->n > b->n ? -1 : 1;
    int c = memcmp(a->w, b->w, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

ax_vocab *ax_vocab_build(const char *const *texts, int64_t n, int min_freq, int max_size) {
    strmap counts = {0};
    for (int64_t i = 0; i < n; i++)
        for (const char *p = texts[i]; *p;) {
            size_t len = strcspn(p, " ");
            bool added;
            uint64_t *c = len ? strmap_add(&counts, p, len, 0, &added) : NULL;
            AX_ASSERT(c || !len, "vocabulary: out of memory");
            if (c) ++*c;
            p += len + (p[len] == ' ');
        }
    word_count *wc = malloc((counts.n + 1) * sizeof *wc);
    AX_ASSERT(wc, "out of memory");
    uint32_t m = 0;
    for (uint32_t i = 0; i < counts.n; i++) {
        size_t len;
        const char *w = strmap_key(&counts, i, &len);
        bool special = false;
        for (int s = 0; s < AX_N_SPECIAL; s++) special |= len == strlen(SPECIALS[s]) && !memcmp(w, SPECIALS[s], len);
        if (counts.entries[i].value >= (uint64_t)(min_freq > 1 ? min_freq : 1) && !special)
            wc[m++] = (word_count){w, len, counts.entries[i].value};
    }
    qsort(wc, m, sizeof *wc, by_count);
    ax_vocab *v = with_specials();
    for (uint32_t i = 0; i < m && (max_size <= 0 || v->n < max_size); i++) vocab_push(v, wc[i].w, wc[i].len);
    free(wc);
    strmap_free(&counts);
    return v;
}

int ax_vocab_size(const ax_vocab *v) { return v->n; }

const char *ax_vocab_word(const ax_vocab *v, int32_t id) {
    return id >= 0 && id < v->n ? v->words[id] : SPECIALS[AX_UNK];
}

int32_t ax_vocab_id(const ax_vocab *v, const char *word, size_t len) {
    const uint64_t *id = strmap_find(&v->index, word, len);
    return id ? (int32_t)*id : AX_UNK;
}

int ax_vocab_encode(const ax_vocab *v, const char *words, int32_t *ids, int max_ids) {
    int n = 0;
    for (const char *p = words; *p;) {
        size_t len = strcspn(p, " ");
        if (len) {
            if (n < max_ids) ids[n] = ax_vocab_id(v, p, len);
            n++;
        }
        p += len + (p[len] == ' ');
    }
    return n;
}

char *ax_vocab_decode(const ax_vocab *v, const int32_t *ids, int n) {
    size_t cap = 1;
    for (int i = 0; i < n && ids[i] != AX_EOS; i++) cap += strlen(ax_vocab_word(v, ids[i])) + 1;
    char *s = malloc(cap), *p = s;
    AX_ASSERT(s, "out of memory");
    for (int i = 0; i < n && ids[i] != AX_EOS; i++) {
        if (ids[i] == AX_PAD || ids[i] == AX_SOS) continue;
        const char *w = ax_vocab_word(v, ids[i]);
        if (p > s) *p++ = ' ';
        memcpy(p, w, strlen(w));
        p += strlen(w);
    }
    *p = '\0';
    return s;
}

int ax_vocab_save(const ax_vocab *v, const char *path) {
    size_t len = 0;
    for (int i = 0; i < v->n; i++) len += strlen(v->words[i]) + 1;
    char *text = malloc(len + 1), *p = text;
    AX_ASSERT(text, "out of memory");
    for (int i = 0; i < v->n; i++) p += sprintf(p, "%s\n", v->words[i]);
    int rc = ax_write_file_atomic(path, text, len);
    free(text);
    return rc;
}

// the words of a vocabulary file, checked: specials first, no empty line, no blank inside a word, no repeats
static int parse_words(const char *path, char *text, size_t len, ax_vocab *v) {
    int line = 0;
    for (char *p = text, *end; p < text + len; p = end + 1) {
        end = memchr(p, '\n', (size_t)(text + len - p));
        if (!end) return ax_error("%s: the last line has no newline (a truncated file?)", path);
        size_t n = (size_t)(end - p);
        line++;
        if (!n || memchr(p, ' ', n) || memchr(p, '\t', n) || memchr(p, '\0', n))
            return ax_error("%s:%d: not a word (empty, or with a blank)", path, line);
        if (line <= AX_N_SPECIAL && (n != strlen(SPECIALS[line - 1]) || memcmp(p, SPECIALS[line - 1], n)))
            return ax_error("%s:%d: expected %s (the specials come first)", path, line, SPECIALS[line - 1]);
        if (strmap_find(&v->index, p, n)) return ax_error("%s:%d: '%.*s' appears twice", path, line, (int)n, p);
        if (line > VOCAB_MAX_WORDS) return ax_error("%s: more than %d words", path, VOCAB_MAX_WORDS);
        vocab_push(v, p, n);
    }
    return line >= AX_N_SPECIAL ? AX_OK : ax_error("%s: fewer than the %d special words", path, AX_N_SPECIAL);
}

int ax_vocab_load(const char *path, ax_vocab **out) {
    *out = NULL;
    void *text;
    size_t len;
    if (ax_read_file(path, VOCAB_MAX_BYTES, &text, &len) != AX_OK) return AX_ERR;
    ax_vocab *v = vocab_new();
    int rc = parse_words(path, text, len, v);
    free(text);
    if (rc != AX_OK) {
        ax_vocab_free(v);
        return rc;
    }
    *out = v;
    return AX_OK;
}

void ax_vocab_free(ax_vocab *v) {
    if (!v) return;
    for (int i = 0; i < v->n; i++) free(v->words[i]);
    free(v->words);
    strmap_free(&v->index);
    free(v);
}
