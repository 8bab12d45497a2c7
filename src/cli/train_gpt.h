/* `axon train gpt`: the trainer's state, shared by its files (train_gpt.c: options and the training loop,
 * train_gpt_data.c: corpus, batches and validation, train_gpt_ckpt.c: checkpoints, --resume, metrics history,
 * train_gpt_dist.c: the same run on N processes under mpirun). */
#ifndef AX_CLI_TRAIN_GPT_H
#define AX_CLI_TRAIN_GPT_H

#include "axon.h"
#include "axon/dist.h"
#include "axon/tokenize.h"
#include "cli/progress.h"
#include "cli/train_mlp.h" // mlp_curve: a growing list of (x, y) points for the plots

#define GPT_LAST_DIR "last"                    // OUT/last: the latest checkpoint, with what --resume needs
#define GPT_STATE_FILE "trainer_state.json"    // step, RNG states, best validation loss, corpus identity
#define GPT_OPTIM_FILE "optimizer.safetensors" // AdamW moments and per-parameter step counts

typedef struct {
    const char *data, *out, *tokenizer;     // corpus file (NULL: built-in), output directory, char | gpt2 | DIR
    int64_t n_layer, n_head, n_embd, block; // architecture (block: context length in tokens)
    double dropout;                         // embedding / residual dropout
    int64_t batch, accum, max_iters;        // windows per micro-batch, micro-batches per step, optimizer steps
    double lr, min_lr, weight_decay;        // AdamW peak and final learning rate, decoupled weight decay
    double beta1, beta2, clip;              // AdamW moment decays; max global gradient norm (0: no clipping)
    int64_t warmup, decay_iters;            // linear warm-up steps; step where the cosine reaches min_lr (0: max_iters)
    double val_fraction;                    // share of the tokens (the end of the corpus) held out for validation
    int64_t eval_interval, eval_iters;      // steps between validations; batches per validation
    int64_t log_every, seed, threads;       // steps per metrics.jsonl line; random seed; threads (0: all cores)
    bool resume, quiet, json;               // continue OUT/last; no progress output; JSON result on stdout
    bool zero1;                             // shard the AdamW state over the ranks (ZeRO-1)
} gpt_train_opts;

typedef struct {
    int32_t *ids;       // (n) token ids: training part [0, n_train), validation part [n_train, n)
    int64_t n, n_train; // token counts
    uint64_t hash;      // FNV-1a of the ids and the count: identifies corpus + tokenizer across --resume
    const char *name;   // for messages: the file or CLI_AUSTEN_NAME
} gpt_corpus;

typedef struct {
    gpt_train_opts o;           // the options
    ax_tokenizer *tok;          // text ⇄ ids, saved with every checkpoint
    gpt_corpus corpus;          // the tokenised text
    ax_gpt *model;              // the model (owns its parameters)
    ax_optim *opt;              // AdamW over the model's parameters; with --zero1 over this rank's shard (zero's)
    ax_grad_sync *sync;         // sums the gradients over the ranks (several ranks without --zero1; else NULL)
    ax_zero *zero;              // --zero1: this rank's shard of the weights and AdamW state (else NULL)
    int rank, world;            // this process's rank and the number of ranks (0 and 1 without mpirun)
    int failed_rank;            // the rank whose error message is printed when the run fails
    int64_t *starts;            // (ceil(global batch / world)) this rank's window starts in the current step
    ax_lr_schedule sched;       // warm-up + cosine learning rate per step
    ax_rng data_rng;            // draws the training windows: its state is the data position
    int64_t step;               // optimizer steps done
    int64_t start_step;         // step at which this run began (0, or the one resumed from)
    double best_val;            // lowest validation loss so far (INFINITY before the first validation)
    int64_t best_step;          // the step it was measured at
    double last_loss;           // mean training loss of the latest metrics window
    double last_val;            // the latest validation loss (NAN before the first)
    double trained_s;           // seconds spent training before this run (resumed runs)
    ax_metrics_log *log;        // OUT/metrics.jsonl
    cli_progress bar;           // progress over this run's steps
    double win_loss;            // Σ of the step losses since the last metrics line
    int64_t win_steps;          // steps in that window
    double win_start;           // cli_now() when the window began
    double win_comm;            // ax_dist_comm_seconds() when the window began
    mlp_curve train_curve;      // (step, mean training loss) per metrics line, for loss.svg
    mlp_curve val_curve;        // (step, validation loss) per validation
    double start;               // cli_now() when this run began
} gpt_trainer;

/* train_gpt_data.c */
int gpt_corpus_load(gpt_trainer *t);   // text → tokenizer → ids → split; 1 after a one-line error
void gpt_corpus_free(gpt_corpus *c);
int64_t gpt_step_windows(gpt_trainer *t); // the global batch's window starts drawn, this rank's share into t->starts; returns its count
void gpt_fill_batch(const gpt_trainer *t, const int64_t *starts, int64_t n, int32_t *x, int32_t *y); // (n, block) windows, shifted targets
double gpt_validate(gpt_trainer *t);   // collective: mean loss over the fixed validation windows (no dropout, no gradients)
const char *gpt_tokenizer_name(const gpt_trainer *t); // "char", "gpt2" or "bpe" (for config.json)

/* train_gpt_ckpt.c */
int gpt_save_best(const gpt_trainer *t);  // model + tokenizer + config.json into OUT
int gpt_save_last(const gpt_trainer *t, const ax_optim *full, double val_loss); // the same into OUT/last, plus the state of
                                          // `full` (an optimizer over all parameters) and trainer_state.json
int gpt_resume(gpt_trainer *t);           // loads OUT/last into the new model and optimizer after checking it fits
int gpt_open_metrics(gpt_trainer *t);     // OUT/metrics.jsonl: new, or when resuming its lines up to the step
int gpt_write_plot(const gpt_trainer *t); // OUT/loss.svg

/* train_gpt_dist.c: several ranks (each call is collective; with one rank most do nothing) */
int gpt_dist_agree(gpt_trainer *t, int rc); // rc (0 or 1) of every rank: 1 on all if any failed, whose message is printed
int gpt_dist_check(gpt_trainer *t);      // every rank has the options and data of rank 0, and a share of the batch
int gpt_dist_start(gpt_trainer *t, ax_optim_config oc); // rank 0's weights, optimizer and trainer state to all
void gpt_dist_seed_step(const gpt_trainer *t); // several ranks: each its own dropout stream for this step
float gpt_dist_reduce(gpt_trainer *t, double *loss, float max_norm); // sums loss and gradients, clips; the norm
void gpt_dist_update(gpt_trainer *t);    // the optimizer step (with --zero1: the shard's, then all weights)
ax_optim *gpt_dist_full_optimizer(gpt_trainer *t); // the whole optimizer state on rank 0 (--zero1: gathered), or NULL
void gpt_dist_drop_full(gpt_trainer *t, ax_optim *full); // frees what gpt_dist_full_optimizer gathered

#endif
