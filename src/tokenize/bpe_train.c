/* Byte-level BPE training with incremental pair counts.
 *
 * The corpus is split into documents at "<|endoftext|>" and into GPT-2 pieces; each distinct piece becomes a
 * word (its byte tokens, weighted by how often it occurs). Pair counts are kept for all adjacent symbol pairs;
 * a max-heap of (count, left, right) candidates finds the next merge (ties: smaller left id, then smaller right
 * id), with stale entries re-pushed at their current count when popped (counts only fall, except for pairs
 * that contain the token just made, which are pushed after every merge). A merge rewrites only the words that
 * contain the pair (per-pair word lists). Ids: bytes 0..255 in GPT-2's order, merged tokens from 256 in
 * creation order (a merge whose bytes already are a token reuses it), "<|endoftext|>" last. */
#include "tokenize/tok_internal.h"
#include "tokenize/unicode.h"

#include <stdlib.h>
#include <string.h>

#define EOT_TEXT "<|endoftext|>"
#define EOT_LEN 13
#define TRAIN_MAX_VOCAB (1 << 20)

typedef struct {
    int64_t count;       // the pair's occurrences when the entry was pushed
    int32_t left, right; // the pair
} candidate;

typedef struct {
    int32_t left, right; // the pair
    int64_t count;       // its occurrences now
    ids_vec where;       // words that may contain it (repeats and words that no longer do are allowed)
    uint32_t raised;     // last merge step that raised its count
} pair_info;

typedef struct {
    strmap pieces;   // piece bytes → its word number
    int32_t *sym;    // every word's symbols back to back; a word's slice shrinks as it merges
    uint32_t *start; // (n_words) where each word's symbols begin in sym
    uint32_t *len;   // (n_words) its current number of symbols
    int64_t *freq;   // (n_words) occurrences of the word in the corpus
    uint32_t *stamp; // (n_words) last merge step that rewrote the word
    int n_words;     // distinct pieces

    u64map pair_index; // (left << 32 | right) → pair number
    pair_info *pairs;  // (n_pairs) every pair seen
    int n_pairs;       // pairs seen
    size_t pair_cap;

    candidate *heap; // (heap_n) max-heap of merge candidates
    size_t heap_n, heap_cap;
    ids_vec fresh; // pairs whose count rose in this merge step
    uint32_t step; // merges done

    strmap tok_ids;    // token bytes → id
    uint32_t *tok_off; // (n_tokens + 2) token i is bytes[tok_off[i] .. tok_off[i+1])
    char *bytes;       // every token's bytes
    size_t bytes_cap;
    int n_tokens; // tokens made so far
    size_t tok_cap;
    int32_t *merges; // (n_merges, 2)
    int n_merges;    // merges made so far
    size_t merges_cap;
    ids_vec *seg; // where segment_piece writes the segmentation
} trainer;

/* ---- candidates: a max-heap on (count, then smaller left, then smaller right) ---- */

static bool better(candidate a, candidate b) {
    return a.count != b.count ? a.count > b.count : a.left != b.left ? a.left < b.left : a.right < b.right;
}

static int heap_push(trainer *t, candidate c) {
    if (!array_grow(&t->heap, &t->heap_cap, t->heap_n + 1, sizeof *t->heap)) return ax_error("out of memory");
    size_t i = t->heap_n++;
    for (; i > 0 && better(c, t->heap[(i - 1) / 2]); i = (i - 1) / 2) t->heap[i] = t->heap[(i - 1) / 2];
    t->heap[i] = c;
    return AX_OK;
}

static candidate heap_pop(trainer *t) {
    candidate top = t->heap[0], v = t->heap[--t->heap_n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= t->heap_n) break;
        if (c + 1 < t->heap_n && better(t->heap[c + 1], t->heap[c])) c++;
        if (!better(t->heap[c], v)) break;
        t->heap[i] = t->heap[c];
        i = c;
    }
    t->heap[i] = v;
    return top;
}

/* ---- pair counts ---- */

// adds delta to pair (a, b), creating it; a word ≥ 0 is noted as containing it; -1 when out of memory
static int pair_add(trainer *t, int32_t a, int32_t b, int64_t delta, int word) {
    bool added;
    uint64_t *v = u64map_add(&t->pair_index, (uint64_t)a << 32 | (uint32_t)b, (uint64_t)t->n_pairs, &added);
    if (!v) return -1;
    int p = (int)*v;
    if (added) {
        if (!array_grow(&t->pairs, &t->pair_cap, (size_t)t->n_pairs + 1, sizeof *t->pairs)) return -1;
        t->pairs[p] = (pair_info){.left = a, .right = b, .raised = UINT32_MAX};
        t->n_pairs++;
    }
    pair_info *pi = &t->pairs[p];
    pi->count += delta;
    if (word >= 0 && (pi->where.n == 0 || pi->where.v[pi->where.n - 1] != word) &&
        ids_push(&pi->where, &word, 1) != AX_OK)
        return -1;
    return p;
}

/* ---- the corpus: documents → pieces → words ---- */

// calls fn(t, piece, n) for every GPT-2 piece of every document, and fn(t, NULL, 0) between documents
static int for_each_piece(trainer *t, const char *text, size_t len, int (*fn)(trainer *, const char *, size_t)) {
    for (size_t doc = 0; doc <= len;) {
        const char *eot = NULL;
        for (const char *p = text + doc; !eot && (p = memchr(p, '<', len - (size_t)(p - text))); p++)
            if ((size_t)(text + len - p) >= EOT_LEN && memcmp(p, EOT_TEXT, EOT_LEN) == 0) eot = p;
        size_t end = eot ? (size_t)(eot - text) : len;
        for (size_t i = doc; i < end;) {
            size_t e = gpt2_piece_end(text, end, i);
            if (fn(t, text + i, e - i) != AX_OK) return AX_ERR;
            i = e;
        }
        if (!eot) break;
        if (fn(t, NULL, 0) != AX_OK) return AX_ERR;
        doc = end + EOT_LEN;
    }
    return AX_OK;
}

static int count_piece(trainer *t, const char *p, size_t n) { // pieces' values count occurrences for now
    bool added;
    uint64_t *v = p ? strmap_add(&t->pieces, p, n, 0, &added) : NULL;
    if (p && !v) return ax_error("out of memory counting the corpus's words");
    if (v) ++*v;
    return AX_OK;
}

static int make_words(trainer *t) { // the distinct pieces as byte-token words; pieces' values become word numbers
    int n = t->n_words = (int)t->pieces.n;
    t->sym = malloc((t->pieces.keys_len + 1) * sizeof *t->sym);
    t->start = malloc(((size_t)n + 1) * sizeof *t->start);
    t->len = malloc(((size_t)n + 1) * sizeof *t->len);
    t->freq = malloc(((size_t)n + 1) * sizeof *t->freq);
    t->stamp = calloc((size_t)n + 1, sizeof *t->stamp);
    if (!t->sym || !t->start || !t->len || !t->freq || !t->stamp) return ax_error("out of memory");
    int32_t byte_id[256];
    for (int b = 0; b < 256; b++) byte_id[b] = gpt2_byte_rank(b);
    for (int w = 0; w < n; w++) {
        size_t len;
        const char *key = strmap_key(&t->pieces, (uint32_t)w, &len);
        t->start[w] = t->pieces.entries[w].off;
        t->len[w] = (uint32_t)len;
        t->freq[w] = (int64_t)t->pieces.entries[w].value;
        t->pieces.entries[w].value = (uint64_t)w;
        for (size_t k = 0; k < len; k++) t->sym[t->start[w] + k] = byte_id[(unsigned char)key[k]];
        for (size_t k = 0; k + 1 < len; k++)
            if (pair_add(t, t->sym[t->start[w] + k], t->sym[t->start[w] + k + 1], t->freq[w], w) < 0)
                return ax_error("out of memory counting pairs");
    }
    for (int p = 0; p < t->n_pairs; p++)
        if (heap_push(t, (candidate){t->pairs[p].count, t->pairs[p].left, t->pairs[p].right}) != AX_OK) return AX_ERR;
    return AX_OK;
}

/* ---- the vocabulary being built ---- */

static int add_token(trainer *t, const char *s, size_t n, int32_t *id) { // an existing token's id, or a new one
    bool added;
    uint64_t *v = strmap_add(&t->tok_ids, s, n, (uint64_t)t->n_tokens, &added);
    if (!v) return ax_error("out of memory");
    *id = (int32_t)*v;
    if (!added) return AX_OK;
    size_t end = t->n_tokens ? t->tok_off[t->n_tokens] : 0;
    if (!array_grow(&t->tok_off, &t->tok_cap, (size_t)t->n_tokens + 2, sizeof *t->tok_off) ||
        !array_grow(&t->bytes, &t->bytes_cap, end + n, 1))
        return ax_error("out of memory");
    memcpy(t->bytes + end, s, n);
    t->tok_off[t->n_tokens] = (uint32_t)end;
    t->tok_off[++t->n_tokens] = (uint32_t)(end + n);
    return AX_OK;
}

static int add_byte_tokens(trainer *t) { // GPT-2's order: byte b gets id gpt2_byte_rank(b)
    char order[256];
    for (int b = 0; b < 256; b++) order[gpt2_byte_rank(b)] = (char)b;
    for (int i = 0; i < 256; i++) {
        int32_t id;
        if (add_token(t, &order[i], 1, &id) != AX_OK) return AX_ERR;
    }
    return AX_OK;
}

static int add_merge(trainer *t, int32_t left, int32_t right, int32_t *id) { // records the merge; *id = its token
    uint32_t la = t->tok_off[left + 1] - t->tok_off[left], lb = t->tok_off[right + 1] - t->tok_off[right];
    char *buf = malloc((size_t)la + lb);
    if (!buf || !array_grow(&t->merges, &t->merges_cap, (size_t)t->n_merges + 1, 2 * sizeof *t->merges)) {
        free(buf);
        return ax_error("out of memory");
    }
    memcpy(buf, t->bytes + t->tok_off[left], la);
    memcpy(buf + la, t->bytes + t->tok_off[right], lb);
    int rc = add_token(t, buf, (size_t)la + lb, id);
    free(buf);
    t->merges[2 * t->n_merges] = left, t->merges[2 * t->n_merges + 1] = right;
    t->n_merges++;
    return rc;
}

/* ---- merging ---- */

// rewrites word w with every (left, right) merged into id, moving its pair counts
static int merge_word(trainer *t, int w, int32_t left, int32_t right, int32_t id) {
    int32_t *s = t->sym + t->start[w];
    int n = (int)t->len[w];
    int64_t f = t->freq[w];
    bool found = false;
    for (int k = 0; k + 1 < n && !found; k++) found = s[k] == left && s[k + 1] == right;
    if (!found) return AX_OK;
    for (int k = 0; k + 1 < n; k++)
        t->pairs[*u64map_find(&t->pair_index, (uint64_t)s[k] << 32 | (uint32_t)s[k + 1])].count -= f;
    int m = bpe_merge_all(s, n, left, right, id);
    t->len[w] = (uint32_t)m;
    for (int k = 0; k + 1 < m; k++) {
        bool fresh = s[k] == id || s[k + 1] == id; // only pairs with the new token can be new in this word
        int p = pair_add(t, s[k], s[k + 1], f, fresh ? w : -1);
        if (p < 0) return ax_error("out of memory");
        if (fresh && t->pairs[p].raised != t->step) {
            t->pairs[p].raised = t->step;
            if (ids_push(&t->fresh, &p, 1) != AX_OK) return AX_ERR;
        }
    }
    return AX_OK;
}

static int apply_merge(trainer *t, int p, int32_t id) {
    t->step++;
    t->fresh.n = 0;
    ids_vec where = t->pairs[p].where; // taken: the pair cannot appear again once merged everywhere
    t->pairs[p].where = (ids_vec){0};
    int32_t left = t->pairs[p].left, right = t->pairs[p].right;
    int rc = AX_OK;
    for (size_t i = 0; i < where.n && rc == AX_OK; i++) {
        int w = where.v[i];
        if (t->stamp[w] == t->step) continue;
        t->stamp[w] = t->step;
        rc = merge_word(t, w, left, right, id);
    }
    free(where.v);
    for (size_t i = 0; i < t->fresh.n && rc == AX_OK; i++) {
        const pair_info *q = &t->pairs[t->fresh.v[i]];
        if (q->count > 0) rc = heap_push(t, (candidate){q->count, q->left, q->right});
    }
    return rc;
}

static int train_loop(trainer *t, int vocab_size) {
    while (t->n_tokens < vocab_size - 1 && t->heap_n > 0) {
        candidate c = heap_pop(t);
        int p = (int)*u64map_find(&t->pair_index, (uint64_t)c.left << 32 | (uint32_t)c.right);
        int64_t now = t->pairs[p].count;
        if (now != c.count) { // stale: its count fell since it was pushed
            if (now > 0 && heap_push(t, (candidate){now, c.left, c.right}) != AX_OK) return AX_ERR;
            continue;
        }
        if (now < 2) break; // no pair occurs twice: more merges would only memorise
        int32_t id;
        if (add_merge(t, c.left, c.right, &id) != AX_OK || apply_merge(t, p, id) != AX_OK) return AX_ERR;
    }
    return AX_OK;
}

/* ---- result ---- */

static int segment_piece(trainer *t, const char *p, size_t n) { // a piece's merged symbols, or the eot id
    if (!p) {
        int32_t eot = t->n_tokens - 1;
        return ids_push(t->seg, &eot, 1);
    }
    int w = (int)*strmap_find(&t->pieces, p, n);
    return ids_push(t->seg, t->sym + t->start[w], t->len[w]);
}

static void trainer_free(trainer *t) {
    strmap_free(&t->pieces);
    free(t->sym), free(t->start), free(t->len), free(t->freq), free(t->stamp);
    u64map_free(&t->pair_index);
    for (int p = 0; p < t->n_pairs; p++) free(t->pairs[p].where.v);
    free(t->pairs), free(t->heap), free(t->fresh.v);
    strmap_free(&t->tok_ids);
    free(t->tok_off), free(t->bytes), free(t->merges);
}

int bpe_train(bpe *b, const char *text, size_t len, int vocab_size, ids_vec *seg) {
    *b = (bpe){0};
    b->eot = -1;
    if (vocab_size < 257 || vocab_size > TRAIN_MAX_VOCAB)
        return ax_error("vocab size %d is out of range: 257 (256 bytes + <|endoftext|>) .. %d", vocab_size,
                        TRAIN_MAX_VOCAB);
    if (len >= UINT32_MAX / 2) return ax_error("a %zu-byte corpus is too large to train on (limit 2 GB)", len);
    trainer t = {0};
    int32_t eot;
    int rc = for_each_piece(&t, text, len, count_piece);
    if (rc == AX_OK) rc = add_byte_tokens(&t);
    if (rc == AX_OK) rc = make_words(&t);
    if (rc == AX_OK) rc = train_loop(&t, vocab_size);
    if (rc == AX_OK) rc = add_token(&t, EOT_TEXT, EOT_LEN, &eot);
    if (rc == AX_OK && seg) {
        t.seg = seg;
        rc = for_each_piece(&t, text, len, segment_piece);
    }
    if (rc == AX_OK) { // the bpe takes over the vocabulary and merges
        rc = bpe_set_tokens(b, t.n_tokens, t.tok_off, t.bytes);
        t.tok_off = NULL, t.bytes = NULL;
        if (rc == AX_OK)
            rc = bpe_set_merges(b, t.merges, t.n_merges);
        else
            free(t.merges);
        t.merges = NULL;
    }
    trainer_free(&t);
    if (rc != AX_OK) bpe_free(b);
    return rc;
}
