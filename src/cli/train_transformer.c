/* `axon train transformer`: the Transformer translator (include/axon/transformer.h) on sentence pairs, German →
 * English by default (data/make_de_en.sh; data/make_es_en.sh builds Spanish → English). A joint byte-level BPE is
 * trained on both sides of the training pairs; each epoch cuts the pairs, shuffled, into batches of similar length
 * under a token budget, trains with label-smoothed cross-entropy, Adam(0.9, 0.98, 1e-9) and the Noam schedule, then
 * measures the validation loss and the BLEU of greedy translations and keeps the epoch's weights; the final model is
 * the average of the last --average epochs, scored on the test file. */
#include "cli/options.h"
#include "cli/train.h"
#include "cli/train_transformer.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// `--config base|small` chooses the architecture preset (any other --config value is a JSON options file)
static const char *take_preset(int *argc, char **argv, const char **preset) {
    *preset = "small";
    int k = 0;
    for (int i = 0; i < *argc; i++) {
        const char *v = strncmp(argv[i], "--config=", 9) == 0               ? argv[i] + 9
                        : strcmp(argv[i], "--config") == 0 && i + 1 < *argc ? argv[i + 1]
                                                                            : NULL;
        if (v && (strcmp(v, "base") == 0 || strcmp(v, "small") == 0)) {
            *preset = v, i += argv[i][8] == '\0';
            continue;
        }
        argv[k++] = argv[i];
    }
    *argc = k;
    return *preset;
}

static int parse_options(int argc, char **argv, tf_trainer *t) {
    const char *preset;
    take_preset(&argc, argv, &preset);
    t->preset = strcmp(preset, "base") == 0 ? ax_transformer_config_base(1, 0) : ax_transformer_config_small(1, 0);
    const ax_transformer_config *p = &t->preset;
    tf_train_opts *o = &t->o;
    *o = (tf_train_opts){.valid = "",
                         .test = "",
                         .out = "runs/transformer",
                         .vocab_size = 6000,
                         .max_len = p->max_len,
                         .d_model = p->d_model,
                         .heads = p->n_head,
                         .d_ff = p->d_ff,
                         .dropout = p->dropout,
                         .pre_ln = p->pre_ln,
                         .learned_pos = p->learned_pos,
                         .epochs = 10,
                         .batch_tokens = 1500,
                         .warmup = 400,
                         .lr = 0.35,
                         .label_smoothing = 0.1,
                         .clip = 1.0,
                         .average = 5,
                         .bleu_sentences = 500,
                         .log_every = 20,
                         .seed = 42,
                         .val_fraction = 0.1};
    const cli_option opts[] = {
        {"data", OPT_STRING, &o->data,
         "training pairs, `target<TAB>source[<TAB>…]` lines (default: " TF_DEFAULT_DIR
         "/train.tsv from data/make_de_en.sh)"},
        {"valid", OPT_STRING, &o->valid,
         "validation pairs (default: valid.tsv next to --data; none or missing: hold out --val-fraction)"},
        {"test", OPT_STRING, &o->test, "test pairs scored at the end (default: test.tsv next to --data; none: skip)"},
        {"out", OPT_STRING, &o->out, "output directory: checkpoint, tokenizer, metrics.jsonl, loss.svg, bleu.svg"},
        {"reverse", OPT_FLAG, &o->reverse, "translate the first column into the second (default: second → first)"},
        {"vocab-size", OPT_INT, &o->vocab_size, "joint byte-level BPE tokens (256 bytes + merges + <|endoftext|>)"},
        {"max-len", OPT_INT, &o->max_len, "most tokens per sentence, bos/eos included: longer ones are cut (noted)"},
        {"layers", OPT_INT, &o->layers, "encoder and decoder layers (0: the preset's, 3; base: 6)"},
        {"enc-layers", OPT_INT, &o->enc_layers, "encoder layers (0: --layers)"},
        {"dec-layers", OPT_INT, &o->dec_layers, "decoder layers (0: --layers)"},
        {"d-model", OPT_INT, &o->d_model, "model width"},
        {"heads", OPT_INT, &o->heads, "attention heads (a divisor of --d-model)"},
        {"d-ff", OPT_INT, &o->d_ff, "feed-forward hidden width"},
        {"dropout", OPT_FLOAT, &o->dropout,
         "dropout on embeddings, sublayer outputs and the feed-forward hidden layer"},
        {"pre-ln", OPT_FLAG, &o->pre_ln, "LayerNorm before each sublayer (and after each stack) instead of after"},
        {"learned-pos", OPT_FLAG, &o->learned_pos, "learned positional embeddings instead of sinusoids"},
        {"epochs", OPT_INT, &o->epochs, "passes over the training pairs"},
        {"batch-tokens", OPT_INT, &o->batch_tokens, "padded tokens per batch (pairs × longest side)"},
        {"lr", OPT_FLOAT, &o->lr, "Noam factor: lr = factor · d_model^-0.5 · min(step^-0.5, step · warmup^-1.5)"},
        {"warmup", OPT_INT, &o->warmup, "Noam warm-up steps"},
        {"label-smoothing", OPT_FLOAT, &o->label_smoothing, "label smoothing ε of the training loss"},
        {"grad-clip", OPT_FLOAT, &o->clip, "clip the global gradient norm to this (0: off)"},
        {"average", OPT_INT, &o->average, "average the weights of the last K epochs into the final model (1: off)"},
        {"bleu-sentences", OPT_INT, &o->bleu_sentences, "validation pairs translated for BLEU each epoch (0: all)"},
        {"val-fraction", OPT_FLOAT, &o->val_fraction, "share of --data held out when there is no validation file"},
        {"export", OPT_STRING, &o->export_dir,
         "write the sets as token ids and every epoch's batches into this directory (tools/transformer_torch.py)"},
        {"resume", OPT_FLAG, &o->resume, "continue the run in --out after its last finished epoch"},
        {"log-every", OPT_INT, &o->log_every, "steps per metrics.jsonl line"},
        {"seed", OPT_INT, &o->seed, "random seed (weights, batches, dropout)"},
        {"threads", OPT_INT, &o->threads, "threads (0: all cores)"},
        {"quiet", OPT_FLAG, &o->quiet, "no progress output"},
        {"json", OPT_FLAG, &o->json, "print the result as JSON on stdout"},
    };
    const cli_command_spec spec = {
        "axon train transformer [--data PAIRS.tsv] [--config base] [options]",
        "Train the Transformer translator (Vaswani et al. 2017: encoder-decoder, joint BPE, label smoothing, Noam, "
        "checkpoint averaging) on sentence pairs; reports validation loss and BLEU. --config base: the paper's base "
        "model (d 512, 8 heads, d_ff 2048, 6 + 6 layers) instead of the small default (d 256, 4 heads, d_ff 1024, "
        "3 + 3).",
        opts, (int)(sizeof opts / sizeof *opts)};
    const char *pos[1];
    int n_pos;
    return cli_parse(&spec, argc, argv, pos, 0, &n_pos);
}

static int check_ranges(const tf_train_opts *o) {
    const char *bad =
        o->vocab_size < 257 || o->vocab_size > 65536 ? "--vocab-size must be 257..65536"
        : o->max_len < 2 || o->max_len > 4096        ? "--max-len must be 2..4096"
        : o->layers < 0 || o->enc_layers < 0 || o->dec_layers < 0 || o->layers > 64 || o->enc_layers > 64 ||
                o->dec_layers > 64
            ? "--layers, --enc-layers, --dec-layers must be 0..64"
        : o->d_model < 1 || o->heads < 1 || o->d_model % o->heads || o->d_ff < 1 || o->d_model > 8192 || o->d_ff > 65536
            ? "--d-model must be a multiple of --heads (at most 8192), --d-ff 1..65536"
        : !(o->dropout >= 0 && o->dropout < 1)                       ? "--dropout must be in [0, 1)"
        : o->epochs < 1 || o->log_every < 1 || o->average < 1        ? "--epochs, --log-every, --average must be ≥ 1"
        : o->batch_tokens < 1 || o->warmup < 1                       ? "--batch-tokens and --warmup must be ≥ 1"
        : !(o->lr > 0 && o->lr < 1000)                               ? "--lr must be in (0, 1000)"
        : !(o->label_smoothing >= 0 && o->label_smoothing < 1)       ? "--label-smoothing must be in [0, 1)"
        : !(o->clip >= 0) || o->bleu_sentences < 0 || o->threads < 0 ? "--grad-clip, --bleu-sentences, --threads ≥ 0"
        : !(o->val_fraction > 0 && o->val_fraction < 1)              ? "--val-fraction must be in (0, 1)"
        : strlen(o->out) > 2048 || (o->export_dir && strlen(o->export_dir) > 2048) ? "--out / --export: path too long"
                                                                                   : NULL;
    if (bad) fprintf(stderr, "axon: %s\n", bad);
    return bad ? 2 : 0;
}

static int read_texts(tf_trainer *t) {
    const tf_train_opts *o = &t->o;
    char *paths[2];
    int rc = s2s_texts_read_splits(o->data, o->valid, o->test, o->reverse, tf_clean_text, o->val_fraction,
                                   &t->data_rng, (s2s_texts *[3]){&t->train_txt, &t->valid_txt, &t->test_txt}, paths);
    t->valid_path = paths[0], t->test_path = paths[1];
    t->skipped = t->train_txt.skipped + t->valid_txt.skipped + t->test_txt.skipped;
    return rc;
}

// the joint BPE of both sides of the training pairs, one sentence a line
static int train_tokenizer(tf_trainer *t) {
    const s2s_texts *tr = &t->train_txt;
    size_t len = 0;
    for (int64_t i = 0; i < tr->n; i++) len += strlen(tr->src[i]) + strlen(tr->tgt[i]) + 2;
    char *text = malloc(len + 1), *w = text;
    AX_ASSERT(text, "out of memory");
    for (int64_t i = 0; i < tr->n; i++) w += sprintf(w, "%s\n%s\n", tr->src[i], tr->tgt[i]);
    double t0 = cli_now();
    int rc = ax_bpe_train(text, len, (int)t->o.vocab_size, &t->tok);
    free(text);
    if (rc == AX_OK)
        cli_note(&t->bar, t->o.quiet, "tokenizer: joint byte-level BPE of %d tokens from %lld pairs in %.1f s\n",
             ax_tokenizer_vocab_size(t->tok), (long long)tr->n, cli_now() - t0);
    return rc;
}

static int load_data(tf_trainer *t) {
    if (read_texts(t) != AX_OK) return AX_ERR;
    if ((t->o.resume ? tf_load_resume_tokenizer(t) : train_tokenizer(t)) != AX_OK) return AX_ERR;
    int max = (int)t->o.max_len;
    if (tf_set_build(&t->train, &t->train_txt, t->tok, max) != AX_OK ||
        tf_set_build(&t->valid, &t->valid_txt, t->tok, max) != AX_OK ||
        tf_set_build(&t->test, &t->test_txt, t->tok, max) != AX_OK)
        return AX_ERR;
    t->cut = t->train.cut + t->valid.cut + t->test.cut;
    if (t->cut)
        cli_note(&t->bar, t->o.quiet, "note: %lld sentences longer than --max-len %lld tokens were cut\n", (long long)t->cut, (long long)max);
    if (t->skipped) cli_note(&t->bar, t->o.quiet, "note: %lld malformed or empty lines were skipped\n", (long long)t->skipped);
    return AX_OK;
}

static ax_transformer_config model_config(const tf_trainer *t) {
    const tf_train_opts *o = &t->o;
    ax_transformer_config c = t->preset;
    c.vocab = ax_tokenizer_vocab_size(t->tok), c.eot = ax_tokenizer_eot(t->tok);
    c.d_model = (int)o->d_model, c.n_head = (int)o->heads, c.d_ff = (int)o->d_ff, c.dropout = (float)o->dropout;
    c.pre_ln = o->pre_ln, c.learned_pos = o->learned_pos, c.max_len = (int)o->max_len;
    if (o->layers) c.enc_layers = c.dec_layers = (int)o->layers;
    if (o->enc_layers) c.enc_layers = (int)o->enc_layers;
    if (o->dec_layers) c.dec_layers = (int)o->dec_layers;
    return c;
}

// data, tokenizer, model, optimizer, schedule, output directory, metrics log, resumed state; AX_ERR after a message
static int setup(tf_trainer *t) {
    const tf_train_opts *o = &t->o;
    ax_rng_seed(&t->data_rng, (uint64_t)o->seed ^ 0x9e3779b97f4a7c15ull);
    if (load_data(t) != AX_OK) return AX_ERR;
    ax_transformer_config cfg = model_config(t);
    if (ax_transformer_config_check(&cfg) != AX_OK) return AX_ERR;
    ax_manual_seed((uint64_t)o->seed);
    t->m = ax_transformer_new(&cfg);
    ax_optim_config oc = ax_optim_defaults(AX_OPTIM_ADAM);
    oc.beta1 = 0.9f, oc.beta2 = 0.98f, oc.eps = 1e-9f;
    t->opt = ax_optim_new(t->m->params, oc);
    t->sched =
        (ax_lr_schedule){.kind = AX_LR_NOAM, .base_lr = (float)o->lr, .warmup = o->warmup, .d_model = cfg.d_model};
    t->test_bleu = t->test_words_bleu = t->test_loss = NAN;
    if (ax_mkdir_p(o->out) != AX_OK || (o->export_dir && ax_mkdir_p(o->export_dir) != AX_OK)) return AX_ERR;
    if (o->resume) return tf_resume(t);
    char path[4200];
    snprintf(path, sizeof path, "%s/metrics.jsonl", o->out);
    return (t->log = ax_metrics_open(path)) ? AX_OK : AX_ERR;
}

// --export: OUT/{train,valid,test}.ids, one pair a line: source ids (eot last) TAB target ids
static int export_sets(const tf_trainer *t) {
    const char *names[] = {"train.ids", "valid.ids", "test.ids"};
    const tf_set *sets[] = {&t->train, &t->valid, &t->test};
    for (int k = 0; k < 3; k++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", t->o.export_dir, names[k]);
        FILE *fp = fopen(path, "w");
        if (!fp) return ax_error("--export: cannot write %s", path);
        const tf_set *s = sets[k];
        for (int64_t i = 0; i < s->n; i++) {
            for (int j = 0; j < s->src_len[i]; j++) fprintf(fp, "%s%d", j ? " " : "", s->ids[s->src_off[i] + j]);
            fputc('\t', fp);
            for (int j = 0; j < s->tgt_len[i]; j++) fprintf(fp, "%s%d", j ? " " : "", s->ids[s->tgt_off[i] + j]);
            fputc('\n', fp);
        }
        if (fclose(fp) != 0) return ax_error("--export: cannot write %s", path);
    }
    return AX_OK;
}

// --export: the epoch's batches appended to batches.txt, one a line: `epoch<TAB>pair pair …`
static int export_batches(const tf_trainer *t, const tf_batches *bt) {
    char path[4200];
    snprintf(path, sizeof path, "%s/batches.txt", t->o.export_dir);
    FILE *fp = fopen(path, t->epoch == 0 ? "w" : "a");
    if (!fp) return ax_error("--export: cannot write %s", path);
    for (int64_t b = 0; b < bt->n_batches; b++) {
        fprintf(fp, "%d\t", t->epoch + 1);
        for (int64_t i = bt->start[b]; i < bt->start[b + 1]; i++)
            fprintf(fp, "%s%lld", i > bt->start[b] ? " " : "", (long long)bt->pairs[i]);
        fputc('\n', fp);
    }
    return fclose(fp) == 0 ? AX_OK : ax_error("--export: cannot write %s", path);
}

// one optimizer step on pairs idx[0 .. B); returns the mean label-smoothed loss per target token
static double train_step(tf_trainer *t, const int64_t *idx, int64_t B, int64_t *tokens) {
    ax_tensor *src, *keep, *in, *out;
    *tokens = tf_batch(&t->train, t->m->cfg.eot, idx, B, &src, &keep, &in, &out);
    ax_optim_set_lr(t->opt, ax_lr_at(&t->sched, ax_optim_steps(t->opt)));
    ax_tensor *loss = ax_transformer_loss(t->m, src, keep, in, out, (float)t->o.label_smoothing, true);
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

static int log_window(tf_trainer *t, double epoch, double loss, int64_t tokens, double seconds) {
    ax_metric m[] = {{"step", (double)ax_optim_steps(t->opt)},
                     {"epoch", epoch},
                     {"loss", loss},
                     {"lr", ax_optim_lr(t->opt)},
                     {"tokens", (double)tokens},
                     {"tokens_per_s", (double)tokens / seconds}};
    mlp_curve_push(&t->train_loss, epoch, loss);
    return ax_metrics_write(t->log, m, 6);
}

static int run_epoch(tf_trainer *t) {
    const tf_train_opts *o = &t->o;
    tf_batches bt;
    tf_batches_make(&t->train, o->batch_tokens, &t->data_rng, &bt);
    if (o->export_dir && export_batches(t, &bt) != AX_OK) return tf_batches_free(&bt), AX_ERR;
    char label[64];
    snprintf(label, sizeof label, "epoch %d/%lld", t->epoch + 1, (long long)o->epochs);
    cli_progress_begin(&t->bar, stderr, label, t->train.n, "pairs", o->quiet);
    double sum = 0, win = 0, t0 = cli_now(), win_t0 = t0;
    int64_t tokens = 0, win_tokens = 0, done = 0;
    int rc = AX_OK;
    for (int64_t b = 0; b < bt.n_batches && rc == AX_OK; b++) {
        int64_t B = bt.start[b + 1] - bt.start[b], k;
        double l = train_step(t, bt.pairs + bt.start[b], B, &k);
        if (!isfinite(l)) {
            rc = ax_error("training diverged at step %lld (loss %g); try a lower --lr or a longer --warmup",
                          (long long)ax_optim_steps(t->opt), l);
            break;
        }
        sum += l * (double)k, win += l * (double)k, tokens += k, win_tokens += k, done += B;
        double now = cli_now();
        if ((b + 1) % o->log_every == 0 || b + 1 == bt.n_batches) {
            rc = log_window(t, t->epoch + (b + 1.0) / (double)bt.n_batches, win / (double)win_tokens, win_tokens,
                            now - win_t0);
            win = 0, win_tokens = 0, win_t0 = now;
        }
        char stats[96];
        snprintf(stats, sizeof stats, "loss %.3f | %.0f tok/s", sum / (double)tokens, (double)tokens / (now - t0));
        cli_progress_update(&t->bar, done, stats);
    }
    tf_batches_free(&bt);
    t->train_s += cli_now() - t0;
    t->tokens += tokens;
    t->last_loss = sum / (double)tokens;
    char stats[96];
    snprintf(stats, sizeof stats, "loss %.3f", t->last_loss);
    cli_progress_end(&t->bar, done, stats);
    return rc;
}

// the validation loss and BLEU after an epoch, then the epoch's snapshot
static int validate(tf_trainer *t) {
    const tf_train_opts *o = &t->o;
    int64_t n = o->bleu_sentences && o->bleu_sentences < t->valid.n ? o->bleu_sentences : t->valid.n;
    t->epoch++;
    t->last_val_loss = tf_eval_loss(t->m, &t->valid, o->batch_tokens);
    t->last_bleu = tf_bleu(t->m, t->tok, &t->valid, n, o->batch_tokens, NULL, NULL);
    ax_metric m[] = {{"step", (double)ax_optim_steps(t->opt)},
                     {"epoch", t->epoch},
                     {"train_loss", t->last_loss},
                     {"val_loss", t->last_val_loss},
                     {"val_bleu", t->last_bleu}};
    if (ax_metrics_write(t->log, m, 5) != AX_OK) return AX_ERR;
    mlp_curve_push(&t->val_loss, t->epoch, t->last_val_loss);
    mlp_curve_push(&t->val_bleu, t->epoch, t->last_bleu);
    cli_note(&t->bar, t->o.quiet, "epoch %d: train loss %.3f, val loss %.3f, val BLEU %.2f (greedy, %lld sentences)\n", t->epoch,
         t->last_loss, t->last_val_loss, t->last_bleu, (long long)n);
    return tf_save_epoch(t) == AX_OK ? tf_write_plots(t) : AX_ERR;
}

static int train(tf_trainer *t) {
    const tf_train_opts *o = &t->o;
    const ax_transformer_config *c = &t->m->cfg;
    cli_note(&t->bar, t->o.quiet,
             "transformer: %d + %d layers, d_model %d, %d heads, d_ff %d, %s, %s positions, vocab %d: %.2fM parameters\n",
         c->enc_layers, c->dec_layers, c->d_model, c->n_head, c->d_ff, c->pre_ln ? "pre-LN" : "post-LN",
         c->learned_pos ? "learned" : "sinusoidal", c->vocab, (double)ax_params_count(t->m->params) / 1e6);
    cli_note(&t->bar, t->o.quiet, "data: %lld training pairs (%s), %lld validation (%s), %lld test; %d threads -> %s/\n",
         (long long)t->train.n, o->data, (long long)t->valid.n, t->valid_path ? t->valid_path : "held out",
         (long long)t->test.n, ax_threads(), o->out);
    if (o->export_dir && export_sets(t) != AX_OK) return AX_ERR;
    double run_s = t->train_s;
    int rc = AX_OK;
    while (t->epoch < o->epochs && rc == AX_OK)
        if ((rc = run_epoch(t)) == AX_OK) rc = validate(t);
    t->tokens_per_s = t->train_s > run_s ? (double)t->tokens / (t->train_s - run_s) : 0;
    return rc == AX_OK ? tf_finish(t) : rc;
}

static void free_trainer(tf_trainer *t) {
    ax_metrics_close(t->log);
    ax_optim_free(t->opt);
    ax_transformer_free(t->m);
    ax_tokenizer_free(t->tok);
    tf_set_free(&t->train), tf_set_free(&t->valid), tf_set_free(&t->test);
    s2s_texts_free(&t->train_txt), s2s_texts_free(&t->valid_txt), s2s_texts_free(&t->test_txt);
    free((char *)t->valid_path), free((char *)t->test_path);
    mlp_curve_free(&t->train_loss), mlp_curve_free(&t->val_loss), mlp_curve_free(&t->val_bleu);
}

int train_transformer(int argc, char **argv) {
    tf_trainer *t = calloc(1, sizeof *t);
    AX_ASSERT(t, "out of memory");
    int rc = parse_options(argc, argv, t);
    if (rc == 0) rc = check_ranges(&t->o);
    if (rc == 0 && !t->o.data) {
        t->o.data = TF_DEFAULT_DIR "/train.tsv";
        if (access(t->o.data, R_OK) != 0) {
            fprintf(stderr,
                    "axon: no training data: %s is missing; build it with `data/make_de_en.sh %s` (Debian "
                    "package trans-de-en), or data/make_es_en.sh, or pass --data PAIRS.tsv\n",
                    t->o.data, TF_DEFAULT_DIR);
            rc = 1;
        }
    }
    if (rc == 0) {
        ax_set_threads((int)t->o.threads);
        rc = setup(t) == AX_OK && train(t) == AX_OK ? 0 : 1;
        if (rc)
            fprintf(stderr, "axon: %s\n", ax_last_error());
        else
            tf_report(t, stdout);
    }
    free_trainer(t);
    free(t);
    return rc == CLI_EXIT_HELP ? 0 : rc;
}
