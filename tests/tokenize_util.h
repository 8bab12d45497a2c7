/* Helpers shared by the tokenizer tests (tests/test_tokenize*.c): fixtures, temp dirs, comparisons. */
#ifndef AX_TESTS_TOKENIZE_UTIL_H
#define AX_TESTS_TOKENIZE_UTIL_H

#include "check.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// a file from tests/fixtures/ (malloc'd, NUL-terminated); exits if missing
static inline char *tu_fixture_text(const char *name, size_t *len) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", AX_FIXTURE_DIR, name);
    void *buf;
    if (ax_read_file(path, 64u << 20, &buf, len) != AX_OK) {
        fprintf(stderr, "fixture: %s\n", ax_last_error());
        exit(1);
    }
    return buf;
}

// the "ids" array of a tests/fixtures/*.ids.json file (malloc'd)
static inline int32_t *tu_fixture_ids(const char *name, size_t *n) {
    size_t len;
    char *text = tu_fixture_text(name, &len);
    cJSON *root = cJSON_ParseWithLength(text, len), *ids = cJSON_GetObjectItemCaseSensitive(root, "ids");
    free(text);
    if (!cJSON_IsArray(ids)) {
        fprintf(stderr, "fixture %s: no ids array\n", name);
        exit(1);
    }
    *n = (size_t)cJSON_GetArraySize(ids);
    int32_t *out = malloc((*n + 1) * sizeof *out);
    size_t i = 0;
    for (const cJSON *v = ids->child; v; v = v->next) out[i++] = (int32_t)v->valuedouble;
    cJSON_Delete(root);
    return out;
}

// index of the first difference of two id lists, or -1 if equal
static inline long tu_first_diff(const int32_t *a, size_t na, const int32_t *b, size_t nb) {
    size_t n = na < nb ? na : nb;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return (long)i;
    return na == nb ? -1 : (long)n;
}

static inline void tu_mkdtemp(char *dir, size_t cap) {
    snprintf(dir, cap, "/tmp/axon_tok_XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
}

static inline void tu_write(const char *dir, const char *file, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(text, 1, strlen(text), fp) != strlen(text) || fclose(fp) != 0) {
        perror(path);
        exit(1);
    }
}

static inline void tu_rmtree(const char *dir) { // a directory made by tu_mkdtemp, with everything in it
    char cmd[600], out[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    check_run(cmd, out, sizeof out);
}

// encode then decode must give back the bytes
static inline bool tu_round_trip(ax_tokenizer *tok, const char *text, size_t len) {
    int32_t *ids;
    size_t n, back_len;
    char *back = NULL;
    if (ax_tokenizer_encode(tok, text, len, &ids, &n) != AX_OK) return false;
    bool ok =
        ax_tokenizer_decode(tok, ids, n, &back, &back_len) == AX_OK && back_len == len && memcmp(back, text, len) == 0;
    free(back);
    free(ids);
    return ok;
}

#endif
