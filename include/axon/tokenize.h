/* axon/tokenize.h — tokenizers: text bytes ⇄ token ids (docs/tokenize.md).
 *
 * Two kinds behind one handle:
 *   char  one token per Unicode character of the training corpus; file DIR/char_vocab.json
 *         {"axon_tokenizer": "char", "version": 1, "chars": ["\n", " ", "!", ...]} (id = index).
 *         Input must be valid UTF-8 made of characters in the vocabulary (else AX_ERR, one line).
 *   bpe   byte-level BPE exactly as GPT-2: the GPT-2 pre-tokenizer regex, bytes_to_unicode, merges by rank.
 *         Files DIR/encoder.json (token → id) + DIR/vocab.bpe ("#version: 0.2", then one merge "a b" a line,
 *         rank = line order), the format of openai/gpt-2. Any bytes round-trip (invalid UTF-8 included).
 *         Entries of encoder.json that are neither single bytes nor made by a merge are special tokens
 *         (GPT-2: "<|endoftext|>" = 50256): where their text appears in the input it becomes that id.
 *
 * The name "gpt2" means the GPT-2 files shipped in data/gpt2/ (or $AXON_DATA/gpt2/ when AXON_DATA is set).
 * A model stores its tokenizer with ax_tokenizer_save(tok, ckpt_dir) and gets it back with ax_tokenizer_load.
 * Encoding caches words inside the handle: one handle must not encode from two threads at once. */
#ifndef AXON_TOKENIZE_H
#define AXON_TOKENIZE_H

#include "base.h"

typedef enum {
    AX_TOK_CHAR = 0, // character-level, vocabulary from a corpus
    AX_TOK_BPE,      // byte-level BPE (GPT-2 or trained by ax_bpe_train)
} ax_tokenizer_kind;

typedef struct ax_tokenizer ax_tokenizer; // opaque; free with ax_tokenizer_free

int ax_tokenizer_load(const char *name_or_dir, ax_tokenizer **out); // "gpt2" or a directory with tokenizer files
int ax_tokenizer_save(const ax_tokenizer *tok, const char *dir);    // writes its files into dir (created if missing)
void ax_tokenizer_free(ax_tokenizer *tok);                          // NULL is fine

ax_tokenizer_kind ax_tokenizer_kind_of(const ax_tokenizer *tok);
int ax_tokenizer_vocab_size(const ax_tokenizer *tok); // ids are 0 .. vocab_size-1
int ax_tokenizer_eot(const ax_tokenizer *tok);        // id of "<|endoftext|>", or -1 if it has none

/* text (len bytes, need not be NUL-terminated) → *ids (malloc'd, *n_ids of them; free with free()). */
int ax_tokenizer_encode(ax_tokenizer *tok, const char *text, size_t len, int32_t **ids, size_t *n_ids);
/* ids → *text (malloc'd, *len bytes plus a terminating NUL). An id out of range is AX_ERR. */
int ax_tokenizer_decode(const ax_tokenizer *tok, const int32_t *ids, size_t n_ids, char **text, size_t *len);

/* A char tokenizer whose vocabulary is the sorted set of characters in text (must be valid UTF-8). */
int ax_char_tokenizer_build(const char *text, size_t len, ax_tokenizer **out);

/* Trains a byte-level BPE on text: GPT-2 pre-tokenization (and "<|endoftext|>" splits documents), then
 * repeatedly merges the most frequent adjacent pair (ties: smaller left id, then smaller right id) until the
 * vocabulary holds vocab_size tokens (256 bytes + merges + "<|endoftext|>") or no pair occurs twice. */
int ax_bpe_train(const char *text, size_t len, int vocab_size, ax_tokenizer **out);

#endif
