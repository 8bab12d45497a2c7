/* The weak labeller: loading its word lists, running the labelling functions, turning aggregated votes into
 * entity spans. */
#include "axon/io.h"
#include "ner/ner_internal.h"

#include <stdlib.h>
#include <string.h>

#ifndef AX_DATA_DIR
#define AX_DATA_DIR "data"
#endif

#define DS_ITERS 20 // EM iterations of the Dawid–Skene label model

const weak_lf WEAK_LFS[] = {
    {"title_per", lf_title},       {"deity", lf_deity},           {"of_context", lf_of_context},
    {"place_word", lf_place_word}, {"language", lf_language},     {"suffix_misc", lf_suffix},
    {"gaz_titled", lf_gaz_titled}, {"prep_place", lf_prep_place}, {"gaz_bible", lf_gaz_bible},
    {"gaz_names", lf_gaz_names},   {"gaz_wordnet", lf_gaz_wordnet}, {"gaz_iso", lf_gaz_iso},
    {"proper_per", lf_proper},     {"common_o", lf_common},
};
const int WEAK_N_LFS = (int)(sizeof WEAK_LFS / sizeof *WEAK_LFS);

static const char *const GAZ_FILES[N_GAZ] = {"bible.tsv", "titled.tsv", "names.tsv", "wordnet.tsv", "iso.tsv",
                                             "tribes.tsv"};
static const char *const WEAK_TYPES[WEAK_N_TYPES] = {"PER", "LOC", "ORG", "MISC"};

int ax_weak_labeler_load(const char *dir, ax_weak_labeler **out) {
    char path[4096], base[4000];
    const char *env = getenv("AXON_DATA");
    if (dir) snprintf(base, sizeof base, "%s", dir);
    else snprintf(base, sizeof base, "%s/ner", env && *env ? env : AX_DATA_DIR);
    ax_weak_labeler *wl = calloc(1, sizeof *wl);
    if (!wl) return ax_error("out of memory loading the gazetteers");
    int rc = AX_OK;
    for (int g = 0; g < N_GAZ && rc == AX_OK; g++) {
        snprintf(path, sizeof path, "%s/%s", base, GAZ_FILES[g]);
        rc = gazetteer_load(&wl->gaz[g], path);
    }
    snprintf(path, sizeof path, "%s/case.tsv", base);
    if (rc == AX_OK) rc = case_stats_load(&wl->cases, path);
    if (rc != AX_OK) {
        ax_weak_labeler_free(wl);
        return ax_error("weak labeller: %s (build the word lists with data/make_ner.py)", ax_last_error());
    }
    *out = wl;
    return AX_OK;
}

int ax_weak_labeler_save(const ax_weak_labeler *wl, const char *dir) {
    char path[4096];
    if (ax_mkdir_p(dir) != AX_OK) return AX_ERR;
    for (int g = 0; g < N_GAZ; g++) {
        snprintf(path, sizeof path, "%s/%s", dir, GAZ_FILES[g]);
        if (gazetteer_save(&wl->gaz[g], path) != AX_OK) return AX_ERR;
    }
    snprintf(path, sizeof path, "%s/case.tsv", dir);
    return case_stats_save(&wl->cases, path);
}

void ax_weak_labeler_free(ax_weak_labeler *wl) {
    if (!wl) return;
    for (int g = 0; g < N_GAZ; g++) gazetteer_free(&wl->gaz[g]);
    case_stats_free(&wl->cases);
    free(wl);
}

int ax_weak_n_lfs(const ax_weak_labeler *wl) { return WEAK_N_LFS; }
const char *ax_weak_lf_name(const ax_weak_labeler *wl, int lf) {
    return lf >= 0 && lf < WEAK_N_LFS ? WEAK_LFS[lf].name : NULL;
}

int ax_weak_votes(const ax_weak_labeler *wl, const ax_ner_corpus *c, ax_tagset *types, int8_t **votes) {
    ax_tagset_init(types, AX_NER_IOB2);
    for (int t = 0; t < WEAK_N_TYPES; t++) ax_tagset_add_type(types, WEAK_TYPES[t]);
    int8_t *v = malloc((size_t)(c->n_tokens ? c->n_tokens : 1) * WEAK_N_LFS);
    if (!v) return ax_error("out of memory for the votes");
    memset(v, -1, (size_t)c->n_tokens * WEAK_N_LFS);
    for (int64_t s = 0; s < c->n_sents; s++) {
        int64_t t0 = c->sent_start[s];
        int n = (int)(c->sent_start[s + 1] - t0);
        for (int j = 0; j < WEAK_N_LFS; j++)
            WEAK_LFS[j].run(wl, (const char *const *)c->tokens + t0, n, v + t0 * WEAK_N_LFS + j, WEAK_N_LFS);
    }
    *votes = v;
    return AX_OK;
}

// the spans of sentence s from token classes cls (0 = O, 1 + type): runs of one class, split where the LFs that
// voted for the class at a token said B- and none I- (two entities of one type rarely touch)
static int sentence_spans(const int8_t *votes, const int32_t *cls, int n, ax_ner_span *spans) {
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (!cls[i]) continue;
        int b = 0, in = 0, type = cls[i] - 1;
        for (int j = 0; j < WEAK_N_LFS; j++) {
            b += votes[(int64_t)i * WEAK_N_LFS + j] == 1 + 2 * type;
            in += votes[(int64_t)i * WEAK_N_LFS + j] == 2 + 2 * type;
        }
        if (k > 0 && spans[k - 1].end == i && spans[k - 1].type == type && (in > 0 || b == 0)) spans[k - 1].end = i + 1;
        else spans[k++] = (ax_ner_span){i, i + 1, type};
    }
    return k;
}

int ax_weak_label(const ax_weak_labeler *wl, const ax_ner_corpus *c, ax_weak_aggregate how, FILE *report,
                  ax_ner_corpus *out) {
    ax_tagset types;
    int8_t *votes, *cls_votes;
    if (ax_weak_votes(wl, c, &types, &votes) != AX_OK) return AX_ERR;
    size_t nv = (size_t)c->n_tokens * WEAK_N_LFS;
    cls_votes = malloc(nv ? nv : 1);
    int32_t *cls = malloc((size_t)(c->n_tokens ? c->n_tokens : 1) * sizeof *cls);
    ax_ner_span *spans = malloc((size_t)(c->n_tokens ? c->n_tokens : 1) * sizeof *spans);
    int rc = cls_votes && cls && spans ? AX_OK : ax_error("out of memory labelling");
    for (size_t i = 0; rc == AX_OK && i < nv; i++) cls_votes[i] = votes[i] <= 0 ? votes[i] : (int8_t)((votes[i] + 1) / 2);
    if (rc == AX_OK) ax_weak_aggregate_votes(cls_votes, c->n_tokens, WEAK_N_LFS, 1 + WEAK_N_TYPES, how, DS_ITERS, cls);
    if (rc == AX_OK && report) weak_report(c, cls_votes, cls, report);
    ax_ner_corpus_init(out);
    out->tags = types;
    out->labelled = true;
    for (int64_t s = 0; s < c->n_sents && rc == AX_OK; s++) {
        int64_t t0 = c->sent_start[s];
        int n = (int)(c->sent_start[s + 1] - t0);
        int k = sentence_spans(votes + t0 * WEAK_N_LFS, cls + t0, n, spans);
        rc = ax_ner_corpus_add(out, (const char *const *)c->tokens + t0, n, spans, k, c->line + t0);
    }
    if (rc != AX_OK) ax_ner_corpus_free(out);
    free(votes);
    free(cls_votes);
    free(cls);
    free(spans);
    return rc;
}
