/* What the GPT commands (generate, ppl, import) share: opening a checkpoint with its tokenizer, reading
 * all of a stream. */
#ifndef AX_CLI_GPT_CLI_H
#define AX_CLI_GPT_CLI_H

#include "axon.h"
#include "axon/tokenize.h"

#include <stdio.h>

/* Loads DIR's GPT and tokenizer and checks that they fit together. On failure prints "axon: …" and returns 1
 * (the exit code) with nothing left allocated; 0 on success. */
int gpt_cli_open(const char *dir, ax_gpt **model, ax_tokenizer **tok);
/* The whole of fp into malloc'd memory (NUL-terminated); AX_ERR with a message on a read error. */
int gpt_cli_read_all(FILE *fp, const char *what, char **text, size_t *len);

#endif
