/* `axon train mlp`: data → shuffled mini-batches → validation each epoch → best checkpoint, metrics, plots.
 * Every option and the data are checked before anything is written, so bad input changes no file. */
#include "cli/classifier.h"
#include "cli/options.h"
#include "cli/train.h"
#include "cli/train_mlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VAL_BATCH 1000 // images per validation forward pass
#define DATA_STREAM 0x9e3779b97f4a7c15ull // mixed into the seed for the data generator (the global one inits)

static int parse_options(int argc, char **argv, mlp_train_opts *o) {
    *o = (mlp_train_opts){.data = CLI_DEFAULT_IMAGE_DATA, .out = "runs/mlp", .hidden = "256,128",
                          .activation = "relu", .optimizer = "adamw", .schedule = "cosine", .class_names = "auto",
                          .normalize = "standard",
                          .dropout = 0.1, .lr = 0, .weight_decay = -1, .momentum = 0.9, .min_lr = 0, .lr_gamma = 0.5,
                          .val_fraction = 0.1, .epochs = 10, .batch = 128, .seed = 42, .threads = 0, .limit = 0,
                          .warmup = 0, .lr_step_epochs = 3, .log_every = 50};
    const cli_option opts[] = {
        {"data", OPT_STRING, &o->data, "directory with train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]"},
        {"out", OPT_STRING, &o->out, "output directory: checkpoint, metrics.jsonl, *.svg"},
        {"hidden", OPT_STRING, &o->hidden, "hidden layer widths, comma-separated (none: softmax regression)"},
        {"activation", OPT_STRING, &o->activation, "relu, tanh, sigmoid or gelu"},
        {"dropout", OPT_FLOAT, &o->dropout, "dropout probability after each hidden layer"},
        {"normalize", OPT_STRING, &o->normalize, "inputs: standard (mean 0, std 1 over the training pixels) or none"},
        {"optimizer", OPT_STRING, &o->optimizer, "sgd, momentum, adam or adamw"},
        {"lr", OPT_FLOAT, &o->lr, "peak learning rate (0: 2e-3 for adam/adamw, 0.1 for sgd, 0.05 for momentum)"},
        {"weight-decay", OPT_FLOAT, &o->weight_decay, "weight decay (negative: 0.05 for adamw, else 0)"},
        {"momentum", OPT_FLOAT, &o->momentum, "momentum of the momentum optimizer"},
        {"schedule", OPT_STRING, &o->schedule, "learning-rate schedule: constant, step or cosine"},
        {"warmup-steps", OPT_INT, &o->warmup, "cosine: linear warm-up steps"},
        {"min-lr", OPT_FLOAT, &o->min_lr, "cosine: final learning rate"},
        {"lr-step-epochs", OPT_INT, &o->lr_step_epochs, "step: epochs between learning-rate cuts"},
        {"lr-gamma", OPT_FLOAT, &o->lr_gamma, "step: factor of each cut"},
        {"batch-size", OPT_INT, &o->batch, "images per mini-batch"},
        {"epochs", OPT_INT, &o->epochs, "passes over the training images"},
        {"val-fraction", OPT_FLOAT, &o->val_fraction, "share of the training images held out for validation"},
        {"limit", OPT_INT, &o->limit, "use only the first N training images (0: all)"},
        {"seed", OPT_INT, &o->seed, "random seed (initial weights, data order, dropout)"},
        {"threads", OPT_INT, &o->threads, "threads (0: all cores)"},
        {"log-every", OPT_INT, &o->log_every, "steps per metrics.jsonl line (and one at the end of each epoch)"},
        {"class-names", OPT_STRING, &o->class_names,
         "auto (Fashion-MNIST names for fashion data, else 0..9) or a,b,..."},
        {"quiet", OPT_FLAG, &o->quiet, "no progress output"},
        {"json", OPT_FLAG, &o->json, "print the result as JSON on stdout"},
    };
    const cli_command_spec spec = {"axon train mlp [options]",
                                   "Train a multi-layer perceptron on 28x28 grey images (IDX files): shuffled "
                                   "mini-batches, a validation split, the best epoch kept as the checkpoint.",
                                   opts, (int)(sizeof opts / sizeof *opts)};
    const char *pos[1];
    int n_pos;
    return cli_parse(&spec, argc, argv, pos, 0, &n_pos);
}

// numeric ranges; one line and exit code 2 when an option is out of range
static int check_ranges(const mlp_train_opts *o) {
    const char *bad = o->epochs < 1 || o->epochs > 100000      ? "--epochs must be 1..100000"
                      : o->batch < 1 || o->batch > 65536       ? "--batch-size must be 1..65536"
                      : !(o->lr >= 0 && o->lr < 100)           ? "--lr must be in [0, 100) (0: the optimizer's default)"
                      : !(o->dropout >= 0 && o->dropout < 1)   ? "--dropout must be in [0, 1)"
                      : !(o->momentum >= 0 && o->momentum < 1) ? "--momentum must be in [0, 1)"
                      : !(o->val_fraction > 0 && o->val_fraction < 1) ? "--val-fraction must be in (0, 1)"
                      : o->limit < 0 || o->threads < 0 || o->warmup < 0
                          ? "--limit, --threads and --warmup-steps must be ≥ 0"
                      : o->log_every < 1 || o->lr_step_epochs < 1 ? "--log-every and --lr-step-epochs must be ≥ 1"
                      : !(o->min_lr >= 0) || !(o->lr_gamma > 0) || !isfinite(o->weight_decay)
                          ? "--min-lr must be ≥ 0, --lr-gamma > 0, --weight-decay a number"
                          : NULL;
    if (bad) fprintf(stderr, "axon: %s\n", bad);
    return bad ? 2 : 0;
}

// optimizer, schedule and architecture from the option words; exit code 2 on an unknown name
static int resolve_names(mlp_trainer *t, ax_mlp_config *mc) {
    const mlp_train_opts *o = &t->o;
    static const char *const optims[] = {"sgd", "momentum", "adam", "adamw"};
    static const float default_lr[] = {0.1f, 0.05f, 2e-3f, 2e-3f}; // measured on Fashion-MNIST, see docs/benchmarks.md
    int k = 0;
    while (k < 4 && strcmp(o->optimizer, optims[k]) != 0) k++;
    if (k == 4) {
        fprintf(stderr, "axon: unknown optimizer '%s' (choose sgd, momentum, adam or adamw)\n", o->optimizer);
        return 2;
    }
    t->optim_cfg = ax_optim_defaults(k < 2 ? AX_OPTIM_SGD : k == 2 ? AX_OPTIM_ADAM : AX_OPTIM_ADAMW);
    t->optim_cfg.lr = o->lr > 0 ? (float)o->lr : default_lr[k];
    t->optim_cfg.weight_decay = o->weight_decay >= 0 ? (float)o->weight_decay : k == 3 ? 0.05f : 0.0f;
    if (k == 1) t->optim_cfg.momentum = (float)o->momentum;
    static const ax_lr_kind kinds[] = {AX_LR_CONSTANT, AX_LR_STEP, AX_LR_WARMUP_COSINE};
    static const char *const scheds[] = {"constant", "step", "cosine"};
    int s = 0;
    while (s < 3 && strcmp(o->schedule, scheds[s]) != 0) s++;
    if (s == 3) {
        fprintf(stderr, "axon: unknown schedule '%s' (choose constant, step or cosine)\n", o->schedule);
        return 2;
    }
    t->sched = (ax_lr_schedule){.kind = kinds[s], .base_lr = t->optim_cfg.lr, .warmup = o->warmup,
                                .min_lr = (float)o->min_lr, .gamma = (float)o->lr_gamma};
    if (strcmp(o->normalize, "standard") != 0 && strcmp(o->normalize, "none") != 0) {
        fprintf(stderr, "axon: unknown --normalize '%s' (choose standard or none)\n", o->normalize);
        return 2;
    }
    *mc = ax_mlp_defaults();
    mc->dropout = (float)o->dropout;
    if (ax_activation_parse(o->activation, &mc->act) != AX_OK || ax_mlp_parse_hidden(o->hidden, mc) != AX_OK) {
        fprintf(stderr, "axon: %s\n", ax_last_error());
        return 2;
    }
    return 0;
}

// mean and standard deviation of the training images' inputs (pixel / 255) into the model config
static void pixel_stats(const mlp_trainer *t, ax_mlp_config *mc) {
    const int64_t d = t->data.rows * t->data.cols;
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < t->n_train; i++) {
        const uint8_t *p = t->data.images + t->order[i] * d;
        for (int64_t j = 0; j < d; j++) sum += p[j], sq += (double)p[j] * p[j];
    }
    double n = (double)(t->n_train * d), mean = sum / n, var = sq / n - mean * mean;
    mc->input_mean = (float)(mean / 255.0);
    mc->input_std = var > 0 ? (float)(sqrt(var) / 255.0) : 1.0f;
}

// the training file, the split and the model; exit code 1 on bad data
static int setup(mlp_trainer *t, ax_mlp_config *mc) {
    const mlp_train_opts *o = &t->o;
    if (ax_image_set_load_split(o->data, "train", &t->data) != AX_OK) return 1;
    if (o->limit > 0 && o->limit < t->data.n) t->data.n = o->limit;
    if (t->data.n_classes < 2) return ax_error("%s: the training labels name fewer than 2 classes", o->data), 1;
    t->n_val = (int64_t)llround(o->val_fraction * (double)t->data.n);
    t->n_train = t->data.n - t->n_val;
    if (t->n_val < 1 || t->n_train < 1)
        return ax_error("%lld training images cannot be split by --val-fraction %g", (long long)t->data.n,
                        o->val_fraction),
               1;
    mc->in = t->data.rows * t->data.cols;
    mc->classes = t->data.n_classes;
    if (ax_mlp_config_check(mc) != AX_OK) return 1;
    int64_t steps = (t->n_train + o->batch - 1) / o->batch;
    t->sched.total_steps = steps * o->epochs;
    t->sched.step_size = steps * o->lr_step_epochs;
    if (t->sched.kind == AX_LR_WARMUP_COSINE && o->warmup >= t->sched.total_steps)
        return ax_error("--warmup-steps %lld is not below the %lld training steps", (long long)o->warmup,
                        (long long)t->sched.total_steps), 1;
    ax_rng_seed(&t->data_rng, (uint64_t)o->seed ^ DATA_STREAM);
    t->order = malloc((size_t)t->data.n * sizeof *t->order);
    t->confusion = calloc((size_t)(mc->classes * mc->classes), sizeof *t->confusion);
    t->best_confusion = calloc((size_t)(mc->classes * mc->classes), sizeof *t->best_confusion);
    if (!t->order || !t->confusion || !t->best_confusion) return ax_error("out of memory"), 1;
    ax_permutation(&t->data_rng, t->order, t->data.n);
    if (strcmp(o->normalize, "standard") == 0) pixel_stats(t, mc);
    ax_manual_seed((uint64_t)o->seed);
    t->mlp = ax_mlp_new(mc);
    t->opt = ax_optim_new(t->mlp->params, t->optim_cfg);
    return (t->class_names = cli_class_names(o->class_names, o->data, mc->classes)) ? 0 : 1;
}

static void log_window(mlp_trainer *t, const ax_class_stats *s) {
    int64_t n = s->n - t->window.n;
    double now = cli_now(), loss = (s->loss_sum - t->window.loss_sum) / (double)n,
           acc = (double)(s->correct - t->window.correct) / (double)n;
    double epoch = t->epoch - 1 + (double)s->n / (double)t->n_train;
    ax_metric m[] = {{"step", (double)ax_optim_steps(t->opt)}, {"epoch", epoch}, {"loss", loss}, {"accuracy", acc},
                     {"lr", ax_optim_lr(t->opt)}, {"samples_per_s", (double)n / (now - t->window_start)}};
    if (ax_metrics_write(t->log, m, (int)(sizeof m / sizeof *m)) != AX_OK && !t->o.quiet)
        fprintf(stderr, "axon: %s\n", ax_last_error());
    mlp_curve_push(&t->train_loss, epoch, loss);
    mlp_curve_push(&t->train_acc, epoch, acc);
    t->window = *s;
    t->window_start = now;
}

static void on_batch(const ax_class_stats *s, void *ctx) {
    mlp_trainer *t = ctx;
    if (s->n / t->o.batch % t->o.log_every == 0 || s->n == t->n_train) log_window(t, s); // counted per epoch
    char stats[96];
    snprintf(stats, sizeof stats, "loss %.4f acc %.4f", s->loss_sum / (double)s->n, (double)s->correct / (double)s->n);
    cli_progress_update(&t->bar, s->n, stats);
}

// one epoch: train, validate, keep the best, log and plot; 1 after a one-line error
static int run_epoch(mlp_trainer *t) {
    int64_t classes = t->mlp->cfg.classes;
    char label[64], stats[192];
    snprintf(label, sizeof label, "epoch %d/%lld", t->epoch, (long long)t->o.epochs);
    ax_shuffle(&t->data_rng, t->order, t->n_train); // the training part only
    cli_progress_begin(&t->bar, stderr, label, t->n_train, "samples", t->o.quiet);
    t->window = (ax_class_stats){0};
    t->window_start = t->bar.start;
    ax_class_stats tr = ax_mlp_train_epoch(t->mlp, t->opt, &t->sched, &t->data, t->order, t->n_train, t->o.batch,
                                           on_batch, t);
    double seconds = cli_now() - t->bar.start;
    memset(t->confusion, 0, (size_t)(classes * classes) * sizeof *t->confusion);
    ax_class_stats va = ax_mlp_evaluate(t->mlp, &t->data, t->order + t->n_train, t->n_val, VAL_BATCH, t->confusion);
    double tl = tr.loss_sum / (double)tr.n, ta = (double)tr.correct / (double)tr.n;
    double vl = va.loss_sum / (double)va.n, vacc = (double)va.correct / (double)va.n;
    if (!isfinite(tl)) return ax_error("training diverged at epoch %d (loss %g); try a lower --lr", t->epoch, tl), 1;
    mlp_curve_push(&t->val_loss, t->epoch, vl);
    mlp_curve_push(&t->val_acc, t->epoch, vacc);
    bool best = vacc > t->best_acc || t->best_epoch == 0;
    if (best) {
        t->best_epoch = t->epoch, t->best_acc = vacc, t->best_loss = vl;
        memcpy(t->best_confusion, t->confusion, (size_t)(classes * classes) * sizeof *t->confusion);
        if (mlp_save_checkpoint(t) != AX_OK) return 1;
    }
    ax_metric m[] = {{"step", (double)ax_optim_steps(t->opt)}, {"epoch", t->epoch}, {"train_loss", tl},
                     {"train_accuracy", ta}, {"val_loss", vl}, {"val_accuracy", vacc}, {"lr", ax_optim_lr(t->opt)},
                     {"epoch_seconds", seconds}, {"samples_per_s", (double)tr.n / seconds}};
    if (ax_metrics_write(t->log, m, (int)(sizeof m / sizeof *m)) != AX_OK || mlp_write_plots(t) != AX_OK) return 1;
    snprintf(stats, sizeof stats, "loss %.4f acc %.4f | val loss %.4f acc %.4f%s", tl, ta, vl, vacc, best ? " *" : "");
    cli_progress_end(&t->bar, tr.n, stats);
    return 0;
}

static int train(mlp_trainer *t) {
    char path[4096];
    snprintf(path, sizeof path, "%s/metrics.jsonl", t->o.out);
    if (ax_mkdir_p(t->o.out) != AX_OK || !(t->log = ax_metrics_open(path))) return 1;
    char arch[160];
    cli_mlp_describe(&t->mlp->cfg, arch, sizeof arch);
    if (!t->o.quiet)
        fprintf(stderr, "mlp %s, %lld parameters, %s lr %g, %lld training / %lld validation images, %d threads\n", arch,
                (long long)ax_params_count(t->mlp->params), t->o.optimizer, (double)t->optim_cfg.lr,
                (long long)t->n_train, (long long)t->n_val, ax_threads());
    t->start = cli_now();
    for (t->epoch = 1; t->epoch <= t->o.epochs; t->epoch++)
        if (run_epoch(t) != 0) return 1;
    mlp_report(t);
    return 0;
}

static void free_trainer(mlp_trainer *t) {
    ax_metrics_close(t->log);
    if (t->mlp) cli_class_names_free(t->class_names, t->mlp->cfg.classes);
    ax_optim_free(t->opt);
    ax_mlp_free(t->mlp);
    ax_image_set_free(&t->data);
    free(t->order);
    free(t->confusion);
    free(t->best_confusion);
    mlp_curve *curves[] = {&t->train_loss, &t->train_acc, &t->val_loss, &t->val_acc};
    for (int i = 0; i < 4; i++) mlp_curve_free(curves[i]);
}

int train_mlp(int argc, char **argv) {
    mlp_trainer t = {0};
    ax_mlp_config mc;
    int rc = parse_options(argc, argv, &t.o);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    if ((rc = check_ranges(&t.o)) || (rc = resolve_names(&t, &mc))) return rc;
    ax_set_threads((int)t.o.threads);
    rc = setup(&t, &mc);
    if (rc == 0) rc = train(&t);
    if (rc) fprintf(stderr, "axon: %s\n", ax_last_error());
    free_trainer(&t);
    return rc;
}
