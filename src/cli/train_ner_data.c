/* The sentences of `axon train ner`: CoNLL files, a held-out share when there is no validation file, the tag set.
 * Without --data the training sentences are the default corpora (the Austen novels, the KJV) labelled by the weak
 * labeller (`axon ner weak-label`, majority vote: on the gold dev set it scores 92.72 against Dawid–Skene's 90.19). */
#include "cli/ner_weak_cli.h"
#include "cli/train_ner.h"

#include <stdlib.h>
#include <string.h>

// appends sentence s of c (its spans' types index the same tag set as out's) to out
static int copy_sentence(const ax_ner_corpus *c, int64_t s, ax_ner_corpus *out) {
    int64_t t0 = c->sent_start[s], k0 = c->span_start[s];
    return ax_ner_corpus_add(out, (const char *const *)c->tokens + t0, (int)(c->sent_start[s + 1] - t0),
                             c->spans + k0, (int)(c->span_start[s + 1] - k0), c->line ? c->line + t0 : NULL);
}

// moves a random val_fraction of the training sentences into the validation set
static int hold_out(ner_trainer *t) {
    ax_ner_corpus *all = &t->train, rest;
    if (all->n_sents < 2)
        return ax_error("%s: 2 sentences at least are needed to hold one out (or pass --valid)",
                        t->o.data ? t->o.data : "the weak labels");
    int64_t k = (int64_t)(t->o.val_fraction * (double)all->n_sents + 0.5), *idx = malloc((size_t)all->n_sents * sizeof *idx);
    AX_ASSERT(idx, "out of memory");
    k = k < 1 ? 1 : k;
    ax_permutation(&t->data_rng, idx, all->n_sents);
    ax_ner_corpus_init(&rest), ax_ner_corpus_init(&t->valid);
    rest.tags = t->valid.tags = all->tags, rest.labelled = t->valid.labelled = true;
    int rc = AX_OK;
    for (int64_t i = 0; i < all->n_sents && rc == AX_OK; i++) // in file order within each part
        rc = copy_sentence(all, i, idx[i] < k ? &t->valid : &rest);
    free(idx);
    ax_ner_corpus_free(all);
    *all = rest;
    return rc;
}

static int by_name(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

// the model's tag set: the training types in byte order, in --scheme
static void make_tagset(ner_trainer *t) {
    const char *names[AX_NER_MAX_TYPES];
    int n = t->train.tags.n_types;
    for (int i = 0; i < n; i++) names[i] = t->train.tags.types[i];
    qsort(names, (size_t)n, sizeof *names, by_name);
    ax_ner_scheme s;
    ner_scheme_parse(t->o.scheme, &s);
    ax_tagset_init(&t->tags, s);
    for (int i = 0; i < n; i++) ax_tagset_add_type(&t->tags, names[i]);
}

// every type of the validation sentences must be one the model learns
static int check_valid_types(ner_trainer *t) {
    int32_t *ids = malloc((size_t)(t->valid.n_tokens ? t->valid.n_tokens : 1) * sizeof *ids);
    AX_ASSERT(ids, "out of memory");
    int rc = ax_tagger_corpus_ids(&t->tags, &t->valid, t->o.valid, ids);
    free(ids);
    if (rc == AX_OK) return AX_OK;
    char why[512];
    snprintf(why, sizeof why, "%s", ax_last_error());
    return ax_error("%s: --valid has a label that the training data lacks", why);
}

// the default corpora with the weak labeller's entities as the training sentences
static int weak_labels(ner_trainer *t) {
    ax_ner_corpus raw;
    ax_weak_labeler *wl = NULL;
    ax_ner_corpus_init(&raw);
    ner_note(t, "no --data: training on the weak labels of the default corpora (axon ner weak-label)\n");
    int rc = ner_default_corpus(&raw, t->o.quiet);
    if (rc == AX_OK) rc = ax_weak_labeler_load(NULL, &wl);
    if (rc == AX_OK) rc = ax_weak_label(wl, &raw, AX_WEAK_VOTE, NULL, &t->train);
    ax_weak_labeler_free(wl);
    ax_ner_corpus_free(&raw);
    return rc;
}

int ner_load_data(ner_trainer *t) {
    const ner_train_opts *o = &t->o;
    ax_ner_scheme ds;
    ner_scheme_parse(o->data_scheme, &ds);
    ax_ner_corpus_init(&t->train), ax_ner_corpus_init(&t->valid);
    if (o->data ? ax_ner_read_conll(o->data, -1, ds, 0, &t->train) != AX_OK : weak_labels(t) != AX_OK) return AX_ERR;
    if (t->train.n_sents == 0) return ax_error("%s: no sentences", o->data ? o->data : "the default corpora");
    if (o->valid ? ax_ner_read_conll(o->valid, -1, ds, 0, &t->valid) != AX_OK : hold_out(t) != AX_OK) return AX_ERR;
    if (t->valid.n_sents == 0) return ax_error("%s: no sentences", o->valid);
    make_tagset(t);
    return check_valid_types(t);
}
