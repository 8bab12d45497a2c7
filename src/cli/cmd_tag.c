/* `axon tag --ckpt DIR`: named entities with a BiLSTM-CRF, BERT-style or generative (seq2seq) checkpoint
 * (config.json's "arch"). Raw text (--text or stdin) is split into sentences and tokenized as the gold data is
 * (include/axon/ner.h), then printed as `token tag` lines or, with --inline, one sentence a line with the entities
 * bracketed: `[Elizabeth Bennet]PER went to [London]LOC .`.
 * `--conll FILE` tags pre-tokenized sentences and prints `token gold guess` lines, the input of `axon ner eval`.
 * Sentences longer than --max-len tokens are tagged in pieces (with a notice); nothing is dropped. */
#include "cli/cli.h"
#include "cli/ner_gen_cli.h"
#include "cli/ner_tag_cli.h"
#include "cli/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_MAX_INPUT ((size_t)1 << 30) // longest text read from stdin

typedef struct {
    const char *ckpt, *text, *conll, *out; // checkpoint; raw text; CoNLL file; where the result goes ("-": stdout)
    const char *scheme;                    // tag scheme of the CoNLL input and of the output
    int64_t batch, max_len, threads;       // pieces per forward pass, tokens per piece, threads
    bool inline_, by_line, quiet;          // bracketed output; a sentence a line of input; no notices
} tag_opts;

static int parse_options(int argc, char **argv, tag_opts *o) {
    *o = (tag_opts){.out = "-", .scheme = "iob2", .batch = 64, .max_len = 100};
    const cli_option opts[] = {
        {"ckpt", OPT_STRING, &o->ckpt, "tagger checkpoint directory (from `axon train ner`)"},
        {"text", OPT_STRING, &o->text, "text to tag (default: standard input)"},
        {"conll", OPT_STRING, &o->conll, "tag a CoNLL file `token … tag` instead; prints `token gold guess`"},
        {"inline", OPT_FLAG, &o->inline_, "one sentence a line with [entities]TYPE instead of `token tag` lines"},
        {"by-line", OPT_FLAG, &o->by_line, "every non-empty input line is one sentence (e.g. a verse a line)"},
        {"scheme", OPT_STRING, &o->scheme, "tag scheme of --conll input and of tags printed: iob2, iob1 or bioes"},
        {"out", OPT_STRING, &o->out, "write the result to this file (atomically) instead of standard output"},
        {"batch-size", OPT_INT, &o->batch, "sentences per forward pass"},
        {"max-len", OPT_INT, &o->max_len, "tokens per piece: longer sentences are tagged in pieces"},
        {"threads", OPT_INT, &o->threads, "threads (0: all cores)"},
        {"quiet", OPT_FLAG, &o->quiet, "no notices on standard error"},
    };
    const cli_command_spec spec = {"axon tag --ckpt DIR [--text TEXT | --conll FILE] [options]",
                                   "Tag named entities with a BiLSTM-CRF or BERT-style checkpoint: raw text (tokenized like the gold "
                                   "data) or a pre-tokenized CoNLL file (output ready for `axon ner eval`).",
                                   opts, (int)(sizeof opts / sizeof *opts)};
    const char *pos[1];
    int n_pos;
    return cli_parse(&spec, argc, argv, pos, 0, &n_pos);
}

static int check_options(const tag_opts *o, ax_ner_scheme *scheme) {
    const char *bad = !o->ckpt                                   ? "tag needs --ckpt DIR"
                      : o->text && o->conll                      ? "--text and --conll exclude each other"
                      : o->conll && (o->inline_ || o->by_line)   ? "--inline and --by-line are for raw text, not --conll"
                      : ner_scheme_parse(o->scheme, scheme) != AX_OK    ? "--scheme must be iob2, iob1 or bioes"
                      : o->batch < 1 || o->max_len < 1 || o->threads < 0 ? "--batch-size and --max-len must be ≥ 1"
                                                                 : NULL;
    if (bad) fprintf(stderr, "axon: %s\n", bad);
    return bad ? 2 : 0;
}

// all of standard input into malloc'd memory
static int read_stdin(char **text, size_t *len) {
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (size_t got = 1; buf && got > 0 && n < TAG_MAX_INPUT;) {
        if (n == cap) buf = realloc(buf, cap *= 2);
        if (buf) n += got = fread(buf + n, 1, cap - n, stdin);
    }
    if (!buf) return ax_error("out of memory reading standard input");
    if (n >= TAG_MAX_INPUT) return free(buf), ax_error("standard input is longer than 1 GiB");
    *text = buf, *len = n;
    return AX_OK;
}

// the sentences of the raw input
static int read_text(const tag_opts *o, ax_ner_corpus *c) {
    char *owned = NULL;
    size_t len = 0;
    if (!o->text && read_stdin(&owned, &len) != AX_OK) return AX_ERR;
    const char *text = o->text ? o->text : owned;
    ax_ner_corpus_init(c);
    int rc = ax_ner_split_text(text, o->text ? strlen(text) : len, 1 << 30, o->by_line, c, NULL);
    free(owned);
    return rc;
}

// one sentence a line: tokens joined by spaces, each entity as [tokens]TYPE; to path ("-": stdout)
static int write_inline(const ax_ner_corpus *g, const char *path) {
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    if (!fp) return ax_error("out of memory");
    for (int64_t s = 0; s < g->n_sents; s++) {
        int64_t t0 = g->sent_start[s], k = g->span_start[s];
        for (int64_t i = 0; i < g->sent_start[s + 1] - t0; i++) {
            const ax_ner_span *sp = k < g->span_start[s + 1] ? &g->spans[k] : NULL;
            fprintf(fp, "%s%s%s", i ? " " : "", sp && sp->start == i ? "[" : "", g->tokens[t0 + i]);
            if (sp && sp->end == i + 1) fprintf(fp, "]%s", g->tags.types[sp->type]), k++;
        }
        fputc('\n', fp);
    }
    int rc = fclose(fp) ? ax_error("out of memory") : AX_OK;
    if (rc == AX_OK && strcmp(path, "-") == 0)
        rc = fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0 ? AX_OK : ax_error("writing standard output failed");
    else if (rc == AX_OK)
        rc = ax_write_file_atomic(path, text, len);
    free(text);
    return rc;
}

static int run(const tag_opts *o, ax_ner_scheme scheme) {
    ax_tagger *m = NULL;
    ax_bert *bert = NULL; // config.json's "arch" picks the kind
    ner_gen_model gen = {0};
    bool generative = ner_gen_is_checkpoint(o->ckpt);
    ax_ner_corpus in, guess;
    ax_ner_corpus_init(&in), ax_ner_corpus_init(&guess);
    int rc = generative                       ? ner_gen_open(o->ckpt, &gen)
             : ax_bert_is_checkpoint(o->ckpt) ? ax_bert_load(o->ckpt, &bert)
                                              : ax_tagger_load(o->ckpt, &m);
    if (rc == AX_OK) rc = o->conll ? ax_ner_read_conll(o->conll, -1, scheme, 0, &in) : read_text(o, &in);
    if (rc == AX_OK && generative)
        rc = ner_gen_tag(&gen, &in, o->quiet, &guess);
    else if (rc == AX_OK) {
        ner_piece *p;
        int64_t cut;
        ner_pieces(&in, (int)o->max_len, &p, &cut);
        free(p);
        if (cut && !o->quiet)
            fprintf(stderr, "note: %lld sentences longer than --max-len %lld tokens were tagged in pieces\n",
                    (long long)cut, (long long)o->max_len);
        rc = ner_tag_corpus_with(&(ner_model){m, bert}, &in, (int)o->max_len, o->batch, &guess, NULL);
    }
    if (rc == AX_OK)
        rc = o->conll     ? ax_ner_write_conll(o->out, &in, &guess, scheme)
             : o->inline_ ? write_inline(&guess, o->out)
                          : ax_ner_write_conll(o->out, &guess, NULL, scheme);
    ax_ner_corpus_free(&in), ax_ner_corpus_free(&guess);
    ax_tagger_free(m), ax_bert_free(bert), ner_gen_close(&gen);
    return rc;
}

int cmd_tag(int argc, char **argv) {
    tag_opts o;
    ax_ner_scheme scheme;
    int rc = parse_options(argc, argv, &o);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    if ((rc = check_options(&o, &scheme))) return rc;
    ax_set_threads((int)o.threads);
    if (run(&o, scheme) == AX_OK) return 0;
    fprintf(stderr, "axon: %s\n", ax_last_error());
    return 1;
}
