/* `axon train transformer`: the trainer's state, shared by its files (train_transformer.c: options, data and the
 * training loop; train_transformer_out.c: checkpoints, epoch snapshots and their average, --resume, plots, report). */
#ifndef AX_CLI_TRAIN_TRANSFORMER_H
#define AX_CLI_TRAIN_TRANSFORMER_H

#include "axon.h"
#include "cli/progress.h"
#include "cli/train_mlp.h" // mlp_curve: a growing list of (x, y) points for the plots
#include "cli/transformer_cli.h"

#define TF_DEFAULT_DIR "data/de-en" // where data/make_de_en.sh is told to write (train.tsv, valid.tsv, test.tsv)
#define TF_LAST_DIR "last" // OUT/last: the latest epoch's model, tokenizer and what --resume needs
#define TF_EPOCHS_DIR "epochs" // OUT/epochs/epoch-N.safetensors: the snapshots averaged at the end
#define TF_STATE_FILE "trainer_state.json" // epoch, step, RNG states, curves, data identity
#define TF_OPTIM_FILE "optimizer.safetensors"

typedef struct {
    const char *data, *valid, *test, *out; // pair files (valid/test: "" = next to --data, "none" = hold out / skip)
    const char *export_dir; // --export: ids and batches for tools/transformer_torch.py (NULL: none)
    int64_t vocab_size, max_len; // joint BPE tokens; most tokens per side (bos/eos included)
    int64_t layers, enc_layers, dec_layers; // layers (--layers sets both; 0: the preset's)
    int64_t d_model, heads, d_ff; // widths
    double dropout; // residual / embedding / feed-forward dropout
    bool pre_ln, learned_pos; // pre-LN instead of post-LN; learned positions instead of sinusoids
    int64_t epochs, batch_tokens, warmup; // passes, padded tokens per batch, Noam warm-up steps
    double lr, label_smoothing, clip; // Noam factor, ε, global gradient-norm cap (0: off)
    int64_t average, bleu_sentences; // epoch snapshots averaged at the end; validation pairs for BLEU (0: all)
    int64_t log_every, seed, threads; // steps per metrics line; seed; threads (0: all cores)
    double val_fraction; // share of --data held out when there is no validation file
    bool reverse, resume, quiet, json; // translate column 1 → 2; continue OUT/last; no progress; JSON result
} tf_train_opts;

typedef struct {
    tf_train_opts o; // the options
    ax_transformer_config preset; // the architecture before the options (small or --config base)
    const char *valid_path; // the validation file used (NULL: held out from --data)
    const char *test_path; // the test file used (NULL: none)
    s2s_texts train_txt, valid_txt, test_txt; // the pairs as text
    ax_tokenizer *tok; // joint BPE of the training pairs (both sides)
    tf_set train, valid, test; // the three sets as ids
    ax_transformer *m; // the model
    ax_optim *opt; // Adam(0.9, 0.98, 1e-9)
    ax_lr_schedule sched; // Noam
    ax_rng data_rng; // each epoch's batches
    ax_metrics_log *log; // OUT/metrics.jsonl
    cli_progress bar; // the current epoch's progress
    mlp_curve train_loss, val_loss, val_bleu; // for the plots; x in epochs
    int epoch; // epochs done
    int start_epoch; // epochs done before this run (--resume)
    int64_t cut, skipped; // sentences cut at max_len; malformed lines skipped
    double last_loss, last_val_loss, last_bleu; // latest epoch: training loss, validation loss and BLEU
    double avg_val_loss, avg_bleu; // the final (averaged) model's validation loss and BLEU
    int averaged; // epoch snapshots averaged into the final model (1: the last epoch as is)
    double test_bleu, test_words_bleu, test_loss; // the final model on the test file (NAN without one)
    int64_t tokens; // target tokens trained on in this run
    double train_s; // seconds spent in training steps (all runs)
    double tokens_per_s; // target tokens per second of training (this run)
} tf_trainer;

int train_transformer(int argc, char **argv); // the command (train_transformer.c), dispatched by cmd_train.c

/* train_transformer_out.c */
int tf_save_epoch(tf_trainer *t); // OUT/epochs/epoch-N.safetensors (the older ones beyond --average removed), OUT/last
int tf_finish(tf_trainer *t); // averages the snapshots into the model, saves the final checkpoint in OUT
int tf_resume(tf_trainer *t); // OUT/last into the new model and optimizer after checking it fits
int tf_load_resume_tokenizer(tf_trainer *t); // the tokenizer of OUT/last (instead of training one)
int tf_write_plots(const tf_trainer *t); // OUT/loss.svg, OUT/bleu.svg
void tf_report(const tf_trainer *t, FILE *fp); // the final summary (text or --json) on fp
/* The element-wise mean of the parameter files paths[0 .. k) (ax_params_save files of p's names and shapes) into p. */
int tf_average_params(ax_params *p, const char *const *paths, int k);

#endif
