/* `axon train ner --arch seq2seq`: generative NER. The training and validation sentences (CoNLL files, or the weak
 * labels of the default corpora, as for the BiLSTM-CRF: train_ner_data.c) become pairs
 * `sentence<TAB>Elizabeth <PER> ; London <LOC>` (ax_ner_gen_format) in OUT/pairs/, the Transformer translator is
 * trained on them by `axon train transformer` itself (every option this command does not know goes to it), and its
 * checkpoint in OUT gets "arch": "seq2seq" and the entity types in config.json. Then the validation sentences are
 * tagged by generation (ner_gen_cli.c) and scored with conlleval. */
#include "cli/ner_gen_cli.h"
#include "cli/options.h"
#include "cli/train.h"
#include "cli/train_ner.h"
#include "cli/train_transformer.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GEN_MAX_ARGS 256 // most words on the command line

typedef struct {
    const char *name; // option without "--"
    bool value;       // takes a value
    bool both;        // also passed on to the transformer trainer
} gen_opt;

// the options of this command; every other word goes to `axon train transformer`
static const gen_opt OWN[] = {{"arch", true, false},        {"data", true, false},  {"valid", true, false},
                              {"data-scheme", true, false}, {"val-fraction", true, false}, {"json", false, false},
                              {"help", false, false},       {"out", true, true},    {"seed", true, true},
                              {"quiet", false, true}};
#define N_OWN ((int)(sizeof OWN / sizeof *OWN))

static const gen_opt *own_option(const char *word) {
    if (strncmp(word, "--", 2) != 0) return NULL;
    size_t n = strcspn(word + 2, "=");
    for (int i = 0; i < N_OWN; i++)
        if (strlen(OWN[i].name) == n && strncmp(word + 2, OWN[i].name, n) == 0) return &OWN[i];
    return NULL;
}

// argv split into this command's words (mine) and the transformer trainer's (tf), each with its count
static int split_args(int argc, char **argv, char **mine, int *n_mine, char **tf, int *n_tf) {
    *n_mine = *n_tf = 0;
    if (argc > GEN_MAX_ARGS) return fprintf(stderr, "axon: more than %d words on the command line\n", GEN_MAX_ARGS), 2;
    for (int i = 0; i < argc; i++) {
        const gen_opt *o = own_option(argv[i]);
        int words = o && o->value && !strchr(argv[i], '=') && i + 1 < argc ? 2 : 1;
        for (int k = 0; k < words; k++) {
            if (o) mine[(*n_mine)++] = argv[i + k];
            if (!o || o->both) tf[(*n_tf)++] = argv[i + k];
        }
        i += words - 1;
    }
    return 0;
}

static int parse_options(int argc, char **argv, ner_train_opts *o) {
    *o = (ner_train_opts){.arch = NER_GEN_ARCH, .out = "runs/ner-seq2seq", .scheme = "iob2", .data_scheme = "iob2",
                          .seed = 42, .val_fraction = 0.1};
    const cli_option opts[] = {
        {"arch", OPT_STRING, &o->arch, "seq2seq: a Transformer generates each sentence's entity list"},
        {"data", OPT_STRING, &o->data,
         "training sentences, CoNLL `token … tag` (default: weak labels of the default corpora)"},
        {"valid", OPT_STRING, &o->valid, "validation sentences, CoNLL (default: hold out --val-fraction of --data)"},
        {"data-scheme", OPT_STRING, &o->data_scheme, "tag scheme of the files: iob2, iob1 or bioes"},
        {"val-fraction", OPT_FLOAT, &o->val_fraction, "share of --data held out when there is no --valid"},
        {"out", OPT_STRING, &o->out, "output directory: the Transformer checkpoint, pairs/, metrics.jsonl"},
        {"seed", OPT_INT, &o->seed, "random seed (hold-out; passed on)"},
        {"quiet", OPT_FLAG, &o->quiet, "no progress output"},
        {"json", OPT_FLAG, &o->json, "print the result as JSON on stdout"},
    };
    const cli_command_spec spec = {
        "axon train ner --arch seq2seq [--data TRAIN.conll] [--valid DEV.conll] [options of axon train transformer]",
        "Generative NER: train the Transformer translator to turn a sentence into its entity list (`Elizabeth <PER> "
        "; London <LOC>`), then score the entities it generates, mapped back to the tokens. Options not listed here "
        "(--epochs, --d-model, --layers, --vocab-size, --batch-tokens, …) go to `axon train transformer` (see its "
        "--help); --test is none and --reverse is set.",
        opts, (int)(sizeof opts / sizeof *opts)};
    const char *pos[1];
    int n_pos;
    int rc = cli_parse(&spec, argc, argv, pos, 0, &n_pos);
    ax_ner_scheme s;
    if (rc || (ner_scheme_parse(o->data_scheme, &s) == AX_OK && o->val_fraction > 0 && o->val_fraction < 1 &&
               strlen(o->out) <= 2048))
        return rc;
    fprintf(stderr, "axon: --data-scheme must be iob2, iob1 or bioes, --val-fraction in (0, 1), --out short\n");
    return 2;
}

// OUT/pairs/NAME: `sentence<TAB>entity list` a line
static int write_pairs(const ax_ner_corpus *c, const char *path) {
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    if (!fp) return ax_error("out of memory");
    for (int64_t s = 0; s < c->n_sents; s++) {
        char *src = ner_gen_sentence(c, s), *tgt = ax_ner_gen_format(c, s);
        fprintf(fp, "%s\t%s\n", src, tgt);
        free(src), free(tgt);
    }
    int rc = fclose(fp) ? ax_error("out of memory") : ax_write_file_atomic(path, text, len);
    free(text);
    return rc;
}

// the transformer trainer on the pairs, its report on stderr (stdout is this command's)
static int train_translator(const ner_train_opts *o, char **tf, int n_tf, const char *pairs) {
    char train[4300], valid[4300];
    snprintf(train, sizeof train, "%s/train.tsv", pairs), snprintf(valid, sizeof valid, "%s/valid.tsv", pairs);
    char *args[GEN_MAX_ARGS + 8] = {"--data", train, "--valid", valid, "--test", "none", "--reverse"};
    int n = 7;
    for (int i = 0; i < n_tf; i++) args[n++] = tf[i];
    if (!o->quiet) fprintf(stderr, "training the Transformer on the pairs of %s (axon train transformer)\n", pairs);
    fflush(stdout);
    int saved = dup(1);
    if (saved < 0 || dup2(2, 1) < 0) return ax_error("cannot redirect standard output");
    int rc = train_transformer(n, args);
    fflush(stdout);
    dup2(saved, 1), close(saved);
    return rc;
}

// members of add merged into OUT/config.json (atomically)
static int update_config(const char *dir, cJSON *add) {
    char *json, model[AX_MODEL_NAME_MAX], path[4200];
    if (ax_checkpoint_read_config(dir, &json, model) != AX_OK) return cJSON_Delete(add), AX_ERR;
    cJSON *j = cJSON_Parse(json);
    free(json);
    AX_ASSERT(j, "%s: config.json written by the trainer does not parse", dir);
    for (cJSON *e = add->child; e; e = e->next) cJSON_DeleteItemFromObjectCaseSensitive(j, e->string);
    while (add->child) {
        cJSON *e = cJSON_DetachItemViaPointer(add, add->child);
        cJSON_AddItemToObject(j, e->string, e);
    }
    cJSON_Delete(add);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    AX_ASSERT(text, "out of memory");
    snprintf(path, sizeof path, "%s/%s", dir, AX_CKPT_CONFIG);
    int rc = ax_write_file_atomic(path, text, strlen(text));
    free(text);
    return rc;
}

static cJSON *arch_members(const ax_tagset *tags) {
    cJSON *j = cJSON_CreateObject(), *types = cJSON_CreateArray();
    AX_ASSERT(j && types, "out of memory");
    cJSON_AddStringToObject(j, "arch", NER_GEN_ARCH);
    for (int t = 0; t < tags->n_types; t++) cJSON_AddItemToArray(types, cJSON_CreateString(tags->types[t]));
    cJSON_AddItemToObject(j, "types", types);
    return j;
}

// the validation sentences tagged by the checkpoint and scored; the scores into config.json and the report
static int score(const ner_trainer *t) {
    ner_gen_model g;
    ax_ner_corpus guess;
    int64_t dropped, cut;
    if (ner_gen_open(t->o.out, &g) != AX_OK) return AX_ERR;
    int rc = ner_gen_tag_corpus(&g, &t->valid, &guess, &dropped, &cut);
    ner_gen_close(&g);
    if (rc != AX_OK) return AX_ERR;
    ax_conlleval ev;
    ner_score(&t->valid, &guess, &ev);
    ax_ner_corpus_free(&guess);
    double p, r, f1;
    ax_conlleval_prf(ev.correct, ev.found_guessed, ev.found_correct, &p, &r, &f1);
    ax_conlleval_free(&ev);
    cJSON *j = cJSON_CreateObject();
    AX_ASSERT(j, "out of memory");
    cJSON_AddNumberToObject(j, "val_f1", f1);
    cJSON_AddNumberToObject(j, "val_precision", p);
    cJSON_AddNumberToObject(j, "val_recall", r);
    cJSON_AddNumberToObject(j, "val_dropped_entities", (double)dropped);
    char *line = t->o.json ? cJSON_PrintUnformatted(j) : NULL;
    if (line) printf("%s\n", line);
    else
        printf("validation entity F1 %.2f (P %.2f R %.2f; %lld generated entities matched no tokens, %lld sentences "
               "cut at the model's max_len); checkpoint in %s\n", f1, p, r, (long long)dropped, (long long)cut, t->o.out);
    free(line);
    return update_config(t->o.out, j);
}

// the sentences as pairs in OUT/pairs/{train,valid}.tsv
static int write_sets(ner_trainer *t, const char *pairs) {
    char path[4300];
    ax_rng_seed(&t->data_rng, (uint64_t)t->o.seed ^ 0x9e3779b97f4a7c15ull); // the BiLSTM-CRF's hold-out
    if (ner_load_data(t) != AX_OK || ax_mkdir_p(pairs) != AX_OK) return AX_ERR;
    snprintf(path, sizeof path, "%s/train.tsv", pairs);
    if (write_pairs(&t->train, path) != AX_OK) return AX_ERR;
    snprintf(path, sizeof path, "%s/valid.tsv", pairs);
    return write_pairs(&t->valid, path);
}

static int failed(void) {
    fprintf(stderr, "axon: %s\n", ax_last_error());
    return 1;
}

int train_ner_gen(int argc, char **argv) {
    char *mine[GEN_MAX_ARGS], *tf[GEN_MAX_ARGS + 2];
    int n_mine, n_tf;
    ner_trainer t = {0};
    int rc = split_args(argc, argv, mine, &n_mine, tf, &n_tf);
    if (rc == 0) rc = parse_options(n_mine, mine, &t.o);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    char pairs[4200];
    snprintf(pairs, sizeof pairs, "%s/pairs", t.o.out);
    bool has_out = false; // --out goes to the transformer trainer too; its default is added
    for (int i = 0; i < n_tf; i++) has_out |= own_option(tf[i]) && strcmp(own_option(tf[i])->name, "out") == 0;
    if (!has_out) tf[n_tf++] = "--out", tf[n_tf++] = (char *)t.o.out;
    rc = write_sets(&t, pairs) == AX_OK ? 0 : failed();
    if (rc == 0) rc = train_translator(&t.o, tf, n_tf, pairs); // it says why it failed
    if (rc == 0) rc = update_config(t.o.out, arch_members(&t.tags)) == AX_OK && score(&t) == AX_OK ? 0 : failed();
    ax_ner_corpus_free(&t.train), ax_ner_corpus_free(&t.valid);
    return rc;
}
