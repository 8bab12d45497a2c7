/* The linear-chain CRF (include/axon/crf.h): negative log-likelihood by the forward algorithm, its gradient by the
 * forward–backward algorithm, Viterbi decoding. Every sequence is independent: the loops run over the batch (in
 * parallel for big batches), each one a plain scan over time with no tensor op inside.
 *
 * Log-space with one exponential per tag and step: with A = max_i α_{t−1}[i] and τ = max trans,
 *   α_t[j] = logΣ_i exp(α_{t−1}[i] + trans[i, j]) + e[t, j] = A + τ + log Σ_i exp(α_{t−1}[i] − A)·E[i, j] + e[t, j]
 * where E = exp(trans − τ) is computed once per call, so a step is K exps, a K × K multiply-add and K logs.
 * The backward scan runs the same recursion from the end (β_{L−1} = end), giving the marginals
 *   p(y_t = j) = exp(α_t[j] + β_t[j] − log Z),  p(y_{t−1} = i, y_t = j) = exp(α_{t−1}[i] + trans[i, j] + e[t, j]
 *   + β_t[j] − log Z). */
#include "autograd/tape.h"
#include "axon/crf.h"
#include "ops/lanes.h"

#include <math.h>

typedef struct {
    int64_t B, T, K;   // batch, steps, tags
    const float *e;    // (B, T, K) emissions
    const float *start, *end, *trans; // (K), (K), (K, K)
    const int32_t *len; // (B) valid steps of each sequence
    double tau;        // max trans
    const double *E;   // (K, K) exp(trans − τ)
} crf_problem;

typedef struct {
    crf_problem p;       // the inputs, as in the forward pass
    const int32_t *tags; // (B, T) gold tags
    const double *alpha; // (B, T, K) forward log-scores α_t
    const double *log_z; // (B) log Z of each sequence
} crf_saved;

// the problem's inputs, checked; the float inputs must be contiguous
static crf_problem make_problem(const ax_tensor *e, const ax_tensor *lengths, const ax_tensor *start,
                                const ax_tensor *end, const ax_tensor *trans) {
    AX_ASSERT(e->ndim == 3, "crf: emissions %s must be (B, T, K)", ax_shape_str(e));
    int64_t B = e->shape[0], T = e->shape[1], K = e->shape[2];
    AX_ASSERT(B >= 1 && T >= 1 && K >= 1, "crf: empty emissions %s", ax_shape_str(e));
    AX_ASSERT(start->ndim == 1 && start->shape[0] == K && end->ndim == 1 && end->shape[0] == K,
              "crf: start %s and end %s must be (K) for emissions %s", ax_shape_str(start), ax_shape_str(end),
              ax_shape_str(e));
    AX_ASSERT(trans->ndim == 2 && trans->shape[0] == K && trans->shape[1] == K,
              "crf: transitions %s must be (K, K) for emissions %s", ax_shape_str(trans), ax_shape_str(e));
    AX_ASSERT(lengths->ndim == 1 && lengths->shape[0] == B && ax_is_contiguous(lengths),
              "crf: lengths %s must be contiguous (B) for emissions %s", ax_shape_str(lengths), ax_shape_str(e));
    const int32_t *len = ax_i32(lengths);
    for (int64_t b = 0; b < B; b++)
        AX_ASSERT(len[b] >= 1 && len[b] <= T, "crf: length %d of sequence %lld outside 1..%lld", (int)len[b],
                  (long long)b, (long long)T);
    crf_problem p = {B, T, K, ax_f32(e), ax_f32(start), ax_f32(end), ax_f32(trans), len, -INFINITY, NULL};
    for (int64_t i = 0; i < K * K; i++) p.tau = fmax(p.tau, p.trans[i]);
    double *E = ax_arena_alloc((size_t)(K * K) * sizeof *E);
    for (int64_t i = 0; i < K * K; i++) E[i] = exp(p.trans[i] - p.tau);
    p.E = E;
    return p;
}

static double max_of(const double *x, int64_t n) {
    double m = -INFINITY;
    for (int64_t i = 0; i < n; i++) m = fmax(m, x[i]);
    return m;
}

// out[j] = log Σ_i exp(x[i])·E[i, j] (+ the shift), via w (K) scratch: the log-space matrix-vector step
static void log_matvec(const crf_problem *p, const double *x, double *w, double *out, bool transposed) {
    int64_t K = p->K;
    double A = max_of(x, K);
    for (int64_t i = 0; i < K; i++) w[i] = exp(x[i] - A), out[i] = 0;
    if (transposed) // out[i] = Σ_j E[i, j]·w[j]
        for (int64_t i = 0; i < K; i++) {
            double s = 0;
            for (int64_t j = 0; j < K; j++) s += p->E[i * K + j] * w[j];
            out[i] = s;
        }
    else // out[j] = Σ_i w[i]·E[i, j]
        for (int64_t i = 0; i < K; i++)
            for (int64_t j = 0; j < K; j++) out[j] += w[i] * p->E[i * K + j];
    for (int64_t j = 0; j < K; j++) out[j] = A + p->tau + log(out[j]);
}

static double log_sum_exp(const double *x, const float *add, int64_t n) {
    double m = -INFINITY, s = 0;
    for (int64_t j = 0; j < n; j++) m = fmax(m, x[j] + add[j]);
    for (int64_t j = 0; j < n; j++) s += exp(x[j] + add[j] - m);
    return m + log(s);
}

// α of sequence b into alpha (T, K); returns log Z. w: K scratch
static double forward_seq(const crf_problem *p, int64_t b, double *alpha, double *w) {
    int64_t K = p->K, L = p->len[b];
    const float *e = p->e + b * p->T * K;
    for (int64_t j = 0; j < K; j++) alpha[j] = (double)p->start[j] + e[j];
    for (int64_t t = 1; t < L; t++) {
        double *a = alpha + t * K;
        log_matvec(p, a - K, w, a, false);
        for (int64_t j = 0; j < K; j++) a[j] += e[t * K + j];
    }
    return log_sum_exp(alpha + (L - 1) * K, p->end, K);
}

// s(y) of sequence b
static double gold_score(const crf_problem *p, const int32_t *tags, int64_t b) {
    int64_t K = p->K, L = p->len[b];
    const float *e = p->e + b * p->T * K;
    const int32_t *y = tags + b * p->T;
    double s = (double)p->start[y[0]] + p->end[y[L - 1]];
    for (int64_t t = 0; t < L; t++) s += e[t * K + y[t]];
    for (int64_t t = 1; t < L; t++) s += p->trans[y[t - 1] * K + y[t]];
    return s;
}

/* ---- backward ---- */

typedef struct {
    double *beta, *prev; // (K) β_t and β_{t−1}
    double *w, *u;       // (K) scratch
    double *dtrans;      // (K·K + 2K) this sequence's d trans, d start, d end (scaled by g)
} crf_scratch;

// ξ_t[i, j]·g into dtrans: exp(α_{t−1}[i] − A)·E[i, j]·exp(e[t, j] + β_t[j] − M)·exp(A + τ + M − log Z)·g
static void add_pair_marginals(const crf_problem *p, const double *a_prev, const float *e_t, double log_z, double g,
                               crf_scratch *s) {
    int64_t K = p->K;
    double A = max_of(a_prev, K), M = -INFINITY;
    for (int64_t j = 0; j < K; j++) M = fmax(M, e_t[j] + s->beta[j]);
    for (int64_t i = 0; i < K; i++) s->w[i] = exp(a_prev[i] - A);
    for (int64_t j = 0; j < K; j++) s->u[j] = exp(e_t[j] + s->beta[j] - M);
    double c = g * exp(A + p->tau + M - log_z);
    for (int64_t i = 0; i < K; i++)
        for (int64_t j = 0; j < K; j++) s->dtrans[i * K + j] += c * s->w[i] * p->E[i * K + j] * s->u[j];
}

// sequence b's gradients: d e straight into de (B, T, K), the transitions' into s->dtrans
static void backward_seq(const crf_saved *sv, int64_t b, double g, float *de, crf_scratch *s) {
    const crf_problem *p = &sv->p;
    int64_t K = p->K, T = p->T, L = p->len[b];
    const float *e = p->e + b * T * K;
    const int32_t *y = sv->tags + b * T;
    const double *alpha = sv->alpha + b * T * K;
    double log_z = sv->log_z[b], *dstart = s->dtrans + K * K, *dend = dstart + K;
    for (int64_t j = 0; j < K; j++) s->beta[j] = p->end[j];
    dend[y[L - 1]] -= g, dstart[y[0]] -= g;
    for (int64_t t = L - 1; t >= 0; t--) {
        for (int64_t j = 0; j < K; j++) {
            double m = g * exp(alpha[t * K + j] + s->beta[j] - log_z);
            if (de) de[(b * T + t) * K + j] += (float)(m - (y[t] == j ? g : 0.0));
            if (t == L - 1) dend[j] += m;
            if (t == 0) dstart[j] += m;
        }
        if (t == 0) break;
        add_pair_marginals(p, alpha + (t - 1) * K, e + t * K, log_z, g, s);
        s->dtrans[y[t - 1] * K + y[t]] -= g;
        // β_{t−1}[i] = log Σ_j E[i, j]·exp(e[t, j] + β_t[j]) + τ
        for (int64_t j = 0; j < K; j++) s->u[j] = e[t * K + j] + s->beta[j];
        log_matvec(p, s->u, s->w, s->prev, true);
        double *swap = s->beta;
        s->beta = s->prev, s->prev = swap;
    }
}

// the sum over the batch of the per-sequence transition gradients, in order (the same on any thread count)
static void reduce_into(ax_tensor *t, const double *per_seq, int64_t B, int64_t stride, int64_t offset, int64_t n) {
    float *d = ax_grad_buf(t);
    if (!d) return;
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int64_t b = 0; b < B; b++) s += per_seq[b * stride + offset + i];
        d[i] += (float)s;
    }
}

static void crf_backward(ax_node *nd) {
    const crf_saved *sv = nd->saved;
    const crf_problem *p = &sv->p;
    int64_t B = p->B, K = p->K, per = K * K + 2 * K;
    ax_reduction red = (ax_reduction)nd->iarg[0];
    const float *dy = nd->out->grad->data;
    float *de = ax_grad_buf(nd->in[0]);
    double *dtrans = ax_arena_alloc((size_t)(B * per) * sizeof *dtrans);
    double *work = ax_arena_alloc((size_t)(B * 4 * K) * sizeof *work);
#pragma omp parallel for if (B * p->T * K * K > AX_PAR_MIN)
    for (int64_t b = 0; b < B; b++) {
        double g = red == AX_REDUCE_NONE ? dy[b] : red == AX_REDUCE_MEAN ? dy[0] / (double)B : dy[0];
        double *wk = work + b * 4 * K;
        crf_scratch s = {wk, wk + K, wk + 2 * K, wk + 3 * K, dtrans + b * per};
        for (int64_t i = 0; i < per; i++) s.dtrans[i] = 0;
        backward_seq(sv, b, g, de, &s);
    }
    reduce_into(nd->in[3], dtrans, B, per, 0, K * K);
    reduce_into(nd->in[1], dtrans, B, per, K * K, K);
    reduce_into(nd->in[2], dtrans, B, per, K * K + K, K);
}

ax_tensor *ax_crf_nll(ax_tensor *emissions, const ax_tensor *tags, const ax_tensor *lengths, ax_tensor *start,
                      ax_tensor *end, ax_tensor *trans, ax_reduction reduction) {
    AX_ASSERT(reduction >= AX_REDUCE_MEAN && reduction <= AX_REDUCE_NONE, "crf: unknown reduction %d", (int)reduction);
    ax_tensor *e = ax_contiguous(emissions), *s0 = ax_contiguous(start), *s1 = ax_contiguous(end),
              *tr = ax_contiguous(trans);
    crf_saved *sv = ax_arena_alloc(sizeof *sv);
    sv->p = make_problem(e, lengths, s0, s1, tr);
    const crf_problem *p = &sv->p;
    int64_t B = p->B, T = p->T, K = p->K;
    AX_ASSERT(tags->ndim == 2 && tags->shape[0] == B && tags->shape[1] == T && ax_is_contiguous(tags),
              "crf: tags %s must be contiguous (B, T) for emissions %s", ax_shape_str(tags), ax_shape_str(e));
    sv->tags = ax_i32(tags);
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < p->len[b]; t++)
            AX_ASSERT(sv->tags[b * T + t] >= 0 && sv->tags[b * T + t] < K, "crf: tag %d at (%lld, %lld) outside 0..%lld",
                      (int)sv->tags[b * T + t], (long long)b, (long long)t, (long long)(K - 1));
    double *alpha = ax_arena_alloc((size_t)(B * T * K) * sizeof *alpha), *log_z = ax_arena_alloc((size_t)B * sizeof *log_z);
    double *work = ax_arena_alloc((size_t)(B * K) * sizeof *work);
    ax_tensor *nll = ax_empty(AX_SHAPE(B));
    float *out = nll->data;
#pragma omp parallel for if (B * T * K * K > AX_PAR_MIN)
    for (int64_t b = 0; b < B; b++) {
        log_z[b] = forward_seq(p, b, alpha + b * T * K, work + b * K);
        out[b] = (float)(log_z[b] - gold_score(p, sv->tags, b));
    }
    sv->alpha = alpha, sv->log_z = log_z;
    ax_tensor *y = nll;
    if (reduction != AX_REDUCE_NONE) {
        double sum = 0;
        for (int64_t b = 0; b < B; b++) sum += out[b];
        y = ax_scalar((float)(reduction == AX_REDUCE_MEAN ? sum / (double)B : sum));
    }
    ax_node *nd = AX_RECORD("crf_nll", crf_backward, y, e, s0, s1, tr);
    if (nd) nd->saved = sv, nd->iarg[0] = reduction;
    return y;
}

/* ---- Viterbi ---- */

// the best path of sequence b into path (T), −1 after its length; returns its score. delta: (K) ×2, bp: (T, K)
static double viterbi_seq(const crf_problem *p, int64_t b, double *delta, int32_t *bp, int32_t *path) {
    int64_t K = p->K, T = p->T, L = p->len[b];
    const float *e = p->e + b * T * K;
    double *cur = delta, *next = delta + K;
    for (int64_t j = 0; j < K; j++) cur[j] = (double)p->start[j] + e[j];
    for (int64_t t = 1; t < L; t++) {
        for (int64_t j = 0; j < K; j++) {
            double best = -INFINITY;
            int32_t arg = 0;
            for (int64_t i = 0; i < K; i++) {
                double v = cur[i] + p->trans[i * K + j];
                if (v > best) best = v, arg = (int32_t)i;
            }
            next[j] = best + e[t * K + j], bp[t * K + j] = arg;
        }
        double *swap = cur;
        cur = next, next = swap;
    }
    double best = -INFINITY;
    int32_t tag = 0;
    for (int64_t j = 0; j < K; j++)
        if (cur[j] + p->end[j] > best) best = cur[j] + p->end[j], tag = (int32_t)j;
    for (int64_t t = L - 1; t >= 0; t--) path[t] = tag, tag = t > 0 ? bp[t * K + tag] : tag;
    for (int64_t t = L; t < T; t++) path[t] = -1;
    return best;
}

ax_tensor *ax_crf_decode(ax_tensor *emissions, const ax_tensor *lengths, ax_tensor *start, ax_tensor *end,
                         ax_tensor *trans, float *scores) {
    bool prev = ax_set_grad_enabled(false);
    ax_tensor *e = ax_contiguous(emissions), *s0 = ax_contiguous(start), *s1 = ax_contiguous(end),
              *tr = ax_contiguous(trans);
    ax_set_grad_enabled(prev);
    crf_problem p = make_problem(e, lengths, s0, s1, tr);
    int64_t B = p.B, T = p.T, K = p.K;
    ax_tensor *path = ax_empty_dtype(AX_I32, AX_SHAPE(B, T));
    double *delta = ax_arena_alloc((size_t)(B * 2 * K) * sizeof *delta);
    int32_t *bp = ax_arena_alloc((size_t)(B * T * K) * sizeof *bp), *out = path->data;
#pragma omp parallel for if (B * T * K * K > AX_PAR_MIN)
    for (int64_t b = 0; b < B; b++) {
        double s = viterbi_seq(&p, b, delta + b * 2 * K, bp + b * T * K, out + b * T);
        if (scores) scores[b] = (float)s;
    }
    return path;
}
