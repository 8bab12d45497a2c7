/* `axon train seq2seq`: the GRU + attention translator (include/axon/seq2seq.h) on sentence pairs, German → English
 * by default (the files data/make_de_en.sh builds). Word vocabularies from the training pairs; each epoch takes the
 * pairs in a random order, grouped into batches of similar source length (less padding), trains with Adam, a cosine
 * learning rate and gradient clipping, then measures the validation loss and the BLEU of greedy translations; the
 * epoch with the best BLEU is the checkpoint, which is finally scored on the test file. */
#include "cli/options.h"
#include "cli/train.h"
#include "cli/train_seq2seq.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define POOL_BATCHES 32 // batches sorted by length together

static int parse_options(int argc, char **argv, s2s_train_opts *o) {
    *o = (s2s_train_opts){.valid = "", .test = "", .out = "runs/seq2seq", .attention = "bahdanau", .emb = 128,
                          .hidden = 128, .enc_layers = 1, .min_freq = 2, .max_vocab = 0, .max_len = 30, .epochs = 10,
                          .batch = 64, .log_every = 20, .bleu_sentences = 0, .seed = 42, .threads = 0, .dropout = 0.3,
                          .lr = 2e-3, .min_lr = 1e-4, .clip = 1.0, .tf = 1.0, .val_fraction = 0.1};
    const cli_option opts[] = {
        {"data", OPT_STRING, &o->data, "training pairs, `English<TAB>German[<TAB>…]` lines (default: " S2S_DEFAULT_DIR
                                       "/train.tsv from data/make_de_en.sh)"},
        {"valid", OPT_STRING, &o->valid,
         "validation pairs (default: valid.tsv next to --data; none or missing: hold out --val-fraction)"},
        {"test", OPT_STRING, &o->test, "test pairs scored at the end (default: test.tsv next to --data; none: skip)"},
        {"out", OPT_STRING, &o->out, "output directory: checkpoint, vocabularies, metrics.jsonl, loss.svg, bleu.svg"},
        {"reverse", OPT_FLAG, &o->reverse, "translate the first column into the second (default: second → first)"},
        {"attention", OPT_STRING, &o->attention, "bahdanau (additive), general or dot (Luong, multiplicative)"},
        {"emb", OPT_INT, &o->emb, "word embedding width"},
        {"hidden", OPT_INT, &o->hidden, "encoder GRU units per direction (the decoder has twice as many)"},
        {"enc-layers", OPT_INT, &o->enc_layers, "stacked bidirectional encoder layers"},
        {"dropout", OPT_FLOAT, &o->dropout, "dropout on embeddings, between encoder layers and before the output layer"},
        {"min-freq", OPT_INT, &o->min_freq, "words seen fewer times in the training pairs become <unk>"},
        {"max-vocab", OPT_INT, &o->max_vocab, "most words per vocabulary, specials included (0: no limit)"},
        {"max-len", OPT_INT, &o->max_len, "words per sentence: longer ones are cut (with a notice)"},
        {"epochs", OPT_INT, &o->epochs, "passes over the training pairs"},
        {"batch-size", OPT_INT, &o->batch, "sentence pairs per step"},
        {"lr", OPT_FLOAT, &o->lr, "peak learning rate (Adam)"},
        {"min-lr", OPT_FLOAT, &o->min_lr, "final learning rate of the cosine schedule"},
        {"grad-clip", OPT_FLOAT, &o->clip, "clip the global gradient norm to this (0: off)"},
        {"teacher-forcing", OPT_FLOAT, &o->tf, "probability that a decoder step gets the true previous word"},
        {"val-fraction", OPT_FLOAT, &o->val_fraction, "share of --data held out when there is no validation file"},
        {"bleu-sentences", OPT_INT, &o->bleu_sentences, "validation pairs translated for BLEU each epoch (0: all)"},
        {"log-every", OPT_INT, &o->log_every, "steps per metrics.jsonl line"},
        {"seed", OPT_INT, &o->seed, "random seed (weights, order, dropout, teacher forcing)"},
        {"threads", OPT_INT, &o->threads, "threads (0: all cores)"},
        {"quiet", OPT_FLAG, &o->quiet, "no progress output"},
        {"json", OPT_FLAG, &o->json, "print the result as JSON on stdout"},
    };
    const cli_command_spec spec = {"axon train seq2seq [--data PAIRS.tsv] [options]",
                                   "Train the GRU + attention translator (bidirectional GRU encoder, GRU decoder with "
                                   "Bahdanau or Luong attention) on sentence pairs; reports validation loss and BLEU.",
                                   opts, (int)(sizeof opts / sizeof *opts)};
    const char *pos[1];
    int n_pos;
    return cli_parse(&spec, argc, argv, pos, 0, &n_pos);
}

static int check_ranges(const s2s_train_opts *o) {
    ax_attn_kind kind;
    const char *bad =
        ax_attn_parse(o->attention, &kind) != AX_OK                 ? "--attention must be bahdanau, general or dot"
        : o->emb < 1 || o->emb > 65536 || o->hidden < 1 || o->hidden > 32768 ? "--emb must be 1..65536, --hidden 1..32768"
        : o->enc_layers < 1 || o->enc_layers > AX_RNN_MAX_LAYERS    ? "--enc-layers must be 1..8"
        : !(o->dropout >= 0 && o->dropout < 1)                      ? "--dropout must be in [0, 1)"
        : o->min_freq < 1 || o->max_vocab < 0 || (o->max_vocab && o->max_vocab <= AX_N_SPECIAL)
            ? "--min-freq must be ≥ 1, --max-vocab 0 or more than 4"
        : o->max_len < 1 || o->max_len > 4096                       ? "--max-len must be 1..4096"
        : o->epochs < 1 || o->batch < 1 || o->log_every < 1         ? "--epochs, --batch-size, --log-every must be ≥ 1"
        : !(o->lr > 0 && o->lr < 10) || !(o->min_lr >= 0)           ? "--lr must be in (0, 10), --min-lr ≥ 0"
        : !(o->clip >= 0) || o->bleu_sentences < 0 || o->threads < 0 ? "--grad-clip, --bleu-sentences, --threads ≥ 0"
        : !(o->tf >= 0 && o->tf <= 1)                               ? "--teacher-forcing must be in [0, 1]"
        : !(o->val_fraction > 0 && o->val_fraction < 1)             ? "--val-fraction must be in (0, 1)"
        : strlen(o->out) > 2048                                     ? "--out: path too long"
                                                                    : NULL;
    if (bad) fprintf(stderr, "axon: %s\n", bad);
    return bad ? 2 : 0;
}

static int load_data(s2s_trainer *t) {
    const s2s_train_opts *o = &t->o;
    char *paths[2];
    int rc = s2s_texts_read_splits(o->data, o->valid, o->test, o->reverse, ax_words_normalize, o->val_fraction,
                                   &t->data_rng, (s2s_texts *[3]){&t->train_txt, &t->valid_txt, &t->test_txt}, paths);
    t->valid_path = paths[0], t->test_path = paths[1];
    if (rc != AX_OK) return AX_ERR;
    const s2s_texts *tr = &t->train_txt;
    t->sv = ax_vocab_build((const char *const *)tr->src, tr->n, (int)o->min_freq, (int)o->max_vocab);
    t->tv = ax_vocab_build((const char *const *)tr->tgt, tr->n, (int)o->min_freq, (int)o->max_vocab);
    s2s_set_build(&t->train, tr, t->sv, t->tv, (int)o->max_len);
    s2s_set_build(&t->valid, &t->valid_txt, t->sv, t->tv, (int)o->max_len);
    s2s_set_build(&t->test, &t->test_txt, t->sv, t->tv, (int)o->max_len);
    int64_t cut = t->train.cut + t->valid.cut + t->test.cut;
    if (cut)
        cli_note(&t->bar, t->o.quiet, "note: %lld sentences longer than --max-len %lld words were cut\n", (long long)cut, (long long)o->max_len);
    return AX_OK;
}

// data, vocabularies, model, optimizer, schedule, output directory and metrics log; AX_ERR after a message
static int setup(s2s_trainer *t) {
    const s2s_train_opts *o = &t->o;
    ax_rng_seed(&t->data_rng, (uint64_t)o->seed ^ 0x9e3779b97f4a7c15ull);
    if (load_data(t) != AX_OK) return AX_ERR;
    ax_seq2seq_config cfg = {.src_vocab = ax_vocab_size(t->sv), .tgt_vocab = ax_vocab_size(t->tv), .emb = o->emb,
                             .hidden = o->hidden, .enc_layers = (int)o->enc_layers, .dropout = (float)o->dropout,
                             .max_len = (int)o->max_len};
    ax_attn_parse(o->attention, &cfg.attn);
    ax_manual_seed((uint64_t)o->seed);
    t->m = ax_seq2seq_new(&cfg);
    ax_optim_config oc = ax_optim_defaults(AX_OPTIM_ADAM);
    oc.lr = (float)o->lr;
    t->opt = ax_optim_new(t->m->params, oc);
    t->steps_per_epoch = (t->train.n + o->batch - 1) / o->batch;
    int64_t total = t->steps_per_epoch * o->epochs;
    t->sched = (ax_lr_schedule){.kind = AX_LR_WARMUP_COSINE, .base_lr = (float)o->lr, .warmup = total / 50,
                                .total_steps = total, .min_lr = (float)o->min_lr};
    t->best_bleu = -1, t->test_bleu = t->test_loss = NAN;
    char path[4096];
    snprintf(path, sizeof path, "%s/metrics.jsonl", o->out);
    if (ax_mkdir_p(o->out) != AX_OK) return AX_ERR;
    return (t->log = ax_metrics_open(path)) ? AX_OK : AX_ERR;
}

typedef struct {
    int32_t len;  // source length
    int64_t pair; // index into the training set
} by_len;

static int cmp_len(const void *a, const void *b) {
    const by_len *x = a, *y = b;
    return x->len != y->len ? (x->len > y->len) - (x->len < y->len) : (x->pair > y->pair) - (x->pair < y->pair);
}

/* This epoch's order: a random permutation, sorted by source length within pools of POOL_BATCHES batches, cut into
 * batches whose order is shuffled again. order (n) gets the pairs, batch b is order[b·B .. b·B + B). */
static void epoch_order(s2s_trainer *t, int64_t *order) {
    int64_t n = t->train.n, B = t->o.batch, pool = POOL_BATCHES * B, nb = t->steps_per_epoch;
    by_len *tmp = malloc((size_t)n * sizeof *tmp);
    int64_t *perm = malloc((size_t)n * sizeof *perm), *batches = malloc((size_t)nb * sizeof *batches);
    AX_ASSERT(tmp && perm && batches, "out of memory");
    ax_permutation(&t->data_rng, perm, n);
    for (int64_t i = 0; i < n; i++) tmp[i] = (by_len){t->train.src_len[perm[i]], perm[i]};
    for (int64_t i = 0; i < n; i += pool) qsort(tmp + i, (size_t)(n - i < pool ? n - i : pool), sizeof *tmp, cmp_len);
    ax_permutation(&t->data_rng, batches, nb);
    for (int64_t b = 0, k = 0; b < nb; b++)
        for (int64_t i = batches[b] * B; i < n && i < batches[b] * B + B; i++) order[k++] = tmp[i].pair;
    free(tmp), free(perm), free(batches);
}

// one optimizer step on pairs idx[0 .. B); returns the mean loss per target word
static double train_step(s2s_trainer *t, const int64_t *idx, int64_t B) {
    ax_tensor *src, *len, *tgt;
    s2s_batch(&t->train, idx, B, &src, &len, &tgt);
    ax_optim_set_lr(t->opt, ax_lr_at(&t->sched, ax_optim_steps(t->opt)));
    ax_tensor *loss = ax_seq2seq_loss(t->m, src, len, tgt, (float)t->o.tf, true);
    double l = ax_item(loss);
    if (isfinite(l)) {
        ax_backward(loss);
        if (t->o.clip > 0) ax_clip_grad_norm(t->m->params, (float)t->o.clip);
        ax_optim_step(t->opt);
    }
    ax_optim_zero_grad(t->opt);
    ax_arena_reset();
    return l;
}

// the validation loss and BLEU after an epoch; a new best BLEU saves the checkpoint
static int validate(s2s_trainer *t) {
    int64_t n = t->o.bleu_sentences && t->o.bleu_sentences < t->valid.n ? t->o.bleu_sentences : t->valid.n;
    t->last_val_loss = s2s_eval_loss(t->m, &t->valid, t->o.batch);
    t->last_bleu = s2s_bleu(t->m, t->tv, &t->valid, n, t->o.batch, NULL);
    bool best = t->last_bleu > t->best_bleu;
    ax_metric m[] = {{"step", (double)ax_optim_steps(t->opt)}, {"epoch", t->epoch}, {"train_loss", t->last_loss},
                     {"val_loss", t->last_val_loss}, {"val_bleu", t->last_bleu}};
    if (ax_metrics_write(t->log, m, 5) != AX_OK) return AX_ERR;
    mlp_curve_push(&t->val_loss, t->epoch, t->last_val_loss);
    mlp_curve_push(&t->val_bleu, t->epoch, t->last_bleu);
    if (best) {
        t->best_bleu = t->last_bleu, t->best_val_loss = t->last_val_loss, t->best_epoch = t->epoch;
        if (s2s_save_checkpoint(t) != AX_OK) return AX_ERR;
    }
    cli_note(&t->bar, t->o.quiet, "epoch %d: train loss %.3f, val loss %.3f, val BLEU %.2f%s\n", t->epoch, t->last_loss, t->last_val_loss,
         t->last_bleu, best ? " (best, saved)" : "");
    return s2s_write_plots(t);
}

static int run_epoch(s2s_trainer *t, int64_t *order) {
    const s2s_train_opts *o = &t->o;
    char label[64];
    snprintf(label, sizeof label, "epoch %d/%lld", t->epoch, (long long)o->epochs);
    cli_progress_begin(&t->bar, stderr, label, t->train.n, "pairs", o->quiet);
    epoch_order(t, order);
    double sum = 0, win = 0, t0 = cli_now(), win_t0 = t0;
    int64_t words = 0, win_words = 0;
    for (int64_t s = 0; s < t->steps_per_epoch; s++) {
        int64_t first = s * o->batch, B = t->train.n - first < o->batch ? t->train.n - first : o->batch, w = 0;
        for (int64_t b = 0; b < B; b++) w += t->train.tgt_len[order[first + b]];
        double l = train_step(t, order + first, B);
        if (!isfinite(l))
            return ax_error("training diverged at step %lld (loss %g); try a lower --lr",
                            (long long)ax_optim_steps(t->opt), l);
        sum += l * (double)w, win += l * (double)w, words += w, win_words += w;
        double now = cli_now();
        if ((s + 1) % o->log_every == 0 || s + 1 == t->steps_per_epoch) {
            double epoch = t->epoch - 1 + (s + 1.0) / (double)t->steps_per_epoch;
            ax_metric m[] = {{"step", (double)ax_optim_steps(t->opt)}, {"epoch", epoch},
                             {"loss", win / (double)win_words}, {"lr", ax_optim_lr(t->opt)},
                             {"tokens_per_s", (double)win_words / (now - win_t0)}};
            if (ax_metrics_write(t->log, m, 5) != AX_OK) return AX_ERR;
            mlp_curve_push(&t->train_loss, m[1].value, m[2].value);
            win = 0, win_words = 0, win_t0 = now;
        }
        char stats[96];
        snprintf(stats, sizeof stats, "loss %.3f | %.0f words/s", sum / (double)words, (double)words / (now - t0));
        cli_progress_update(&t->bar, first + B, stats);
    }
    t->train_s += cli_now() - t0;
    t->last_loss = sum / (double)words;
    char stats[96];
    snprintf(stats, sizeof stats, "loss %.3f", t->last_loss);
    cli_progress_end(&t->bar, t->train.n, stats);
    return AX_OK;
}

// the best checkpoint's loss and BLEU on the test pairs
static int test_best(s2s_trainer *t) {
    if (!t->test_path || t->test.n == 0) return AX_OK;
    ax_seq2seq *best;
    if (ax_seq2seq_load(t->o.out, &best) != AX_OK) return AX_ERR;
    t->test_loss = s2s_eval_loss(best, &t->test, t->o.batch);
    t->test_bleu = s2s_bleu(best, t->tv, &t->test, t->test.n, t->o.batch, NULL);
    ax_seq2seq_free(best);
    ax_metric m[] = {{"step", (double)ax_optim_steps(t->opt)}, {"epoch", t->best_epoch}, {"test_loss", t->test_loss},
                     {"test_bleu", t->test_bleu}};
    return ax_metrics_write(t->log, m, 4);
}

static int train(s2s_trainer *t) {
    const s2s_train_opts *o = &t->o;
    const ax_seq2seq_config *c = &t->m->cfg;
    cli_note(&t->bar, t->o.quiet, "seq2seq: %s attention, emb %lld, encoder %d x 2 x %lld GRU, decoder %lld GRU, vocab %lld -> %lld words: "
            "%.2fM parameters\n", ax_attn_name(c->attn), (long long)c->emb, c->enc_layers, (long long)c->hidden,
         (long long)(2 * c->hidden), (long long)c->src_vocab, (long long)c->tgt_vocab,
         (double)ax_params_count(t->m->params) / 1e6);
    cli_note(&t->bar, t->o.quiet, "data: %lld training pairs (%s), %lld validation (%s), %lld test; %d threads -> %s/\n", (long long)t->train.n,
         o->data, (long long)t->valid.n, t->valid_path ? t->valid_path : "held out", (long long)t->test.n, ax_threads(),
         o->out);
    int64_t *order = malloc((size_t)t->train.n * sizeof *order);
    AX_ASSERT(order, "out of memory");
    int rc = AX_OK;
    for (t->epoch = 1; t->epoch <= o->epochs && rc == AX_OK; t->epoch++)
        if ((rc = run_epoch(t, order)) == AX_OK) rc = validate(t);
    t->epoch--;
    free(order);
    t->tokens_per_s = (double)(t->train.tgt_words * t->epoch) / t->train_s;
    return rc == AX_OK ? test_best(t) : rc;
}

static void free_trainer(s2s_trainer *t) {
    ax_metrics_close(t->log);
    ax_optim_free(t->opt);
    ax_seq2seq_free(t->m);
    s2s_set_free(&t->train), s2s_set_free(&t->valid), s2s_set_free(&t->test);
    s2s_texts_free(&t->train_txt), s2s_texts_free(&t->valid_txt), s2s_texts_free(&t->test_txt);
    ax_vocab_free(t->sv), ax_vocab_free(t->tv);
    free((char *)t->valid_path), free((char *)t->test_path);
    mlp_curve_free(&t->train_loss), mlp_curve_free(&t->val_loss), mlp_curve_free(&t->val_bleu);
}

int train_seq2seq(int argc, char **argv) {
    s2s_trainer t = {0};
    int rc = parse_options(argc, argv, &t.o);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    if ((rc = check_ranges(&t.o))) return rc;
    if (!t.o.data) {
        t.o.data = S2S_DEFAULT_DIR "/train.tsv";
        if (access(t.o.data, R_OK) != 0) {
            fprintf(stderr, "axon: no training data: %s is missing; build it with `data/make_de_en.sh %s` (Debian "
                            "package trans-de-en) or pass --data PAIRS.tsv\n", t.o.data, S2S_DEFAULT_DIR);
            return 1;
        }
    }
    ax_set_threads((int)t.o.threads);
    rc = setup(&t) == AX_OK && train(&t) == AX_OK ? 0 : 1;
    if (rc) fprintf(stderr, "axon: %s\n", ax_last_error());
    else s2s_report(&t, stdout);
    free_trainer(&t);
    return rc;
}
