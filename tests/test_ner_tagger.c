/* The BiLSTM-CRF tagger (include/axon/tagger.h): token features (word forms, capitalisation classes, UTF-8
 * characters, unknowns), gold tag ids and an unknown entity type, a few sentences learnt to the last tag, a
 * checkpoint that decodes the same after loading, decoding that never breaks the tag scheme, and bad checkpoints;
 * the same with gazetteer features (their classes and gradient, and the word lists saved in the checkpoint). */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const SENTS[][8] = {
    {"Elizabeth", "went", "to", "London", ".", NULL},
    {"Mr.", "Darcy", "lives", "in", "Derbyshire", ".", NULL},
    {"Jane", "Bennet", "saw", "Bingley", "at", "Netherfield", ".", NULL},
    {"They", "walked", "to", "Meryton", ".", NULL},
    {"USA", "is", "far", "from", "42", "McDonald", "né", NULL},
};
// entities (sentence, start, end, type: 0 PER, 1 LOC)
static const int SPANS[][4] = {{0, 0, 1, 0}, {0, 3, 4, 1}, {1, 1, 2, 0}, {1, 4, 5, 1}, {2, 0, 2, 0},
                               {2, 3, 4, 0}, {2, 5, 6, 1}, {3, 3, 4, 1}, {4, 0, 1, 1}};
#define N_SENTS 5
#define N_SPANS 9

static void make_corpus(ax_ner_corpus *c) {
    ax_ner_corpus_init(c);
    c->labelled = true;
    CHECK(ax_tagset_add_type(&c->tags, "PER") == 0 && ax_tagset_add_type(&c->tags, "LOC") == 1, "types");
    for (int s = 0; s < N_SENTS; s++) {
        int n = 0, k = 0;
        while (SENTS[s][n]) n++;
        ax_ner_span sp[4];
        for (int i = 0; i < N_SPANS; i++)
            if (SPANS[i][0] == s) sp[k++] = (ax_ner_span){SPANS[i][1], SPANS[i][2], SPANS[i][3]};
        CHECK(ax_ner_corpus_add(c, SENTS[s], n, sp, k, NULL) == AX_OK, "add sentence %d", s);
    }
}

// a small model; with the word lists gaz (owned from here), gazetteer features of width 4
static ax_tagger *tiny_model(const ax_ner_corpus *c, ax_ner_scheme scheme, ax_weak_labeler *gaz) {
    ax_vocab *words, *chars;
    ax_tagger_vocab_build(c, 1, &words, &chars);
    ax_tagset ts;
    ax_tagset_init(&ts, scheme);
    ax_tagset_add_type(&ts, "LOC"), ax_tagset_add_type(&ts, "PER");
    ax_tagger_config cfg = {.words = ax_vocab_size(words), .chars = ax_vocab_size(chars), .word_dim = 16,
                            .case_dim = 4, .char_dim = 8, .char_hidden = 8, .hidden = 16, .layers = 1,
                            .dropout = 0.0f, .max_word_chars = 6, .gaz_dim = gaz ? 4 : 0};
    ax_manual_seed(5);
    return ax_tagger_new(&cfg, &ts, words, chars, gaz);
}

// the batch of every sentence of c with its gold ids
static ax_tagger_batch corpus_batch(const ax_tagger *m, const ax_ner_corpus *c, const int32_t *ids) {
    const char *const *toks[N_SENTS];
    const int32_t *tags[N_SENTS];
    int n[N_SENTS];
    for (int s = 0; s < N_SENTS; s++) {
        int64_t t0 = c->sent_start[s];
        toks[s] = (const char *const *)c->tokens + t0, tags[s] = ids + t0, n[s] = (int)(c->sent_start[s + 1] - t0);
    }
    return ax_tagger_make_batch(m, toks, n, tags, N_SENTS);
}

static void test_features(const ax_ner_corpus *c, const ax_tagger *m) {
    CHECK(ax_vocab_id(m->words, "elizabeth", 9) > AX_UNK && ax_vocab_id(m->words, "00", 2) > AX_UNK &&
              ax_vocab_id(m->words, "Elizabeth", 9) == AX_UNK,
          "word forms are lower-cased with digits as 0");
    CHECK(ax_vocab_id(m->chars, "é", strlen("é")) > AX_UNK && ax_vocab_id(m->chars, "E", 1) > AX_UNK,
          "characters keep their case and UTF-8");
    int32_t ids[64];
    ax_tagger_batch b = corpus_batch(m, c, ids);
    CHECK(b.B == 5 && b.T == 7 && b.chars->shape[0] == 35 && b.chars->shape[1] == 6, "batch (5, 7), chars (35, 6)");
    const int32_t *cs = ax_i32(b.cases) + 4 * 7, *cl = ax_i32(b.char_len) + 4 * 7;
    CHECK(cs[0] == 3 && cs[1] == 1 && cs[4] == 0 && cs[5] == 4 && ax_i32(b.cases)[0] == 2,
          "capitalisation: USA upper, is lower, 42 none, McDonald mixed, Elizabeth title");
    CHECK(cl[5] == 6 && cl[6] == 2 && ax_i32(b.char_len)[5] == 1, "characters per token: cut at 6, né = 2, pad 1");
    const char *unknown[] = {"Zzyzx", "ω"};
    int n = 2;
    const char *const *toks[1] = {unknown};
    ax_tagger_batch u = ax_tagger_make_batch(m, toks, &n, NULL, 1);
    CHECK(ax_i32(u.words)[0] == AX_UNK && ax_i32(u.chars)[u.chars->shape[1]] == AX_UNK && !u.tags,
          "unknown words and characters read as <unk>");
    ax_arena_reset();
}

static void test_corpus_ids(const ax_ner_corpus *c, const ax_tagger *m) {
    int32_t ids[64];
    CHECK(ax_tagger_corpus_ids(&m->tags, c, "x", ids) == AX_OK, "%s", ax_last_error());
    char tag[40];
    ax_tagset_tag(&m->tags, ids[0], tag, sizeof tag);
    CHECK(strcmp(tag, "B-PER") == 0, "first tag %s, expected B-PER (types matched by name)", tag);
    ax_tagset other;
    ax_tagset_init(&other, AX_NER_IOB2);
    ax_tagset_add_type(&other, "PER");
    CHECK(ax_tagger_corpus_ids(&other, c, "x", ids) == AX_ERR && strstr(ax_last_error(), "'LOC'"),
          "unknown type: %s", ax_last_error());
}

static int mismatches(const ax_tagger *m, const ax_tagger_batch *b) {
    const int32_t *path = ax_i32(ax_tagger_decode(m, b)), *gold = ax_i32(b->tags), *len = ax_i32(b->lengths);
    int bad = 0;
    for (int64_t s = 0; s < b->B; s++)
        for (int64_t t = 0; t < b->T; t++) bad += t < len[s] ? path[s * b->T + t] != gold[s * b->T + t] : path[s * b->T + t] != -1;
    return bad;
}

// Adam on the five sentences until every tag is right
static void test_learns(const ax_ner_corpus *c, ax_tagger *m) {
    int32_t ids[64];
    ax_tagger_corpus_ids(&m->tags, c, "x", ids);
    ax_optim_config oc = ax_optim_defaults(AX_OPTIM_ADAM);
    oc.lr = 2e-2f;
    ax_optim *opt = ax_optim_new(m->params, oc);
    double first = 0, last = 0;
    for (int step = 0; step < 60; step++) {
        ax_tagger_batch b = corpus_batch(m, c, ids);
        ax_tensor *loss = ax_tagger_loss(m, &b, true);
        last = ax_item(loss), first = step ? first : last;
        ax_backward(loss);
        ax_optim_step(opt);
        ax_optim_zero_grad(opt);
        ax_arena_reset();
    }
    ax_tagger_batch b = corpus_batch(m, c, ids);
    int bad = mismatches(m, &b);
    CHECK(last < 0.1 * first && bad == 0, "loss %g -> %g, %d tags wrong", first, last, bad);
    ax_arena_reset();
    ax_optim_free(opt);
}

static void test_checkpoint(const ax_ner_corpus *c, const ax_tagger *m) {
    char dir[] = "/tmp/axon_tagger_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    CHECK(ax_tagger_save(m, dir, "{\"val_f1\": 99}") == AX_OK, "save: %s", ax_last_error());
    CHECK(ax_tagger_is_checkpoint(dir), "a tagger checkpoint");
    ax_tagger *back = NULL;
    CHECK(ax_tagger_load(dir, &back) == AX_OK, "load: %s", ax_last_error());
    if (back) {
        int32_t ids[64];
        ax_tagger_corpus_ids(&m->tags, c, "x", ids);
        ax_tagger_batch b = corpus_batch(m, c, ids);
        ax_tensor *e1 = ax_tagger_emissions(m, &b, false), *e2 = ax_tagger_emissions(back, &b, false);
        CHECK_CLOSE(e2, e1, 0, 0);
        CHECK(mismatches(back, &b) == 0 && ax_tagset_size(&back->tags) == 5, "the loaded model tags the same");
        ax_arena_reset();
    }
    ax_tagger_free(back);
    char *cfg = check_slurp(check_join(dir, "config.json"));
    CHECK(cfg && strstr(cfg, "\"bilstm-crf\"") && strstr(cfg, "\"val_f1\"") && strstr(cfg, "\"I-PER\""), "config.json");
    free(cfg);
    if (m->gaz) { // the word lists are part of the checkpoint
        CHECK(remove(check_join(dir, AX_TAGGER_GAZ "/bible.tsv")) == 0, "the checkpoint has gazetteers/bible.tsv");
        CHECK(ax_tagger_load(dir, &back) == AX_ERR && strstr(ax_last_error(), "bible.tsv"), "no word list: %s",
              ax_last_error());
    }
    // a vocabulary that does not fit the config, and a config of another model
    FILE *fp = fopen(check_join(dir, AX_TAGGER_CHARS), "w");
    fputs("<pad>\n<sos>\n<eos>\n<unk>\na\n", fp), fclose(fp);
    CHECK(ax_tagger_load(dir, &back) == AX_ERR && strstr(ax_last_error(), "chars.txt"), "bad vocabulary: %s",
          ax_last_error());
    fp = fopen(check_join(dir, "config.json"), "w");
    fputs("{\"axon_model\": \"ner\", \"arch\": \"bert\"}", fp), fclose(fp);
    CHECK(ax_tagger_load(dir, &back) == AX_ERR && strstr(ax_last_error(), "bilstm-crf") && !ax_tagger_is_checkpoint(dir),
          "other arch: %s", ax_last_error());
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
}

/* Gazetteer features: each token's class in every word list as a row of gaz_emb, and the loss's gradient on one of
 * those rows against central differences (fp32 loss, step 1e-2: agreement to 1e-2 relative). */
static void test_gazetteers(const ax_ner_corpus *c, ax_tagger *m) {
    int32_t ids[64];
    ax_tagger_corpus_ids(&m->tags, c, "x", ids);
    ax_tagger_batch b = corpus_batch(m, c, ids);
    const int L = AX_WEAK_GAZ_LISTS, K = AX_WEAK_GAZ_CLASSES, NAMES = 2, ISO = 4; // lists: bible titled names wordnet iso…
    const int32_t *g = ax_i32(b.gaz);
    CHECK(b.gaz && b.gaz->shape[0] == 5 && b.gaz->shape[1] == 7 && b.gaz->shape[2] == L, "gaz (5, 7, lists)");
    int32_t eliz = g[(0 * 7 + 0) * L + NAMES], derby = g[(1 * 7 + 4) * L + ISO], went = g[(0 * 7 + 1) * L + NAMES];
    CHECK(eliz == NAMES * K + 1 && derby == ISO * K + 3 && went == NAMES * K,
          "Elizabeth: names B-PER (%d), Derbyshire: iso B-LOC (%d), went: none (%d)", eliz, derby, went);
    ax_tensor *w = m->gaz_emb.weight;
    float *row = ax_f32(w) + (int64_t)derby * m->cfg.gaz_dim;
    ax_backward(ax_tagger_loss(m, &b, false));
    ax_tensor *grad = w->grad;
    CHECK(grad, "gaz_emb.weight has a gradient");
    for (int64_t j = 0; grad && j < m->cfg.gaz_dim; j++) {
        double analytic = ax_f32(grad)[(int64_t)derby * m->cfg.gaz_dim + j], loss[2];
        float keep = row[j];
        for (int side = 0; side < 2; side++) {
            row[j] = keep + (side ? -1e-2f : 1e-2f);
            loss[side] = ax_item(ax_tagger_loss(m, &b, false));
        }
        row[j] = keep;
        double numeric = (loss[0] - loss[1]) / 2e-2;
        CHECK(fabs(analytic - numeric) <= 1e-2 * fabs(numeric) + 1e-4, "d loss / d gaz_emb[%d, %lld]: %g, numeric %g",
              derby, (long long)j, analytic, numeric);
    }
    ax_params_zero_grad(m->params);
    ax_arena_reset();
}

// transitions that favour O → I-PER strongly: constrained Viterbi still never starts an entity with I-
static void test_constraints(const ax_ner_corpus *c) {
    ax_tagger *m = tiny_model(c, AX_NER_IOB2, NULL);
    int o = ax_tagset_id(&m->tags, "O"), i_per = ax_tagset_id(&m->tags, "I-PER");
    ax_f32(m->crf.trans)[o * 5 + i_per] = 50, ax_f32(m->crf.start)[i_per] = 50;
    int32_t ids[64];
    ax_tagger_batch b = corpus_batch(m, c, ids);
    const int32_t *path = ax_i32(ax_tagger_decode(m, &b));
    int bad = 0;
    for (int64_t s = 0; s < b.B; s++)
        for (int64_t t = 0; t < ax_i32(b.lengths)[s]; t++) {
            int prev = t ? path[s * b.T + t - 1] : -1, cur = path[s * b.T + t];
            bad += !ax_tagset_allowed(&m->tags, prev, cur);
        }
    CHECK(bad == 0, "%d transitions the scheme forbids", bad);
    ax_arena_reset();
    ax_tagger_free(m);
}

int main(void) {
    ax_set_threads(1);
    ax_ner_corpus c;
    make_corpus(&c);
    ax_tagger *m = tiny_model(&c, AX_NER_IOB2, NULL);
    test_features(&c, m);
    test_corpus_ids(&c, m);
    test_learns(&c, m);
    test_checkpoint(&c, m);
    ax_tagger_free(m);
    ax_weak_labeler *gaz;
    CHECK(ax_weak_labeler_load(NULL, &gaz) == AX_OK, "the word lists: %s", ax_last_error());
    if (gaz) { // with gazetteer features: learnt, saved with the word lists, loaded back
        m = tiny_model(&c, AX_NER_IOB2, gaz);
        test_gazetteers(&c, m);
        test_learns(&c, m);
        test_checkpoint(&c, m);
        ax_tagger_free(m);
    }
    test_constraints(&c);
    ax_ner_corpus_free(&c);
    return check_report();
}
