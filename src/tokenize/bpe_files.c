/* GPT-2's tokenizer files: DIR/encoder.json ({"token": id, ...}) and DIR/vocab.bpe ("#version: 0.2", then one
 * merge "left right" a line, in rank order). Tokens are written in GPT-2's byte alphabet (gpt2_byte_cp). */
#include "axon/io.h"
#include "tokenize/tok_internal.h"
#include "tokenize/unicode.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BPE_MAX_TOKENS (1 << 24) // a larger encoder.json is rejected
#define HF_VOCAB "vocab.json"     // Hugging Face's name for encoder.json
#define HF_MERGES "merges.txt"    // and for vocab.bpe

/* ---- the byte alphabet ---- */

// token text (UTF-8 in the byte alphabet) → bytes into out (≥ n bytes); -1 and *bad = the offending code point
static int alphabet_to_bytes(const char *s, size_t n, char *out, size_t *out_len, uint32_t *bad) {
    size_t k = 0;
    for (size_t i = 0, len; i < n; i += len) {
        uint32_t cp = utf8_decode((const unsigned char *)s + i, n - i, &len);
        int byte = cp == UTF8_INVALID ? -1 : gpt2_cp_byte(cp);
        if (byte < 0) {
            *bad = cp == UTF8_INVALID ? (unsigned char)s[i] : cp;
            return -1;
        }
        out[k++] = (char)byte;
    }
    *out_len = k;
    return 0;
}

// token bytes → its text in the byte alphabet, NUL-terminated, into out (≥ 2·n + 1 bytes)
static void bytes_to_alphabet(const char *t, size_t n, char *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += utf8_encode(gpt2_byte_cp((unsigned char)t[i]), out + k);
    out[k] = '\0';
}

/* ---- encoder.json ---- */

static int parse_encoder(bpe *b, const cJSON *root) {
    int n = cJSON_GetArraySize(root);
    if (n < 256 || n > BPE_MAX_TOKENS)
        return ax_error("encoder.json has %d tokens (expected 256 .. %d)", n, BPE_MAX_TOKENS);
    const char **text = calloc((size_t)n, sizeof *text); // text[id]: the token's key
    uint32_t *off = malloc(((size_t)n + 1) * sizeof *off);
    size_t total = 0;
    for (const cJSON *it = root->child; it; it = it->next) total += strlen(it->string);
    char *bytes = malloc(total + 1);
    if (!text || !off || !bytes) {
        free(text), free(off), free(bytes);
        return ax_error("out of memory reading encoder.json");
    }
    int rc = AX_OK;
    for (const cJSON *it = root->child; it && rc == AX_OK; it = it->next) {
        double v = it->valuedouble;
        if (!cJSON_IsNumber(it))
            rc = ax_error("encoder.json: the id of token \"%.40s\" is not a number", it->string);
        else if (!(v >= 0 && v < n) || v != (double)(int)v)
            rc = ax_error("encoder.json: token \"%.40s\" has id %g; ids must be integers 0 .. %d", it->string, v, n - 1);
        else if (text[(int)v])
            rc = ax_error("encoder.json: id %d is given to two tokens", (int)v);
        else
            text[(int)v] = it->string;
    }
    size_t pos = 0;
    for (int id = 0; id < n && rc == AX_OK; id++) {
        size_t len;
        uint32_t bad;
        off[id] = (uint32_t)pos;
        if (alphabet_to_bytes(text[id], strlen(text[id]), bytes + pos, &len, &bad) != 0)
            rc = ax_error("encoder.json: token \"%.40s\" has a character (U+%04X) outside GPT-2's byte alphabet",
                          text[id], bad);
        pos += len;
    }
    off[n] = (uint32_t)pos;
    free(text);
    if (rc != AX_OK) {
        free(off), free(bytes);
        return rc;
    }
    return bpe_set_tokens(b, n, off, bytes);
}

/* ---- vocab.bpe ---- */

static int parse_token(const bpe *b, const char *s, size_t n, int line, int32_t *id) {
    char stack[256];
    char *buf = n <= sizeof stack ? stack : malloc(n);
    if (!buf) return ax_error("out of memory");
    size_t len;
    uint32_t bad;
    int rc = AX_OK;
    if (alphabet_to_bytes(s, n, buf, &len, &bad) != 0)
        rc = ax_error("vocab.bpe line %d: a character (U+%04X) outside GPT-2's byte alphabet", line, bad);
    const uint64_t *v = rc == AX_OK ? strmap_find(&b->tok_ids, buf, len) : NULL;
    if (rc == AX_OK && !v)
        rc = ax_error("vocab.bpe line %d: \"%.*s\" is not in encoder.json", line, (int)(n > 40 ? 40 : n), s);
    if (v) *id = (int32_t)*v;
    if (buf != stack) free(buf);
    return rc;
}

// one line "left right" of vocab.bpe (p .. stop) → the two ids
static int parse_merge(const bpe *b, const char *p, const char *stop, int line, int32_t *pair) {
    const char *sp = memchr(p, ' ', (size_t)(stop - p));
    if (!sp || sp == p || sp + 1 == stop || memchr(sp + 1, ' ', (size_t)(stop - sp - 1)))
        return ax_error("vocab.bpe line %d: expected two tokens separated by one space", line);
    if (parse_token(b, p, (size_t)(sp - p), line, &pair[0]) != AX_OK) return AX_ERR;
    return parse_token(b, sp + 1, (size_t)(stop - sp - 1), line, &pair[1]);
}

static int parse_merges(bpe *b, const char *text, size_t len) {
    const char *p = text, *end = text + len;
    int line = 1;
    if (p < end && *p == '#') { // "#version: 0.2"
        const char *eol = memchr(p, '\n', len);
        p = eol ? eol + 1 : end;
        line++;
    }
    size_t cap = 1;
    for (const char *q = p; q < end; q++) cap += *q == '\n';
    if (cap > BPE_MAX_TOKENS) return ax_error("vocab.bpe has more than %d merges", BPE_MAX_TOKENS);
    int32_t *merges = malloc(cap * 2 * sizeof *merges);
    if (!merges) return ax_error("out of memory reading vocab.bpe");
    int n = 0, rc = AX_OK;
    for (; p < end && rc == AX_OK; line++, n++) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        rc = parse_merge(b, p, eol > p && eol[-1] == '\r' ? eol - 1 : eol, line, &merges[2 * n]);
        p = eol + 1;
    }
    if (rc != AX_OK) {
        free(merges);
        return rc;
    }
    return bpe_set_merges(b, merges, n) == AX_OK ? AX_OK : tok_error_prefix("vocab.bpe", ": ");
}

/* ---- load / save ---- */

static int parse_encoder_text(bpe *b, const char *text, size_t len) {
    cJSON *root = cJSON_ParseWithLength(text, len);
    int rc = cJSON_IsObject(root) ? parse_encoder(b, root)
                                  : ax_error("encoder.json is not %s", root ? "a JSON object" : "valid JSON");
    cJSON_Delete(root);
    return rc;
}

int bpe_load(bpe *b, const char *dir) {
    *b = (bpe){0};
    b->eot = -1;
    char *enc = NULL, *merges = NULL;
    size_t enc_len, merges_len;
    // OpenAI's names, else Hugging Face's (GPT2Tokenizer: the same two formats)
    char *probe = tok_path(dir, "encoder.json");
    bool hf = probe && access(probe, F_OK) != 0;
    free(probe);
    int rc = tok_read_text(dir, hf ? HF_VOCAB : "encoder.json", &enc, &enc_len);
    if (rc == AX_OK) rc = tok_read_text(dir, hf ? HF_MERGES : "vocab.bpe", &merges, &merges_len);
    if (rc == AX_OK && (parse_encoder_text(b, enc, enc_len) != AX_OK || parse_merges(b, merges, merges_len) != AX_OK))
        rc = tok_error_prefix(dir, "/");
    free(enc);
    free(merges);
    if (rc != AX_OK) bpe_free(b);
    return rc;
}

static int save_encoder(const bpe *b, const char *path) {
    size_t longest = 0;
    for (int id = 0; id < b->n_tokens; id++)
        if (b->tok_off[id + 1] - b->tok_off[id] > longest) longest = b->tok_off[id + 1] - b->tok_off[id];
    cJSON *root = cJSON_CreateObject();
    char *key = malloc(2 * longest + 1); // a token in the byte alphabet: at most 2 UTF-8 bytes per byte
    int rc = root && key ? AX_OK : ax_error("out of memory");
    for (int id = 0; id < b->n_tokens && rc == AX_OK; id++) {
        size_t len;
        const char *t = bpe_token(b, id, &len);
        bytes_to_alphabet(t, len, key);
        if (!cJSON_AddNumberToObject(root, key, id)) rc = ax_error("out of memory");
    }
    char *json = rc == AX_OK ? cJSON_PrintUnformatted(root) : NULL;
    if (rc == AX_OK) rc = json ? ax_write_file_atomic(path, json, strlen(json)) : ax_error("out of memory");
    free(json);
    free(key);
    cJSON_Delete(root);
    return rc;
}

static int save_merges(const bpe *b, const char *path) {
    size_t cap = 16; // "#version: 0.2\n"
    for (int r = 0; r < b->n_merges; r++)
        cap += 2 * (b->tok_off[b->merges[2 * r] + 1] - b->tok_off[b->merges[2 * r]]) +
               2 * (b->tok_off[b->merges[2 * r + 1] + 1] - b->tok_off[b->merges[2 * r + 1]]) + 3;
    char *out = malloc(cap), *p = out;
    if (!out) return ax_error("out of memory");
    p += sprintf(p, "#version: 0.2\n");
    for (int r = 0; r < b->n_merges; r++) {
        for (int side = 0; side < 2; side++) {
            size_t len;
            const char *t = bpe_token(b, b->merges[2 * r + side], &len);
            bytes_to_alphabet(t, len, p);
            p += strlen(p);
            *p++ = side ? '\n' : ' ';
        }
    }
    int rc = ax_write_file_atomic(path, out, (size_t)(p - out));
    free(out);
    return rc;
}

// Writes the vocabulary and merges as DIR/<encoder_name> and DIR/<merges_name>.
static int save_pair(const bpe *b, const char *dir, const char *encoder_name, const char *merges_name) {
    char *enc = tok_path(dir, encoder_name), *merges = tok_path(dir, merges_name);
    int rc = enc && merges ? AX_OK : ax_error("out of memory");
    if (rc == AX_OK) rc = save_encoder(b, enc);
    if (rc == AX_OK) rc = save_merges(b, merges);
    free(enc);
    free(merges);
    return rc;
}

// Under OpenAI's names and Hugging Face's, so that GPT2Tokenizer.from_pretrained(DIR) reads the directory too.
int bpe_save(const bpe *b, const char *dir) {
    int rc = save_pair(b, dir, "encoder.json", "vocab.bpe");
    return rc == AX_OK ? save_pair(b, dir, HF_VOCAB, HF_MERGES) : rc;
}
