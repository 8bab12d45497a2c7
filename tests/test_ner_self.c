/* Self-training (`axon train ner --self-train`, src/cli/train_ner_self.c): the sentence confidence
 * ax_tagger_decode_prob against brute-force enumeration of every allowed tag sequence (padded batch, random CRF);
 * a tiny run whose tagger labels held-out sentences (--unlabelled): the kept count per round, the labels written, a
 * threshold that keeps none; self-training on the training sentences themselves; bad options. */
#include "check.h"
#include "ner_sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char tmp_dir[64];  // scratch directory for this run
static char out[1 << 16]; // the last command's output

#define tmp_path(name) check_join(tmp_dir, name)
#define run(...) check_axon(out, sizeof out, __VA_ARGS__)

/* ---- the confidence: p(y*) = exp(s(y*) − log Z) over the scheme's allowed sequences ---------------------------- */

static const char *const S0[] = {"Elizabeth", "went", "to", "London"};
static const char *const S1[] = {"Mr.", "Darcy"};

static ax_tagger *tiny_model(void) {
    ax_ner_corpus c;
    ax_ner_corpus_init(&c);
    CHECK(ax_ner_corpus_add(&c, S0, 4, NULL, 0, NULL) == AX_OK && ax_ner_corpus_add(&c, S1, 2, NULL, 0, NULL) == AX_OK,
          "corpus");
    ax_vocab *words, *chars;
    ax_tagger_vocab_build(&c, 1, &words, &chars);
    ax_ner_corpus_free(&c);
    ax_tagset ts;
    ax_tagset_init(&ts, AX_NER_IOB2);
    ax_tagset_add_type(&ts, "PER");
    ax_tagger_config cfg = {.words = ax_vocab_size(words), .chars = ax_vocab_size(chars), .word_dim = 8,
                            .case_dim = 2, .char_dim = 4, .char_hidden = 4, .hidden = 8, .layers = 1,
                            .dropout = 0.0f, .max_word_chars = 8};
    ax_manual_seed(11);
    ax_tagger *m = ax_tagger_new(&cfg, &ts, words, chars, NULL);
    ax_tensor *crf[] = {m->crf.start, m->crf.end, m->crf.trans};
    for (int k = 0; k < 3; k++) // scores far from uniform so the probabilities differ
        for (int64_t i = 0; i < ax_numel(crf[k]); i++) ax_f32(crf[k])[i] = (float)(1.5 * sin(3.0 * (double)i + k));
    return m;
}

// log Z and the best score over the allowed tag sequences of the n steps of emissions e (n, K), by enumeration
static void brute_force(const ax_tagger *m, const float *e, int n, double *log_z, double *best, int32_t *best_y) {
    int K = ax_tagset_size(&m->tags);
    const float *st = ax_f32(m->crf.start), *en = ax_f32(m->crf.end), *tr = ax_f32(m->crf.trans);
    double z = 0;
    *best = -INFINITY;
    int total = 1, y[8];
    for (int i = 0; i < n; i++) total *= K;
    for (int code = 0; code < total; code++) {
        bool ok = true;
        for (int i = 0, c = code; i < n; i++, c /= K) y[i] = c % K;
        for (int i = 0; i <= n; i++) ok = ok && ax_tagset_allowed(&m->tags, i ? y[i - 1] : -1, i < n ? y[i] : -1);
        if (!ok) continue;
        double s = st[y[0]] + en[y[n - 1]];
        for (int i = 0; i < n; i++) s += e[i * K + y[i]] + (i ? tr[y[i - 1] * K + y[i]] : 0);
        z += exp(s);
        if (s > *best)
            for (int i = 0; i < n; i++) best_y[i] = y[i];
        *best = fmax(*best, s);
    }
    *log_z = log(z);
}

static void test_confidence(void) {
    ax_tagger *m = tiny_model();
    const char *const *toks[2] = {S0, S1};
    int n[2] = {4, 2};
    ax_tagger_batch b = ax_tagger_make_batch(m, toks, n, NULL, 2);
    double prob[2];
    const int32_t *path = ax_i32(ax_tagger_decode_prob(m, &b, prob));
    const float *e = ax_f32(ax_contiguous(ax_tagger_emissions(m, &b, false)));
    int K = ax_tagset_size(&m->tags);
    for (int s = 0; s < 2; s++) {
        double log_z, best;
        int32_t y[8];
        brute_force(m, e + s * b.T * K, n[s], &log_z, &best, y);
        double want = exp(best - log_z);
        CHECK(fabs(prob[s] - want) <= 1e-5 * want, "sentence %d: p(y*) %.9g, by enumeration %.9g", s, prob[s], want);
        CHECK(prob[s] > 0 && prob[s] < 0.99, "sentence %d: a probability away from 0 and 1 (%g)", s, prob[s]);
        for (int i = 0; i < n[s]; i++) CHECK(path[s * b.T + i] == y[i], "sentence %d step %d: the best path", s, i);
    }
    CHECK(path[1 * b.T + 2] == -1, "padding decodes to -1");
    double again[2];
    ax_tagger_decode_prob(m, &b, again);
    CHECK(again[0] == prob[0] && again[1] == prob[1], "deterministic");
    ax_arena_reset();
    ax_tagger_free(m);
}

/* ---- the command ------------------------------------------------------------------------------------------------ */

#define TINY                                                                                                           \
    "--word-dim 16 --case-dim 4 --char-dim 8 --char-hidden 8 --hidden 16 --epochs 25 --batch-size 2 --min-freq 1 "    \
    "--lr 2e-2 --dropout 0 --threads 1 --quiet"

static const char *const TRAIN = NER_SAMPLE_TRAIN;
// held-out sentences of known words; their tags (all O) are ignored
static const char *const POOL = "Jane O\nwent O\nto O\nLondon O\n. O\n\nDarcy O\nsaw O\nElizabeth O\n. O\n\n";

static void write_file(const char *path, const char *text) {
    FILE *fp = fopen(path, "w");
    CHECK(fp && fputs(text, fp) >= 0 && fclose(fp) == 0, "writing %s", path);
}

// the number of metrics.jsonl lines of checkpoint dir that say "kept": k
static int rounds_keeping(const char *dir, int k) {
    char *m = check_slurp(check_join(dir, "metrics.jsonl")), needle[32];
    snprintf(needle, sizeof needle, "\"kept\": %d,", k);
    int n = 0;
    for (const char *p = m; p && (p = strstr(p, needle)); p++) n++;
    free(m);
    return n;
}

static void test_unlabelled(void) {
    int rc = run("train ner --data %s --valid %s --out %s " TINY " --self-train 2 --self-epochs 3 --confidence 0.5 "
                 "--unlabelled %s --json", tmp_path("train.conll"), tmp_path("train.conll"), tmp_path("ck"),
                 tmp_path("pool.conll"));
    CHECK(rc == 0 && strstr(out, "\"epochs\":31"), "25 + 2 x 3 epochs (exit %d): %s", rc, out);
    CHECK(rounds_keeping(tmp_path("ck"), 2) == 2, "both held-out sentences kept in both rounds");
    char *kept = check_slurp(tmp_path("ck/self-labelled.conll"));
    CHECK(kept && strcmp(kept, "Jane B-PER\nwent O\nto O\nLondon B-LOC\n. O\n\nDarcy B-PER\nsaw O\nElizabeth B-PER\n. O\n\n") == 0,
          "the held-out sentences as the tagger labelled them: %s", kept ? kept : "(missing)");
    free(kept);
    rc = run("tag --ckpt %s --text 'Darcy saw Jane.' --inline", tmp_path("ck"));
    CHECK(rc == 0 && strcmp(out, "[Darcy]PER saw [Jane]PER .\n") == 0, "the self-trained checkpoint tags: %s", out);
    // a threshold no sentence reaches: nothing kept, nothing written but the empty file
    rc = run("train ner --data %s --valid %s --out %s " TINY " --epochs 3 --self-train 1 --self-epochs 1 --confidence 1 "
             "--unlabelled %s", tmp_path("train.conll"), tmp_path("train.conll"), tmp_path("ck1"), tmp_path("pool.conll"));
    kept = check_slurp(tmp_path("ck1/self-labelled.conll"));
    CHECK(rc == 0 && rounds_keeping(tmp_path("ck1"), 0) == 1 && kept && !*kept, "--confidence 1 keeps none (exit %d)", rc);
    free(kept);
}

static void test_replace(void) {
    int rc = run("train ner --data %s --valid %s --out %s " TINY " --self-train 1 --self-epochs 1 --confidence 0",
                 tmp_path("train.conll"), tmp_path("train.conll"), tmp_path("ck2"));
    char *m = check_slurp(tmp_path("ck2/metrics.jsonl")), *kept = check_slurp(tmp_path("ck2/self-labelled.conll"));
    CHECK(rc == 0 && m && strstr(m, "\"round\": 1, \"pool_sentences\": 5, \"kept\": 5,"),
          "without --unlabelled the 5 training sentences are the pool (exit %d)", rc);
    CHECK(kept && strncmp(kept, "Elizabeth B-PER\nwent O\nto O\nLondon B-LOC\n", 41) == 0, "relabelled: %s",
          kept ? kept : "(missing)");
    free(m), free(kept);
}

static void expect_fail(int code, const char *needle, const char *what, int rc) {
    CHECK(rc == code && strncmp(out, "axon: ", 6) == 0 && strchr(out, '\n') == out + strlen(out) - 1 &&
              strstr(out, needle),
          "%s: exit %d, %s", what, rc, out);
}

static void test_bad_options(void) {
    const char *d = tmp_path("train.conll");
    expect_fail(2, "--confidence", "--confidence 2", run("train ner --data %s --self-train 1 --confidence 2", d));
    expect_fail(2, "--self-train", "--self-train -1", run("train ner --data %s --self-train -1", d));
    expect_fail(2, "needs --self-train", "--unlabelled alone", run("train ner --data %s --unlabelled %s", d, d));
    expect_fail(1, "missing.conll", "a missing --unlabelled",
                run("train ner --data %s --out %s " TINY " --epochs 1 --self-train 1 --unlabelled %s", d,
                    tmp_path("ck3"), tmp_path("missing.conll")));
}

int main(void) {
    test_confidence();
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/axon_ner_self_XXXXXX");
    CHECK(mkdtemp(tmp_dir) != NULL, "mkdtemp");
    write_file(tmp_path("train.conll"), TRAIN);
    write_file(tmp_path("pool.conll"), POOL);
    test_unlabelled();
    test_replace();
    test_bad_options();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_dir);
    CHECK(system(cmd) == 0, "cleanup");
    return check_report();
}
