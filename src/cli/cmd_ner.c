/* `axon ner <subcommand>`: named-entity recognition. `axon ner eval FILE` scores a CoNLL file whose last two
 * columns are the gold and the guessed tag, printing the report of the CoNLL script conlleval (2004-01-26). */
#include "axon.h"
#include "cli/cli.h"
#include "cli/ner_weak_cli.h"
#include "cli/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// each -DOCSTART- line counts as one token tagged O O, as in the script
static void feed_docstarts(ax_conlleval *ev, int64_t n) {
    for (int64_t d = 0; d < n; d++) {
        ax_conlleval_boundary(ev);
        ax_conlleval_token(ev, "O", "O");
    }
}

// runs conlleval over the file's tokens: the last two columns are the gold and the guessed tag
static void score_conll(const ax_conll *c, ax_conlleval *ev) {
    ax_conlleval_init(ev);
    for (int64_t s = 0; s < c->n_sents; s++) {
        feed_docstarts(ev, c->docs_before[s]);
        ax_conlleval_boundary(ev);
        for (int64_t t = c->sent_start[s]; t < c->sent_start[s + 1]; t++) {
            char *const *row = c->cells + t * c->n_cols;
            ax_conlleval_token(ev, row[c->n_cols - 2], row[c->n_cols - 1]);
        }
    }
    feed_docstarts(ev, c->docs_before[c->n_sents]);
    ax_conlleval_finish(ev);
}

static void print_json(const ax_conlleval *ev) {
    double p, r, f;
    ax_conlleval_prf(ev->correct, ev->found_guessed, ev->found_correct, &p, &r, &f);
    printf("{\"tokens\": %lld, \"accuracy\": %.4f, \"gold\": %lld, \"found\": %lld, \"correct\": %lld, "
           "\"precision\": %.4f, \"recall\": %.4f, \"f1\": %.4f, \"types\": {",
           (long long)ev->tokens, ev->tokens ? 100.0 * (double)ev->correct_tags / (double)ev->tokens : 0.0,
           (long long)ev->found_correct, (long long)ev->found_guessed, (long long)ev->correct, p, r, f);
    const char *sep = "";
    for (int i = 0; i < ev->n_types; i++) {
        const ax_chunk_counts *t = &ev->types[i];
        if (!t->found_correct && !t->found_guessed) continue;
        ax_conlleval_prf(t->correct, t->found_guessed, t->found_correct, &p, &r, &f);
        printf("%s\"%s\": {\"gold\": %lld, \"found\": %lld, \"correct\": %lld, \"precision\": %.4f, \"recall\": %.4f, "
               "\"f1\": %.4f}",
               sep, t->name, (long long)t->found_correct, (long long)t->found_guessed, (long long)t->correct, p, r, f);
        sep = ", ";
    }
    printf("}}\n");
}

static bool json_safe(const ax_conll *c) { // tags without characters that would need escaping in JSON
    for (int64_t t = 0; t < c->n_tokens; t++)
        for (int k = c->n_cols - 2; k < c->n_cols; k++)
            for (const unsigned char *p = (const unsigned char *)c->cells[t * c->n_cols + k]; *p; p++)
                if (*p < 0x20 || *p == '"' || *p == '\\') return false;
    return true;
}

static int ner_eval(int argc, char **argv) {
    bool json = false;
    const cli_option opts[] = {
        {"json", OPT_FLAG, &json, "print {tokens, accuracy, precision, recall, f1, types: {...}} instead"},
    };
    const cli_command_spec spec = {"axon ner eval FILE [options]",
                                   "Entity-level precision, recall and F1 of a CoNLL file (`token ... gold guess` "
                                   "a line, blank lines between sentences), printed exactly as conlleval does.",
                                   opts, (int)(sizeof opts / sizeof *opts)};
    const char *pos[1];
    int n_pos, rc = cli_parse(&spec, argc, argv, pos, 1, &n_pos);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    if (n_pos != 1) {
        fprintf(stderr, "axon: ner eval needs one FILE (usage: %s)\n", spec.usage);
        return 2;
    }
    ax_conll c;
    if (ax_conll_read(pos[0], 3, &c) != AX_OK) {
        fprintf(stderr, "axon: %s\n", ax_last_error());
        return 1;
    }
    if (json && !json_safe(&c)) {
        fprintf(stderr, "axon: %s: tags with quotes, backslashes or control characters cannot be printed as JSON\n",
                pos[0]);
        ax_conll_free(&c);
        return 1;
    }
    ax_conlleval ev;
    score_conll(&c, &ev);
    if (json) print_json(&ev);
    else {
        char *report = ax_conlleval_report(&ev);
        fputs(report ? report : "", stdout);
        free(report);
    }
    ax_conlleval_free(&ev);
    ax_conll_free(&c);
    return 0;
}

int cmd_ner(int argc, char **argv) {
    static const struct {
        const char *name;                  // the subcommand word
        int (*run)(int argc, char **argv); // gets the words after it
        const char *summary;               // one line for `axon ner --help`
    } subs[] = {
        {"eval", ner_eval, "score a CoNLL file `token ... gold guess` like conlleval"},
        {"weak-label", ner_weak_label, "label entities with gazetteers and rules (vote or Dawid-Skene)"},
    };
    int n_subs = (int)(sizeof subs / sizeof *subs);
    if (argc >= 1)
        for (int i = 0; i < n_subs; i++)
            if (strcmp(argv[0], subs[i].name) == 0) return subs[i].run(argc - 1, argv + 1);
    bool help = argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0);
    FILE *fp = help ? stdout : stderr;
    if (argc >= 1 && !help) fprintf(fp, "axon: unknown ner subcommand '%s'\n", argv[0]);
    fprintf(fp, "usage: axon ner <subcommand> [options]\n\nsubcommands:\n");
    for (int i = 0; i < n_subs; i++) fprintf(fp, "  %-10s %s\n", subs[i].name, subs[i].summary);
    return help ? 0 : 2;
}
