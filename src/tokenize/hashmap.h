/* Growable arrays and open-addressing hash maps for the tokenizers (internal): byte strings → uint64 (strmap)
 * and uint64 → uint64 (u64map). Maps grow by doubling at 50% load; adds return NULL when memory runs out. */
#ifndef AX_TOKENIZE_HASHMAP_H
#define AX_TOKENIZE_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* p is the address of an array pointer (T **): the array is reallocated to hold need elements of elem bytes,
 * doubling *cap; false (array untouched) when memory runs out. */
bool array_grow(void *p, size_t *cap, size_t need, size_t elem);

typedef struct {
    uint32_t off, len; // the key is keys[off .. off+len)
    uint64_t value;    // its value
} strmap_entry;

typedef struct {
    uint32_t *slots;       // (cap) entry index + 1; 0 = empty
    uint32_t *slot_hash;   // (cap) low 32 bits of the hash of the entry in each slot
    uint32_t cap;          // slots, a power of two (0 before the first add)
    strmap_entry *entries; // (n) in insertion order
    uint32_t n;            // entries used
    size_t n_cap;          // entries allocated
    char *keys;            // (keys_len) every key back to back
    size_t keys_len, keys_cap;
} strmap;

uint64_t *strmap_find(const strmap *m, const char *key, size_t len);                       // NULL if absent
uint64_t *strmap_add(strmap *m, const char *key, size_t len, uint64_t value, bool *added); // existing or new value
const char *strmap_key(const strmap *m, uint32_t i, size_t *len);                          // key of entry i
void strmap_clear(strmap *m);                                                              // keeps the memory
void strmap_free(strmap *m);

typedef struct {
    uint64_t *keys;   // (cap) UINT64_MAX = empty
    uint64_t *values; // (cap)
    size_t cap, n;    // slots (power of two) and entries
} u64map;

uint64_t *u64map_find(const u64map *m, uint64_t key);                       // NULL if absent
uint64_t *u64map_add(u64map *m, uint64_t key, uint64_t value, bool *added); // key ≠ UINT64_MAX
void u64map_free(u64map *m);

#endif
