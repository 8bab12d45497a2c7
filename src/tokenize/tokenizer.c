/* The generic tokenizer handle: finds, loads and saves the files of either kind and dispatches to it. */
#include "axon/io.h"
#include "tokenize/tok_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef AX_DATA_DIR
#define AX_DATA_DIR "data"
#endif

#define TOK_MAX_FILE (256u * 1024 * 1024) // tokenizer files larger than this are rejected

struct ax_tokenizer {
    ax_tokenizer_kind kind; // which of the two below is in use
    char_vocab chars;       // AX_TOK_CHAR: the characters
    bpe bpe;                // AX_TOK_BPE: vocabulary, merges, encoder cache
};

/* ---- shared helpers ---- */

int ids_push(ids_vec *a, const int32_t *ids, size_t n) {
    if (!array_grow(&a->v, &a->cap, a->n + n, sizeof *a->v)) return ax_error("out of memory (%zu token ids)", a->n + n);
    memcpy(a->v + a->n, ids, n * sizeof *ids);
    a->n += n;
    return AX_OK;
}

char *tok_path(const char *dir, const char *file) {
    size_t len = strlen(dir) + strlen(file) + 2;
    char *p = malloc(len);
    if (p) snprintf(p, len, "%s/%s", dir, file);
    return p;
}

int tok_read_text(const char *dir, const char *file, char **data, size_t *len) {
    char *path = tok_path(dir, file);
    if (!path) return ax_error("out of memory");
    int rc = ax_read_file(path, TOK_MAX_FILE, (void **)data, len);
    free(path);
    return rc;
}

int tok_error_prefix(const char *before, const char *sep) {
    char msg[400];
    snprintf(msg, sizeof msg, "%s", ax_last_error());
    return ax_error("%s%s%s", before, sep, msg);
}

int tok_mkdir(const char *dir) {
    if (!*dir) return ax_error("the directory name is empty");
    char *p = strdup(dir);
    if (!p) return ax_error("out of memory");
    for (char *s = p + 1;; s++) { // each prefix that ends before a '/', then the whole path
        bool last = *s == '\0';
        if (*s != '/' && !last) continue;
        *s = '\0';
        struct stat st;
        if (mkdir(p, 0777) != 0 && (errno != EEXIST || stat(p, &st) != 0 || !S_ISDIR(st.st_mode))) {
            int rc = ax_error("cannot create directory %s: %s", p,
                              errno == EEXIST ? "a file is in the way" : strerror(errno));
            free(p);
            return rc;
        }
        if (last) break;
        *s = '/';
    }
    free(p);
    return AX_OK;
}

static bool file_exists(const char *dir, const char *file) {
    char *path = tok_path(dir, file);
    struct stat st;
    bool ok = path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
    free(path);
    return ok;
}

/* ---- load / save ---- */

static ax_tokenizer *tokenizer_new(ax_tokenizer_kind kind) {
    ax_tokenizer *t = calloc(1, sizeof *t);
    if (t) t->kind = kind, t->bpe.eot = -1;
    return t;
}

// "gpt2" → $AXON_DATA/gpt2 or AX_DATA_DIR/gpt2; anything else is a directory; malloc'd
static char *resolve_dir(const char *name) {
    if (strcmp(name, "gpt2") != 0) return strdup(name);
    const char *data = getenv("AXON_DATA");
    return tok_path(data && *data ? data : AX_DATA_DIR, "gpt2");
}

int ax_tokenizer_load(const char *name_or_dir, ax_tokenizer **out) {
    *out = NULL;
    char *dir = resolve_dir(name_or_dir);
    if (!dir) return ax_error("out of memory");
    ax_tokenizer *t = NULL;
    int rc;
    if (file_exists(dir, "encoder.json") || file_exists(dir, "vocab.json")) { // OpenAI's or Hugging Face's names
        rc = (t = tokenizer_new(AX_TOK_BPE)) ? bpe_load(&t->bpe, dir) : ax_error("out of memory");
    } else if (file_exists(dir, "char_vocab.json")) {
        rc = (t = tokenizer_new(AX_TOK_CHAR)) ? char_vocab_load(&t->chars, dir) : ax_error("out of memory");
    } else if (strcmp(name_or_dir, "gpt2") == 0) {
        rc = ax_error("the GPT-2 tokenizer files are not in %s (run data/get_gpt2_vocab.sh, or set AXON_DATA to the "
                      "folder that holds gpt2/)",
                      dir);
    } else {
        rc = ax_error("no tokenizer in %s (expected encoder.json + vocab.bpe, vocab.json + merges.txt, or char_vocab.json)", dir);
    }
    free(dir);
    if (rc != AX_OK) {
        ax_tokenizer_free(t);
        return rc;
    }
    *out = t;
    return AX_OK;
}

int ax_tokenizer_save(const ax_tokenizer *tok, const char *dir) {
    if (tok_mkdir(dir) != AX_OK) return AX_ERR;
    return tok->kind == AX_TOK_BPE ? bpe_save(&tok->bpe, dir) : char_vocab_save(&tok->chars, dir);
}

void ax_tokenizer_free(ax_tokenizer *tok) {
    if (!tok) return;
    bpe_free(&tok->bpe);
    char_vocab_free(&tok->chars);
    free(tok);
}

/* ---- queries, encode, decode ---- */

ax_tokenizer_kind ax_tokenizer_kind_of(const ax_tokenizer *tok) { return tok->kind; }

int ax_tokenizer_vocab_size(const ax_tokenizer *tok) {
    return tok->kind == AX_TOK_BPE ? tok->bpe.n_tokens : tok->chars.n;
}

int ax_tokenizer_eot(const ax_tokenizer *tok) { return tok->kind == AX_TOK_BPE ? tok->bpe.eot : -1; }

int ax_tokenizer_encode(ax_tokenizer *tok, const char *text, size_t len, int32_t **ids, size_t *n_ids) {
    ids_vec out = {0};
    int rc = tok->kind == AX_TOK_BPE ? bpe_encode(&tok->bpe, text, len, &out)
                                     : char_vocab_encode(&tok->chars, text, len, &out);
    if (rc == AX_OK && !out.v) rc = (out.v = malloc(sizeof *out.v)) ? AX_OK : ax_error("out of memory");
    if (rc != AX_OK) {
        free(out.v);
        out = (ids_vec){0};
    }
    *ids = out.v;
    *n_ids = out.n;
    return rc;
}

int ax_tokenizer_decode(const ax_tokenizer *tok, const int32_t *ids, size_t n_ids, char **text, size_t *len) {
    return tok->kind == AX_TOK_BPE ? bpe_decode(&tok->bpe, ids, n_ids, text, len)
                                   : char_vocab_decode(&tok->chars, ids, n_ids, text, len);
}

/* ---- building ---- */

int ax_char_tokenizer_build(const char *text, size_t len, ax_tokenizer **out) {
    *out = tokenizer_new(AX_TOK_CHAR);
    if (!*out) return ax_error("out of memory");
    if (char_vocab_build(&(*out)->chars, text, len) == AX_OK) return AX_OK;
    ax_tokenizer_free(*out);
    *out = NULL;
    return AX_ERR;
}

int ax_bpe_train(const char *text, size_t len, int vocab_size, ax_tokenizer **out) {
    *out = tokenizer_new(AX_TOK_BPE);
    if (!*out) return ax_error("out of memory");
    if (bpe_train(&(*out)->bpe, text, len, vocab_size, NULL) == AX_OK) return AX_OK;
    ax_tokenizer_free(*out);
    *out = NULL;
    return AX_ERR;
}
