/* `axon translate`: the options shared by its two paths (cmd_translate.c: seq2seq checkpoints,
 * translate_transformer.c: Transformer checkpoints). */
#ifndef AX_CLI_TRANSLATE_H
#define AX_CLI_TRANSLATE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *ckpt, *text, *attention; // checkpoint, sentence (NULL: stdin), heatmap file (NULL: none)
    int64_t beam, nbest, max_len, threads; // beam width, results per sentence, most output tokens (0: automatic)
    int64_t attn_layer, attn_head; // Transformer heatmap: decoder layer and head (−1: mean)
    int64_t batch; // Transformer greedy decoding (--beam 1): sentences per batch
    double alpha; // length normalisation exponent
    bool json, quiet; // JSON lines; no notes
} tr_opts;

/* Translates with the Transformer checkpoint o->ckpt; returns the exit code (0, 1 bad input, 2 bad option). */
int translate_transformer(const tr_opts *o);

#endif
