/* `axon ner weak-label [--text FILE | --conll FILE] [--out FILE]`: labels sentences with the weak labeller
 * (gazetteers and rules aggregated by majority vote or Dawid–Skene) and writes CoNLL `token tag` lines. */
#include "cli/ner_weak_cli.h"
#include "axon.h"
#include "cli/corpus.h"
#include "cli/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef AX_DATA_DIR
#define AX_DATA_DIR "data"
#endif

// appends the sentences of a text (by_line: one a line) to out; says how many were cut unless quiet
static int add_text(const char *text, size_t len, bool by_line, bool quiet, ax_ner_corpus *out) {
    int64_t cut;
    int rc = ax_ner_split_text(text, len, NER_MAX_SENT_TOKENS, by_line, out, &cut);
    if (rc == AX_OK && cut && !quiet)
        fprintf(stderr, "axon: note: %lld sentences longer than %d tokens were cut into pieces\n", (long long)cut,
                NER_MAX_SENT_TOKENS);
    return rc;
}

int ner_default_corpus(ax_ner_corpus *out, bool quiet) {
    char *text, path[4096];
    size_t len;
    ax_ner_corpus_init(out);
    if (cli_austen_text(&text, &len) != AX_OK) return AX_ERR;
    int rc = add_text(text, len, false, quiet, out);
    free(text);
    const char *env = getenv("AXON_DATA");
    snprintf(path, sizeof path, "%s/ner/kjv.txt", env && *env ? env : AX_DATA_DIR);
    FILE *fp = rc == AX_OK ? fopen(path, "rb") : NULL;
    if (fp) {
        fclose(fp);
        rc = cli_read_text(path, &text, &len);
        if (rc == AX_OK) rc = add_text(text, len, true, quiet, out);
        if (rc == AX_OK) free(text);
    } else if (rc == AX_OK && !quiet)
        fprintf(stderr, "axon: %s not found (python3 data/make_ner.py builds it): using the Austen novels only\n", path);
    if (rc != AX_OK) ax_ner_corpus_free(out);
    return rc;
}

// the sentences to label: --conll (with its last column's tags when scoring), --text (by_line: a sentence a
// line), or the default corpora
static int read_input(const char *conll, bool tags, const char *text_path, bool by_line, bool quiet, ax_ner_corpus *c) {
    if (conll) return ax_ner_read_conll(conll, tags ? -1 : 0, AX_NER_IOB2, 0, c);
    if (!text_path) return ner_default_corpus(c, quiet);
    char *text;
    size_t len;
    if (cli_read_text(text_path, &text, &len) != AX_OK) return AX_ERR;
    ax_ner_corpus_init(c);
    int rc = add_text(text, len, by_line, quiet, c);
    free(text);
    if (rc != AX_OK) ax_ner_corpus_free(c);
    return rc;
}

// the IOB2 tag of token i of sentence s of c
static void tag_of(const ax_ner_corpus *c, int64_t s, const int32_t *ids, int64_t i, char *buf, size_t cap) {
    ax_tagset ts = c->tags;
    ts.scheme = AX_NER_IOB2;
    ax_tagset_tag(&ts, ids[i - c->sent_start[s]], buf, cap);
}

// conlleval's report of the weak labels (guess) against the input's tags (gold), on stderr
static void print_eval(const ax_ner_corpus *gold, const ax_ner_corpus *guess) {
    int32_t *ids = malloc((size_t)(gold->n_tokens ? gold->n_tokens : 1) * 2 * sizeof *ids);
    if (!ids) return;
    ax_conlleval ev;
    ax_conlleval_init(&ev);
    for (int64_t s = 0; s < gold->n_sents; s++) {
        int n = (int)(gold->sent_start[s + 1] - gold->sent_start[s]);
        const ax_ner_corpus *c[2] = {gold, guess};
        for (int k = 0; k < 2; k++) {
            ax_tagset ts = c[k]->tags;
            ts.scheme = AX_NER_IOB2;
            ax_ner_spans_to_ids(&ts, c[k]->spans + c[k]->span_start[s], (int)(c[k]->span_start[s + 1] - c[k]->span_start[s]),
                                n, ids + k * n);
        }
        ax_conlleval_boundary(&ev);
        for (int i = 0; i < n; i++) {
            char g[AX_NER_TYPE_MAX + 3], q[AX_NER_TYPE_MAX + 3];
            tag_of(gold, s, ids, gold->sent_start[s] + i, g, sizeof g);
            tag_of(guess, s, ids + n, gold->sent_start[s] + i, q, sizeof q);
            ax_conlleval_token(&ev, g, q);
        }
    }
    ax_conlleval_finish(&ev);
    char *report = ax_conlleval_report(&ev);
    fputs(report ? report : "", stderr);
    free(report);
    ax_conlleval_free(&ev);
    free(ids);
}

int ner_weak_label(int argc, char **argv) {
    const char *text = NULL, *conll = NULL, *out_path = "-", *aggregate = "vote", *format = "conll";
    const char *gaz = NULL;
    bool lines = false, report = false, eval = false, quiet = false;
    const cli_option opts[] = {
        {"text", OPT_STRING, &text, "raw UTF-8 text to label (tokenized like the gold set, split into sentences)"},
        {"lines", OPT_FLAG, &lines, "with --text: every line is one sentence (a verse a line)"},
        {"conll", OPT_STRING, &conll, "pre-tokenized CoNLL to label (the first column; the last is the gold tag with --eval)"},
        {"out", OPT_STRING, &out_path, "where to write the labelled sentences (- = stdout)"},
        {"format", OPT_STRING, &format, "conll (`token tag`, IOB2) or jsonl (tokens + spans)"},
        {"aggregate", OPT_STRING, &aggregate, "vote (majority) or dawid-skene (EM label model)"},
        {"lf-report", OPT_FLAG, &report, "print each labelling function's coverage, overlaps, conflicts on stderr"},
        {"eval", OPT_FLAG, &eval, "with a labelled --conll: print conlleval's scores of the weak labels on stderr"},
        {"gazetteers", OPT_STRING, &gaz, "directory of the word lists (default: $AXON_DATA/ner or data/ner)"},
        {"quiet", OPT_FLAG, &quiet, "no notices"},
    };
    const cli_command_spec spec = {"axon ner weak-label [--text FILE | --conll FILE] [options]",
                                   "Labels named entities with gazetteers and rules (no training data): without "
                                   "--text/--conll, the built-in Austen novels and the KJV.",
                                   opts, (int)(sizeof opts / sizeof *opts)};
    int n_pos, rc = cli_parse(&spec, argc, argv, NULL, 0, &n_pos);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    bool vote = strcmp(aggregate, "vote") == 0, jsonl = strcmp(format, "jsonl") == 0;
    const char *bad = (text && conll) ? "--text and --conll exclude each other"
                      : (!vote && strcmp(aggregate, "dawid-skene") != 0) ? "--aggregate is vote or dawid-skene"
                      : (!jsonl && strcmp(format, "conll") != 0) ? "--format is conll or jsonl"
                                                                  : NULL;
    if (bad) {
        fprintf(stderr, "axon: %s (usage: %s)\n", bad, spec.usage);
        return 2;
    }
    ax_weak_labeler *wl = NULL;
    ax_ner_corpus in, out;
    if (ax_weak_labeler_load(gaz, &wl) != AX_OK || read_input(conll, eval, text, lines, quiet, &in) != AX_OK) {
        fprintf(stderr, "axon: %s\n", ax_last_error());
        ax_weak_labeler_free(wl);
        return 1;
    }
    rc = ax_weak_label(wl, &in, vote ? AX_WEAK_VOTE : AX_WEAK_DAWID_SKENE, report ? stderr : NULL, &out);
    if (rc == AX_OK && eval && conll) print_eval(&in, &out);
    if (rc == AX_OK) rc = jsonl ? ax_ner_write_jsonl(out_path, &out) : ax_ner_write_conll(out_path, &out, NULL, AX_NER_IOB2);
    if (rc != AX_OK) fprintf(stderr, "axon: %s\n", ax_last_error());
    if (rc == AX_OK) ax_ner_corpus_free(&out);
    ax_ner_corpus_free(&in);
    ax_weak_labeler_free(wl);
    return rc == AX_OK ? 0 : 1;
}
