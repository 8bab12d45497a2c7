/* `axon train ner --self-train R`: self-training of the BiLSTM-CRF after its first training on the (weak) labels.
 * Each round the current tagger (the latest epoch's weights) labels the pool and keeps the sentences whose best tag
 * sequence has a probability p(y* | x) ≥ --confidence (ax_tagger_decode_prob), then trains --self-epochs more epochs
 * from the current weights and optimizer state:
 *   - without --unlabelled the pool is the training sentences themselves: a kept sentence's labels are replaced by
 *     the tagger's, the others keep their own (weak) labels;
 *   - with --unlabelled FILE the pool is that file's sentences (tags ignored): the kept ones are added to the training
 *     sentences with the tagger's labels.
 * Every round starts again from the training sentences' own labels. The checkpoint is the best validation epoch of the
 * last round (a self-trained model); OUT/self-labelled.conll holds the last round's kept sentences as labelled. */
#include "cli/train_ner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ner_self_check(const ner_train_opts *o) {
    const char *bad = o->self_train < 0 || o->self_train > 1000        ? "--self-train must be 0..1000"
                      : !(o->confidence >= 0 && o->confidence <= 1)    ? "--confidence must be in [0, 1]"
                      : o->self_epochs < 1 || o->self_epochs > 100000 ? "--self-epochs must be ≥ 1"
                      : o->unlabelled && !o->self_train                ? "--unlabelled needs --self-train R"
                      : o->self_train && strcmp(o->arch, "bilstm-crf") != 0 ? "--self-train is for --arch bilstm-crf"
                                                                       : NULL;
    if (bad) fprintf(stderr, "axon: %s\n", bad);
    return bad ? 2 : 0;
}

// keeps the training sentences' own labels and appends the --unlabelled sentences (labelled each round)
static int add_pool(ner_trainer *t) {
    t->base_sents = t->train.n_sents, t->base_tokens = t->train.n_tokens;
    t->weak = malloc((size_t)(t->base_tokens ? t->base_tokens : 1) * sizeof *t->weak);
    AX_ASSERT(t->weak, "out of memory");
    memcpy(t->weak, t->gold, (size_t)t->base_tokens * sizeof *t->weak);
    if (!t->o.unlabelled) return AX_OK;
    if (ax_ner_read_conll(t->o.unlabelled, 0, AX_NER_IOB2, 0, &t->pool) != AX_OK) return AX_ERR;
    if (t->pool.n_sents == 0) return ax_error("%s: no sentences", t->o.unlabelled);
    const ax_ner_corpus *p = &t->pool;
    for (int64_t s = 0; s < p->n_sents; s++)
        if (ax_ner_corpus_add(&t->train, (const char *const *)p->tokens + p->sent_start[s],
                              (int)(p->sent_start[s + 1] - p->sent_start[s]), NULL, 0, NULL) != AX_OK)
            return AX_ERR;
    t->gold = realloc(t->gold, (size_t)t->train.n_tokens * sizeof *t->gold);
    AX_ASSERT(t->gold, "out of memory");
    return AX_OK;
}

// the training pieces: every piece of the training sentences, and of the pool sentences the kept ones' (keep: pool)
static void select_pieces(ner_trainer *t, const bool *keep) {
    free(t->pieces);
    t->n_pieces = ner_pieces(&t->train, (int)t->o.max_len, &t->pieces, NULL);
    int64_t k = 0, s = 0;
    for (int64_t i = 0; i < t->n_pieces; i++) {
        int64_t tok = t->pieces[i].first - t->base_tokens; // pieces are in order: s follows them
        while (tok >= 0 && t->pool.sent_start[s + 1] <= tok) s++;
        if (tok < 0 || keep[s]) t->pieces[k++] = t->pieces[i];
    }
    t->n_pieces = k;
}

// OUT/self-labelled.conll: the kept pool sentences with the tagger's labels ids (pool tokens)
static int write_kept(const ner_trainer *t, const ax_ner_corpus *pool, const int32_t *ids, const bool *keep) {
    ax_ner_corpus c;
    ax_ner_corpus_init(&c);
    c.tags = t->m->tags, c.labelled = true;
    ax_ner_span *sp = malloc((size_t)(pool->n_tokens ? pool->n_tokens : 1) * sizeof *sp);
    AX_ASSERT(sp, "out of memory");
    int rc = AX_OK;
    for (int64_t s = 0; s < pool->n_sents && rc == AX_OK; s++) {
        int64_t t0 = pool->sent_start[s];
        int n = (int)(pool->sent_start[s + 1] - t0);
        if (keep[s])
            rc = ax_ner_corpus_add(&c, (const char *const *)pool->tokens + t0, n, sp,
                                   ax_ner_ids_to_spans(&t->m->tags, ids + t0, n, sp), NULL);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/self-labelled.conll", t->o.out);
    if (rc == AX_OK) rc = ax_ner_write_conll(path, &c, NULL, AX_NER_IOB2);
    free(sp);
    ax_ner_corpus_free(&c);
    return rc;
}

/* Round r: the pool labelled by the current tagger; the confident sentences' labels into t->gold (pool tokens start
 * at `off` in it), the rest as the training sentences' own; *kept and *changed (kept sentences whose labels differ
 * from their own) counted. */
static int relabel(ner_trainer *t, const ax_ner_corpus *pool, int64_t off, int64_t *kept, int64_t *changed) {
    int32_t *ids = malloc((size_t)(pool->n_tokens ? pool->n_tokens : 1) * sizeof *ids);
    double *prob = malloc((size_t)pool->n_sents * sizeof *prob);
    bool *keep = malloc((size_t)pool->n_sents * sizeof *keep);
    AX_ASSERT(ids && prob && keep, "out of memory");
    ner_tag_ids(t->m, pool, (int)t->o.max_len, t->o.batch, ids, prob);
    memcpy(t->gold, t->weak, (size_t)t->base_tokens * sizeof *t->gold);
    *kept = *changed = 0;
    for (int64_t s = 0; s < pool->n_sents; s++) {
        int64_t t0 = pool->sent_start[s], n = pool->sent_start[s + 1] - t0;
        if (!(keep[s] = prob[s] >= t->o.confidence)) continue;
        (*kept)++;
        *changed += off == 0 && memcmp(t->gold + t0, ids + t0, (size_t)n * sizeof *ids) != 0;
        memcpy(t->gold + off + t0, ids + t0, (size_t)n * sizeof *ids);
    }
    if (off) select_pieces(t, keep);
    int rc = write_kept(t, pool, ids, keep);
    free(ids), free(prob), free(keep);
    return rc;
}

int ner_self_train(ner_trainer *t) {
    const ner_train_opts *o = &t->o;
    if (add_pool(t) != AX_OK) return AX_ERR;
    const ax_ner_corpus *pool = o->unlabelled ? &t->pool : &t->train;
    int64_t off = o->unlabelled ? t->base_tokens : 0;
    for (int r = 1; r <= o->self_train; r++) {
        int64_t kept, changed;
        if (relabel(t, pool, off, &kept, &changed) != AX_OK) return AX_ERR;
        if (o->unlabelled)
            ner_note(t, "self-training round %d/%lld: %lld of %lld --unlabelled sentences with p >= %g added to the "
                        "%lld training sentences\n", r, (long long)o->self_train, (long long)kept,
                     (long long)pool->n_sents, o->confidence, (long long)t->base_sents);
        else
            ner_note(t, "self-training round %d/%lld: %lld of %lld training sentences with p >= %g take the tagger's "
                        "labels (%lld of them differ)\n", r, (long long)o->self_train, (long long)kept,
                     (long long)pool->n_sents, o->confidence, (long long)changed);
        ax_metric m[] = {{"step", (double)ax_optim_steps(t->opt)}, {"epoch", t->epoch}, {"round", r},
                         {"pool_sentences", (double)pool->n_sents}, {"kept", (double)kept}, {"changed", (double)changed}};
        if (ax_metrics_write(t->log, m, 6) != AX_OK) return AX_ERR;
        t->best_f1 = -1; // the checkpoint: the best epoch of the last round
        if (ner_train_epochs(t, o->self_epochs) != AX_OK) return AX_ERR;
    }
    return AX_OK;
}
