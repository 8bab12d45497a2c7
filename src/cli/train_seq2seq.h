/* `axon train seq2seq`: the trainer's state, shared by its files (train_seq2seq.c: options, data and the training
 * loop; train_seq2seq_out.c: checkpoint, plots and the final report). */
#ifndef AX_CLI_TRAIN_SEQ2SEQ_H
#define AX_CLI_TRAIN_SEQ2SEQ_H

#include "axon.h"
#include "cli/progress.h"
#include "cli/seq2seq_cli.h"
#include "cli/train_mlp.h" // mlp_curve: a growing list of (x, y) points for the plots

#define S2S_DEFAULT_DIR "data/de-en" // where data/make_de_en.sh is told to write (train.tsv, valid.tsv, test.tsv)

typedef struct {
    const char *data, *valid, *test, *out;    // pair files (valid/test: "" = next to --data, "none" = hold out / skip)
    const char *attention;                    // bahdanau | general | dot
    int64_t emb, hidden, enc_layers;          // architecture
    int64_t min_freq, max_vocab, max_len;     // vocabulary: least count, most words (0: all); words per sentence
    int64_t epochs, batch, log_every;         // passes over the data, pairs per step, steps per metrics line
    int64_t bleu_sentences, seed, threads;    // validation pairs translated for BLEU (0: all); seed; threads
    double dropout, lr, min_lr, clip, tf;     // dropout, Adam peak/final lr, grad-norm cap, teacher-forcing ratio
    double val_fraction;                      // share of --data held out when there is no validation file
    bool reverse, quiet, json;                // translate column 1 → 2; no progress; JSON result on stdout
} s2s_train_opts;

typedef struct {
    s2s_train_opts o;           // the options
    const char *valid_path;     // the validation file used (NULL: held out from --data)
    const char *test_path;      // the test file used (NULL: none)
    s2s_texts train_txt;        // normalised training pairs (and the held-out part when there is no valid file)
    s2s_texts valid_txt;        // normalised validation pairs (empty when held out)
    s2s_texts test_txt;         // normalised test pairs (empty without a test file)
    ax_vocab *sv, *tv;          // source and target vocabularies (from the training pairs)
    s2s_set train, valid, test; // the three sets as ids
    ax_seq2seq *m;              // the model
    ax_optim *opt;              // Adam
    ax_lr_schedule sched;       // cosine from --lr to --min-lr over all steps
    ax_rng data_rng;            // each epoch's order
    int64_t steps_per_epoch;    // batches in an epoch
    ax_metrics_log *log;        // OUT/metrics.jsonl
    cli_progress bar;           // the current epoch's progress
    mlp_curve train_loss, val_loss, val_bleu; // for the plots; x in epochs
    int epoch;                  // 1-based current epoch
    double last_loss;           // mean training loss of the latest epoch
    double last_val_loss, last_bleu; // latest validation loss and BLEU
    double best_bleu, best_val_loss; // of the best epoch
    int best_epoch;             // 0 until the first validation
    double test_bleu, test_loss;     // of the best checkpoint on the test file (NAN without one)
    double tokens_per_s;        // target words per second of training (all epochs)
    double train_s;             // seconds spent in training steps
} s2s_trainer;

/* train_seq2seq_out.c */
int s2s_save_checkpoint(const s2s_trainer *t);  // model + vocabularies + config.json (with the scores) in OUT
int s2s_write_plots(const s2s_trainer *t);      // OUT/loss.svg, OUT/bleu.svg
void s2s_report(const s2s_trainer *t, FILE *fp); // the final summary (text or --json) on fp

#endif
