/* `axon import DIR --out OUT`: a Hugging Face GPT-2 checkpoint (config.json + model.safetensors, F32/F16/BF16,
 * with or without the "transformer." prefix) into an axon checkpoint: F32 weights under HF names, axon's
 * config.json, and the tokenizer (HF's vocab.json + merges.txt, openai's encoder.json + vocab.bpe, or the
 * bundled GPT-2 files when DIR has none and the vocabulary is GPT-2's). Everything is read and checked before
 * OUT is written. */
#include "cli/cli.h"
#include "cli/gpt_cli.h"
#include "cli/options.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GPT2_VOCAB 50257 // GPT-2's vocabulary: the bundled tokenizer fits

static bool has_file(const char *dir, const char *file) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int load_tokenizer(const char *dir, int vocab, ax_tokenizer **tok, const char **source) {
    *source = dir;
    if (has_file(dir, "encoder.json") || has_file(dir, "vocab.json") || has_file(dir, "char_vocab.json"))
        return ax_tokenizer_load(dir, tok);
    if (vocab != GPT2_VOCAB)
        return ax_error("%s has no tokenizer files (vocab.json + merges.txt) and its vocabulary (%d) is not GPT-2's",
                        dir, vocab);
    *source = "the bundled GPT-2 files";
    return ax_tokenizer_load("gpt2", tok);
}

static int run(const char *dir, const char *out, bool json) {
    ax_gpt *m = NULL;
    ax_tokenizer *tok = NULL;
    const char *tok_source = NULL;
    int rc = ax_gpt_load(dir, &m);
    if (rc == AX_OK) rc = load_tokenizer(dir, m->cfg.vocab_size, &tok, &tok_source);
    if (rc == AX_OK && ax_tokenizer_vocab_size(tok) > m->cfg.vocab_size)
        rc = ax_error("the tokenizer has %d tokens but the model's vocabulary only %d", ax_tokenizer_vocab_size(tok),
                      m->cfg.vocab_size);
    if (rc == AX_OK) rc = ax_tokenizer_save(tok, out);
    if (rc == AX_OK) rc = ax_gpt_save(m, out, "{\"axon_imported\": true}");
    if (rc != AX_OK) {
        fprintf(stderr, "axon: %s\n", ax_last_error());
    } else if (json) {
        printf("{\"out\": \"%s\", \"n_layer\": %d, \"n_head\": %d, \"n_embd\": %d, \"vocab_size\": %d, \"block_size\": %d, "
               "\"parameters\": %lld}\n",
               out, m->cfg.n_layer, m->cfg.n_head, m->cfg.n_embd, m->cfg.vocab_size, m->cfg.block_size,
               (long long)ax_params_count(m->params));
    } else {
        printf("imported %s into %s: GPT-2 with %d layers, %d heads, n_embd %d, vocabulary %d, block size %d, "
               "%lld parameters; tokenizer from %s\n",
               dir, out, m->cfg.n_layer, m->cfg.n_head, m->cfg.n_embd, m->cfg.vocab_size, m->cfg.block_size,
               (long long)ax_params_count(m->params), tok_source);
    }
    ax_tokenizer_free(tok);
    ax_gpt_free(m);
    return rc == AX_OK ? 0 : 1;
}

int cmd_import(int argc, char **argv) {
    const char *out = NULL;
    bool json = false;
    const cli_option opts[] = {
        {"out", OPT_STRING, &out, "axon checkpoint directory to write"},
        {"json", OPT_FLAG, &json, "print the imported architecture as JSON"},
    };
    const cli_command_spec spec = {"axon import DIR --out OUT",
                                   "Import a Hugging Face GPT-2 checkpoint directory (config.json + model.safetensors "
                                   "+ vocab.json/merges.txt) as an axon checkpoint.",
                                   opts, (int)(sizeof opts / sizeof *opts)};
    const char *pos[1];
    int n_pos, rc = cli_parse(&spec, argc, argv, pos, 1, &n_pos);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    if (n_pos != 1 || !out) {
        fprintf(stderr, "axon: import needs a checkpoint directory and --out OUT (usage: %s)\n", spec.usage);
        return 2;
    }
    return run(pos[0], out, json);
}
