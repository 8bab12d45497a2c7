/* `axon train ner --arch bilstm-crf`: the BiLSTM-CRF tagger (include/axon/tagger.h) on a CoNLL file. Vocabularies
 * and the tag set come from the training sentences; sentences longer than --max-len are cut into pieces (with a
 * notice). Each epoch takes the pieces in a random order, grouped into batches of similar length, and trains with
 * Adam and gradient clipping; then the validation sentences (--valid, or a held-out share of --data) are tagged and
 * scored with conlleval; the epoch with the best entity F1 is the checkpoint. Without --data the weak labeller's
 * labels of the default corpora are the training data (train_ner_data.c). */
#include "cli/options.h"
#include "cli/train.h"
#include "cli/train_ner.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_BATCHES 32 // batches sorted by length together

static int parse_options(int argc, char **argv, ner_train_opts *o) {
    *o = (ner_train_opts){.arch = "bilstm-crf", .out = "runs/ner", .scheme = "iob2", .data_scheme = "iob2",
                          .word_dim = 100, .case_dim = 8, .gaz_dim = 8, .char_dim = 25, .char_hidden = 25,
                          .hidden = 100, .layers = 1, .min_freq = 2, .max_len = 100, .max_word_chars = 20,
                          .epochs = 10, .batch = 32, .log_every = 20, .seed = 42, .threads = 0, .dropout = 0.5, .lr = 2e-3, .clip = 5.0,
                          .val_fraction = 0.1, .self_epochs = 2, .confidence = 0.9};
    ner_bert_defaults(argc, argv, o); // --arch bert: its own sizes, dropout, lr, epochs
    const cli_option opts[] = {
        {"arch", OPT_STRING, &o->arch, "tagger: bilstm-crf, bert or seq2seq (`--arch seq2seq --help`: its options)"},
        {"data", OPT_STRING, &o->data, "training sentences, CoNLL `token … tag` (default: weak labels of the default corpora)"},
        {"valid", OPT_STRING, &o->valid, "validation sentences, CoNLL (default: hold out --val-fraction of --data)"},
        {"data-scheme", OPT_STRING, &o->data_scheme, "tag scheme of the files: iob2, iob1 or bioes"},
        {"scheme", OPT_STRING, &o->scheme, "tag scheme the model learns: iob2 or bioes"},
        {"out", OPT_STRING, &o->out, "output directory: checkpoint, vocabularies, metrics.jsonl, loss.svg, f1.svg"},
        {"word-dim", OPT_INT, &o->word_dim, "word embedding width"},
        {"case-dim", OPT_INT, &o->case_dim, "capitalisation embedding width"},
        {"gaz-dim", OPT_INT, &o->gaz_dim, "gazetteer feature width per word list (0: no gazetteer features)"},
        {"gazetteers", OPT_STRING, &o->gazetteers, "word lists of the gazetteer features (default: data/ner)"},
        {"char-dim", OPT_INT, &o->char_dim, "character embedding width"},
        {"char-hidden", OPT_INT, &o->char_hidden, "character BiLSTM units per direction"},
        {"hidden", OPT_INT, &o->hidden, "sentence BiLSTM units per direction"},
        {"layers", OPT_INT, &o->layers, "stacked sentence BiLSTM layers (bert: encoder layers)"},
        {"dropout", OPT_FLOAT, &o->dropout, "dropout on the token features and the BiLSTM output"},
        {"min-freq", OPT_INT, &o->min_freq, "word forms seen fewer times become <unk> (characters still read)"},
        {"max-len", OPT_INT, &o->max_len, "tokens per piece: longer sentences are cut into pieces (with a notice)"},
        {"max-word-chars", OPT_INT, &o->max_word_chars, "characters of a token read by the character BiLSTM"},
        {"epochs", OPT_INT, &o->epochs, "passes over the training sentences"},
        {"batch-size", OPT_INT, &o->batch, "sentences per step"},
        {"lr", OPT_FLOAT, &o->lr, "learning rate (Adam)"},
        {"grad-clip", OPT_FLOAT, &o->clip, "clip the global gradient norm to this (0: off)"},
        {"val-fraction", OPT_FLOAT, &o->val_fraction, "share of --data held out when there is no --valid"},
        {"self-train", OPT_INT, &o->self_train, "self-training rounds after training: tag, keep confident sentences, retrain"},
        {"confidence", OPT_FLOAT, &o->confidence, "self-training: least probability of a sentence's tag sequence to keep it"},
        {"self-epochs", OPT_INT, &o->self_epochs, "self-training: epochs per round (continuing from the current weights)"},
        {"unlabelled", OPT_STRING, &o->unlabelled, "self-training: sentences to label, CoNLL, tags ignored (default: --data's)"},
        {"log-every", OPT_INT, &o->log_every, "steps per metrics.jsonl line"},
        {"seed", OPT_INT, &o->seed, "random seed (weights, order, dropout, hold-out)"},
        {"threads", OPT_INT, &o->threads, "threads (0: all cores)"},
        {"quiet", OPT_FLAG, &o->quiet, "no progress output"},
        {"json", OPT_FLAG, &o->json, "print the result as JSON on stdout"},
        {"init", OPT_STRING, &o->init, "bert: start from this pre-trained encoder (OUT/pretrained of a run) instead of pre-training"},
        {"pretrain-steps", OPT_INT, &o->pretrain_steps, "bert: masked-LM steps on the unlabelled corpora (0: none)"},
        {"pretrain-len", OPT_INT, &o->pretrain_len, "bert: sub-words per masked-LM sequence"},
        {"pretrain-lr", OPT_FLOAT, &o->pretrain_lr, "bert: masked-LM learning rate (Adam)"},
        {"mask-prob", OPT_FLOAT, &o->mask_prob, "bert: share of sub-words chosen for masking (80/10/10)"},
        {"bpe-vocab", OPT_INT, &o->bpe_vocab, "bert: BPE vocabulary trained on the unlabelled corpora"},
        {"d-model", OPT_INT, &o->d_model, "bert: width"},
        {"heads", OPT_INT, &o->heads, "bert: attention heads"},
        {"d-ff", OPT_INT, &o->d_ff, "bert: feed-forward width"},
        {"positions", OPT_INT, &o->positions, "bert: most sub-words per sequence (longer pieces are cut)"},
    };
    const cli_command_spec spec = {"axon train ner [--arch bilstm-crf] [--data TRAIN.conll] [--valid DEV.conll] [options]",
                                   "Train a named-entity tagger: word + capitalisation + character-BiLSTM features, a "
                                   "BiLSTM over the sentence and a CRF; reports validation entity F1 (conlleval).",
                                   opts, (int)(sizeof opts / sizeof *opts)};
    const char *pos[1];
    int n_pos;
    return cli_parse(&spec, argc, argv, pos, 0, &n_pos);
}

static int check_ranges(const ner_train_opts *o) {
    ax_ner_scheme s;
    const char *bad =
        ner_scheme_parse(o->scheme, &s) != AX_OK || s == AX_NER_IOB1 ? "--scheme must be iob2 or bioes"
        : ner_scheme_parse(o->data_scheme, &s) != AX_OK          ? "--data-scheme must be iob2, iob1 or bioes"
        : o->word_dim < 1 || o->case_dim < 1 || o->char_dim < 1 || o->char_hidden < 1 || o->hidden < 1 ||
                o->word_dim > 65536 || o->case_dim > 65536 || o->char_dim > 65536 || o->char_hidden > 65536 ||
                o->hidden > 65536
            ? "--word-dim, --case-dim, --char-dim, --char-hidden, --hidden must be 1..65536"
        : o->gaz_dim < 0 || o->gaz_dim > 65536                      ? "--gaz-dim must be 0..65536"
        : o->layers < 1 || o->layers > AX_RNN_MAX_LAYERS           ? "--layers must be 1..8"
        : !(o->dropout >= 0 && o->dropout < 1)                      ? "--dropout must be in [0, 1)"
        : o->min_freq < 1 || o->max_len < 1 || o->max_len > 100000 ? "--min-freq must be ≥ 1, --max-len 1..100000"
        : o->max_word_chars < 1 || o->max_word_chars > 256          ? "--max-word-chars must be 1..256"
        : o->epochs < 1 || o->batch < 1 || o->log_every < 1         ? "--epochs, --batch-size, --log-every must be ≥ 1"
        : !(o->lr > 0 && o->lr < 10) || !(o->clip >= 0) || o->threads < 0 ? "--lr must be in (0, 10), --grad-clip and --threads ≥ 0"
        : !(o->val_fraction > 0 && o->val_fraction < 1)             ? "--val-fraction must be in (0, 1)"
        : strlen(o->out) > 2048                                     ? "--out: path too long"
                                                                    : NULL;
    if (bad) fprintf(stderr, "axon: %s\n", bad);
    return bad ? 2 : 0;
}

void ner_note(const ner_trainer *t, const char *fmt, ...) {
    if (t->o.quiet) return;
    if (t->bar.tty) fputs("\r\x1b[K", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
}

// the BiLSTM-CRF, the gold tag ids and the training pieces; AX_ERR after a message
static int setup_crf(ner_trainer *t) {
    const ner_train_opts *o = &t->o;
    ax_weak_labeler *gaz = NULL;
    if (o->gaz_dim && ax_weak_labeler_load(o->gazetteers, &gaz) != AX_OK) return AX_ERR;
    ax_vocab *words, *chars;
    ax_tagger_vocab_build(&t->train, (int)o->min_freq, &words, &chars);
    ax_tagger_config cfg = {.words = ax_vocab_size(words), .chars = ax_vocab_size(chars), .word_dim = o->word_dim,
                            .case_dim = o->case_dim, .gaz_dim = o->gaz_dim, .char_dim = o->char_dim,
                            .char_hidden = o->char_hidden, .hidden = o->hidden, .layers = (int)o->layers, .dropout = (float)o->dropout,
                            .max_word_chars = (int)o->max_word_chars};
    ax_manual_seed((uint64_t)o->seed);
    t->m = ax_tagger_new(&cfg, &t->tags, words, chars, gaz);
    t->gold = malloc((size_t)(t->train.n_tokens ? t->train.n_tokens : 1) * sizeof *t->gold);
    AX_ASSERT(t->gold, "out of memory");
    if (ax_tagger_corpus_ids(&t->tags, &t->train, o->data, t->gold) != AX_OK) return AX_ERR;
    int64_t cut;
    t->n_pieces = ner_pieces(&t->train, (int)o->max_len, &t->pieces, &cut);
    ner_pieces_repair_tags(&t->tags, t->pieces, t->n_pieces, t->gold);
    if (cut) ner_note(t, "note: %lld training sentences longer than --max-len %lld tokens were cut into pieces\n",
                      (long long)cut, (long long)o->max_len);
    return AX_OK;
}

// output directory and metrics log, model, optimizer, after the data; AX_ERR after a message
static int setup(ner_trainer *t) {
    const ner_train_opts *o = &t->o;
    ax_rng_seed(&t->data_rng, (uint64_t)o->seed ^ 0x9e3779b97f4a7c15ull);
    if (ner_load_data(t) != AX_OK) return AX_ERR;
    char path[4096];
    snprintf(path, sizeof path, "%s/metrics.jsonl", o->out);
    if (ax_mkdir_p(o->out) != AX_OK || !(t->log = ax_metrics_open(path))) return AX_ERR;
    if ((strcmp(o->arch, "bert") == 0 ? ner_bert_setup(t) : setup_crf(t)) != AX_OK) return AX_ERR;
    ax_optim_config oc = ax_optim_defaults(AX_OPTIM_ADAM);
    oc.lr = (float)o->lr;
    t->opt = ax_optim_new(t->bert ? t->bert->params : t->m->params, oc);
    t->b_toks = malloc((size_t)o->batch * sizeof *t->b_toks), t->b_tags = malloc((size_t)o->batch * sizeof *t->b_tags);
    t->b_n = malloc((size_t)o->batch * sizeof *t->b_n);
    AX_ASSERT(t->b_toks && t->b_tags && t->b_n, "out of memory");
    t->best_f1 = -1;
    return AX_OK;
}

static int cmp_piece(const void *a, const void *b) {
    const ner_piece *x = a, *y = b;
    return x->n != y->n ? x->n - y->n : (x->first > y->first) - (x->first < y->first);
}

/* This epoch's order of the pieces: shuffled, sorted by length within pools of POOL_BATCHES batches, and the
 * batches shuffled again. */
static void epoch_order(ner_trainer *t, ner_piece *order) {
    int64_t n = t->n_pieces, B = t->o.batch, pool = POOL_BATCHES * B, nb = t->steps_per_epoch;
    int64_t *perm = malloc((size_t)n * sizeof *perm), *batches = malloc((size_t)nb * sizeof *batches);
    ner_piece *tmp = malloc((size_t)n * sizeof *tmp);
    AX_ASSERT(perm && batches && tmp, "out of memory");
    ax_permutation(&t->data_rng, perm, n);
    for (int64_t i = 0; i < n; i++) tmp[i] = t->pieces[perm[i]];
    for (int64_t i = 0; i < n; i += pool) qsort(tmp + i, (size_t)(n - i < pool ? n - i : pool), sizeof *tmp, cmp_piece);
    ax_permutation(&t->data_rng, batches, nb);
    for (int64_t b = 0, k = 0; b < nb; b++)
        for (int64_t i = batches[b] * B; i < n && i < batches[b] * B + B; i++) order[k++] = tmp[i];
    free(perm), free(batches), free(tmp);
}

// one optimizer step on the pieces p[0 .. B); returns the mean NLL per sentence
static double train_step(ner_trainer *t, const ner_piece *p, int64_t B) {
    if (t->bert) return ner_bert_step(t, p, B);
    for (int64_t b = 0; b < B; b++)
        t->b_toks[b] = (const char *const *)t->train.tokens + p[b].first, t->b_tags[b] = t->gold + p[b].first,
        t->b_n[b] = p[b].n;
    ax_tagger_batch x = ax_tagger_make_batch(t->m, t->b_toks, t->b_n, t->b_tags, B);
    ax_tensor *loss = ax_tagger_loss(t->m, &x, true);
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

// the validation sentences tagged and scored; a new best F1 saves the checkpoint
static int validate(ner_trainer *t) {
    ax_ner_corpus guess;
    if (ner_tag_corpus_with(&(ner_model){t->m, t->bert}, &t->valid, (int)t->o.max_len, t->o.batch, &guess, NULL) != AX_OK)
        return AX_ERR;
    ax_conlleval ev;
    ner_score(&t->valid, &guess, &ev);
    ax_ner_corpus_free(&guess);
    double p, r;
    ax_conlleval_prf(ev.correct, ev.found_guessed, ev.found_correct, &p, &r, &t->last_f1);
    t->last_acc = ev.tokens ? 100.0 * (double)ev.correct_tags / (double)ev.tokens : 0;
    ax_conlleval_free(&ev);
    bool best = t->last_f1 > t->best_f1;
    ax_metric m[] = {{"step", (double)ax_optim_steps(t->opt)}, {"epoch", t->epoch}, {"train_loss", t->last_loss},
                     {"val_precision", p}, {"val_recall", r}, {"val_f1", t->last_f1}, {"val_accuracy", t->last_acc}};
    if (ax_metrics_write(t->log, m, 7) != AX_OK) return AX_ERR;
    mlp_curve_push(&t->val_f1, t->epoch, t->last_f1);
    if (best) {
        t->best_f1 = t->last_f1, t->best_epoch = t->epoch;
        if (ner_save_checkpoint(t) != AX_OK) return AX_ERR;
    }
    ner_note(t, "epoch %d: train loss %.3f, val F1 %.2f (P %.2f R %.2f), token accuracy %.2f%%%s\n", t->epoch,
             t->last_loss, t->last_f1, p, r, t->last_acc, best ? " (best, saved)" : "");
    return ner_write_plots(t);
}

static int run_epoch(ner_trainer *t, ner_piece *order) {
    const ner_train_opts *o = &t->o;
    char label[64];
    snprintf(label, sizeof label, "epoch %d/%lld", t->epoch, (long long)(o->epochs + o->self_train * o->self_epochs));
    cli_progress_begin(&t->bar, stderr, label, t->n_pieces, "sentences", o->quiet);
    epoch_order(t, order);
    double sum = 0, win = 0, t0 = cli_now(), win_t0 = t0;
    int64_t tokens = 0, win_tokens = 0, win_steps = 0;
    for (int64_t s = 0; s < t->steps_per_epoch; s++) {
        int64_t first = s * o->batch, B = t->n_pieces - first < o->batch ? t->n_pieces - first : o->batch, w = 0;
        for (int64_t b = 0; b < B; b++) w += order[first + b].n;
        double l = train_step(t, order + first, B);
        if (!isfinite(l))
            return ax_error("training diverged at step %lld (loss %g); try a lower --lr",
                            (long long)ax_optim_steps(t->opt), l);
        sum += l, win += l, tokens += w, win_tokens += w, win_steps++;
        double now = cli_now();
        if ((s + 1) % o->log_every == 0 || s + 1 == t->steps_per_epoch) {
            double epoch = t->epoch - 1 + (s + 1.0) / (double)t->steps_per_epoch;
            ax_metric m[] = {{"step", (double)ax_optim_steps(t->opt)}, {"epoch", epoch},
                             {"loss", win / (double)win_steps}, {"lr", ax_optim_lr(t->opt)},
                             {"tokens_per_s", (double)win_tokens / (now - win_t0)}};
            if (ax_metrics_write(t->log, m, 5) != AX_OK) return AX_ERR;
            mlp_curve_push(&t->train_loss, m[1].value, m[2].value);
            win = 0, win_tokens = 0, win_steps = 0, win_t0 = now;
        }
        char stats[96];
        snprintf(stats, sizeof stats, "loss %.3f | %.0f tokens/s", sum / (double)(s + 1), (double)tokens / (now - t0));
        cli_progress_update(&t->bar, first + B, stats);
    }
    t->train_s += cli_now() - t0;
    t->train_tokens += tokens;
    t->last_loss = sum / (double)t->steps_per_epoch;
    char stats[96];
    snprintf(stats, sizeof stats, "loss %.3f", t->last_loss);
    cli_progress_end(&t->bar, t->n_pieces, stats);
    return AX_OK;
}

static int train(ner_trainer *t) {
    const ax_tagger_config *c = t->m ? &t->m->cfg : NULL;
    if (c) ner_note(t, "bilstm-crf: words %lld x %lld, case %lld, gazetteers %d x %lld, chars %lld x %lld -> 2 x %lld, "
                "BiLSTM %d x 2 x %lld, %d tags: %.2fM parameters\n", (long long)c->words, (long long)c->word_dim,
             (long long)c->case_dim, AX_WEAK_GAZ_LISTS, (long long)c->gaz_dim, (long long)c->chars,
             (long long)c->char_dim, (long long)c->char_hidden, c->layers, (long long)c->hidden, ax_tagset_size(&t->tags), (double)ax_params_count(t->m->params) / 1e6);
    ner_note(t, "data: %lld training sentences (%lld tokens), %lld validation (%s); %d threads -> %s/\n",
             (long long)t->train.n_sents, (long long)t->train.n_tokens, (long long)t->valid.n_sents,
             t->o.valid ? t->o.valid : "held out", ax_threads(), t->o.out);
    int rc = ner_train_epochs(t, t->o.epochs);
    if (rc == AX_OK && t->o.self_train) rc = ner_self_train(t);
    t->tokens_per_s = (double)t->train_tokens / t->train_s;
    return rc;
}

int ner_train_epochs(ner_trainer *t, int64_t n) {
    t->steps_per_epoch = (t->n_pieces + t->o.batch - 1) / t->o.batch;
    ner_piece *order = malloc((size_t)(t->n_pieces ? t->n_pieces : 1) * sizeof *order);
    AX_ASSERT(order, "out of memory");
    int rc = AX_OK;
    for (int64_t i = 0; i < n && rc == AX_OK; i++) {
        t->epoch++;
        if ((rc = run_epoch(t, order)) == AX_OK) rc = validate(t);
    }
    free(order);
    return rc;
}

static void free_trainer(ner_trainer *t) {
    ax_metrics_close(t->log);
    ax_optim_free(t->opt);
    ax_tagger_free(t->m);
    ax_bert_free(t->bert), ax_bert_words_free(&t->sub);
    ax_ner_corpus_free(&t->train), ax_ner_corpus_free(&t->valid);
    free(t->gold), free(t->weak), ax_ner_corpus_free(&t->pool), free(t->pieces), free(t->b_toks), free(t->b_tags), free(t->b_n);
    mlp_curve_free(&t->train_loss), mlp_curve_free(&t->val_f1);
}

int train_ner(int argc, char **argv) {
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--arch=seq2seq") == 0 || (strcmp(argv[i], "--arch") == 0 && i + 1 < argc &&
                                                       strcmp(argv[i + 1], "seq2seq") == 0))
            return train_ner_gen(argc, argv);
    ner_trainer t = {0};
    int rc = parse_options(argc, argv, &t.o);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    if (strcmp(t.o.arch, "seq2seq") == 0) {
        fprintf(stderr, "axon: give --arch seq2seq on the command line (it has its own options)\n");
        return 2;
    }
    if (strcmp(t.o.arch, "bilstm-crf") != 0 && strcmp(t.o.arch, "bert") != 0) {
        fprintf(stderr, "axon: unknown --arch '%s' (bilstm-crf, bert or seq2seq)\n", t.o.arch);
        return 2;
    }
    if ((rc = check_ranges(&t.o)) || (rc = ner_self_check(&t.o)) || (rc = ner_bert_check(&t.o))) return rc;
    ax_set_threads((int)t.o.threads);
    rc = setup(&t) == AX_OK && train(&t) == AX_OK ? 0 : 1;
    if (rc) fprintf(stderr, "axon: %s\n", ax_last_error());
    else ner_report(&t, stdout);
    free_trainer(&t);
    return rc;
}
