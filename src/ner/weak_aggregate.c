/* Aggregating labelling-function votes: majority vote, and the Dawid–Skene label model fitted by EM.
 *
 * Dawid–Skene treats an abstention as one more answer (column K of each confusion row): an LF that labels
 * nearly every O token O (or never names a common word) tells by abstaining that a token is likely an entity,
 * and the model learns how much that is worth. Without it the large O prior erases every entity that only one
 * or two LFs find. */
#include "axon/ner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DS_DIAG_PRIOR 1.0 // Dirichlet pseudo-counts of a confusion row: on the diagonal ...
#define DS_OFF_PRIOR 0.1  // ... and elsewhere (an LF is presumed better than chance)

// majority vote of token i's votes; ties go to the class of the first (most precise) LF among the tied ones
static int32_t majority(const int8_t *v, int n_lfs, int n_classes, int *count) {
    memset(count, 0, (size_t)n_classes * sizeof *count);
    int best = -1;
    for (int j = 0; j < n_lfs; j++)
        if (v[j] >= 0 && v[j] < n_classes) count[v[j]]++;
    for (int j = 0; j < n_lfs; j++)
        if (v[j] >= 0 && v[j] < n_classes && (best < 0 || count[v[j]] > count[best])) best = v[j];
    return best < 0 ? 0 : best;
}

// the column of a vote in a confusion row: the class, or K for an abstention (or a vote out of range)
static int answer(int8_t v, int K) { return v >= 0 && v < K ? v : K; }

// M step: class priors and per-LF confusion rows conf[j][k][l] = P(LF j answers l | class k), l = K: abstains

static void m_step(const int8_t *votes, int64_t n, int n_lfs, int K, const double *T, double *prior, double *conf) {
    for (int k = 0; k < K; k++) prior[k] = 1.0;
    for (int j = 0; j < n_lfs; j++)
        for (int k = 0; k < K; k++)
            for (int l = 0; l <= K; l++) conf[((size_t)j * K + k) * (K + 1) + l] = k == l ? DS_DIAG_PRIOR : DS_OFF_PRIOR;
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < K; k++) {
            double t = T[i * K + k];
            prior[k] += t;
            for (int j = 0; j < n_lfs; j++) {
                int8_t v = votes[i * n_lfs + j];
                conf[((size_t)j * K + k) * (K + 1) + answer(v, K)] += t;
            }
        }
    double total = 0;
    for (int k = 0; k < K; k++) total += prior[k];
    for (int k = 0; k < K; k++) prior[k] = log(prior[k] / total);
    for (size_t r = 0; r < (size_t)n_lfs * K; r++) { // rows to log probabilities
        double s = 0;
        for (int l = 0; l <= K; l++) s += conf[r * (K + 1) + l];
        for (int l = 0; l <= K; l++) conf[r * (K + 1) + l] = log(conf[r * (K + 1) + l] / s);
    }
}

// E step: T[i] ∝ prior · Π_j conf[j][·][answer_ij] (log space)
static void e_step(const int8_t *votes, int64_t n, int n_lfs, int K, const double *prior, const double *conf, double *T) {
    for (int64_t i = 0; i < n; i++) {
        double *t = T + i * K, top = -INFINITY, s = 0;
        for (int k = 0; k < K; k++) {
            t[k] = prior[k];
            for (int j = 0; j < n_lfs; j++) t[k] += conf[((size_t)j * K + k) * (K + 1) + answer(votes[i * n_lfs + j], K)];
            if (t[k] > top) top = t[k];
        }
        for (int k = 0; k < K; k++) s += t[k] = exp(t[k] - top);
        for (int k = 0; k < K; k++) t[k] /= s;
    }
}

// Dawid–Skene from the majority vote in out; out receives the most probable class of every token
static void dawid_skene(const int8_t *votes, int64_t n, int n_lfs, int K, int iters, int32_t *out) {
    double *T = calloc((size_t)n * K, sizeof *T), *prior = malloc((size_t)K * sizeof *prior);
    double *conf = malloc((size_t)n_lfs * K * (K + 1) * sizeof *conf);
    if (!T || !prior || !conf) iters = 0; // out of memory: keep the majority vote
    for (int64_t i = 0; T && i < n; i++) T[i * K + out[i]] = 1.0;
    for (int it = 0; it < iters; it++) {
        m_step(votes, n, n_lfs, K, T, prior, conf);
        e_step(votes, n, n_lfs, K, prior, conf, T);
    }
    for (int64_t i = 0; i < n && iters > 0; i++) {
        int best = 0;
        for (int k = 1; k < K; k++)
            if (T[i * K + k] > T[i * K + best]) best = k;
        out[i] = best;
    }
    free(T);
    free(prior);
    free(conf);
}

void ax_weak_aggregate_votes(const int8_t *votes, int64_t n_tokens, int n_lfs, int n_classes, ax_weak_aggregate how,
                             int iters, int32_t *out) {
    int count[128];
    for (int64_t i = 0; i < n_tokens; i++) out[i] = majority(votes + i * n_lfs, n_lfs, n_classes, count);
    if (how == AX_WEAK_DAWID_SKENE) dawid_skene(votes, n_tokens, n_lfs, n_classes, iters, out);
}
