/* The next-token sampler: greedy, repetition penalty, temperature, top-k, top-p, seeds, bad settings.
 * Distributions are checked by drawing many times: with N = 40000 draws a frequency's standard error is
 * ≤ 0.0025, so 0.015 is a 6-sigma bound. */
#include "check.h"

#include <math.h>
#include <string.h>

#define N_DRAWS 40000
#define FREQ_TOL 0.015

static ax_sampler make(float temperature, int top_k, float top_p, float penalty, int vocab, uint64_t seed) {
    ax_sampler s;
    ax_sampler_config c = {.temperature = temperature, .top_k = top_k, .top_p = top_p, .repetition_penalty = penalty};
    int rc = ax_sampler_init(&s, &c, vocab, seed);
    AX_ASSERT(rc == AX_OK, "%s", ax_last_error());
    return s;
}

// frequencies of N_DRAWS samples from logits (V ≤ 8)
static void frequencies(ax_sampler *s, const float *logits, double *freq) {
    memset(freq, 0, (size_t)s->vocab * sizeof *freq);
    for (int i = 0; i < N_DRAWS; i++) freq[ax_sample(s, logits, NULL, 0)] += 1.0 / N_DRAWS;
}

// softmax(logits / t) over the tokens where keep[i], as doubles
static void expected(const float *logits, const bool *keep, int V, double t, double *p) {
    double total = 0;
    for (int i = 0; i < V; i++) total += p[i] = keep[i] ? exp(logits[i] / t) : 0.0;
    for (int i = 0; i < V; i++) p[i] /= total;
}

static void check_freq(const double *freq, const double *want, int V, const char *what) {
    for (int i = 0; i < V; i++)
        CHECK(fabs(freq[i] - want[i]) <= FREQ_TOL && (want[i] > 0 || freq[i] == 0), "%s: token %d drawn %.4f, want %.4f",
              what, i, freq[i], want[i]);
}

static const float logits4[4] = {logf(0.4f), logf(0.3f), logf(0.2f), logf(0.1f)}; // probabilities .4 .3 .2 .1

static void test_greedy_and_penalty(void) {
    const float lg[4] = {2.0f, 1.9f, -0.5f, -0.6f};
    ax_sampler s = make(0.0f, 0, 1.0f, 1.0f, 4, 1);
    CHECK(ax_sample(&s, lg, NULL, 0) == 0, "greedy picks the argmax");
    ax_sampler_free(&s);
    s = make(0.0f, 0, 1.0f, 1.2f, 4, 1);
    const int32_t hist[] = {0, 0, 0};
    CHECK(ax_sample(&s, lg, hist, 3) == 1, "2.0 / 1.2 < 1.9: the penalty moves greedy to token 1 (once per token)");
    const int32_t hist2[] = {0, 1, 2};
    CHECK(ax_sample(&s, lg, hist2, 3) == 0, "2.0 / 1.2 > 1.9 / 1.2: both penalised, token 0 again");
    const float neg[2] = {-1.0f, -1.1f};
    ax_sampler s2 = make(0.0f, 0, 1.0f, 1.2f, 2, 1);
    const int32_t h0[] = {0};
    CHECK(ax_sample(&s2, neg, h0, 1) == 1, "a negative logit is multiplied: −1.2 < −1.1");
    CHECK(lg[0] == 2.0f, "logits are not modified");
    ax_sampler_free(&s);
    ax_sampler_free(&s2);
}

static void test_distributions(void) {
    double freq[4], want[4];
    const bool all[4] = {true, true, true, true};
    ax_sampler s = make(1.0f, 0, 1.0f, 1.0f, 4, 42);
    frequencies(&s, logits4, freq);
    expected(logits4, all, 4, 1.0, want);
    check_freq(freq, want, 4, "temperature 1");
    ax_sampler_free(&s);

    s = make(0.5f, 0, 1.0f, 1.0f, 4, 43);
    frequencies(&s, logits4, freq);
    expected(logits4, all, 4, 0.5, want);
    check_freq(freq, want, 4, "temperature 0.5");
    ax_sampler_free(&s);

    s = make(1.0f, 2, 1.0f, 1.0f, 4, 44);
    frequencies(&s, logits4, freq);
    expected(logits4, (const bool[]){true, true, false, false}, 4, 1.0, want);
    check_freq(freq, want, 4, "top-k 2");
    ax_sampler_free(&s);

    // top-p 0.5: token 1 has 0.4 < 0.5 of mass above it (kept), token 2 has 0.7 (dropped)
    s = make(1.0f, 0, 0.5f, 1.0f, 4, 45);
    frequencies(&s, logits4, freq);
    check_freq(freq, want, 4, "top-p 0.5");
    ax_sampler_free(&s);

    // top-p 0.75 after top-k 3: renormalised over .4 .3 .2 → .444 .333 .222, mass above token 2 is .78 ≥ .75
    s = make(1.0f, 3, 0.75f, 1.0f, 4, 46);
    frequencies(&s, logits4, freq);
    check_freq(freq, want, 4, "top-k 3 then top-p 0.75");
    ax_sampler_free(&s);

    s = make(1.0f, 1, 1.0f, 1.0f, 4, 47);
    frequencies(&s, logits4, freq);
    CHECK(freq[0] > 1.0 - 1e-9, "top-k 1 is greedy");
    ax_sampler_free(&s);
}

static void test_seeds_and_errors(void) {
    ax_sampler a = make(1.0f, 0, 1.0f, 1.0f, 4, 9), b = make(1.0f, 0, 1.0f, 1.0f, 4, 9), c = make(1.0f, 0, 1.0f, 1.0f, 4, 10);
    bool same = true, differs = false;
    for (int i = 0; i < 64; i++) {
        int32_t x = ax_sample(&a, logits4, NULL, 0), y = ax_sample(&b, logits4, NULL, 0), z = ax_sample(&c, logits4, NULL, 0);
        same = same && x == y;
        differs = differs || x != z;
    }
    CHECK(same && differs, "a seed fixes the draws, another seed changes them");
    ax_sampler_free(&a);
    ax_sampler_free(&b);
    ax_sampler_free(&c);
    ax_sampler s;
    const ax_sampler_config bad[] = {
        {.temperature = -1.0f, .top_p = 1.0f, .repetition_penalty = 1.0f},
        {.temperature = 1.0f, .top_k = -2, .top_p = 1.0f, .repetition_penalty = 1.0f},
        {.temperature = 1.0f, .top_p = 0.0f, .repetition_penalty = 1.0f},
        {.temperature = 1.0f, .top_p = 1.5f, .repetition_penalty = 1.0f},
        {.temperature = 1.0f, .top_p = 1.0f, .repetition_penalty = 0.0f},
    };
    const char *words[] = {"temperature", "top-k", "top-p", "top-p", "repetition penalty"};
    for (int i = 0; i < 5; i++)
        CHECK(ax_sampler_init(&s, &bad[i], 4, 1) == AX_ERR && strstr(ax_last_error(), words[i]), "bad %s: %s", words[i],
              ax_last_error());
}

int main(void) {
    test_greedy_and_penalty();
    test_distributions();
    test_seeds_and_errors();
    return check_report();
}
