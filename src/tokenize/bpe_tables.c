/* The byte-level BPE tables: GPT-2's byte alphabet, the vocabulary, the merge ranks and the special tokens. */
#include "tokenize/tok_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- bytes_to_unicode ----
 * GPT-2 shows each byte as a printable character: bytes that already are one ('!'..'~', '¡'..'¬', '®'..'ÿ')
 * stand for themselves, the other 68 become U+0100, U+0101, ... in byte order. */

static bool shows_as_itself(int b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174; }

// the others, in order: 0..32 (33 bytes), 127..160 (34), 173 (1)
static int hidden_index(int b) { return b <= 32 ? b : b <= 160 ? 33 + (b - 127) : 67; }
static int hidden_byte(int k) { return k < 33 ? k : k < 67 ? 127 + (k - 33) : 173; }

uint32_t gpt2_byte_cp(int b) { return shows_as_itself(b) ? (uint32_t)b : 256u + (uint32_t)hidden_index(b); }

int gpt2_cp_byte(uint32_t cp) {
    if (cp < 256) return shows_as_itself((int)cp) ? (int)cp : -1;
    return cp < 256 + 68 ? hidden_byte((int)cp - 256) : -1;
}

int gpt2_byte_rank(int b) { // bytes in the order of their characters: the 188 self-shown ones, then the others
    if (!shows_as_itself(b)) return 188 + hidden_index(b);
    return b <= 126 ? b - 33 : b <= 172 ? 94 + (b - 161) : 106 + (b - 174);
}

/* ---- the vocabulary ---- */

const char *bpe_token(const bpe *b, int id, size_t *len) {
    *len = b->tok_off[id + 1] - b->tok_off[id];
    return b->bytes + b->tok_off[id];
}

int bpe_set_tokens(bpe *b, int n_tokens, uint32_t *tok_off, char *bytes) {
    b->n_tokens = n_tokens;
    b->tok_off = tok_off;
    b->bytes = bytes;
    b->eot = -1;
    for (int i = 0; i < 256; i++) b->byte_id[i] = -1;
    for (int id = 0; id < n_tokens; id++) {
        size_t len;
        const char *t = bpe_token(b, id, &len);
        if (len == 0) return ax_error("token %d is empty", id);
        bool added;
        uint64_t *v = strmap_add(&b->tok_ids, t, len, (uint64_t)id, &added);
        if (!v) return ax_error("out of memory building the vocabulary");
        if (!added) return ax_error("tokens %d and %d are the same bytes", (int)*v, id);
        if (len == 1) b->byte_id[(unsigned char)t[0]] = id;
    }
    for (int i = 0; i < 256; i++)
        if (b->byte_id[i] < 0) return ax_error("no token for byte 0x%02X (a byte-level BPE needs all 256)", i);
    return AX_OK;
}

/* ---- merges ---- */

static int merge_result(const bpe *b, int r, int32_t *id) { // the token merge r makes
    size_t la, lb;
    const char *ta = bpe_token(b, b->merges[2 * r], &la), *tb = bpe_token(b, b->merges[2 * r + 1], &lb);
    char stack[256];
    char *buf = la + lb <= sizeof stack ? stack : malloc(la + lb);
    if (!buf) return ax_error("out of memory");
    memcpy(buf, ta, la);
    memcpy(buf + la, tb, lb);
    const uint64_t *v = strmap_find(&b->tok_ids, buf, la + lb);
    if (buf != stack) free(buf);
    if (!v) return ax_error("merge %d makes a token that is not in the vocabulary", r + 1);
    *id = (int32_t)*v;
    return AX_OK;
}

static int find_specials(bpe *b, const bool *made) { // tokens no merge makes are matched literally
    b->special = malloc((size_t)b->n_tokens * sizeof *b->special);
    if (!b->special) return ax_error("out of memory");
    for (int id = 0; id < b->n_tokens; id++) {
        if (made[id]) continue;
        b->special[b->n_special++] = id;
        size_t len;
        const char *t = bpe_token(b, id, &len);
        if (len == 13 && memcmp(t, "<|endoftext|>", 13) == 0) b->eot = id;
    }
    return AX_OK;
}

int bpe_set_merges(bpe *b, int32_t *merges, int n_merges) {
    b->merges = merges;
    b->n_merges = n_merges;
    bool *made = calloc((size_t)b->n_tokens, sizeof *made); // made[id]: a byte or made by an earlier merge
    if (!made) return ax_error("out of memory");
    for (int i = 0; i < 256; i++) made[b->byte_id[i]] = true;
    int rc = AX_OK;
    for (int r = 0; r < n_merges && rc == AX_OK; r++) {
        int32_t left = merges[2 * r], right = merges[2 * r + 1], id;
        if (!made[left] || !made[right]) {
            rc = ax_error("merge %d uses a token that no byte or earlier merge makes", r + 1);
            break;
        }
        if ((rc = merge_result(b, r, &id)) != AX_OK) break;
        made[id] = true;
        bool added;
        uint64_t key = (uint64_t)left << 32 | (uint32_t)right;
        if (!u64map_add(&b->ranks, key, (uint64_t)r << 32 | (uint32_t)id, &added))
            rc = ax_error("out of memory");
        else if (!added)
            rc = ax_error("merge %d repeats an earlier merge", r + 1);
    }
    if (rc == AX_OK) rc = find_specials(b, made);
    free(made);
    return rc;
}

void bpe_free(bpe *b) {
    free(b->tok_off);
    free(b->bytes);
    strmap_free(&b->tok_ids);
    free(b->merges);
    u64map_free(&b->ranks);
    free(b->special);
    strmap_free(&b->cache);
    free(b->cache_ids.v);
    free(b->w_tok);
    free(b->w_next);
    free(b->w_prev);
    free(b->w_heap);
    *b = (bpe){0};
    b->eot = -1;
}
