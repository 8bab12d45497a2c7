/* Internals of src/tokenize/: the char vocabulary, the byte-level BPE tables and the files they live in. */
#ifndef AX_TOKENIZE_INTERNAL_H
#define AX_TOKENIZE_INTERNAL_H

#include "axon/tokenize.h"
#include "tokenize/hashmap.h"

/* ---- a growable id list ---- */

typedef struct {
    int32_t *v;    // (n) ids
    size_t n, cap; // used / allocated
} ids_vec;

int ids_push(ids_vec *a, const int32_t *ids, size_t n); // AX_OK, or AX_ERR when out of memory

/* ---- char-level vocabulary ---- */

typedef struct {
    int n;              // vocabulary size
    uint32_t *cps;      // (n) the code point of each id, strictly ascending
    int32_t ascii[128]; // id of each ASCII character, -1 if absent (fast path)
} char_vocab;

int char_vocab_init(char_vocab *v, uint32_t *cps, int n); // takes cps (ascending, distinct); AX_ERR if n == 0
int char_vocab_build(char_vocab *v, const char *text, size_t len);
int char_vocab_encode(const char_vocab *v, const char *text, size_t len, ids_vec *out);
int char_vocab_decode(const char_vocab *v, const int32_t *ids, size_t n, char **text, size_t *len);
int char_vocab_save(const char_vocab *v, const char *dir);
int char_vocab_load(char_vocab *v, const char *dir);
void char_vocab_free(char_vocab *v);

/* ---- byte-level BPE ---- */

#define BPE_CACHE_MAX_WORD 64       // longer pieces are not cached
#define BPE_CACHE_MAX_IDS (1 << 22) // the word cache is emptied when it holds this many ids

typedef struct {
    int n_tokens;         // vocabulary size
    uint32_t *tok_off;    // (n_tokens + 1) token i is bytes[tok_off[i] .. tok_off[i+1])
    char *bytes;          // every token's bytes back to back
    strmap tok_ids;       // token bytes → id
    int32_t byte_id[256]; // id of the token that is exactly byte b
    int n_merges;         // merges, in rank order
    int32_t *merges;      // (n_merges, 2) left and right id of each merge
    u64map ranks;         // (left << 32 | right) → (rank << 32 | id of the merged token)
    int n_special;        // special tokens: found literally in the text, never merged
    int32_t *special;     // (n_special) their ids
    int eot;              // id of "<|endoftext|>", or -1
    strmap cache;         // piece bytes → (offset << 8 | count) into cache_ids
    ids_vec cache_ids;    // the cached pieces' ids
    int32_t *w_tok;       // (w_cap) scratch for one piece: token per symbol (-1 once merged away)
    int32_t *w_next;      // (w_cap) next live symbol, -1 at the end
    int32_t *w_prev;      // (w_cap) previous live symbol, -1 at the start
    uint64_t *w_heap;     // (w_cap) min-heap of (rank << 32 | position) candidate merges
    size_t w_cap;         // symbols the scratch arrays hold
} bpe;

/* Building (bpe_tables.c): bpe_set_tokens takes the tokens' bytes (tok_off/bytes, malloc'd, owned after the
 * call even on failure); bpe_set_merges takes the (n_merges, 2) pairs of token ids (owned after the call),
 * checks that every merge makes a token and only uses bytes and earlier merges, and finds the specials. */
int bpe_set_tokens(bpe *b, int n_tokens, uint32_t *tok_off, char *bytes);
int bpe_set_merges(bpe *b, int32_t *merges, int n_merges);
void bpe_free(bpe *b);
const char *bpe_token(const bpe *b, int id, size_t *len); // token id's bytes

/* GPT-2's bytes_to_unicode: byte b is shown as code point gpt2_byte_cp(b) in encoder.json and vocab.bpe. */
uint32_t gpt2_byte_cp(int b);
int gpt2_cp_byte(uint32_t cp); // the inverse; -1 for a code point that stands for no byte
int gpt2_byte_rank(int b);     // GPT-2's id for byte b: bytes sorted by gpt2_byte_cp

/* Encoding (bpe_encode.c). bpe_merge_piece applies the merges to symbols tok[0..n) in place and returns the
 * new count (-1 when out of memory): rescanning for short pieces, a heap for long ones (same result).
 * bpe_merge_all merges every (left, right) into id, left to right, in place, and returns the new count. */
int bpe_encode(bpe *b, const char *text, size_t len, ids_vec *out);
int bpe_decode(const bpe *b, const int32_t *ids, size_t n, char **text, size_t *len);
int bpe_merge_piece(bpe *b, int32_t *tok, int n);
int bpe_merge_piece_scan(const bpe *b, int32_t *tok, int n);
int bpe_merge_piece_heap(bpe *b, int32_t *tok, int n);
int bpe_merge_all(int32_t *sym, int n, int32_t left, int32_t right, int32_t id);

/* Files (bpe_files.c): DIR/encoder.json + DIR/vocab.bpe. */
int bpe_load(bpe *b, const char *dir);
int bpe_save(const bpe *b, const char *dir);

/* Training (bpe_train.c). If seg is not NULL it receives the trainer's own segmentation of text (the merged
 * symbols of every piece, as ids of the trained vocabulary, and the specials), for tests. */
int bpe_train(bpe *b, const char *text, size_t len, int vocab_size, ids_vec *seg);

/* ---- shared ---- */

int tok_mkdir(const char *dir);                                                 // creates dir (and parents) if missing
char *tok_path(const char *dir, const char *file);                              // malloc'd "dir/file"
int tok_read_text(const char *dir, const char *file, char **data, size_t *len); // whole file, NUL-terminated
int tok_error_prefix(const char *before, const char *sep); // the last error again as "before sep error"

#endif
