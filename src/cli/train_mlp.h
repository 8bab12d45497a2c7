/* `axon train mlp`: the trainer's state, shared by its two files (train_mlp.c runs the training,
 * train_mlp_out.c writes what it produces: checkpoints, plots, the final report). */
#ifndef AX_CLI_TRAIN_MLP_H
#define AX_CLI_TRAIN_MLP_H

#include "axon.h"
#include "cli/progress.h"

typedef struct {
    const char *data, *out;            // data directory, output directory
    const char *hidden, *activation;   // "256,128", "relu"
    const char *optimizer, *schedule;  // "adamw", "cosine"
    const char *class_names;           // "auto" or a comma-separated list
    const char *normalize;             // "standard" (mean/std of the training pixels) or "none"
    double dropout, lr, weight_decay;  // lr 0 / weight_decay < 0: the optimizer's default
    double momentum, min_lr, lr_gamma; // SGD momentum, cosine floor, step-schedule factor
    double val_fraction;               // share of the training images held out for validation
    int64_t epochs, batch, seed, threads, limit; // limit: use only the first N training images (0: all)
    int64_t warmup, lr_step_epochs, log_every;   // warm-up steps, step-schedule period, steps per log line
    bool quiet, json;                  // no progress; JSON result on stdout
} mlp_train_opts;

typedef struct {
    double *x, *y; // (n) points
    int n, cap;    // points, allocated
} mlp_curve;

typedef struct {
    mlp_train_opts o;              // the options
    ax_mlp *mlp;                   // the model
    ax_optim *opt;                 // its optimizer
    ax_optim_config optim_cfg;     // resolved optimizer settings (lr, weight decay)
    ax_lr_schedule sched;          // learning rate per step
    ax_image_set data;             // the training file: training and validation images
    ax_rng data_rng;               // draws the validation split, then each epoch's order
    int64_t *order;                // (data.n) a permutation: [0, n_train) train, the rest validation
    int64_t n_train, n_val;        // split sizes (after --limit)
    char **class_names;            // (classes) display names
    ax_metrics_log *log;           // OUT/metrics.jsonl
    cli_progress bar;              // the current epoch's progress
    int epoch;                     // 1-based current epoch
    ax_class_stats window;         // epoch totals at the last log line
    double window_start;           // cli_now() at the last log line
    mlp_curve train_loss, train_acc, val_loss, val_acc; // for the plots; x in epochs
    int64_t *confusion;            // (classes²) of the latest validation pass
    int64_t *best_confusion;       // (classes²) of the best epoch
    int best_epoch;                // epoch of the best validation accuracy (0: none yet)
    double best_acc, best_loss;    // its validation accuracy and loss
    double start;                  // cli_now() when training began
} mlp_trainer;

void mlp_curve_push(mlp_curve *c, double x, double y);
void mlp_curve_free(mlp_curve *c);
int mlp_save_checkpoint(const mlp_trainer *t);  // the model + config.json (architecture, classes, best scores) in OUT
int mlp_write_plots(const mlp_trainer *t);      // OUT/loss.svg, accuracy.svg, confusion.svg
void mlp_report(const mlp_trainer *t);          // the final summary on stdout (text or --json)

#endif
