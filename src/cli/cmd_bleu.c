/* `axon bleu HYP REF`: corpus BLEU and chrF (chrF++ with --chrf-word-order 2) of a hypothesis file against a
 * reference file, one segment per line, exactly as sacreBLEU 2.x scores them with its defaults. */
#include "axon.h"
#include "cli/cli.h"
#include "cli/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char **hyp, **ref; // (n), (n_ref) segments
    int64_t n, n_ref;  // lines in each file
} mt_corpus;

static int load(const char *hyp_path, const char *ref_path, mt_corpus *c) {
    *c = (mt_corpus){0};
    if (ax_segments_read(hyp_path, &c->hyp, &c->n) != AX_OK ||
        ax_segments_read(ref_path, &c->ref, &c->n_ref) != AX_OK) {
        fprintf(stderr, "axon: %s\n", ax_last_error());
        return 1;
    }
    if (c->n_ref != c->n) {
        fprintf(stderr, "axon: %s has %lld lines but %s has %lld: one reference line per hypothesis line\n",
                hyp_path, (long long)c->n, ref_path, (long long)c->n_ref);
        return 1;
    }
    return 0;
}

static void print_sentences(const mt_corpus *c, bool json) {
    if (json) printf("\"sentence_bleu\": [");
    for (int64_t i = 0; i < c->n; i++) {
        double s = ax_sentence_bleu(c->hyp[i], c->ref[i]);
        if (json) printf("%s%.6f", i ? ", " : "", s);
        else printf("%lld\t%.2f\n", (long long)i + 1, s);
    }
    if (json) printf("], ");
}

static void print_chrf(const mt_corpus *c, int word_order, bool json) {
    char name[32], sig[128];
    ax_chrf_name(word_order, name, sizeof name);
    ax_chrf_signature(word_order, sig, sizeof sig);
    double score = ax_corpus_chrf((const char *const *)c->hyp, (const char *const *)c->ref, c->n, word_order);
    if (json) printf(", {\"name\": \"%s\", \"score\": %.6f, \"signature\": \"%s\"}", name, score, sig);
    else printf("%s = %.2f\n%s signature: %s\n", name, score, name, sig);
}

static void print_scores(const mt_corpus *c, int word_order, bool sentence, bool json) {
    ax_bleu b = ax_corpus_bleu((const char *const *)c->hyp, (const char *const *)c->ref, c->n);
    char line[256];
    ax_bleu_format(&b, line, sizeof line);
    if (!json) {
        if (sentence) print_sentences(c, false);
        printf("%s\nBLEU signature: %s\n", line, ax_bleu_signature());
    } else {
        const int64_t *k = b.stats.correct, *t = b.stats.total;
        printf("[{\"name\": \"BLEU\", \"score\": %.6f, \"signature\": \"%s\", \"verbose_score\": \"%s\", "
               "\"counts\": [%lld, %lld, %lld, %lld], \"totals\": [%lld, %lld, %lld, %lld], \"bp\": %.6f, "
               "\"sys_len\": %lld, \"ref_len\": %lld, ",
               b.score, ax_bleu_signature(), strchr(line + strlen("BLEU = "), ' ') + 1,
               (long long)k[0], (long long)k[1], (long long)k[2], (long long)k[3], (long long)t[0], (long long)t[1],
               (long long)t[2], (long long)t[3], b.bp, (long long)b.stats.sys_len, (long long)b.stats.ref_len);
        if (sentence) print_sentences(c, true);
        printf("\"segments\": %lld}", (long long)c->n);
    }
    print_chrf(c, 0, json);
    if (word_order > 0) print_chrf(c, word_order, json);
    if (json) printf("]\n");
}

int cmd_bleu(int argc, char **argv) {
    int64_t word_order = 0;
    bool json = false, sentence = false;
    const cli_option opts[] = {
        {"chrf-word-order", OPT_INT, &word_order, "also print chrF with word n-grams up to this order (2 = chrF++)"},
        {"sentence", OPT_FLAG, &sentence, "also print each line's sentence BLEU (effective order)"},
        {"json", OPT_FLAG, &json, "print a JSON list of {name, score, signature, ...}, one per metric"},
    };
    const cli_command_spec spec = {"axon bleu HYP REF [options]",
                                   "BLEU and chrF2 of a hypothesis file against a reference file (one segment a "
                                   "line), identical to sacreBLEU 2.x defaults (13a tokens, exp smoothing).",
                                   opts, (int)(sizeof opts / sizeof *opts)};
    const char *pos[2];
    int n_pos, rc = cli_parse(&spec, argc, argv, pos, 2, &n_pos);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    if (n_pos != 2 || word_order < 0 || word_order > AX_CHRF_MAX_WORD_ORDER) {
        fprintf(stderr, "axon: bleu needs HYP and REF files and --chrf-word-order 0..%d (usage: %s)\n",
                AX_CHRF_MAX_WORD_ORDER, spec.usage);
        return 2;
    }
    mt_corpus c;
    rc = load(pos[0], pos[1], &c);
    if (rc == 0) print_scores(&c, (int)word_order, sentence, json);
    ax_segments_free(c.hyp, c.n);
    ax_segments_free(c.ref, c.n_ref);
    return rc;
}
