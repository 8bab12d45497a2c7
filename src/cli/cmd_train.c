/* `axon train <model> [options]`: train a model from scratch. Each model has its own trainer and options. */
#include "cli/cli.h"
#include "cli/train.h"
#include "cli/train_transformer.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;                  // the model word
    int (*run)(int argc, char **argv); // gets the words after it
    const char *summary;               // one line for `axon train --help`
} trainers[] = {
    {"mlp", train_mlp, "multi-layer perceptron image classifier (Fashion-MNIST, MNIST: IDX files)"},
    {"gpt", train_gpt, "GPT language model on a text file (default: Jane Austen's novels, char-level)"},
    {"char-lstm", train_char_lstm, "character-level LSTM language model on any text file (truncated BPTT)"},
    {"seq2seq", train_seq2seq, "GRU + attention translator on sentence pairs (default: German -> English)"},
    {"transformer", train_transformer, "Transformer translator on sentence pairs (default: German -> English)"},
    {"ner", train_ner, "named-entity tagger on CoNLL sentences (--arch bilstm-crf; default: weak labels)"},
};
#define N_TRAINERS ((int)(sizeof trainers / sizeof *trainers))

static void print_models(FILE *fp) {
    fprintf(fp, "usage: axon train <model> [options]\n\nmodels:\n");
    for (int i = 0; i < N_TRAINERS; i++) fprintf(fp, "  %-11s %s\n", trainers[i].name, trainers[i].summary);
    fprintf(fp, "\n`axon train <model> --help` lists the model's options and defaults.\n");
}

int cmd_train(int argc, char **argv) {
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        print_models(argc < 1 ? stderr : stdout);
        return argc < 1 ? 2 : 0;
    }
    for (int i = 0; i < N_TRAINERS; i++)
        if (strcmp(argv[0], trainers[i].name) == 0) return trainers[i].run(argc - 1, argv + 1);
    fprintf(stderr, "axon: unknown model '%s' for train (see axon train --help)\n", argv[0]);
    return 2;
}
