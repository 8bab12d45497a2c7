/* `axon train gpt`: a GPT language model from scratch on a text file (or the built-in Jane Austen novels), as
 * nanoGPT trains: random windows of the training part, AdamW (decay on matrices only), linear warm-up then cosine
 * decay, gradient clipping, gradient accumulation, a validation loss every --eval-interval steps on fixed windows,
 * the best and the latest checkpoint, metrics.jsonl + loss.svg, and --resume that continues bit for bit.
 * Options, data and a checkpoint to resume are all checked before anything is written. Under mpirun every rank
 * trains on its share of each global batch (train_gpt_dist.c); rank 0 alone writes and prints. */
#include "cli/options.h"
#include "cli/train.h"
#include "cli/train_gpt.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATA_STREAM 0x9e3779b97f4a7c15ull // mixed into the seed for the window generator (the global one inits)

static int parse_options(int argc, char **argv, gpt_train_opts *o) {
    *o = (gpt_train_opts){.out = "runs/gpt", .tokenizer = "char", .n_layer = 4, .n_head = 4, .n_embd = 128,
                          .block = 64, .dropout = 0, .batch = 12, .accum = 1, .max_iters = 3000, .lr = 1e-3,
                          .min_lr = 1e-4, .weight_decay = 0.1, .beta1 = 0.9, .beta2 = 0.95, .clip = 1.0, .warmup = 100,
                          .decay_iters = 0, .val_fraction = 0.1, .eval_interval = 250, .eval_iters = 20,
                          .log_every = 10, .seed = 1337, .threads = 0};
    const cli_option opts[] = {
        {"data", OPT_STRING, &o->data, "text file to train on, plain or gzip (default: the built-in Jane Austen novels)"},
        {"out", OPT_STRING, &o->out, "output directory: best checkpoint, last/, metrics.jsonl, loss.svg"},
        {"tokenizer", OPT_STRING, &o->tokenizer,
         "char (one token per character of the corpus), gpt2, or a directory with tokenizer files"},
        {"n-layer", OPT_INT, &o->n_layer, "transformer blocks"},
        {"n-head", OPT_INT, &o->n_head, "attention heads (must divide --n-embd)"},
        {"n-embd", OPT_INT, &o->n_embd, "width of the residual stream"},
        {"block-size", OPT_INT, &o->block, "context length in tokens"},
        {"dropout", OPT_FLOAT, &o->dropout, "dropout on the embeddings and the residual branches"},
        {"batch-size", OPT_INT, &o->batch, "windows per micro-batch"},
        {"grad-accum", OPT_INT, &o->accum, "micro-batches per optimizer step (gradient accumulation)"},
        {"max-iters", OPT_INT, &o->max_iters, "optimizer steps in all (a resumed run goes on up to this step)"},
        {"lr", OPT_FLOAT, &o->lr, "peak learning rate"},
        {"min-lr", OPT_FLOAT, &o->min_lr, "learning rate at the end of the cosine decay"},
        {"warmup-iters", OPT_INT, &o->warmup, "steps of linear warm-up"},
        {"lr-decay-iters", OPT_INT, &o->decay_iters, "step at which the cosine reaches --min-lr (0: --max-iters)"},
        {"weight-decay", OPT_FLOAT, &o->weight_decay, "AdamW weight decay, on matrices only (not biases, LayerNorm)"},
        {"beta1", OPT_FLOAT, &o->beta1, "AdamW first-moment decay"},
        {"beta2", OPT_FLOAT, &o->beta2, "AdamW second-moment decay"},
        {"grad-clip", OPT_FLOAT, &o->clip, "clip the global gradient norm to this (0: no clipping)"},
        {"val-fraction", OPT_FLOAT, &o->val_fraction, "share of the tokens, at the end of the text, for validation"},
        {"eval-interval", OPT_INT, &o->eval_interval, "steps between validations (each saves the checkpoints)"},
        {"eval-iters", OPT_INT, &o->eval_iters, "batches of fixed validation windows per validation"},
        {"log-every", OPT_INT, &o->log_every, "steps per metrics.jsonl line"},
        {"seed", OPT_INT, &o->seed, "random seed (initial weights, windows, dropout)"},
        {"threads", OPT_INT, &o->threads, "threads (0: all cores; --resume is bit-exact with the same count)"},
        {"resume", OPT_FLAG, &o->resume, "continue the run in --out from its last checkpoint (same options)"},
        {"zero1", OPT_FLAG, &o->zero1, "under mpirun: shard the AdamW state over the ranks (ZeRO-1; same results)"},
        {"quiet", OPT_FLAG, &o->quiet, "no progress output"},
        {"json", OPT_FLAG, &o->json, "print the result as JSON on stdout"},
    };
    const cli_command_spec spec = {"axon train gpt [options]",
                                   "Train a GPT language model on a text file (default: Jane Austen's novels, "
                                   "char-level): random windows, AdamW, warm-up + cosine, validation, checkpoints.",
                                   opts, (int)(sizeof opts / sizeof *opts)};
    const char *pos[1];
    int n_pos;
    return cli_parse(&spec, argc, argv, pos, 0, &n_pos);
}

// numeric ranges; one line and exit code 2 when an option is out of range
static int check_ranges(const gpt_train_opts *o) {
    const char *bad =
        o->n_layer < 1 || o->n_layer > 1000 || o->n_head < 1 || o->n_embd < 1 || o->n_embd > 65536
            ? "--n-layer must be 1..1000, --n-head ≥ 1, --n-embd 1..65536"
        : o->n_embd % o->n_head ? "--n-embd must be a multiple of --n-head"
        : o->block < 1 || o->block > 1000000 ? "--block-size must be 1..1000000"
        : !(o->dropout >= 0 && o->dropout < 1) ? "--dropout must be in [0, 1)"
        : o->batch < 1 || o->accum < 1 || o->max_iters < 1 ? "--batch-size, --grad-accum and --max-iters must be ≥ 1"
        : !(o->lr > 0 && isfinite(o->lr)) || !(o->min_lr >= 0 && isfinite(o->min_lr))
            ? "--lr must be a positive number, --min-lr ≥ 0"
        : !(o->weight_decay >= 0 && isfinite(o->weight_decay)) || !(o->clip >= 0 && isfinite(o->clip))
            ? "--weight-decay and --grad-clip must be ≥ 0"
        : !(o->beta1 >= 0 && o->beta1 < 1) || !(o->beta2 >= 0 && o->beta2 < 1) ? "--beta1 and --beta2 must be in [0, 1)"
        : o->warmup < 0 || o->decay_iters < 0 || o->threads < 0
            ? "--warmup-iters, --lr-decay-iters and --threads must be ≥ 0"
        : !(o->val_fraction > 0 && o->val_fraction < 1) ? "--val-fraction must be in (0, 1)"
        : strlen(o->out) > 2048 ? "--out: path too long"
        : o->eval_interval < 1 || o->eval_iters < 1 || o->log_every < 1
            ? "--eval-interval, --eval-iters and --log-every must be ≥ 1"
        : o->batch * o->accum < ax_dist_size() ? "--batch-size × --grad-accum (the global batch) must be at least the "
                                                 "number of MPI ranks: each rank needs a window"
            : NULL;
    if (bad && ax_dist_rank() == 0) fprintf(stderr, "axon: %s\n", bad), fflush(stderr);
    if (bad) ax_dist_first_failure(true); // every rank got the same verdict: wait until rank 0 has said it, then exit
    return bad ? 2 : 0;
}

// corpus, model, optimizer, schedule and, with --resume, the checkpoint; exit code 1 on bad data
static int setup(gpt_trainer *t) {
    const gpt_train_opts *o = &t->o;
    if (gpt_dist_agree(t, gpt_corpus_load(t))) return 1;
    ax_gpt_config cfg = {.vocab_size = ax_tokenizer_vocab_size(t->tok), .block_size = (int)o->block,
                         .n_layer = (int)o->n_layer, .n_head = (int)o->n_head, .n_embd = (int)o->n_embd,
                         .dropout = (float)o->dropout, .bias = true, .ln_eps = 1e-5f};
    ax_manual_seed((uint64_t)o->seed);
    ax_rng_seed(&t->data_rng, (uint64_t)o->seed ^ DATA_STREAM);
    t->model = ax_gpt_new(&cfg, ax_params_new());
    t->model->owns_params = true;
    ax_gpt_init(t->model);
    ax_optim_config oc = ax_optim_defaults(AX_OPTIM_ADAMW);
    oc.lr = (float)o->lr;
    oc.weight_decay = (float)o->weight_decay;
    oc.beta1 = (float)o->beta1;
    oc.beta2 = (float)o->beta2;
    if (!o->zero1 || (o->resume && t->rank == 0)) t->opt = ax_optim_new(t->model->params, oc); // --zero1: to resume
    t->sched = (ax_lr_schedule){.kind = AX_LR_WARMUP_COSINE, .base_lr = (float)o->lr, .warmup = o->warmup,
                                .total_steps = o->decay_iters ? o->decay_iters : o->max_iters,
                                .min_lr = (float)o->min_lr};
    if (o->warmup >= t->sched.total_steps) { // short runs (--max-iters 50) keep a warm-up, a tenth of the steps
        t->sched.warmup = t->sched.total_steps / 10;
        cli_note(&t->bar, t->o.quiet, "note: --warmup-iters %lld is not below the %lld decay steps: warming up over %lld\n",
             (long long)o->warmup, (long long)t->sched.total_steps, (long long)t->sched.warmup);
    }
    t->best_val = INFINITY;
    if (gpt_dist_check(t) || gpt_dist_agree(t, o->resume && t->rank == 0 && gpt_resume(t) != AX_OK)) return 1;
    return gpt_dist_start(t, oc); // rank 0 read the checkpoint: the others get it from there
}

static void describe(const gpt_trainer *t) {
    const gpt_train_opts *o = &t->o;
    const ax_gpt_config *c = &t->model->cfg;
    const gpt_corpus *d = &t->corpus;
    cli_note(&t->bar, t->o.quiet, "gpt: %d layers, %d heads, n_embd %d, block %d, vocab %d (%s): %.2fM parameters\n", c->n_layer, c->n_head,
         c->n_embd, c->block_size, c->vocab_size, gpt_tokenizer_name(t), (double)ax_params_count(t->model->params) / 1e6);
    cli_note(&t->bar, t->o.quiet, "data: %s, %lld training + %lld validation tokens\n", d->name, (long long)d->n_train,
         (long long)(d->n - d->n_train));
    if (t->start_step) cli_note(&t->bar, t->o.quiet, "resuming %s/%s at step %lld (best val loss %.4f at step %lld)\n", o->out, GPT_LAST_DIR,
                            (long long)t->start_step, t->best_val, (long long)t->best_step);
    cli_note(&t->bar, t->o.quiet, "training: %lld steps of %lldx%lld tokens, AdamW lr %g -> %g, %d threads -> %s/\n", (long long)o->max_iters,
         (long long)(o->batch * o->accum), (long long)o->block, o->lr, o->min_lr, ax_threads(), o->out);
    if (t->world > 1) cli_note(&t->bar, t->o.quiet, "data parallel: %d ranks (MPI), %d threads each%s\n", t->world, ax_threads(),
                           o->zero1 ? ", AdamW state sharded (ZeRO-1)" : "");
}

static int diverged(const gpt_trainer *t, const char *what, double v) {
    return ax_error("the %s is %g at step %lld: training diverged; try a lower --lr (now %g)%s", what, v,
                    (long long)t->step + 1, t->o.lr, t->start_step || t->best_step ? "; the checkpoints saved so far "
                    "are kept" : "");
}

/* one optimizer step over the global batch (--batch-size × --grad-accum windows) in micro-batches of ≤ --batch-size
 * (on N ranks each takes 1/N of the windows); 1 after a one-line error if the loss is not finite */
static int train_step(gpt_trainer *t) {
    const gpt_train_opts *o = &t->o;
    ax_optim_set_lr(t->opt, ax_lr_at(&t->sched, t->step));
    ax_params_zero_grad(t->model->params);
    gpt_dist_seed_step(t);
    int64_t global = o->batch * o->accum, n = gpt_step_windows(t);
    double loss = 0;
    for (int64_t at = 0; at < n; at += o->batch) {
        int64_t b = n - at < o->batch ? n - at : o->batch;
        ax_tensor *x = ax_empty_dtype(AX_I32, AX_SHAPE(b, o->block)), *y = ax_empty_dtype(AX_I32, AX_SHAPE(b, o->block));
        gpt_fill_batch(t, t->starts + at, b, ax_i32(x), ax_i32(y));
        ax_tensor *l = ax_gpt_loss(t->model, x, y, true);
        double v = ax_item(l);
        // the micro-batch's share of the global batch's mean: b / global (exactly 1 / --grad-accum on one rank)
        if (isfinite(v)) ax_backward(b < global ? ax_mul_scalar(l, (float)b / (float)global) : l);
        ax_arena_reset();
        loss += v * (double)b / (double)global;
    }
    float norm = gpt_dist_reduce(t, &loss, o->clip > 0 ? (float)o->clip : INFINITY);
    if (!isfinite(loss)) return diverged(t, "loss", loss), 1;
    if (!isfinite(norm)) return diverged(t, "gradient norm", norm), 1;
    gpt_dist_update(t);
    t->step++;
    t->win_loss += loss;
    t->win_steps++;
    return 0;
}

// a metrics.jsonl line with the mean training loss since the last one
static void log_window(gpt_trainer *t) {
    double now = cli_now(), tokens = (double)(t->win_steps * t->o.accum * t->o.batch * t->o.block);
    t->last_loss = t->win_loss / (double)t->win_steps;
    double comm = ax_dist_comm_seconds();
    ax_metric m[] = {{"step", (double)t->step}, {"loss", t->last_loss}, {"lr", ax_optim_lr(t->opt)},
                     {"tokens_per_s", tokens / (now - t->win_start)},
                     {"comm_ms", 1e3 * (comm - t->win_comm) / (double)t->win_steps}}; // several ranks only
    int n_metrics = (int)(sizeof m / sizeof *m) - (t->world == 1);
    if (t->log && ax_metrics_write(t->log, m, n_metrics) != AX_OK) cli_note(&t->bar, t->o.quiet, "axon: %s\n", ax_last_error());
    mlp_curve_push(&t->train_curve, (double)t->step, t->last_loss);
    t->win_loss = 0;
    t->win_steps = 0;
    t->win_start = now;
    t->win_comm = comm;
}

// rank 0: the metrics line of a validation; after step 0 the best and the last checkpoints; the plot
static int record_validation(gpt_trainer *t, const ax_optim *full, double val, double secs) {
    ax_metric m[] = {{"step", (double)t->step}, {"val_loss", val}, {"val_seconds", secs}};
    if (ax_metrics_write(t->log, m, 3) != AX_OK) return 1;
    mlp_curve_push(&t->val_curve, (double)t->step, val);
    t->last_val = val;
    bool best = t->step > 0 && val < t->best_val;
    if (best) {
        t->best_val = val;
        t->best_step = t->step;
        if (gpt_save_best(t) != AX_OK) return 1;
    }
    if ((t->step > 0 && gpt_save_last(t, full, val) != AX_OK) || gpt_write_plot(t) != AX_OK) return 1;
    cli_note(&t->bar, t->o.quiet, "step %lld: val loss %.4f%s\n", (long long)t->step, val, best ? " (best, saved)" : "");
    return 0;
}

// the validation loss (every rank a share of the windows), then what rank 0 records
static int validate(gpt_trainer *t) {
    double t0 = cli_now(), val = gpt_validate(t), secs = cli_now() - t0;
    t->win_start += secs; // validation time does not count against tokens/s
    if (!isfinite(val)) return diverged(t, "validation loss", val), 1;
    ax_optim *full = t->step > 0 ? gpt_dist_full_optimizer(t) : NULL;
    int rc = t->rank == 0 ? record_validation(t, full, val, secs) : 0;
    gpt_dist_drop_full(t, full);
    return gpt_dist_agree(t, rc);
}

static void report(const gpt_trainer *t) {
    if (t->rank > 0) return;
    const char *out = t->o.out;
    double secs = cli_now() - t->start;
    double tokens = (double)((t->step - t->start_step) * t->o.accum * t->o.batch * t->o.block);
    if (t->o.json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "steps", (double)t->step);
        cJSON_AddNumberToObject(j, "train_loss", t->last_loss);
        cJSON_AddNumberToObject(j, "val_loss", t->last_val);
        cJSON_AddNumberToObject(j, "best_val_loss", t->best_val);
        cJSON_AddNumberToObject(j, "best_step", (double)t->best_step);
        cJSON_AddNumberToObject(j, "seconds", secs);
        cJSON_AddNumberToObject(j, "tokens_per_s", tokens / secs);
        cJSON_AddStringToObject(j, "out", out);
        char *text = cJSON_PrintUnformatted(j);
        if (text) printf("%s\n", text);
        free(text);
        cJSON_Delete(j);
        return;
    }
    char took[32];
    cli_format_duration(secs, took, sizeof took);
    printf("best validation loss %.4f at step %lld of %lld (training loss %.4f); %s, %.0f tokens/s\n", t->best_val,
           (long long)t->best_step, (long long)t->step, t->last_loss, took, tokens / secs);
    printf("checkpoint  %s/ (best), %s/%s/ (latest, for --resume)\nmetrics     %s/metrics.jsonl\nplot        "
           "%s/loss.svg\nnext        axon generate --ckpt %s --prompt \"...\"\n",
           out, out, GPT_LAST_DIR, out, out, out);
}

static int train(gpt_trainer *t) {
    const gpt_train_opts *o = &t->o;
    if (t->step >= o->max_iters) {
        cli_note(&t->bar, t->o.quiet, "axon: %s/%s is at step %lld already (--max-iters %lld): nothing to train\n", o->out, GPT_LAST_DIR,
             (long long)t->step, (long long)o->max_iters);
        return 0;
    }
    if (gpt_dist_agree(t, t->rank == 0 && (ax_mkdir_p(o->out) != AX_OK || gpt_open_metrics(t) != AX_OK))) return 1;
    describe(t);
    int64_t per_step = o->accum * o->batch * o->block;
    t->start = t->win_start = cli_now();
    t->win_comm = ax_dist_comm_seconds();
    cli_progress_begin(&t->bar, stderr, "train", (o->max_iters - t->step) * per_step, "tok", o->quiet);
    if (t->step == 0 && validate(t)) return 1;
    while (t->step < o->max_iters) {
        if (train_step(t)) return 1;
        if (t->step % o->log_every == 0 || t->step == o->max_iters) log_window(t);
        if ((t->step % o->eval_interval == 0 || t->step == o->max_iters) && validate(t)) return 1;
        char stats[96];
        snprintf(stats, sizeof stats, "step %lld/%lld loss %.4f", (long long)t->step, (long long)o->max_iters,
                 t->win_steps ? t->win_loss / (double)t->win_steps : t->last_loss);
        cli_progress_update(&t->bar, (t->step - t->start_step) * per_step, stats);
    }
    char stats[96];
    snprintf(stats, sizeof stats, "step %lld loss %.4f val %.4f", (long long)t->step, t->last_loss, t->best_val);
    cli_progress_end(&t->bar, (t->step - t->start_step) * per_step, stats);
    report(t);
    return 0;
}

static void free_trainer(gpt_trainer *t) {
    ax_metrics_close(t->log);
    if (!t->zero) ax_optim_free(t->opt); // else it is the zero shard's
    ax_zero_free(t->zero);
    ax_grad_sync_free(t->sync);
    free(t->starts);
    ax_gpt_free(t->model);
    ax_tokenizer_free(t->tok);
    gpt_corpus_free(&t->corpus);
    mlp_curve_free(&t->train_curve);
    mlp_curve_free(&t->val_curve);
}

int train_gpt(int argc, char **argv) {
    gpt_trainer t = {0};
    int rc = parse_options(argc, argv, &t.o);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    if (ax_dist_init() != AX_OK) return fprintf(stderr, "axon: %s\n", ax_last_error()), 1;
    if ((rc = check_ranges(&t.o))) return rc; // before any collective call: mpirun ends the other ranks
    ax_set_threads((int)t.o.threads);
    t.rank = ax_dist_rank(), t.world = ax_dist_size();
    t.o.quiet |= t.rank > 0; // rank 0 alone prints
    rc = setup(&t);
    if (rc == 0) rc = train(&t);
    if (rc && t.rank == t.failed_rank && t.world > 1) // every rank stopped; the first that failed says why
        fprintf(stderr, "axon: rank %d of %d: %s\n", t.rank, t.world, ax_last_error());
    else if (rc && t.rank == t.failed_rank)
        fprintf(stderr, "axon: %s\n", ax_last_error());
    free_trainer(&t);
    ax_dist_finalize();
    return rc;
}
