/* The linear-chain CRF (include/axon/crf.h): the negative log-likelihood and the gradients of the emissions and the
 * three transition tensors against PyTorch (pytorch-crf's algorithm, padded batches, every reduction, one tag,
 * transposed inputs, emissions ~30), finite differences, log Z and Viterbi against brute-force enumeration of every
 * tag sequence, marginals that sum to one, zero gradient on padding, the same bits on 1 and 4 threads, the layer's
 * parameter names, and aborts on bad lengths, tags and shapes. */
#include "abort_check.h"
#include "check.h"
#include "op_check.h"
#include "op_values.h"

#include <math.h>
#include <string.h>

typedef struct {
    fx *f;              // the fixture
    const char *c;      // case name
    ax_tensor *tags;    // I32 (B, T)
    ax_tensor *lengths; // I32 (B)
    ax_reduction red;   // reduction
} crf_case;

static ax_tensor *run_nll(ax_tensor **in, void *ctx) {
    crf_case *k = ctx;
    return ax_crf_nll(fx_view(k->f, k->c, "e", in[0]), k->tags, k->lengths, in[1], in[2],
                      fx_view(k->f, k->c, "trans", in[3]), k->red);
}

static const char *const NAMES[] = {"e", "start", "end", "trans"};

static crf_case load(fx *f, const char *c) {
    return (crf_case){f, c, fx_get(f, c, "tags"), fx_get(f, c, "lengths"), (ax_reduction)fx_num(f, c, "reduction")};
}

static void test_fixtures(fx *f) {
    static const char *cases[] = {"nll_mean", "nll_sum", "nll_none", "nll_full", "nll_one_tag", "nll_T", "nll_tags9"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        crf_case k = load(f, cases[i]);
        check_op_case(f, cases[i], run_nll, &k, NAMES, 4);
    }
    // emissions ~30: log-likelihoods of ~100 whose float32 rounding swamps central differences: values only
    crf_case k = load(f, "nll_large");
    check_op_values(f, "nll_large", run_nll, &k, NAMES, 4, FP32_RTOL, FP32_ATOL);
}

// log Z − s(tags) and the Viterbi path against every tag sequence enumerated
static void test_brute_force(fx *f) {
    const char *c = "brute";
    ax_tensor *e = fx_get(f, c, "e"), *start = fx_get(f, c, "start"), *end = fx_get(f, c, "end"),
              *trans = fx_get(f, c, "trans"), *lengths = fx_get(f, c, "lengths");
    ax_tensor *nll = ax_crf_nll(e, fx_get(f, c, "tags"), lengths, start, end, trans, AX_REDUCE_NONE);
    CHECK_CLOSE(nll, fx_get(f, c, "nll"), FP32_RTOL, FP32_ATOL);
    float scores[3];
    ax_tensor *path = ax_crf_decode(e, lengths, start, end, trans, scores), *best = fx_get(f, c, "best");
    CHECK(memcmp(path->data, best->data, sizeof(int32_t) * 12) == 0, "Viterbi path differs from the enumeration's best");
    CHECK_CLOSE(ax_from_f32(AX_SHAPE(3), scores), fx_get(f, c, "best_score"), FP32_RTOL, FP32_ATOL);
    ax_arena_reset();
}

// a random problem (B, T, K) with lengths 1..T: emissions and transitions as leaves
typedef struct {
    ax_tensor *e, *start, *end, *trans, *tags, *lengths;
} problem;

static problem random_problem(int64_t B, int64_t T, int64_t K, uint64_t seed) {
    ax_manual_seed(seed);
    problem p = {ax_randn(AX_SHAPE(B, T, K), 0, 2), ax_randn(AX_SHAPE(K), 0, 1), ax_randn(AX_SHAPE(K), 0, 1),
                 ax_randn(AX_SHAPE(K, K), 0, 1), ax_empty_dtype(AX_I32, AX_SHAPE(B, T)),
                 ax_empty_dtype(AX_I32, AX_SHAPE(B))};
    ax_rng *rng = ax_rng_global();
    for (int64_t i = 0; i < B * T; i++) ax_i32(p.tags)[i] = (int32_t)(ax_rng_u32(rng) % K);
    for (int64_t b = 0; b < B; b++) ax_i32(p.lengths)[b] = (int32_t)(1 + ax_rng_u32(rng) % T);
    ax_requires_grad(p.e, true), ax_requires_grad(p.start, true), ax_requires_grad(p.end, true);
    ax_requires_grad(p.trans, true);
    return p;
}

// d e on a valid step is p(y_t = ·) − onehot(tag): it sums to 0; on padding it is 0
static void test_marginals(void) {
    int64_t B = 5, T = 9, K = 7;
    problem p = random_problem(B, T, K, 3);
    ax_backward(ax_crf_nll(p.e, p.tags, p.lengths, p.start, p.end, p.trans, AX_REDUCE_SUM));
    const float *de = ax_f32(p.e->grad);
    double worst = 0, pad = 0;
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++) {
            double s = 0;
            for (int64_t j = 0; j < K; j++) s += de[(b * T + t) * K + j];
            if (t < ax_i32(p.lengths)[b]) worst = fmax(worst, fabs(s));
            else
                for (int64_t j = 0; j < K; j++) pad = fmax(pad, fabs(de[(b * T + t) * K + j]));
        }
    CHECK(worst < 1e-5, "marginals of a step sum to 1 (gradient row sum %g)", worst);
    CHECK(pad == 0, "padding steps get no gradient (%g)", pad);
    ax_arena_reset();
}

// the result and every gradient are the same bits on 1 and 4 threads (a batch big enough to run in parallel)
static void test_threads(void) {
    int64_t B = 64, T = 40, K = 9;
    ax_tensor *val[2], *grad[2][4];
    for (int run = 0; run < 2; run++) {
        ax_set_threads(run ? 4 : 1);
        problem p = random_problem(B, T, K, 11);
        ax_tensor *y = ax_crf_nll(p.e, p.tags, p.lengths, p.start, p.end, p.trans, AX_REDUCE_MEAN);
        ax_backward(y);
        val[run] = ax_tensor_keep(y);
        ax_tensor *in[4] = {p.e, p.start, p.end, p.trans};
        for (int i = 0; i < 4; i++) grad[run][i] = ax_tensor_keep(in[i]->grad);
        ax_arena_reset();
    }
    ax_set_threads(0);
    CHECK(ax_item(val[0]) == ax_item(val[1]), "NLL %.9g on 1 thread, %.9g on 4", (double)ax_item(val[0]),
          (double)ax_item(val[1]));
    for (int i = 0; i < 4; i++)
        CHECK(memcmp(grad[0][i]->data, grad[1][i]->data, (size_t)ax_numel(grad[0][i]) * sizeof(float)) == 0,
              "gradient %d differs across threads", i);
    for (int run = 0; run < 2; run++) {
        ax_tensor_free(val[run]);
        for (int i = 0; i < 4; i++) ax_tensor_free(grad[run][i]);
    }
}

static void test_layer(void) {
    ax_params *p = ax_params_new();
    ax_crf c;
    ax_crf_init(&c, p, "crf.", 4);
    CHECK(ax_params_get(p, "crf.start_transitions") == c.start && ax_params_get(p, "crf.end_transitions") == c.end &&
              ax_params_get(p, "crf.transitions") == c.trans && c.trans->shape[0] == 4,
          "pytorch-crf parameter names");
    float lo = 1, hi = -1;
    for (int i = 0; i < 16; i++) lo = fminf(lo, ax_f32(c.trans)[i]), hi = fmaxf(hi, ax_f32(c.trans)[i]);
    CHECK(lo >= -0.1f && hi <= 0.1f && hi > lo, "U(-0.1, 0.1) initialisation [%g, %g]", (double)lo, (double)hi);
    ax_params_free(p);
}

static void bad_length(void *ctx) {
    problem p = random_problem(2, 3, 2, 1);
    ax_i32(p.lengths)[1] = 0;
    ax_crf_nll(p.e, p.tags, p.lengths, p.start, p.end, p.trans, AX_REDUCE_SUM);
}

static void bad_tag(void *ctx) {
    problem p = random_problem(2, 3, 2, 1);
    ax_i32(p.lengths)[0] = 3, ax_i32(p.tags)[2] = 2;
    ax_crf_nll(p.e, p.tags, p.lengths, p.start, p.end, p.trans, AX_REDUCE_SUM);
}

static void bad_trans(void *ctx) {
    problem p = random_problem(2, 3, 2, 1);
    ax_crf_decode(p.e, p.lengths, p.start, p.end, ax_zeros(AX_SHAPE(3, 2)), NULL);
}

static void test_aborts(void) {
    CHECK_ABORTS(bad_length, NULL, "crf", "length 0", "1..3");
    CHECK_ABORTS(bad_tag, NULL, "crf", "tag 2", "0..1");
    CHECK_ABORTS(bad_trans, NULL, "crf", "(3, 2)", "(2, 3, 2)");
}

int main(void) {
    fx *f = fx_open("crf");
    test_fixtures(f);
    test_brute_force(f);
    fx_close(f);
    test_marginals();
    test_threads();
    test_layer();
    test_aborts();
    return check_report();
}
