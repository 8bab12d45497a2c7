/* `axon train char-lstm`: a character-level LSTM language model on any text file, trained with truncated
 * backpropagation through time. The training text is cut into batch-size parallel streams; each step takes the
 * next seq-len characters of every stream and carries the LSTM state (detached) from the previous step, so the
 * model sees contexts longer than seq-len. Validation: bits per character on the held-out tail of the text. */
#include "cli/char_lstm_cli.h"
#include "cli/corpus.h"
#include "cli/options.h"
#include "cli/progress.h"
#include "cli/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *data, *out, *init;                  // text file, output directory, "keras" or "torch" weights
    int64_t hidden, layers, seq_len, batch;         // architecture, truncation length, parallel streams
    int64_t max_iters, eval_every, log_every;       // steps, steps per validation, steps per metrics line
    int64_t warmup, seed, threads;                  // warm-up steps, random seed, threads (0: all)
    double dropout, lr, min_lr, clip, val_fraction; // regularisation, Adam peak/final lr, grad-norm cap, val share
    double gate_bias;                               // initial input, forget and output gate bias (0: the init's)
    bool quiet, json;                               // no progress; JSON result on stdout
} cl_opts;

typedef struct {
    double *x, *y; // (cap) points
    int n, cap;    // points held, allocated
} cl_curve;

typedef struct {
    cl_opts o;            // the options
    ax_tokenizer *tok;    // char vocabulary of the text
    int32_t *ids;         // (n_ids) the encoded text
    int64_t n_ids;        // characters in the text
    int64_t n_train;      // ids[0, n_train) train, the rest validation
    ax_char_lstm *m;      // the model
    ax_optim *opt;        // Adam
    ax_lr_schedule sched; // warm-up + cosine
    ax_metrics_log *log;  // OUT/metrics.jsonl
    double best_bpc;      // best validation bits per char so far (INFINITY: none)
    double last_bpc;      // latest validation bits per char
    cl_curve train_curve; // (step, training bpc) per log line, for bpc.svg
    cl_curve val_curve;   // (step, validation bpc) per validation
    double tokens_per_s;  // training throughput of the whole run
} cl_trainer;

static int parse_options(int argc, char **argv, cl_opts *o) {
    *o = (cl_opts){.data = NULL,
                   .out = "runs/char-lstm",
                   .init = "torch",
                   .hidden = 256,
                   .layers = 4,
                   .seq_len = 100,
                   .batch = 64,
                   .max_iters = 2000,
                   .eval_every = 250,
                   .log_every = 10,
                   .warmup = 50,
                   .seed = 42,
                   .threads = 0,
                   .dropout = 0.2,
                   .gate_bias = 1.0,
                   .lr = 2e-3,
                   .min_lr = 2e-4,
                   .clip = 5.0,
                   .val_fraction = 0.1};
    const cli_option opts[] = {
        {"data", OPT_STRING, &o->data, "UTF-8 text file to learn, plain or .gz (default: the built-in Jane Austen corpus)"},
        {"out", OPT_STRING, &o->out, "output directory: checkpoint, metrics.jsonl, bpc.svg"},
        {"hidden", OPT_INT, &o->hidden, "LSTM units per layer"},
        {"layers", OPT_INT, &o->layers, "stacked LSTM layers"},
        {"dropout", OPT_FLOAT, &o->dropout, "dropout after every LSTM layer"},
        {"init", OPT_STRING, &o->init,
         "initial weights: keras (the case study's: orthogonal recurrent weights, forget-gate bias 1) or torch "
         "(torch.nn.LSTM's uniform ±1/√H)"},
        {"gate-bias", OPT_FLOAT, &o->gate_bias,
         "initial bias of the input, forget and output gates, so that the deep stack passes its signal on from the "
         "start (0: leave the biases as --init made them; with --init torch, PyTorch's initialisation exactly)"},
        {"seq-len", OPT_INT, &o->seq_len, "characters per sequence (truncated-BPTT length)"},
        {"batch-size", OPT_INT, &o->batch, "parallel text streams per step"},
        {"max-iters", OPT_INT, &o->max_iters, "training steps"},
        {"lr", OPT_FLOAT, &o->lr, "peak learning rate (Adam)"},
        {"min-lr", OPT_FLOAT, &o->min_lr, "final learning rate of the cosine schedule"},
        {"warmup-steps", OPT_INT, &o->warmup, "linear warm-up steps"},
        {"grad-clip", OPT_FLOAT, &o->clip, "clip the global gradient norm to this (0: off)"},
        {"val-fraction", OPT_FLOAT, &o->val_fraction, "share of the text (its end) held out for validation"},
        {"eval-every", OPT_INT, &o->eval_every, "steps between validations (and checkpoints of the best model)"},
        {"log-every", OPT_INT, &o->log_every, "steps per metrics.jsonl line"},
        {"seed", OPT_INT, &o->seed, "random seed (initial weights, dropout)"},
        {"threads", OPT_INT, &o->threads, "threads (0: all cores)"},
        {"quiet", OPT_FLAG, &o->quiet, "no progress output"},
        {"json", OPT_FLAG, &o->json, "print the result as JSON on stdout"},
    };
    const cli_command_spec spec = {"axon train char-lstm [--data FILE] [options]",
                                   "Train a character-level LSTM language model (4 x 256 LSTM, dropout, dense softmax "
                                   "over the characters) with truncated BPTT; reports validation bits per character.",
                                   opts, (int)(sizeof opts / sizeof *opts)};
    const char *pos[1];
    int n_pos;
    return cli_parse(&spec, argc, argv, pos, 0, &n_pos);
}

static int check_ranges(const cl_opts *o) {
    const char *bad =
        o->hidden < 1 || o->hidden > 65536                 ? "--hidden must be 1..65536"
        : o->layers < 1 || o->layers > AX_RNN_MAX_LAYERS     ? "--layers must be 1..8"
        : !(o->dropout >= 0 && o->dropout < 1)               ? "--dropout must be in [0, 1)"
        : o->seq_len < 1 || o->batch < 1 || o->max_iters < 1 ? "--seq-len, --batch-size, --max-iters must be ≥ 1"
        : o->eval_every < 1 || o->log_every < 1              ? "--eval-every and --log-every must be ≥ 1"
        : !(o->lr > 0 && o->lr < 10) || !(o->min_lr >= 0)    ? "--lr must be in (0, 10), --min-lr ≥ 0"
        : !(o->clip >= 0) || o->warmup < 0 || o->threads < 0 ? "--grad-clip, --warmup-steps, --threads must be ≥ 0"
        : !(o->val_fraction > 0 && o->val_fraction < 1)      ? "--val-fraction must be in (0, 1)"
        : strcmp(o->init, "keras") && strcmp(o->init, "torch") ? "--init must be keras or torch"
        : !(fabs(o->gate_bias) <= 10)                        ? "--gate-bias must be in [-10, 10]"
                                                             : NULL;
    if (bad) fprintf(stderr, "axon: %s\n", bad);
    return bad ? 2 : 0;
}

static void curve_init(cl_curve *c, int64_t cap) {
    c->cap = (int)cap, c->n = 0;
    c->x = malloc((size_t)cap * sizeof *c->x), c->y = malloc((size_t)cap * sizeof *c->y);
    AX_ASSERT(c->x && c->y, "out of memory");
}

static void curve_push(cl_curve *c, double x, double y) {
    if (c->n < c->cap) c->x[c->n] = x, c->y[c->n++] = y;
}

static void curve_free(cl_curve *c) {
    free(c->x);
    free(c->y);
}

// the text, its vocabulary and the split; AX_ERR on bad data
static int load_text(cl_trainer *t) {
    const char *what = t->o.data ? t->o.data : CLI_AUSTEN_NAME;
    char *text;
    size_t len, n = 0;
    if ((t->o.data ? cli_read_text(t->o.data, &text, &len) : cli_austen_text(&text, &len)) != AX_OK) return AX_ERR;
    int rc = ax_char_tokenizer_build(text, len, &t->tok);
    if (rc == AX_OK) rc = ax_tokenizer_encode(t->tok, text, len, &t->ids, &n);
    free(text);
    if (rc != AX_OK) return ax_error("%s: %s", what, ax_last_error());
    t->n_ids = (int64_t)n;
    t->n_train = t->n_ids - (int64_t)llround(t->o.val_fraction * (double)t->n_ids);
    if (t->n_train / t->o.batch < t->o.seq_len + 1 || t->n_ids - t->n_train < 2)
        return ax_error("%s: %lld characters are too few for --batch-size %lld streams of --seq-len %lld plus a "
                        "validation part",
                        what, (long long)t->n_ids, (long long)t->o.batch, (long long)t->o.seq_len);
    if (ax_tokenizer_vocab_size(t->tok) < 2) return ax_error("%s: the text has fewer than 2 distinct characters", what);
    return AX_OK;
}

static int setup(cl_trainer *t) {
    if (load_text(t) != AX_OK) return AX_ERR;
    ax_char_lstm_config cfg = {.vocab = ax_tokenizer_vocab_size(t->tok),
                               .hidden = t->o.hidden,
                               .layers = (int)t->o.layers,
                               .dropout = (float)t->o.dropout};
    ax_manual_seed((uint64_t)t->o.seed);
    t->m = ax_char_lstm_new(&cfg);
    if (strcmp(t->o.init, "keras") == 0) ax_rnn_init_keras(&t->m->lstm);
    if (t->o.gate_bias != 0) ax_lstm_open_gates(&t->m->lstm, (float)t->o.gate_bias);
    ax_optim_config oc = ax_optim_defaults(AX_OPTIM_ADAM);
    oc.lr = (float)t->o.lr;
    t->opt = ax_optim_new(t->m->params, oc);
    t->sched = (ax_lr_schedule){.kind = AX_LR_WARMUP_COSINE,
                                .base_lr = (float)t->o.lr,
                                .warmup = t->o.warmup,
                                .total_steps = t->o.max_iters,
                                .min_lr = (float)t->o.min_lr};
    t->best_bpc = t->last_bpc = INFINITY;
    curve_init(&t->train_curve, t->o.max_iters / t->o.log_every + 1);
    curve_init(&t->val_curve, t->o.max_iters / t->o.eval_every + 1);
    char path[4096];
    snprintf(path, sizeof path, "%s/metrics.jsonl", t->o.out);
    if (ax_mkdir_p(t->o.out) != AX_OK || ax_tokenizer_save(t->tok, t->o.out) != AX_OK) return AX_ERR;
    return (t->log = ax_metrics_open(path)) ? AX_OK : AX_ERR;
}

// OUT/bpc.svg: training and validation bits per character against the step
static int plot(const cl_trainer *t) {
    char path[4096];
    snprintf(path, sizeof path, "%s/bpc.svg", t->o.out);
    const ax_svg_labels labels = {"char-lstm: bits per character", "step", "bits per character"};
    const ax_svg_series s[2] = {{"train", t->train_curve.x, t->train_curve.y, t->train_curve.n},
                                {"validation", t->val_curve.x, t->val_curve.y, t->val_curve.n}};
    return ax_svg_line_chart(path, &labels, s, 2);
}

// bits per character over the validation text: up to batch-size streams, carried state, chunks of seq_len
static double validate(cl_trainer *t) {
    const int32_t *val = t->ids + t->n_train;
    int64_t n = t->n_ids - t->n_train, T = t->o.seq_len;
    int64_t B = t->o.batch < n / (T + 1) ? t->o.batch : n / (T + 1);
    if (B < 1) B = 1;
    int64_t len = n / B;
    char_lstm_state st;
    char_lstm_state_init(&st, t->m, B);
    bool prev = ax_set_grad_enabled(false);
    double nats = 0;
    int32_t *x = malloc((size_t)(B * T) * sizeof *x), *y = malloc((size_t)(B * T) * sizeof *y);
    AX_ASSERT(x && y, "out of memory");
    for (int64_t pos = 0; pos + 1 < len; pos += T) {
        int64_t Tc = pos + T + 1 <= len ? T : len - 1 - pos;
        for (int64_t b = 0; b < B; b++)
            for (int64_t i = 0; i < Tc; i++)
                x[b * Tc + i] = val[b * len + pos + i], y[b * Tc + i] = val[b * len + pos + i + 1];
        ax_tensor *loss = char_lstm_step_loss(t->m, &st, x, y, B, Tc, false);
        nats += (double)ax_item(loss) * (double)(B * Tc);
        ax_arena_reset();
    }
    free(x);
    free(y);
    ax_set_grad_enabled(prev);
    char_lstm_state_free(&st);
    return nats / (double)(B * (len - 1)) / log(2.0);
}

static int evaluate(cl_trainer *t, int64_t step) {
    t->last_bpc = validate(t);
    ax_metric m[] = {{"step", (double)step}, {"val_loss", t->last_bpc * log(2.0)}, {"val_bpc", t->last_bpc}};
    curve_push(&t->val_curve, (double)step, t->last_bpc);
    if (ax_metrics_write(t->log, m, 3) != AX_OK || plot(t) != AX_OK) return AX_ERR;
    if (!(t->last_bpc < t->best_bpc)) return AX_OK;
    t->best_bpc = t->last_bpc;
    char *json = ax_char_lstm_config_to_json(&t->m->cfg);
    int rc = ax_checkpoint_save(t->o.out, json, t->m->params);
    free(json);
    return rc;
}

// one optimizer step on the next chunk of every stream; returns the mean loss (nats)
static double train_step(cl_trainer *t, char_lstm_state *st, int64_t *pos, int32_t *x, int32_t *y) {
    int64_t B = t->o.batch, T = t->o.seq_len, len = t->n_train / B;
    if (*pos + T + 1 > len) *pos = 0, char_lstm_state_reset(st); // an epoch is over: start the streams again
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < T; i++)
            x[b * T + i] = t->ids[b * len + *pos + i], y[b * T + i] = t->ids[b * len + *pos + i + 1];
    *pos += T;
    ax_tensor *loss = char_lstm_step_loss(t->m, st, x, y, B, T, true);
    double l = ax_item(loss);
    ax_backward(loss);
    if (t->o.clip > 0) ax_clip_grad_norm(t->m->params, (float)t->o.clip);
    ax_optim_set_lr(t->opt, ax_lr_at(&t->sched, ax_optim_steps(t->opt)));
    ax_optim_step(t->opt);
    ax_optim_zero_grad(t->opt);
    ax_arena_reset();
    return l;
}

// a metrics line and the progress bar for the steps since the last one (mean loss in nats, n steps, seconds)
static int log_window(cl_trainer *t, cli_progress *bar, int64_t step, double loss, int64_t n, double seconds) {
    double bpc = loss / log(2.0), tps = (double)(n * t->o.batch * t->o.seq_len) / seconds;
    ax_metric m[] = {
        {"step", (double)step}, {"loss", loss}, {"bpc", bpc}, {"lr", ax_optim_lr(t->opt)}, {"tokens_per_s", tps}};
    curve_push(&t->train_curve, (double)step, bpc);
    char stats[96], val[16] = "-";
    if (isfinite(t->last_bpc)) snprintf(val, sizeof val, "%.3f", t->last_bpc);
    snprintf(stats, sizeof stats, "bpc %.3f | val %s | %.0f chars/s", bpc, val, tps);
    cli_progress_update(bar, step, stats);
    return ax_metrics_write(t->log, m, 5);
}

static int train(cl_trainer *t) {
    const cl_opts *o = &t->o;
    if (!o->quiet)
        fprintf(stderr,
                "char-lstm %lld x %lld, %d characters, %lld parameters, %lld training / %lld validation chars, "
                "%d threads\n",
                (long long)o->layers, (long long)o->hidden, ax_tokenizer_vocab_size(t->tok),
                (long long)ax_params_count(t->m->params), (long long)t->n_train, (long long)(t->n_ids - t->n_train),
                ax_threads());
    char_lstm_state st;
    char_lstm_state_init(&st, t->m, o->batch);
    int32_t *x = malloc((size_t)(o->batch * o->seq_len) * sizeof *x),
            *y = malloc((size_t)(o->batch * o->seq_len) * sizeof *y);
    AX_ASSERT(x && y, "out of memory");
    cli_progress bar;
    cli_progress_begin(&bar, stderr, "train", o->max_iters, "steps", o->quiet);
    double window = 0, window_start = cli_now(), train_s = 0;
    int64_t pos = 0, in_window = 0;
    int rc = AX_OK;
    for (int64_t step = 1; step <= o->max_iters && rc == AX_OK; step++) {
        double l = train_step(t, &st, &pos, x, y);
        if (!isfinite(l))
            rc = ax_error("training diverged at step %lld (loss %g); try a lower --lr", (long long)step, l);
        window += l, in_window++;
        if (step % o->log_every == 0 || step == o->max_iters) {
            double now = cli_now();
            train_s += now - window_start;
            if (log_window(t, &bar, step, window / (double)in_window, in_window, now - window_start) != AX_OK)
                rc = AX_ERR;
            window = 0, in_window = 0, window_start = now;
        }
        if (rc == AX_OK && (step % o->eval_every == 0 || step == o->max_iters)) {
            double e0 = cli_now();
            rc = evaluate(t, step);
            window_start += cli_now() - e0; // validation time is not training time
        }
    }
    t->tokens_per_s = (double)(o->max_iters * o->batch * o->seq_len) / train_s;
    char stats[96];
    snprintf(stats, sizeof stats, "val bpc %.4f (best %.4f)", t->last_bpc, t->best_bpc);
    cli_progress_end(&bar, o->max_iters, stats);
    free(x);
    free(y);
    char_lstm_state_free(&st);
    return rc;
}

static void report(const cl_trainer *t) {
    if (t->o.json)
        printf("{\"val_bpc\": %.6f, \"best_val_bpc\": %.6f, \"tokens_per_s\": %.1f, \"checkpoint\": \"%s\"}\n",
               t->last_bpc, t->best_bpc, t->tokens_per_s, t->o.out);
    else
        printf("val bpc %.4f (best %.4f), %.0f chars/s training; checkpoint in %s\n", t->last_bpc, t->best_bpc,
               t->tokens_per_s, t->o.out);
}

int train_char_lstm(int argc, char **argv) {
    cl_trainer t = {0};
    int rc = parse_options(argc, argv, &t.o);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    if ((rc = check_ranges(&t.o))) return rc;
    ax_set_threads((int)t.o.threads);
    rc = setup(&t) == AX_OK && train(&t) == AX_OK ? 0 : 1;
    if (rc)
        fprintf(stderr, "axon: %s\n", ax_last_error());
    else
        report(&t);
    ax_metrics_close(t.log);
    ax_optim_free(t.opt);
    ax_char_lstm_free(t.m);
    ax_tokenizer_free(t.tok);
    free(t.ids);
    curve_free(&t.train_curve);
    curve_free(&t.val_curve);
    return rc;
}
