/* Shared by the GPT commands: see gpt_cli.h. */
#include "cli/gpt_cli.h"

#include <stdlib.h>

int gpt_cli_open(const char *dir, ax_gpt **model, ax_tokenizer **tok) {
    *model = NULL;
    *tok = NULL;
    if (ax_gpt_load(dir, model) != AX_OK) {
        fprintf(stderr, "axon: %s\n", ax_last_error());
        return 1;
    }
    if (ax_tokenizer_load(dir, tok) != AX_OK) {
        char hf_vocab[4096];
        snprintf(hf_vocab, sizeof hf_vocab, "%s/vocab.json", dir);
        FILE *fp = fopen(hf_vocab, "r");
        fprintf(stderr, "axon: %s%s\n", ax_last_error(),
                fp ? " (a Hugging Face checkpoint? convert it with `axon import DIR --out NEWDIR`)" : "");
        if (fp) fclose(fp);
        ax_gpt_free(*model);
        *model = NULL;
        return 1;
    }
    int n_tok = ax_tokenizer_vocab_size(*tok), n_model = (*model)->cfg.vocab_size;
    if (n_tok > n_model) {
        fprintf(stderr, "axon: %s: the tokenizer has %d tokens but the model's vocabulary only %d\n", dir, n_tok,
                n_model);
        ax_tokenizer_free(*tok);
        ax_gpt_free(*model);
        *tok = NULL;
        *model = NULL;
        return 1;
    }
    return 0;
}

int gpt_cli_read_all(FILE *fp, const char *what, char **text, size_t *len) {
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - 1 - n, fp);
        if (n < cap - 1) break;
        char *grown = realloc(buf, cap * 2);
        if (!grown) free(buf);
        buf = grown;
        cap *= 2;
    }
    if (!buf) return ax_error("out of memory reading %s", what);
    if (ferror(fp)) {
        free(buf);
        return ax_error("cannot read %s", what);
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return AX_OK;
}
