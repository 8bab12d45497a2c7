/* BLEU, sentence BLEU, chrF and chrF++ against the scores sacreBLEU 2.5.1 gives for tests/fixtures/mt-metrics
 * (every number to 0.01, n-gram counts exactly), the 13a tokeniser on known cases, and `axon bleu`. */
#include "check.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MT_DIR AX_FIXTURE_DIR "/mt-metrics"

static cJSON *load_scores(void) {
    char *text;
    size_t len;
    if (ax_read_file(MT_DIR "/scores.json", 1 << 20, (void **)&text, &len) != AX_OK) {
        fprintf(stderr, "cannot read %s/scores.json\n", MT_DIR);
        exit(1);
    }
    cJSON *j = cJSON_ParseWithLength(text, len);
    free(text);
    if (!j) exit(1);
    return j;
}

static double num(const cJSON *c, const char *key) { return cJSON_GetObjectItem(c, key)->valuedouble; }

static void check_case(const cJSON *c) {
    const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
    char hp[512], rp[512];
    snprintf(hp, sizeof hp, MT_DIR "/%s.hyp", name);
    snprintf(rp, sizeof rp, MT_DIR "/%s.ref", name);
    char **hyp, **ref;
    int64_t nh, nr;
    if (!CHECK(ax_segments_read(hp, &hyp, &nh) == AX_OK && ax_segments_read(rp, &ref, &nr) == AX_OK && nh == nr,
               "%s: read %lld / %lld lines", name, (long long)nh, (long long)nr))
        return;
    ax_bleu b = ax_corpus_bleu((const char *const *)hyp, (const char *const *)ref, nh);
    CHECK_NEAR(b.score, num(c, "bleu"), 1e-9); // the brief asks for 0.01; we match to rounding
    CHECK_NEAR(b.bp, num(c, "bp"), 1e-4);
    CHECK(b.stats.sys_len == (int64_t)num(c, "sys_len") && b.stats.ref_len == (int64_t)num(c, "ref_len"),
          "%s: lengths %lld %lld", name, (long long)b.stats.sys_len, (long long)b.stats.ref_len);
    for (int n = 0; n < AX_BLEU_ORDER; n++) {
        int64_t want_c = (int64_t)cJSON_GetArrayItem(cJSON_GetObjectItem(c, "bleu_counts"), n)->valuedouble;
        int64_t want_t = (int64_t)cJSON_GetArrayItem(cJSON_GetObjectItem(c, "bleu_totals"), n)->valuedouble;
        CHECK(b.stats.correct[n] == want_c && b.stats.total[n] == want_t, "%s: %d-grams %lld/%lld, want %lld/%lld",
              name, n + 1, (long long)b.stats.correct[n], (long long)b.stats.total[n], (long long)want_c,
              (long long)want_t);
    }
    CHECK_NEAR(ax_corpus_chrf((const char *const *)hyp, (const char *const *)ref, nh, 0), num(c, "chrf"), 1e-9);
    CHECK_NEAR(ax_corpus_chrf((const char *const *)hyp, (const char *const *)ref, nh, 2), num(c, "chrfpp"), 1e-9);
    const cJSON *sb = cJSON_GetObjectItem(c, "sentence_bleu");
    CHECK(cJSON_GetArraySize(sb) == nh, "%s: %d sentence scores for %lld lines", name, cJSON_GetArraySize(sb),
          (long long)nh);
    int bad = 0;
    for (int64_t i = 0; i < nh && i < cJSON_GetArraySize(sb); i++) {
        double got = ax_sentence_bleu(hyp[i], ref[i]), want = cJSON_GetArrayItem(sb, (int)i)->valuedouble;
        if (fabs(got - want) > 1e-6 && bad++ < 5) // the fixture has 6 decimals
            printf("  %s line %lld: sentence BLEU %.6f, want %.6f\n", name, (long long)i + 1, got, want);
    }
    CHECK(bad == 0, "%s: %d sentence BLEU scores differ", name, bad);
    const char *sig = cJSON_GetObjectItem(c, "signature")->valuestring, *ver = strstr(sig, "version:");
    CHECK(ver && strncmp(sig, ax_bleu_signature(), (size_t)(ver - sig)) == 0, "signature %s, want %s",
          ax_bleu_signature(), sig);
    ax_segments_free(hyp, nh);
    ax_segments_free(ref, nr);
}

static void check_tok(const char *in, const char *want) {
    char *got = ax_tok13a(in);
    CHECK(strcmp(got, want) == 0, "13a(\"%s\") = \"%s\", want \"%s\"", in, got, want);
    free(got);
}

static void test_tok13a(void) {
    check_tok("The U.S.A. paid $3,000.50 on 2024-01-05.", "The U . S . A . paid $ 3,000.50 on 2024 - 01 - 05 .");
    check_tok("Hello, world!", "Hello , world !");
    check_tok("It's a dog's life -- isn't it?", "It's a dog's life -- isn't it ?");
    check_tok("&quot;a&quot; &amp;lt; b  ", "\" a \" < b"); // &amp; is unescaped before &lt;
    check_tok("x<skipped>y", "xy");
    check_tok("a..b", "a . . b");
    check_tok("\xc3\xa9.\xc3\xa9 1.5 .7", "\xc3\xa9 . \xc3\xa9 1.5 . 7"); // a period after a space is split
    check_tok("  \xe3\x80\x80wide\xc2\xa0space\t ", "wide space");
    check_tok("", "");
    check_tok("\xff\xe3\x80.x", "\xff\xe3\x80 . x"); // invalid / truncated UTF-8: bytes pass through
}

static void test_bleu_edge(void) {
    ax_bleu_stats s;
    ax_bleu_segment_stats("", "", &s);
    ax_bleu b = ax_bleu_from_stats(&s, false);
    CHECK(b.score == 0 && b.stats.sys_len == 0 && b.ratio == 0, "empty pair: BLEU %g", b.score);
    CHECK_NEAR(ax_sentence_bleu("a cat", "a cat"), 100.0, 1e-9); // effective order: only 1- and 2-grams
    CHECK_NEAR(ax_sentence_bleu("the cat sat", "the dog sat"), 100 * cbrt(2.0 / 3 / 4 / 4), 1e-9);
    // 1-grams 2/3; no 2- or 3-gram matches: exp smoothing gives 100/(2·2) and 100/(4·1) percent
    char line[256];
    b = (ax_bleu){.score = 45.710174, .precisions = {81.2, 55.0, 40.14, 30.24}, .bp = 1, .ratio = 1.0123,
                  .stats = {.sys_len = 10, .ref_len = 9}};
    ax_bleu_format(&b, line, sizeof line);
    CHECK(strcmp(line, "BLEU = 45.71 81.2/55.0/40.1/30.2 (BP = 1.000 ratio = 1.012 hyp_len = 10 ref_len = 9)") == 0,
          "format: %s", line);
    ax_chrf_stats cs;
    ax_chrf_segment_stats("\xe3\x80 ab\xff", "ab \xe3", 2, &cs); // broken UTF-8: each stray byte is a character
    CHECK(cs.hyp[0] == 5 && cs.ref[0] == 3 && cs.match[0] == 3, "chrF on broken UTF-8: %lld %lld %lld",
          (long long)cs.hyp[0], (long long)cs.ref[0], (long long)cs.match[0]);
    ax_chrf_name(2, line, sizeof line);
    CHECK(strcmp(line, "chrF2++") == 0, "chrF++ name %s", line);
}

static void test_cli(void) {
    char out[8192], cmd[2048];
    const char *bin = check_axon_bin();
    snprintf(cmd, sizeof cmd, "%s bleu %s/public_noise50.hyp %s/public_noise50.ref --chrf-word-order 2", bin, MT_DIR,
             MT_DIR);
    int rc = check_run(cmd, out, sizeof out);
    CHECK(rc == 0 && strstr(out, "BLEU = 45.71 87.6/61.3/44.4/31.6 (BP = 0.872 ratio = 0.880 hyp_len = 2425 "
                                 "ref_len = 2757)") &&
              strstr(out, "chrF2 = 69.08") && strstr(out, "chrF2++ = 68.29") &&
              strstr(out, "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:"),
          "axon bleu: rc %d\n%s", rc, out);
    snprintf(cmd, sizeof cmd, "%s bleu %s/public_noise50.hyp %s/public_noise50.ref --json", bin, MT_DIR, MT_DIR);
    rc = check_run(cmd, out, sizeof out);
    cJSON *j = rc == 0 ? cJSON_Parse(out) : NULL;
    const cJSON *first = j ? cJSON_GetArrayItem(j, 0) : NULL;
    CHECK(first && fabs(cJSON_GetObjectItem(first, "score")->valuedouble - 45.71) < 0.01, "axon bleu --json: %s",
          out);
    cJSON_Delete(j);
    snprintf(cmd, sizeof cmd, "%s bleu %s/public_noise20.hyp %s/public_noise20.ref --sentence", bin, MT_DIR, MT_DIR);
    CHECK(check_run(cmd, out, sizeof out) == 0 && strncmp(out, "1\t71.79\n2\t69.98\n", 16) == 0,
          "--sentence prints each line's BLEU first: %.200s", out);
    snprintf(cmd, sizeof cmd, "%s bleu %s/public_edge.hyp %s/public_noise50.ref", bin, MT_DIR, MT_DIR);
    CHECK(check_run(cmd, out, sizeof out) == 1 && strstr(out, "axon: "), "line count mismatch: %s", out);
    snprintf(cmd, sizeof cmd, "%s bleu %s/missing.hyp %s/public_noise50.ref", bin, MT_DIR, MT_DIR);
    CHECK(check_run(cmd, out, sizeof out) == 1 && strstr(out, "missing.hyp"), "missing file: %s", out);
    snprintf(cmd, sizeof cmd, "%s bleu %s/public_edge.hyp", bin, MT_DIR);
    CHECK(check_run(cmd, out, sizeof out) == 2, "one file: %s", out);
}

int main(void) {
    test_tok13a();
    test_bleu_edge();
    cJSON *j = load_scores();
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(j, "cases")) check_case(c);
    cJSON_Delete(j);
    test_cli();
    return check_report();
}
