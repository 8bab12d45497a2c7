/* Byte-level BPE encoding and decoding.
 *
 * encode: split the text at special tokens, split the rest into GPT-2 pieces (unicode.c), turn each piece's
 * bytes into byte tokens and apply the merges: repeatedly take the adjacent pair with the lowest rank and merge
 * all its occurrences left to right (openai/gpt-2's Encoder.bpe). Pieces are cached. */
#include "tokenize/tok_internal.h"
#include "tokenize/unicode.h"

#include <stdlib.h>
#include <string.h>

#define SCAN_MAX_SYMBOLS 48 // longer pieces merge through the heap (rescanning would be quadratic)

_Static_assert(BPE_CACHE_MAX_WORD < 256, "a cached piece's id count must fit in 8 bits");

static const uint64_t *pair_rank(const bpe *b, int32_t left, int32_t right) { // (rank << 32 | merged id) or NULL
    return u64map_find(&b->ranks, (uint64_t)left << 32 | (uint32_t)right);
}

/* ---- merging one piece ---- */

int bpe_merge_all(int32_t *sym, int n, int32_t left, int32_t right, int32_t id) {
    int w = 0;
    for (int i = 0; i < n; w++) {
        if (i + 1 < n && sym[i] == left && sym[i + 1] == right)
            sym[w] = id, i += 2;
        else
            sym[w] = sym[i++];
    }
    return w;
}

int bpe_merge_piece_scan(const bpe *b, int32_t *tok, int n) {
    while (n > 1) {
        uint64_t best = UINT64_MAX; // ranks are unique, so the smallest (rank, id) has the lowest rank
        for (int i = 0; i + 1 < n; i++) {
            const uint64_t *r = pair_rank(b, tok[i], tok[i + 1]);
            if (r && *r < best) best = *r;
        }
        if (best == UINT64_MAX) break;
        n = bpe_merge_all(tok, n, b->merges[2 * (best >> 32)], b->merges[2 * (best >> 32) + 1], (int32_t)(uint32_t)best);
    }
    return n;
}

static void heap_push(uint64_t *heap, int *n, uint64_t v) {
    int i = (*n)++;
    for (; i > 0 && heap[(i - 1) / 2] > v; i = (i - 1) / 2) heap[i] = heap[(i - 1) / 2];
    heap[i] = v;
}

static uint64_t heap_pop(uint64_t *heap, int *n) {
    uint64_t top = heap[0], v = heap[--(*n)];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && heap[c + 1] < heap[c]) c++;
        if (heap[c] >= v) break;
        heap[i] = heap[c];
        i = c;
    }
    heap[i] = v;
    return top;
}

static void push_pair(const bpe *b, const int32_t *tok, const int32_t *next, int pos, uint64_t *heap, int *n) {
    if (next[pos] < 0) return;
    const uint64_t *r = pair_rank(b, tok[pos], tok[next[pos]]);
    if (r) heap_push(heap, n, (*r >> 32) << 32 | (uint32_t)pos);
}

static int reserve_scratch(bpe *b, size_t n) {
    if (n <= b->w_cap) return AX_OK;
    size_t cap = b->w_cap ? b->w_cap : 64;
    while (cap < n) cap *= 2;
    int32_t *t = realloc(b->w_tok, cap * sizeof *t);
    if (t) b->w_tok = t;
    int32_t *nx = realloc(b->w_next, cap * sizeof *nx);
    if (nx) b->w_next = nx;
    int32_t *pv = realloc(b->w_prev, cap * sizeof *pv);
    if (pv) b->w_prev = pv;
    uint64_t *h = realloc(b->w_heap, 3 * cap * sizeof *h); // n−1 initial pairs + at most 2 per merge
    if (h) b->w_heap = h;
    if (!t || !nx || !pv || !h) return ax_error("out of memory encoding a %zu-byte piece", n);
    b->w_cap = cap;
    return AX_OK;
}

/* Same result as the scan: (rank, position) pops in rank order and, within a rank, left to right; a popped
 * pair whose symbols have changed since it was pushed is stale and skipped. -1 when out of memory; tok must not
 * be b->w_tok unless the scratch already holds n symbols. */
int bpe_merge_piece_heap(bpe *b, int32_t *tok, int n) {
    if (reserve_scratch(b, (size_t)n) != AX_OK) return -1;
    int32_t *next = b->w_next, *prev = b->w_prev;
    uint64_t *heap = b->w_heap;
    int h = 0;
    for (int i = 0; i < n; i++) next[i] = i + 1 < n ? i + 1 : -1, prev[i] = i - 1;
    for (int i = 0; i + 1 < n; i++) push_pair(b, tok, next, i, heap, &h);
    while (h > 0) {
        uint64_t e = heap_pop(heap, &h);
        int pos = (int)(uint32_t)e, nx = next[pos];
        if (tok[pos] < 0 || nx < 0) continue;
        const uint64_t *r = pair_rank(b, tok[pos], tok[nx]);
        if (!r || *r >> 32 != e >> 32) continue; // stale
        tok[pos] = (int32_t)(uint32_t)*r;
        tok[nx] = -1;
        next[pos] = next[nx];
        if (next[nx] >= 0) prev[next[nx]] = pos;
        if (prev[pos] >= 0) push_pair(b, tok, next, prev[pos], heap, &h);
        push_pair(b, tok, next, pos, heap, &h);
    }
    int w = 0; // symbol 0 is never merged away: it is always the left side
    for (int i = 0; i >= 0; i = next[i]) tok[w++] = tok[i];
    return w;
}

int bpe_merge_piece(bpe *b, int32_t *tok, int n) {
    return n <= SCAN_MAX_SYMBOLS ? bpe_merge_piece_scan(b, tok, n) : bpe_merge_piece_heap(b, tok, n);
}

/* ---- encoding ---- */

static int cache_piece(bpe *b, const char *p, size_t n, const int32_t *ids, int m) {
    if (b->cache_ids.n + (size_t)m > BPE_CACHE_MAX_IDS) {
        strmap_clear(&b->cache);
        b->cache_ids.n = 0;
    }
    bool added;
    if (!strmap_add(&b->cache, p, n, (uint64_t)b->cache_ids.n << 8 | (uint64_t)m, &added))
        return ax_error("out of memory");
    return ids_push(&b->cache_ids, ids, (size_t)m);
}

static int encode_piece(bpe *b, const char *p, size_t n, ids_vec *out) {
    bool cacheable = n <= BPE_CACHE_MAX_WORD;
    if (cacheable) {
        const uint64_t *hit = strmap_find(&b->cache, p, n);
        if (hit) return ids_push(out, b->cache_ids.v + (*hit >> 8), (size_t)(*hit & 0xFF));
    }
    if (n > INT32_MAX / 4) return ax_error("a %zu-byte piece is too long to encode", n);
    if (reserve_scratch(b, n) != AX_OK) return AX_ERR;
    int32_t *tok = b->w_tok;
    for (size_t i = 0; i < n; i++) tok[i] = b->byte_id[(unsigned char)p[i]];
    int m = bpe_merge_piece(b, tok, (int)n);
    if (m < 0) return AX_ERR;
    if (cacheable && cache_piece(b, p, n, tok, m) != AX_OK) return AX_ERR;
    return ids_push(out, tok, (size_t)m);
}

static int encode_ordinary(bpe *b, const char *s, size_t n, ids_vec *out) {
    for (size_t i = 0; i < n;) {
        size_t end = gpt2_piece_end(s, n, i);
        if (encode_piece(b, s + i, end - i, out) != AX_OK) return AX_ERR;
        i = end;
    }
    return AX_OK;
}

static size_t special_len(const bpe *b, int k) { return b->tok_off[b->special[k] + 1] - b->tok_off[b->special[k]]; }

// offset of the first occurrence of special k in s[from .. len), or len
static size_t find_special(const bpe *b, int k, const char *s, size_t len, size_t from) {
    size_t tl = special_len(b, k);
    const char *t = b->bytes + b->tok_off[b->special[k]];
    for (size_t i = from; i + tl <= len; i++) {
        const char *hit = memchr(s + i, t[0], len - tl + 1 - i);
        if (!hit) break;
        i = (size_t)(hit - s);
        if (memcmp(hit, t, tl) == 0) return i;
    }
    return len;
}

// the first special token at or after `from` (the longest if several start there): its offset, or len;
// at[k] caches the next occurrence of special k
static size_t next_special(const bpe *b, const char *s, size_t len, size_t from, size_t *at, int *which) {
    size_t best = len;
    *which = -1;
    for (int k = 0; k < b->n_special; k++) {
        if (at[k] < from) at[k] = find_special(b, k, s, len, from);
        if (at[k] < best || (at[k] == best && *which >= 0 && special_len(b, k) > special_len(b, *which)))
            best = at[k], *which = k;
    }
    return best;
}

int bpe_encode(bpe *b, const char *text, size_t len, ids_vec *out) {
    size_t *at = malloc(((size_t)b->n_special + 1) * sizeof *at); // next occurrence of each special
    if (!at) return ax_error("out of memory");
    for (int k = 0; k < b->n_special; k++) at[k] = find_special(b, k, text, len, 0);
    int rc = AX_OK;
    for (size_t i = 0; i < len && rc == AX_OK;) {
        int which;
        size_t s = next_special(b, text, len, i, at, &which);
        rc = encode_ordinary(b, text + i, s - i, out);
        if (which < 0 || rc != AX_OK) break;
        rc = ids_push(out, &b->special[which], 1);
        i = s + special_len(b, which);
    }
    free(at);
    return rc;
}

/* ---- decoding ---- */

int bpe_decode(const bpe *b, const int32_t *ids, size_t n, char **text, size_t *len) {
    *text = NULL;
    *len = 0;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= b->n_tokens)
            return ax_error("token id %d (position %zu) is out of range: the vocabulary has %d tokens", (int)ids[i], i,
                            b->n_tokens);
        total += b->tok_off[ids[i] + 1] - b->tok_off[ids[i]];
    }
    char *out = malloc(total + 1);
    if (!out) return ax_error("out of memory decoding %zu tokens", n);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        size_t tl;
        const char *t = bpe_token(b, ids[i], &tl);
        memcpy(out + pos, t, tl);
        pos += tl;
    }
    out[total] = '\0';
    *text = out;
    *len = total;
    return AX_OK;
}
