/* The character-level tokenizer: one id per Unicode character of the corpus, ids in code-point order.
 * File DIR/char_vocab.json: {"axon_tokenizer": "char", "version": 1, "chars": ["\n", " ", "!", ...]}. */
#include "axon/io.h"
#include "tokenize/tok_internal.h"
#include "tokenize/unicode.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAR_VOCAB_FILE "char_vocab.json"
#define CHAR_VOCAB_MAX (1 << 21) // more ids than there are code points is corrupt

int char_vocab_init(char_vocab *v, uint32_t *cps, int n) {
    v->cps = cps;
    v->n = n;
    for (int c = 0; c < 128; c++) v->ascii[c] = -1;
    for (int id = 0; id < n && cps[id] < 128; id++) v->ascii[cps[id]] = id;
    return n > 0 ? AX_OK : ax_error("a char vocabulary needs at least one character");
}

static int not_utf8(const char *what, const char *text, size_t len) {
    size_t at = utf8_invalid_at(text, len);
    return ax_error("%s is not valid UTF-8: byte 0x%02X at offset %zu", what, (unsigned char)text[at], at);
}

int char_vocab_build(char_vocab *v, const char *text, size_t len) {
    if (utf8_invalid_at(text, len) < len) return not_utf8("the corpus", text, len);
    uint8_t *seen = calloc(0x110000 / 8, 1); // one bit per code point
    if (!seen) return ax_error("out of memory");
    int n = 0;
    for (size_t i = 0, l; i < len; i += l) {
        uint32_t cp = utf8_decode((const unsigned char *)text + i, len - i, &l);
        n += !(seen[cp >> 3] >> (cp & 7) & 1);
        seen[cp >> 3] |= (uint8_t)(1u << (cp & 7));
    }
    uint32_t *cps = malloc(((size_t)n + 1) * sizeof *cps);
    if (!cps) {
        free(seen);
        return ax_error("out of memory");
    }
    int k = 0;
    for (uint32_t cp = 0; cp < 0x110000; cp++)
        if (seen[cp >> 3] >> (cp & 7) & 1) cps[k++] = cp;
    free(seen);
    int rc = char_vocab_init(v, cps, n);
    if (rc != AX_OK) char_vocab_free(v);
    return rc;
}

static int32_t char_id(const char_vocab *v, uint32_t cp) {
    if (cp < 128) return v->ascii[cp];
    int lo = 0, hi = v->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (v->cps[mid] == cp) return mid;
        if (v->cps[mid] < cp)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

int char_vocab_encode(const char_vocab *v, const char *text, size_t len, ids_vec *out) {
    for (size_t i = 0, l; i < len; i += l) {
        uint32_t cp = utf8_decode((const unsigned char *)text + i, len - i, &l);
        if (cp == UTF8_INVALID) return not_utf8("the text", text, len);
        int32_t id = char_id(v, cp);
        if (id < 0) return ax_error("character U+%04X at byte %zu is not in the tokenizer's vocabulary", cp, i);
        if (ids_push(out, &id, 1) != AX_OK) return AX_ERR;
    }
    return AX_OK;
}

int char_vocab_decode(const char_vocab *v, const int32_t *ids, size_t n, char **text, size_t *len) {
    *text = NULL;
    *len = 0;
    char *out = malloc(4 * n + 1);
    if (!out) return ax_error("out of memory decoding %zu tokens", n);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= v->n) {
            free(out);
            return ax_error("token id %d (position %zu) is out of range: the vocabulary has %d tokens", (int)ids[i], i,
                            v->n);
        }
        pos += utf8_encode(v->cps[ids[i]], out + pos);
    }
    out[pos] = '\0';
    *text = out;
    *len = pos;
    return AX_OK;
}

int char_vocab_save(const char_vocab *v, const char *dir) {
    cJSON *root = cJSON_CreateObject(), *chars = cJSON_CreateArray();
    int rc = root && chars && cJSON_AddStringToObject(root, "axon_tokenizer", "char") &&
                     cJSON_AddNumberToObject(root, "version", 1) && cJSON_AddItemToObject(root, "chars", chars)
                 ? AX_OK
                 : ax_error("out of memory");
    if (rc != AX_OK) cJSON_Delete(chars);
    for (int id = 0; id < v->n && rc == AX_OK; id++) {
        char buf[5] = {0};
        utf8_encode(v->cps[id], buf);
        if (!cJSON_AddItemToArray(chars, cJSON_CreateString(buf))) rc = ax_error("out of memory");
    }
    char *json = rc == AX_OK ? cJSON_Print(root) : NULL, *path = tok_path(dir, CHAR_VOCAB_FILE);
    if (rc == AX_OK) rc = json && path ? ax_write_file_atomic(path, json, strlen(json)) : ax_error("out of memory");
    free(json);
    free(path);
    cJSON_Delete(root);
    return rc;
}

// the "chars" array → ascending code points (U+0000 is stored as "": cJSON strings end at a NUL)
static int parse_chars(char_vocab *v, const cJSON *chars) {
    int n = cJSON_GetArraySize(chars);
    if (n < 1 || n > CHAR_VOCAB_MAX)
        return ax_error(CHAR_VOCAB_FILE ": \"chars\" has %d entries (1 .. %d)", n, CHAR_VOCAB_MAX);
    uint32_t *cps = malloc((size_t)n * sizeof *cps);
    if (!cps) return ax_error("out of memory");
    int id = 0;
    for (const cJSON *c = chars->child; c; c = c->next, id++) {
        const char *s = cJSON_GetStringValue(c);
        size_t len = s ? strlen(s) : 0, l = 0;
        uint32_t cp = len ? utf8_decode((const unsigned char *)s, len, &l) : 0;
        if (!s || (len && (cp == UTF8_INVALID || l != len)) || (id > 0 && cp <= cps[id - 1])) {
            free(cps);
            return ax_error(CHAR_VOCAB_FILE ": entry %d must be one character, in ascending code-point order", id);
        }
        cps[id] = cp;
    }
    return char_vocab_init(v, cps, n);
}

int char_vocab_load(char_vocab *v, const char *dir) {
    *v = (char_vocab){0};
    char *text;
    size_t len;
    if (tok_read_text(dir, CHAR_VOCAB_FILE, &text, &len) != AX_OK) return AX_ERR;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(root, "axon_tokenizer");
    const cJSON *chars = cJSON_GetObjectItemCaseSensitive(root, "chars");
    int rc;
    if (!root)
        rc = ax_error("%s/" CHAR_VOCAB_FILE " is not valid JSON", dir);
    else if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "char") != 0 || !cJSON_IsArray(chars))
        rc = ax_error("%s/" CHAR_VOCAB_FILE " needs \"axon_tokenizer\": \"char\" and a \"chars\" array", dir);
    else if ((rc = parse_chars(v, chars)) != AX_OK)
        rc = tok_error_prefix(dir, "/");
    cJSON_Delete(root);
    return rc;
}

void char_vocab_free(char_vocab *v) {
    free(v->cps);
    *v = (char_vocab){0};
}
