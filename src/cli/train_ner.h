/* `axon train ner`: the trainer's state, shared by its files (train_ner.c: options and the training loop;
 * train_ner_data.c: the sentences; train_ner_out.c: checkpoint, plots and the final report). */
#ifndef AX_CLI_TRAIN_NER_H
#define AX_CLI_TRAIN_NER_H

#include "axon.h"
#include "cli/ner_tag_cli.h"
#include "cli/progress.h"
#include "cli/train_mlp.h" // mlp_curve: a growing list of (x, y) points for the plots

typedef struct {
    const char *arch, *data, *valid, *out;       // tagger kind; CoNLL files (NULL: defaults); output directory
    const char *scheme, *data_scheme;            // tag scheme learnt; tag scheme of the files
    int64_t word_dim, case_dim, char_dim;        // embedding widths
    int64_t char_hidden, hidden, layers;         // BiLSTM sizes
    int64_t min_freq, max_len, max_word_chars;   // vocabulary threshold; tokens per piece; characters per token
    int64_t epochs, batch, log_every, seed, threads; // passes, sentences per step, steps per metrics line, seed, threads
    double dropout, lr, clip, val_fraction;      // dropout, Adam lr, grad-norm cap, hold-out share without --valid
    bool quiet, json;                            // no progress; JSON result on stdout
} ner_train_opts;

typedef struct {
    ner_train_opts o;             // the options
    ax_ner_corpus train, valid;   // training and validation sentences (entity types index their own .tags)
    ax_tagset tags;               // the model's tag set: the training types, sorted, in --scheme
    int32_t *gold;                // (train.n_tokens) gold tag ids in tags
    ner_piece *pieces;            // (n_pieces) the training sentences cut to --max-len
    int64_t n_pieces;             // training pieces
    ax_tagger *m;                 // the model
    ax_optim *opt;                // Adam
    ax_rng data_rng;              // the hold-out and each epoch's order
    int64_t steps_per_epoch;      // batches in an epoch
    const char *const **b_toks;   // (batch) a step's token lists
    const int32_t **b_tags;       // (batch) a step's gold tags
    int *b_n;                     // (batch) a step's lengths
    ax_metrics_log *log;          // OUT/metrics.jsonl
    cli_progress bar;             // the current epoch's progress
    mlp_curve train_loss, val_f1; // for the plots; x in epochs
    int epoch;                    // 1-based current epoch
    double last_loss;             // mean training loss of the latest epoch
    double last_f1, last_acc;     // latest validation entity F1 and token accuracy (percent)
    double best_f1;               // of the best epoch
    int best_epoch;               // 0 until the first validation
    int64_t train_tokens;         // tokens trained on (all epochs)
    double train_s, tokens_per_s; // seconds in training steps; tokens per second over them
} ner_trainer;

void ner_note(const ner_trainer *t, const char *fmt, ...) __attribute__((format(printf, 2, 3))); // stderr line

/* train_ner_data.c */
int ner_load_data(ner_trainer *t); // train / valid sentences and the tag set; AX_ERR after a message

/* train_ner_out.c */
int ner_save_checkpoint(const ner_trainer *t);   // model + vocabularies + config.json (with the scores) in OUT
int ner_write_plots(const ner_trainer *t);       // OUT/loss.svg, OUT/f1.svg
void ner_report(const ner_trainer *t, FILE *fp); // the final summary (text or --json) on fp

#endif
