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
    int64_t word_dim, case_dim, gaz_dim, char_dim; // embedding widths (gaz_dim 0: no gazetteer features)
    const char *gazetteers;                      // the word lists' directory (NULL: the weak labeller's default)
    int64_t char_hidden, hidden, layers;         // BiLSTM sizes
    int64_t min_freq, max_len, max_word_chars;   // vocabulary threshold; tokens per piece; characters per token
    int64_t epochs, batch, log_every, seed, threads; // passes, sentences per step, steps per metrics line, seed, threads
    double dropout, lr, clip, val_fraction;      // dropout, Adam lr, grad-norm cap, hold-out share without --valid
    const char *init;                            // bert: a pre-trained encoder to start from (NULL: pre-train)
    int64_t d_model, heads, d_ff, positions;     // bert: width, attention heads, feed-forward width, most sub-words
    int64_t bpe_vocab, pretrain_steps, pretrain_len; // bert: BPE size, MLM steps, sub-words per MLM sequence
    double pretrain_lr, mask_prob;               // bert: MLM Adam lr, share of sub-words masked
    int64_t self_train, self_epochs;             // self-training rounds (0: off); epochs per round
    double confidence;                           // self-training: least sentence probability kept
    const char *unlabelled;                      // self-training pool, CoNLL (NULL: the training sentences)
    bool quiet, json;                            // no progress; JSON result on stdout
} ner_train_opts;

typedef struct {
    ner_train_opts o;             // the options
    ax_ner_corpus train, valid;   // training and validation sentences (entity types index their own .tags)
    ax_tagset tags;               // the model's tag set: the training types, sorted, in --scheme
    int32_t *gold;                // (train.n_tokens) gold tag ids in tags
    ner_piece *pieces;            // (n_pieces) the training sentences cut to --max-len
    int64_t n_pieces;             // training pieces
    ax_tagger *m;                 // the model (bilstm-crf)
    ax_bert *bert;                // the model (bert)
    ax_bert_words sub;            // bert: the sub-words of every training token
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
    int32_t *weak;                // self-training: (base_tokens) the training sentences' own tag ids
    int64_t base_sents, base_tokens; // self-training: the training sentences before the pool was appended
    ax_ner_corpus pool;           // self-training: the --unlabelled sentences (empty without)
    double train_s, tokens_per_s; // seconds in training steps; tokens per second over them
} ner_trainer;

void ner_note(const ner_trainer *t, const char *fmt, ...) __attribute__((format(printf, 2, 3))); // stderr line
int ner_train_epochs(ner_trainer *t, int64_t n); // n more epochs, each validated (the best is saved)

/* train_ner_gen.c: --arch seq2seq (its own options; the rest go to `axon train transformer`) */
int train_ner_gen(int argc, char **argv);

/* train_ner_self.c */
int ner_self_check(const ner_train_opts *o); // 2 after a message when the self-training options are out of range
int ner_self_train(ner_trainer *t);         // --self-train rounds after the first training; AX_ERR after a message

/* train_ner_data.c */
int ner_load_data(ner_trainer *t); // train / valid sentences and the tag set; AX_ERR after a message

/* train_ner_bert.c: --arch bert */
int ner_bert_defaults(int argc, char **argv, ner_train_opts *o); // bert's defaults when argv has --arch bert; 1 if so
int ner_bert_check(const ner_train_opts *o);                       // 2 after a usage message, else 0
int ner_bert_setup(ner_trainer *t); // BPE, MLM pre-training (or --init), the tagger, gold ids, pieces; AX_ERR
double ner_bert_step(ner_trainer *t, const ner_piece *p, int64_t B); // one fine-tuning step; the mean loss

/* train_ner_out.c */
int ner_save_checkpoint(const ner_trainer *t);   // model + vocabularies + config.json (with the scores) in OUT
int ner_write_plots(const ner_trainer *t);       // OUT/loss.svg, OUT/f1.svg
void ner_report(const ner_trainer *t, FILE *fp); // the final summary (text or --json) on fp

#endif
