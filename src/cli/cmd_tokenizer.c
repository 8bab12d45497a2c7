/* `axon tokenizer encode|decode|train`: text → ids, ids → text, and training a tokenizer on a corpus. */
#include "axon.h"
#include "cli/cli.h"
#include "cli/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOK_MAX_INPUT ((size_t)2 << 30) // inputs larger than 2 GB are refused

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// the whole of path (or stdin for NULL / "-") into *data (malloc'd, NUL-terminated); prints the error
static int read_input(const char *path, char **data, size_t *len) {
    if (path && strcmp(path, "-") != 0) {
        if (ax_read_file(path, TOK_MAX_INPUT, (void **)data, len) == AX_OK) return 0;
        fprintf(stderr, "axon: %s\n", ax_last_error());
        return 1;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (size_t got = 1; buf && got > 0;) {
        if (n == cap) {
            char *nb = cap < TOK_MAX_INPUT ? realloc(buf, 2 * cap + 1) : NULL;
            if (!nb) break;
            buf = nb, cap *= 2;
        }
        n += got = fread(buf + n, 1, cap - n, stdin);
    }
    if (!buf || n == cap || ferror(stdin)) {
        fprintf(stderr, "axon: cannot read standard input: %s\n", !buf || n == cap ? "too large" : strerror(errno));
        free(buf);
        return 1;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

static int load_tokenizer(const char *name, ax_tokenizer **tok) {
    if (ax_tokenizer_load(name, tok) == AX_OK) return 0;
    fprintf(stderr, "axon: %s\n", ax_last_error());
    return 1;
}

/* ---- encode ---- */

static int tok_encode(int argc, char **argv) {
    const char *name = "gpt2";
    bool stats = false;
    const cli_option opts[] = {
        {"tokenizer", OPT_STRING, &name, "gpt2, or a directory with encoder.json + vocab.bpe or char_vocab.json"},
        {"stats", OPT_FLAG, &stats, "print bytes, tokens and MB/s on stderr"},
    };
    const cli_command_spec spec = {"axon tokenizer encode [--tokenizer gpt2|DIR] [FILE]",
                                   "Print the token ids of FILE (or standard input), separated by spaces.", opts,
                                   (int)(sizeof opts / sizeof *opts)};
    const char *pos[1] = {NULL};
    int n_pos, rc = cli_parse(&spec, argc, argv, pos, 1, &n_pos);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    ax_tokenizer *tok;
    char *text;
    size_t len, n = 0;
    int32_t *ids = NULL;
    if ((rc = load_tokenizer(name, &tok)) != 0) return rc;
    if ((rc = read_input(pos[0], &text, &len)) == 0) {
        double t0 = now_s();
        if (ax_tokenizer_encode(tok, text, len, &ids, &n) != AX_OK) {
            fprintf(stderr, "axon: %s%s%s\n", pos[0] ? pos[0] : "", pos[0] ? ": " : "", ax_last_error());
            rc = 1;
        } else if (stats) {
            double dt = now_s() - t0;
            fprintf(stderr, "%zu bytes -> %zu tokens in %.3f s (%.1f MB/s)\n", len, n, dt,
                    dt > 0 ? len / dt / 1e6 : 0.0);
        }
        free(text);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) printf(i ? " %d" : "%d", (int)ids[i]);
    if (rc == 0) putchar('\n');
    free(ids);
    ax_tokenizer_free(tok);
    return rc;
}

/* ---- decode ---- */

// ids separated by whitespace or commas, optionally inside [ ] (a JSON array); prints the error
static int parse_ids(const char *src, const char *text, int32_t **ids, size_t *n) {
    size_t cap = 1024;
    *n = 0;
    *ids = malloc(cap * sizeof **ids);
    for (const char *p = text; *ids && *p;) {
        if (strchr(" \t\r\n,[]", *p)) {
            p++;
            continue;
        }
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < INT32_MIN || v > INT32_MAX || !strchr(" \t\r\n,[]", *end)) {
            int word = (int)strcspn(p, " \t\r\n,[]");
            fprintf(stderr, "axon: %s: \"%.*s\" at byte %zu is not a token id\n", src, word > 20 ? 20 : word, p,
                    (size_t)(p - text));
            free(*ids);
            *ids = NULL;
            return 1;
        }
        if (*n == cap) {
            int32_t *nv = realloc(*ids, 2 * cap * sizeof *nv);
            if (!nv) break;
            *ids = nv, cap *= 2;
        }
        (*ids)[(*n)++] = (int32_t)v;
        p = end;
    }
    if (*ids) return 0;
    fprintf(stderr, "axon: out of memory reading token ids\n");
    return 1;
}

static int tok_decode(int argc, char **argv) {
    const char *name = "gpt2";
    const cli_option opts[] = {
        {"tokenizer", OPT_STRING, &name, "gpt2, or a directory with encoder.json + vocab.bpe or char_vocab.json"},
    };
    const cli_command_spec spec = {"axon tokenizer decode [--tokenizer gpt2|DIR] [FILE]",
                                   "Turn token ids (FILE or standard input; spaces, commas or a JSON array) back "
                                   "into text, written to standard output byte for byte.",
                                   opts, (int)(sizeof opts / sizeof *opts)};
    const char *pos[1] = {NULL};
    int n_pos, rc = cli_parse(&spec, argc, argv, pos, 1, &n_pos);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    ax_tokenizer *tok;
    char *input, *text = NULL;
    size_t len, n;
    int32_t *ids = NULL;
    if ((rc = load_tokenizer(name, &tok)) != 0) return rc;
    if ((rc = read_input(pos[0], &input, &len)) == 0) {
        if (strlen(input) != len) {
            fprintf(stderr, "axon: %s: token ids must be text (found a NUL byte)\n", pos[0] ? pos[0] : "stdin");
            rc = 1;
        } else {
            rc = parse_ids(pos[0] ? pos[0] : "stdin", input, &ids, &n);
        }
        free(input);
    }
    if (rc == 0 && ax_tokenizer_decode(tok, ids, n, &text, &len) != AX_OK) {
        fprintf(stderr, "axon: %s\n", ax_last_error());
        rc = 1;
    }
    if (rc == 0 && fwrite(text, 1, len, stdout) != len) rc = 1;
    free(text);
    free(ids);
    ax_tokenizer_free(tok);
    return rc;
}

/* ---- train ---- */

static int tok_train(int argc, char **argv) {
    const char *kind = "bpe", *out = NULL;
    int64_t vocab = 4096;
    const cli_option opts[] = {
        {"kind", OPT_STRING, &kind, "bpe (byte-level, GPT-2 files) or char (char_vocab.json)"},
        {"vocab-size", OPT_INT, &vocab, "bpe: tokens in all, 256 bytes + merges + <|endoftext|>"},
        {"out", OPT_STRING, &out, "directory to write the tokenizer files to (required)"},
    };
    const cli_command_spec spec = {"axon tokenizer train [--kind bpe|char] [--vocab-size N] --out DIR CORPUS",
                                   "Build a tokenizer from a text corpus and write its files to DIR.", opts,
                                   (int)(sizeof opts / sizeof *opts)};
    const char *pos[1] = {NULL};
    int n_pos, rc = cli_parse(&spec, argc, argv, pos, 1, &n_pos);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    bool is_bpe = strcmp(kind, "bpe") == 0;
    if (n_pos != 1 || !out || (!is_bpe && strcmp(kind, "char") != 0)) {
        fprintf(stderr, "axon: tokenizer train needs a CORPUS file, --out DIR and --kind bpe|char (usage: %s)\n",
                spec.usage);
        return 2;
    }
    if (is_bpe && (vocab < 257 || vocab > (1 << 20))) {
        fprintf(stderr, "axon: --vocab-size must be in 257 .. %d (256 bytes + <|endoftext|> at least)\n", 1 << 20);
        return 2;
    }
    char *text;
    size_t len;
    if ((rc = read_input(pos[0], &text, &len)) != 0) return rc;
    double t0 = now_s();
    ax_tokenizer *tok = NULL;
    int built = is_bpe ? ax_bpe_train(text, len, (int)vocab, &tok) : ax_char_tokenizer_build(text, len, &tok);
    free(text);
    if (built != AX_OK || ax_tokenizer_save(tok, out) != AX_OK) {
        fprintf(stderr, "axon: %s%s%s\n", built != AX_OK ? pos[0] : "", built != AX_OK ? ": " : "", ax_last_error());
        ax_tokenizer_free(tok);
        return 1;
    }
    printf("%s tokenizer: %d tokens from %zu bytes in %.2f s -> %s\n", kind, ax_tokenizer_vocab_size(tok), len,
           now_s() - t0, out);
    ax_tokenizer_free(tok);
    return 0;
}

int cmd_tokenizer(int argc, char **argv) {
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        printf("usage: axon tokenizer <encode|decode|train> [options]\n\n"
               "  encode   print the token ids of a text (--tokenizer gpt2|DIR)\n"
               "  decode   turn token ids back into text\n"
               "  train    build a BPE or char tokenizer from a corpus (--out DIR)\n\n"
               "`axon tokenizer <subcommand> --help` lists its options.\n");
        return argc < 1 ? 2 : 0;
    }
    if (strcmp(argv[0], "encode") == 0) return tok_encode(argc - 1, argv + 1);
    if (strcmp(argv[0], "decode") == 0) return tok_decode(argc - 1, argv + 1);
    if (strcmp(argv[0], "train") == 0) return tok_train(argc - 1, argv + 1);
    fprintf(stderr, "axon: unknown tokenizer subcommand '%s' (encode, decode, train)\n", argv[0]);
    return 2;
}
