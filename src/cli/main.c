/* axon — the command-line tool: `axon <command> [options]`. */
#include "axon.h"
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *name;                 // the command word
    int (*run)(int argc, char **argv); // gets the words after the command
    const char *summary;              // one line for `axon --help`
} commands[] = {
    {"demo", cmd_demo, "run a built-in demonstration (xor)"},
    {"train", cmd_train, "train a model from scratch (mlp, gpt, char-lstm, seq2seq, transformer)"},
    {"eval", cmd_eval, "accuracy of a classifier checkpoint on a test set"},
    {"predict", cmd_predict, "classify images with a classifier checkpoint"},
    {"generate", cmd_generate, "continue a prompt with a GPT checkpoint"},
    {"ppl", cmd_ppl, "perplexity / bits per char of a text under a GPT checkpoint"},
    {"import", cmd_import, "import a Hugging Face GPT-2 checkpoint"},
    {"tokenizer", cmd_tokenizer, "encode / decode text with GPT-2 BPE or a trained tokenizer; train one"},
    {"bleu", cmd_bleu, "BLEU and chrF of a translation against a reference (sacreBLEU-exact)"},
    {"translate", cmd_translate, "translate with a seq2seq or transformer checkpoint (beam search, attention heatmap)"},
    {"ner", cmd_ner, "named entities: eval (conlleval-exact scores), weak-label (gazetteers + rules)"},
    {"tag", cmd_tag, "named entities in text or a CoNLL file with a tagger checkpoint"},
    {"serve", cmd_serve, "an OpenAI-compatible HTTP server with a web playground"},
};
#define N_COMMANDS ((int)(sizeof commands / sizeof *commands))

static void print_usage(FILE *fp) {
    fprintf(fp, "axon %s — deep learning from a neuron to GPT, in C\n\nusage: axon <command> [options]\n\ncommands:\n",
            ax_version());
    for (int i = 0; i < N_COMMANDS; i++) fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(fp, "  %-10s %s\n  %-10s %s\n\n`axon <command> --help` lists a command's options and defaults.\n", "help",
            "help [command]: show a command's help", "--version", "print the version");
}

static int find_command(const char *name) {
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return i;
    return -1;
}

/* libgomp's default wait policy spins idle threads; when another process wants one of the cores (a shared
 * laptop, `ctest -j`), every parallel region then waits for a descheduled spinner and a step can take 5–15×
 * longer (docs/benchmarks.md). Passive waiting costs nothing measurable on an idle machine. libgomp reads the
 * policy before main(), so the first start sets it and re-executes itself once. A user's own
 * OMP_WAIT_POLICY or GOMP_SPINCOUNT is left alone. */
static void use_passive_openmp_wait(char **argv) {
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return;
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv("/proc/self/exe", argv); // returns only on failure: go on with the default policy
}

int main(int argc, char **argv) {
    use_passive_openmp_wait(argv);
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("axon %s\n", ax_version());
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || (strcmp(cmd, "help") == 0 && argc == 2)) {
        print_usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "help") == 0) {
        int i = find_command(argv[2]);
        if (i < 0) {
            fprintf(stderr, "axon: unknown command '%s' (see axon --help)\n", argv[2]);
            return 2;
        }
        char *help[] = {"--help"};
        return commands[i].run(1, help);
    }
    int i = find_command(cmd);
    if (i < 0) {
        fprintf(stderr, "axon: unknown command '%s' (see axon --help)\n", cmd);
        return 2;
    }
    ax_set_threads(0);
    return commands[i].run(argc - 2, argv + 2);
}
