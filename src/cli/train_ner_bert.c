/* `axon train ner --arch bert`: the BERT-style tagger (include/axon/bert.h). Its BPE is trained on the unlabelled
 * default corpora (the Austen novels, the KJV), then the encoder is pre-trained with the masked-LM loss on those
 * corpora's sub-words (blocks of --pretrain-len from random offsets) and saved in OUT/pretrained/, or both come from
 * --init DIR; then the tagger (that encoder + a classifier) is fine-tuned by train_ner.c's loop on the labelled
 * sentences, each word labelled on its first sub-word. */
#include "cli/ner_weak_cli.h"
#include "cli/train_ner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BPE_TEXT_MAX ((size_t)3 << 20) // bytes of the corpora the BPE is trained on (sentences spread over all)

int ner_bert_defaults(int argc, char **argv, ner_train_opts *o) {
    o->d_model = 128, o->heads = 4, o->d_ff = 512, o->positions = 128, o->bpe_vocab = 4000;
    o->pretrain_steps = 300, o->pretrain_len = 64, o->pretrain_lr = 1e-3, o->mask_prob = 0.15;
    bool bert = false;
    for (int i = 0; i < argc; i++)
        bert |= strcmp(argv[i], "--arch=bert") == 0 || (strcmp(argv[i], "--arch") == 0 && i + 1 < argc &&
                                                        strcmp(argv[i + 1], "bert") == 0);
    if (bert) o->layers = 2, o->dropout = 0.1, o->lr = 5e-4, o->epochs = 3;
    return bert;
}

int ner_bert_check(const ner_train_opts *o) {
    if (strcmp(o->arch, "bert") != 0) return 0;
    const char *bad = o->d_model < 1 || o->d_model > 4096 || o->heads < 1 || o->d_model % o->heads
                          ? "--d-model must be 1..4096 and a multiple of --heads"
                      : o->d_ff < 1 || o->d_ff > 65536          ? "--d-ff must be 1..65536"
                      : o->layers > 64                          ? "--layers must be 1..64 for bert"
                      : o->positions < AX_BERT_WORD_PIECES || o->positions > 4096 ? "--positions must be 8..4096"
                      : o->bpe_vocab < 257 || o->bpe_vocab > 100000 ? "--bpe-vocab must be 257..100000"
                      : o->pretrain_steps < 0                   ? "--pretrain-steps must be ≥ 0"
                      : o->pretrain_len < 2 || o->pretrain_len > o->positions ? "--pretrain-len must be 2..--positions"
                      : !(o->pretrain_lr > 0 && o->pretrain_lr < 10) ? "--pretrain-lr must be in (0, 10)"
                      : !(o->mask_prob > 0 && o->mask_prob < 1)  ? "--mask-prob must be in (0, 1)"
                      : o->self_train                           ? "--self-train is for --arch bilstm-crf"
                                                                : NULL;
    if (bad) fprintf(stderr, "axon: %s\n", bad);
    return bad ? 2 : 0;
}

// a BPE of bpe_vocab ids trained on sentences spread evenly over c (at most BPE_TEXT_MAX bytes), a sentence a line
static int train_bpe(const ner_trainer *t, const ax_ner_corpus *c, ax_tokenizer **tok) {
    size_t total = 0, len = 0;
    for (int64_t i = 0; i < c->n_tokens; i++) total += strlen(c->tokens[i]) + 1;
    int64_t stride = (int64_t)(total / BPE_TEXT_MAX) + 1;
    char *text = malloc(total / (size_t)stride + BPE_TEXT_MAX / 64 + 2);
    AX_ASSERT(text, "out of memory");
    for (int64_t s = 0; s < c->n_sents && len < BPE_TEXT_MAX; s += stride) {
        for (int64_t i = c->sent_start[s]; i < c->sent_start[s + 1]; i++) {
            size_t n = strlen(c->tokens[i]);
            if (len + n + 2 > total / (size_t)stride + BPE_TEXT_MAX / 64) break;
            memcpy(text + len, c->tokens[i], n), len += n;
            text[len++] = i + 1 < c->sent_start[s + 1] ? ' ' : '\n';
        }
    }
    ner_note(t, "bert: training a BPE of %lld ids on %.1f MB of the corpora\n", (long long)t->o.bpe_vocab, len / 1e6);
    int rc = ax_bpe_train(text, len, (int)t->o.bpe_vocab, tok);
    free(text);
    return rc;
}

// a sequence of n sub-words of the stream from a random offset, masked into in / target
static void mlm_sample(ner_trainer *t, const ax_bert *m, const ax_bert_words *w, int64_t n, int32_t *in, int32_t *target) {
    int64_t total = w->off[w->n_words], start = (int64_t)(ax_rng_u32(&t->data_rng) % (uint32_t)(total - n + 1));
    ax_bert_mask(&m->cfg, &t->data_rng, w->ids + start, NULL, n, (float)t->o.mask_prob, in, target);
}

// --pretrain-steps masked-LM steps of m on the sub-words of c; one metrics line per --log-every steps
static int pretrain(ner_trainer *t, ax_bert *m, const ax_ner_corpus *c) {
    const ner_train_opts *o = &t->o;
    ax_bert_words w;
    if (ax_bert_encode_words(m, (const char *const *)c->tokens, c->n_tokens, &w) != AX_OK) return AX_ERR;
    int64_t B = o->batch, T = o->pretrain_len;
    if (w.off[w.n_words] < T) return ax_bert_words_free(&w), ax_error("the corpora have fewer than %lld sub-words", (long long)T);
    ax_optim_config oc = ax_optim_defaults(AX_OPTIM_ADAM);
    oc.lr = (float)o->pretrain_lr;
    ax_optim *opt = ax_optim_new(m->params, oc);
    int32_t *in = malloc((size_t)(B * T) * sizeof *in), *target = malloc((size_t)(B * T) * sizeof *target);
    AX_ASSERT(in && target, "out of memory");
    cli_progress bar;
    cli_progress_begin(&bar, stderr, "pre-training (masked LM)", o->pretrain_steps, "steps", o->quiet);
    double sum = 0, win = 0, t0 = cli_now(), win_t0 = t0;
    int rc = AX_OK;
    for (int64_t s = 1; s <= o->pretrain_steps && rc == AX_OK; s++) {
        for (int64_t b = 0; b < B; b++) mlm_sample(t, m, &w, T, in + b * T, target + b * T);
        ax_tensor *loss = ax_bert_mlm_loss(m, ax_from_i32(AX_SHAPE(B, T), in), NULL, ax_from_i32(AX_SHAPE(B, T), target), true);
        double l = ax_item(loss);
        if (!isfinite(l)) rc = ax_error("pre-training diverged at step %lld; try a lower --pretrain-lr", (long long)s);
        if (rc == AX_OK) ax_backward(loss), ax_clip_grad_norm(m->params, (float)(o->clip > 0 ? o->clip : 1e30)), ax_optim_step(opt);
        ax_optim_zero_grad(opt);
        ax_arena_reset();
        sum += l, win += l;
        double now = cli_now();
        if (rc == AX_OK && (s % o->log_every == 0 || s == o->pretrain_steps)) {
            int64_t k = s % o->log_every ? s % o->log_every : o->log_every;
            ax_metric mt[] = {{"pretrain_step", (double)s}, {"mlm_loss", win / (double)k},
                              {"tokens_per_s", (double)(k * B * T) / (now - win_t0)}};
            rc = ax_metrics_write(t->log, mt, 3);
            win = 0, win_t0 = now;
        }
        char stats[96];
        snprintf(stats, sizeof stats, "MLM loss %.3f | %.0f sub-words/s", sum / (double)s, (double)(s * B * T) / (now - t0));
        cli_progress_update(&bar, s, stats);
    }
    char stats[64];
    snprintf(stats, sizeof stats, "MLM loss %.3f", o->pretrain_steps ? sum / (double)o->pretrain_steps : 0.0);
    cli_progress_end(&bar, o->pretrain_steps, stats);
    free(in), free(target);
    ax_optim_free(opt);
    ax_bert_words_free(&w);
    return rc;
}

// the pre-trained encoder (and its BPE): from --init, or trained here and saved in OUT/pretrained
static int encoder(ner_trainer *t, ax_bert **out) {
    const ner_train_opts *o = &t->o;
    if (o->init) return ax_bert_load(o->init, out);
    ax_ner_corpus raw;
    ax_tokenizer *tok = NULL;
    int rc = ner_default_corpus(&raw, o->quiet);
    if (rc != AX_OK) return rc;
    if ((rc = train_bpe(t, &raw, &tok)) == AX_OK) {
        ax_bert_config cfg = {.vocab = ax_tokenizer_vocab_size(tok) + 1, .d_model = (int)o->d_model,
                              .n_head = (int)o->heads, .d_ff = (int)o->d_ff, .layers = (int)o->layers,
                              .max_len = (int)o->positions, .dropout = (float)o->dropout, .ln_eps = 1e-5f};
        ax_manual_seed((uint64_t)o->seed);
        *out = ax_bert_new(&cfg, NULL, tok);
        rc = pretrain(t, *out, &raw);
    }
    ax_ner_corpus_free(&raw);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/pretrained", o->out);
    if (rc == AX_OK && (rc = ax_bert_save(*out, dir, NULL)) == AX_OK) ner_note(t, "bert: pre-trained encoder in %s/\n", dir);
    return rc;
}

int ner_bert_setup(ner_trainer *t) {
    const ner_train_opts *o = &t->o;
    ax_bert *pre = NULL;
    if (encoder(t, &pre) != AX_OK) return ax_bert_free(pre), AX_ERR;
    ax_bert_config cfg = pre->cfg;
    cfg.n_labels = ax_tagset_size(&t->tags), cfg.dropout = (float)o->dropout;
    ax_manual_seed((uint64_t)o->seed + 1);
    t->bert = ax_bert_new(&cfg, &t->tags, pre->tok);
    pre->tok = NULL;
    ax_bert_copy_params(t->bert, pre);
    ax_bert_free(pre);
    t->gold = malloc((size_t)(t->train.n_tokens ? t->train.n_tokens : 1) * sizeof *t->gold);
    AX_ASSERT(t->gold, "out of memory");
    if (ax_tagger_corpus_ids(&t->tags, &t->train, o->data, t->gold) != AX_OK) return AX_ERR;
    if (ax_bert_encode_words(t->bert, (const char *const *)t->train.tokens, t->train.n_tokens, &t->sub) != AX_OK)
        return AX_ERR;
    ner_piece *words;
    int64_t cut, nw = ner_pieces(&t->train, (int)o->max_len, &words, &cut);
    t->n_pieces = ner_bert_cut(&t->sub, words, nw, cfg.max_len, &t->pieces);
    ner_pieces_repair_tags(&t->tags, t->pieces, t->n_pieces, t->gold);
    free(words);
    if (t->n_pieces > nw || cut)
        ner_note(t, "note: %lld training sentences longer than --max-len %lld words or --positions %d sub-words were cut\n",
                 (long long)(cut + t->n_pieces - nw), (long long)o->max_len, cfg.max_len);
    ner_note(t, "bert: BPE %d + [MASK], d %d, %d heads, d_ff %d, %d layers, %d positions, %d tags: %.2fM parameters\n",
             cfg.vocab - 1, cfg.d_model, cfg.n_head, cfg.d_ff, cfg.layers, cfg.max_len, cfg.n_labels,
             (double)ax_params_count(t->bert->params) / 1e6);
    return AX_OK;
}

double ner_bert_step(ner_trainer *t, const ner_piece *p, int64_t B) {
    int64_t *first = malloc((size_t)B * sizeof *first);
    AX_ASSERT(first, "out of memory");
    for (int64_t b = 0; b < B; b++) first[b] = p[b].first, t->b_n[b] = p[b].n;
    ax_bert_batch x = ax_bert_make_batch(t->bert, &t->sub, first, t->b_n, t->gold, B);
    free(first);
    ax_tensor *loss = ax_bert_token_loss(t->bert, x.ids, x.keep, x.labels, true);
    double l = ax_item(loss);
    if (isfinite(l)) {
        ax_backward(loss);
        if (t->o.clip > 0) ax_clip_grad_norm(t->bert->params, (float)t->o.clip);
        ax_optim_step(t->opt);
    }
    ax_optim_zero_grad(t->opt);
    ax_arena_reset();
    return l;
}
