/* rnn_kernels: the fused recurrent cell kernels (backend/cpu/fused.h) on every build of them this CPU runs
 * (avx512, avx2, generic), forward and backward, against the cell math in double, on rows of 1, 5, 16 and 37 units
 * (vector bodies and remainders) with pre-activations from 1e-4 (tanh's small-argument branch) to ±100 (saturated
 * gates); the shared σ and tanh against libm over a sweep; the GEMM against a packed B (backend/cpu/gemm_packed.h)
 * against ax_gemm; the recurrent op's results, which must not depend on the thread count; and the translator's
 * fused additive attention scores (models/seq2seq_attn.h): kernels against double, the op against the composed
 * v·tanh(keys + wq) forward and backward, and finite differences, with per-row and shared keys. */
#include "backend/cpu/fused.h"
#include "backend/cpu/gemm.h"
#include "backend/cpu/gemm_packed.h"
#include "backend/cpu/simd_math.h"
#include "check.h"
#include "models/seq2seq_attn.h"

#include <float.h>
#include <math.h>
#include <string.h>

static const int64_t UNITS[] = {1, 5, 16, 37};
static const char *const ISAS[] = {"avx512", "avx2", "generic"};

// |a − e| ≤ FP32_ATOL + FP32_RTOL·|e| for all n values; reports the first that is not
static void close_all(const float *a, const double *e, int64_t n, const char *isa, const char *what, int64_t H) {
    for (int64_t i = 0; i < n; i++)
        if (!(fabs(a[i] - e[i]) <= FP32_ATOL + FP32_RTOL * fabs(e[i]))) {
            CHECK(false, "%s %s (H %lld) [%lld]: %.9g, want %.9g", isa, what, (long long)H, (long long)i, a[i], e[i]);
            return;
        }
    CHECK(true, "%s", what);
}

static double sig(double x) { return 1.0 / (1.0 + exp(-x)); }

// n values N(0, 1) scaled by 1e-4, 1, 3 or 100 in turn (tiny, ordinary, large and saturating pre-activations)
static float *values(int64_t n) {
    static const float scale[4] = {1e-4f, 1.0f, 3.0f, 100.0f};
    float *v = ax_randn(AX_SHAPE(n), 0.0f, 1.0f)->data;
    for (int64_t i = 0; i < n; i++) v[i] *= scale[i % 4];
    return v;
}

static float *zeros(int64_t n) { return ax_zeros(AX_SHAPE(n))->data; }
static double *doubles(int64_t n) { return ax_arena_alloc((size_t)n * sizeof(double)); }

// pre-activation k·H + j in double
static double pre(const float *xw, const float *gh, const float *b, int64_t i) { return (double)xw[i] + gh[i] + b[i]; }

static void test_lstm(const ax_fused_isa *k, int64_t H) {
    float *xw = values(4 * H), *gh = values(4 * H), *b = values(4 * H), *c = values(H);
    float *gate = zeros(4 * H), *tc = zeros(H), *c2 = zeros(H), *h2 = zeros(H);
    k->lstm_cell(xw, gh, b, c, gate, tc, c2, h2, H);
    double *eg = doubles(4 * H), *etc = doubles(H), *ec = doubles(H), *eh = doubles(H);
    for (int64_t j = 0; j < H; j++) {
        double i = sig(pre(xw, gh, b, j)), f = sig(pre(xw, gh, b, H + j)), g = tanh(pre(xw, gh, b, 2 * H + j));
        double o = sig(pre(xw, gh, b, 3 * H + j));
        eg[j] = i, eg[H + j] = f, eg[2 * H + j] = g, eg[3 * H + j] = o;
        ec[j] = f * c[j] + i * g, etc[j] = tanh(ec[j]), eh[j] = o * etc[j];
    }
    close_all(gate, eg, 4 * H, k->name, "lstm gates", H);
    close_all(c2, ec, H, k->name, "lstm c'", H);
    close_all(tc, etc, H, k->name, "lstm tanh c'", H);
    close_all(h2, eh, H, k->name, "lstm h'", H);
    // backward from the kernel's own gates (in [0, 1] or [−1, 1], as saved)
    float *dout = values(H), *dh = values(H), *dc = values(H), *dgh = zeros(4 * H), *dx = values(4 * H);
    double *edgh = doubles(4 * H), *edx = doubles(4 * H), *edc = doubles(H), *edh = doubles(H);
    for (int64_t j = 0; j < H; j++) {
        double i = gate[j], f = gate[H + j], g = gate[2 * H + j], o = gate[3 * H + j], t = tc[j];
        double d = (double)dh[j] + dout[j], dct = dc[j] + d * o * (1 - t * t);
        edgh[j] = dct * g * i * (1 - i), edgh[H + j] = dct * c[j] * f * (1 - f);
        edgh[2 * H + j] = dct * i * (1 - g * g), edgh[3 * H + j] = d * t * o * (1 - o);
        edc[j] = dct * f, edh[j] = 0;
    }
    for (int64_t q = 0; q < 4 * H; q++) edx[q] = dx[q] + edgh[q];
    k->lstm_cell_grad(gate, tc, c, dout, dh, dc, dgh, dx, H);
    close_all(dgh, edgh, 4 * H, k->name, "lstm dgh", H);
    close_all(dx, edx, 4 * H, k->name, "lstm dx", H);
    close_all(dc, edc, H, k->name, "lstm dc", H);
    close_all(dh, edh, H, k->name, "lstm dh", H);
}

static void test_gru(const ax_fused_isa *k, int64_t H) {
    float *xw = values(3 * H), *gh = values(3 * H), *b = values(3 * H), *h = values(H);
    float *gate = zeros(3 * H), *hn = zeros(H), *h2 = zeros(H);
    k->gru_cell(xw, gh, b, h, gate, hn, h2, H);
    double *eg = doubles(3 * H), *ehn = doubles(H), *eh = doubles(H);
    for (int64_t j = 0; j < H; j++) {
        double r = sig(pre(xw, gh, b, j)), z = sig(pre(xw, gh, b, H + j));
        ehn[j] = (double)gh[2 * H + j] + b[2 * H + j];
        double n = tanh(xw[2 * H + j] + r * ehn[j]);
        eg[j] = r, eg[H + j] = z, eg[2 * H + j] = n, eh[j] = (1 - z) * n + z * h[j];
    }
    close_all(gate, eg, 3 * H, k->name, "gru gates", H);
    close_all(hn, ehn, H, k->name, "gru hn", H);
    close_all(h2, eh, H, k->name, "gru h'", H);
    float *dout = values(H), *dh = values(H), *dgh = zeros(3 * H), *dx = values(3 * H);
    double *edgh = doubles(3 * H), *edx = doubles(3 * H), *edh = doubles(H);
    for (int64_t j = 0; j < H; j++) {
        double r = gate[j], z = gate[H + j], n = gate[2 * H + j], d = (double)dh[j] + dout[j];
        double dn = d * (1 - z) * (1 - n * n);
        edgh[j] = dn * hn[j] * r * (1 - r), edgh[H + j] = d * (h[j] - n) * z * (1 - z), edgh[2 * H + j] = dn * r;
        edx[j] = dx[j] + edgh[j], edx[H + j] = dx[H + j] + edgh[H + j], edx[2 * H + j] = dx[2 * H + j] + dn;
        edh[j] = d * z;
    }
    k->gru_cell_grad(gate, hn, h, dout, dh, dgh, dx, H);
    close_all(dgh, edgh, 3 * H, k->name, "gru dgh", H);
    close_all(dx, edx, 3 * H, k->name, "gru dx", H);
    close_all(dh, edh, H, k->name, "gru dh", H);
}

static void test_rnn(const ax_fused_isa *k, int64_t H, bool relu) {
    float *xw = values(H), *gh = values(H), *b = values(H), *gate = zeros(H), *h2 = zeros(H);
    k->rnn_cell(xw, gh, b, gate, h2, H, relu);
    double *eh = doubles(H), *edgh = doubles(H), *edx = doubles(H);
    for (int64_t j = 0; j < H; j++) eh[j] = relu ? fmax(pre(xw, gh, b, j), 0.0) : tanh(pre(xw, gh, b, j));
    close_all(gate, eh, H, k->name, relu ? "relu gate" : "tanh gate", H);
    close_all(h2, eh, H, k->name, relu ? "relu h'" : "tanh h'", H);
    float *dout = values(H), *dh = values(H), *dgh = zeros(H), *dx = values(H);
    for (int64_t j = 0; j < H; j++) {
        double d = (double)dh[j] + dout[j];
        edgh[j] = relu ? (gate[j] > 0 ? d : 0) : d * (1 - (double)gate[j] * gate[j]);
        edx[j] = dx[j] + edgh[j];
    }
    k->rnn_cell_grad(gate, dout, dh, dgh, dx, H, relu);
    close_all(dgh, edgh, H, k->name, "rnn dgh", H);
    close_all(dx, edx, H, k->name, "rnn dx", H);
    bool zero = true;
    for (int64_t j = 0; j < H; j++) zero = zero && dh[j] == 0.0f;
    CHECK(zero, "%s rnn dh cleared", k->name);
}

// σ and tanh of simd_math.h against libm in double from −100 to 100 (and ±1e-30, ±0, ±∞, NaN)
static void test_activations(void) {
    double worst_s = 0, worst_t = 0;
    for (int i = -200000; i <= 200000; i++) {
        float x = (float)i * 5e-4f;
        x = i % 2 ? x : x * 0.01f; // every other point within ±1: the small-argument branch
        double es = 1.0 / (1.0 + exp(-(double)x)), et = tanh((double)x);
        if (es >= FLT_MIN) worst_s = fmax(worst_s, fabs(ax_sigmoid_poly(x) - es) / es); // (may flush below)
        if (et != 0) worst_t = fmax(worst_t, fabs(ax_tanh_poly(x) - et) / fabs(et));
    }
    CHECK(worst_s < 4 * 6e-8 && worst_t < 4 * 6e-8, "σ within %.3g, tanh within %.3g relative (want < 4 ulp)", worst_s,
          worst_t);
    CHECK(ax_tanh_poly(1e-30f) == 1e-30f && ax_tanh_poly(-0.0f) == 0.0f && signbit(ax_tanh_poly(-0.0f)),
          "tanh of tiny and −0");
    CHECK(ax_tanh_poly(INFINITY) == 1.0f && ax_tanh_poly(-INFINITY) == -1.0f && isnan(ax_tanh_poly(NAN)),
          "tanh ±∞, NaN");
    CHECK(ax_sigmoid_poly(INFINITY) == 1.0f && ax_sigmoid_poly(-INFINITY) == 0.0f && isnan(ax_sigmoid_poly(NAN)),
          "σ ±∞, NaN");
}

// A·op(B) through a packed B vs ax_gemm, on shapes with edge tiles and several K blocks
static void test_packed_gemm(const char *isa) {
    static const int64_t shapes[][3] = {{1, 1, 1}, {3, 12, 3}, {13, 33, 7}, {40, 100, 800}, {64, 1024, 256}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        for (int trans = 0; trans < 2; trans++) {
            float *A = values(M * K), *B = values(K * N), *C = values(M * N), *E = zeros(M * N);
            memcpy(E, C, (size_t)(M * N) * sizeof *E);
            ax_gemm(false, trans, M, N, K, 1.0f, A, K, B, trans ? K : N, 1.0f, E, N);
            float *buf = ax_arena_alloc(ax_gemm_packed_floats(K, N) * sizeof(float));
            ax_gemm_packed p = ax_gemm_pack_b(trans, K, N, B, trans ? K : N, buf);
            ax_gemm_packed_run(&p, M, A, K, 1.0f, C, N);
            double worst = 0;
            for (int64_t i = 0; i < M * N; i++) worst = fmax(worst, fabs(C[i] - E[i]) / (1e-3 + fabs(E[i])));
            CHECK(worst < 1e-4, "%s packed GEMM %lldx%lldx%lld trans %d: off by %.3g", isa, (long long)M, (long long)N,
                  (long long)K, trans, worst);
        }
    }
}

/* ---- additive attention scores ---- */

static void test_tanh_dot(const ax_fused_isa *k, int64_t D) {
    float *kk = values(D), *q = values(D), *v = values(D), *e = zeros(D), *dk = values(D), *dq = values(D);
    float s = k->tanh_dot(kk, q, v, e, D);
    double es = 0, *ee = doubles(D), *edk = doubles(D), *edq = doubles(D), scale = 0;
    for (int64_t d = 0; d < D; d++) {
        ee[d] = tanh((double)kk[d] + q[d]);
        es += v[d] * ee[d], scale += fabs(v[d] * ee[d]);
    }
    // a sum of D terms: its rounding error is relative to Σ|terms|, not to the (possibly cancelling) sum
    CHECK(fabs(s - es) <= FP32_ATOL + FP32_RTOL * scale, "%s tanh_dot (D %lld): %.9g, want %.9g", k->name,
          (long long)D, s, es);
    close_all(e, ee, D, k->name, "tanh_dot e", D);
    float ds = 0.7f;
    for (int64_t d = 0; d < D; d++) {
        double g = ds * (double)v[d] * (1 - (double)e[d] * e[d]);
        edk[d] = dk[d] + g, edq[d] = dq[d] + g;
    }
    k->tanh_dot_grad(e, v, ds, dk, dq, D);
    close_all(dk, edk, D, k->name, "tanh_dot dk", D);
    close_all(dq, edq, D, k->name, "tanh_dot dq", D);
}

static ax_tensor *scores_fused(ax_tensor **in, void *ctx) { return ax_s2s_additive_scores(in[0], in[1], in[2]); }

// v·tanh(keys + wq[:, None]) from the ops the fused one replaces, as the translator had it
static ax_tensor *scores_composed(ax_tensor **in, void *ctx) {
    int64_t n = in[1]->shape[0], S = in[0]->shape[1];
    ax_tensor *e = ax_tanh(ax_add(in[0], ax_unsqueeze(in[1], 1)));
    return ax_reshape(ax_linear(e, in[2], NULL), AX_SHAPE(n, S));
}

static void test_additive_scores(bool shared_keys) {
    int64_t n = 5, S = 7, D = 19;
    ax_manual_seed(11);
    ax_tensor *in[3] = {ax_randn(AX_SHAPE(shared_keys ? 1 : n, S, D), 0, 1), ax_randn(AX_SHAPE(n, D), 0, 1),
                        ax_randn(AX_SHAPE(1, D), 0, 1)};
    for (int i = 0; i < 3; i++) ax_requires_grad(in[i], true);
    ax_tensor *r = ax_randn(AX_SHAPE(n, S), 0, 1), *grads[2][3];
    for (int way = 0; way < 2; way++) {
        ax_tensor *y = (way ? scores_composed : scores_fused)(in, NULL);
        CHECK(y->ndim == 2 && y->shape[0] == n && y->shape[1] == S, "scores shape %s", ax_shape_str(y));
        if (way) CHECK_CLOSE(scores_fused(in, NULL), y, FP32_RTOL, FP32_ATOL);
        ax_backward_from(y, r);
        for (int i = 0; i < 3; i++) {
            grads[way][i] = ax_tensor_keep(in[i]->grad);
            ax_zero_grad(in[i]);
        }
    }
    for (int i = 0; i < 3; i++) {
        CHECK(check_close(grads[0][i], grads[1][i], FP32_RTOL, FP32_ATOL, __FILE__, __LINE__, "scores gradient"),
              "additive scores (shared keys %d): gradient of input %d", shared_keys, i);
        ax_tensor_free(grads[0][i]);
        ax_tensor_free(grads[1][i]);
    }
    int bad = ax_gradcheck(scores_fused, NULL, in, 3, GC_EPS, GC_RTOL, GC_ATOL);
    CHECK(bad == 0, "gradcheck additive scores (shared keys %d): %d bad", shared_keys, bad);
    ax_arena_reset();
}

/* ---- the recurrent op on 1 and 2 threads ---- */

// out | h_n | c_n and every gradient of one run, flattened into one new tensor
static ax_tensor *sequence_run(ax_rnn_mode mode, ax_tensor **in, const ax_tensor *lengths, bool reverse) {
    bool lstm = mode == AX_LSTM;
    ax_tensor *h_n, *c_n = NULL;
    ax_tensor *out = ax_rnn_sequence(mode, in[0], in[1], in[2], in[3], lstm ? in[4] : NULL, lengths, reverse, &h_n,
                                     &c_n);
    ax_tensor *loss = ax_add(ax_sum_all(ax_mul(out, ax_randn(3, out->shape, 0, 1))), ax_sum_all(ax_mul(h_n, h_n)));
    if (lstm) loss = ax_add(loss, ax_sum_all(ax_mul(c_n, c_n)));
    ax_backward(loss);
    ax_tensor *parts[8] = {ax_reshape(out, AX_SHAPE(-1)), ax_reshape(h_n, AX_SHAPE(-1))};
    int n = 2;
    if (lstm) parts[n++] = ax_reshape(c_n, AX_SHAPE(-1));
    for (int i = 0; i < (lstm ? 5 : 4); i++) parts[n++] = ax_reshape(in[i]->grad, AX_SHAPE(-1));
    ax_tensor *all = ax_concat(parts, n, 0);
    for (int i = 0; i < (lstm ? 5 : 4); i++) ax_zero_grad(in[i]);
    return all;
}

static void thread_independence(ax_rnn_mode mode, bool reverse) {
    int64_t B = 40, T = 6, H = 96, GH = ax_rnn_gates(mode) * H; // big enough for 2 threads (see rnn_cell.c)
    ax_manual_seed(7);
    ax_tensor *in[5] = {ax_randn(AX_SHAPE(B, T, GH), 0, 1), ax_randn(AX_SHAPE(GH, H), 0, 0.2f),
                        ax_randn(AX_SHAPE(GH), 0, 0.5f), ax_randn(AX_SHAPE(B, H), 0, 1),
                        ax_randn(AX_SHAPE(B, H), 0, 1)};
    int32_t len[40];
    for (int b = 0; b < 40; b++) len[b] = 1 + b % 6;
    ax_tensor *lengths = ax_from_i32(AX_SHAPE(40), len), *runs[2];
    for (int i = 0; i < 5; i++) {
        in[i] = ax_tensor_keep(in[i]);
        ax_requires_grad(in[i], true);
    }
    for (int nt = 1; nt <= 2; nt++) {
        ax_set_threads(nt);
        ax_manual_seed(8);
        runs[nt - 1] = ax_tensor_keep(sequence_run(mode, in, lengths, reverse));
    }
    ax_set_threads(0);
    CHECK(ax_numel(runs[0]) == ax_numel(runs[1]) &&
              memcmp(runs[0]->data, runs[1]->data, (size_t)ax_numel(runs[0]) * sizeof(float)) == 0,
          "mode %d reverse %d: the same bits on 1 and 2 threads", mode, reverse);
    for (int i = 0; i < 5; i++) ax_tensor_free(in[i]);
    ax_tensor_free(runs[0]);
    ax_tensor_free(runs[1]);
    ax_arena_reset();
}

int main(void) {
    test_activations();
    for (size_t i = 0; i < sizeof ISAS / sizeof *ISAS; i++) {
        if (!ax_fused_force_isa(ISAS[i]) || !ax_gemm_force_isa(ISAS[i])) continue;
        const ax_fused_isa *k = ax_fused();
        ax_manual_seed(3);
        for (size_t u = 0; u < sizeof UNITS / sizeof *UNITS; u++) {
            test_lstm(k, UNITS[u]);
            test_gru(k, UNITS[u]);
            test_rnn(k, UNITS[u], false);
            test_rnn(k, UNITS[u], true);
            test_tanh_dot(k, UNITS[u]);
        }
        test_packed_gemm(ISAS[i]);
        ax_arena_reset();
    }
    ax_fused_force_isa(NULL);
    ax_gemm_force_isa(NULL);
    for (int mode = AX_RNN_TANH; mode <= AX_GRU; mode++)
        for (int reverse = 0; reverse < 2; reverse++) thread_independence((ax_rnn_mode)mode, reverse);
    test_additive_scores(false);
    test_additive_scores(true);
    return check_report();
}
