/* The tokenizers' hash maps (see hashmap.h): linear probing over power-of-two tables. */
#include "tokenize/hashmap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t mix64(uint64_t x) { // splitmix64's finaliser
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t hash_bytes(const char *s, size_t n) { // eight bytes at a time
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    return mix64(h ^ w);
}

// p points at a pointer of any object type: it is read and written with memcpy, which may alias anything
bool array_grow(void *p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *old, *q;
    memcpy(&old, p, sizeof old);
    if (!(q = realloc(old, c * elem))) return false;
    memcpy(p, &q, sizeof q);
    *cap = c;
    return true;
}

/* ---- strmap ---- */

static uint32_t *str_slot(const strmap *m, const char *key, size_t len, uint64_t h) {
    uint32_t mask = m->cap - 1, h32 = (uint32_t)h;
    for (uint32_t i = (uint32_t)(h >> 32) & mask;; i = (i + 1) & mask) {
        uint32_t e = m->slots[i];
        if (e == 0) return &m->slots[i];
        const strmap_entry *en = &m->entries[e - 1];
        if (m->slot_hash[i] == h32 && en->len == len && memcmp(m->keys + en->off, key, len) == 0) return &m->slots[i];
    }
}

static bool str_rehash(strmap *m, uint32_t cap) {
    uint32_t *slots = calloc(cap, sizeof *slots), *hashes = malloc(cap * sizeof *hashes);
    if (!slots || !hashes) {
        free(slots);
        free(hashes);
        return false;
    }
    free(m->slots);
    free(m->slot_hash);
    m->slots = slots;
    m->slot_hash = hashes;
    m->cap = cap;
    for (uint32_t e = 0; e < m->n; e++) {
        const strmap_entry *en = &m->entries[e];
        uint64_t h = hash_bytes(m->keys + en->off, en->len);
        uint32_t *s = str_slot(m, m->keys + en->off, en->len, h);
        *s = e + 1;
        m->slot_hash[s - m->slots] = (uint32_t)h;
    }
    return true;
}

uint64_t *strmap_find(const strmap *m, const char *key, size_t len) {
    if (m->n == 0) return NULL;
    uint32_t e = *str_slot(m, key, len, hash_bytes(key, len));
    return e ? &m->entries[e - 1].value : NULL;
}

uint64_t *strmap_add(strmap *m, const char *key, size_t len, uint64_t value, bool *added) {
    *added = false;
    if ((size_t)(m->n + 1) * 2 > m->cap && !str_rehash(m, m->cap ? m->cap * 2 : 64)) return NULL;
    uint64_t h = hash_bytes(key, len);
    uint32_t *s = str_slot(m, key, len, h);
    if (*s) return &m->entries[*s - 1].value;
    if (m->keys_len + len > UINT32_MAX || !array_grow(&m->entries, &m->n_cap, (size_t)m->n + 1, sizeof *m->entries) ||
        !array_grow(&m->keys, &m->keys_cap, m->keys_len + len + 1, 1))
        return NULL;
    memcpy(m->keys + m->keys_len, key, len);
    m->entries[m->n] = (strmap_entry){(uint32_t)m->keys_len, (uint32_t)len, value};
    m->keys_len += len;
    *s = ++m->n;
    m->slot_hash[s - m->slots] = (uint32_t)h;
    *added = true;
    return &m->entries[m->n - 1].value;
}

const char *strmap_key(const strmap *m, uint32_t i, size_t *len) {
    *len = m->entries[i].len;
    return m->keys + m->entries[i].off;
}

void strmap_clear(strmap *m) {
    if (m->slots) memset(m->slots, 0, m->cap * sizeof *m->slots);
    m->n = 0;
    m->keys_len = 0;
}

void strmap_free(strmap *m) {
    free(m->slots);
    free(m->slot_hash);
    free(m->entries);
    free(m->keys);
    *m = (strmap){0};
}

/* ---- u64map ---- */

static size_t u64_slot(const u64map *m, uint64_t key) {
    size_t mask = m->cap - 1;
    size_t i = (size_t)mix64(key) & mask;
    while (m->keys[i] != UINT64_MAX && m->keys[i] != key) i = (i + 1) & mask;
    return i;
}

static bool u64_rehash(u64map *m, size_t cap) {
    uint64_t *keys = malloc(cap * sizeof *keys), *values = malloc(cap * sizeof *values);
    if (!keys || !values) {
        free(keys);
        free(values);
        return false;
    }
    memset(keys, 0xFF, cap * sizeof *keys);
    u64map old = *m;
    m->keys = keys;
    m->values = values;
    m->cap = cap;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.keys[i] == UINT64_MAX) continue;
        size_t s = u64_slot(m, old.keys[i]);
        m->keys[s] = old.keys[i];
        m->values[s] = old.values[i];
    }
    free(old.keys);
    free(old.values);
    return true;
}

uint64_t *u64map_find(const u64map *m, uint64_t key) {
    if (m->n == 0) return NULL;
    size_t s = u64_slot(m, key);
    return m->keys[s] == key ? &m->values[s] : NULL;
}

uint64_t *u64map_add(u64map *m, uint64_t key, uint64_t value, bool *added) {
    *added = false;
    if ((m->n + 1) * 2 > m->cap && !u64_rehash(m, m->cap ? m->cap * 2 : 64)) return NULL;
    size_t s = u64_slot(m, key);
    if (m->keys[s] != key) {
        m->keys[s] = key;
        m->values[s] = value;
        m->n++;
        *added = true;
    }
    return &m->values[s];
}

void u64map_free(u64map *m) {
    free(m->keys);
    free(m->values);
    *m = (u64map){0};
}
