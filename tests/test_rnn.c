/* rnn: RNN (tanh/relu), LSTM and GRU against torch.nn.RNN/LSTM/GRU — outputs, final states and the
 * gradients of every weight, the input and the initial states (1–2 layers, bidirectional, initial states,
 * packed variable lengths, no bias; on every build of the cell and GEMM kernels this CPU runs) — plus
 * finite-difference checks of the fused op and the module. */
#include "backend/cpu/fused.h"
#include "backend/cpu/gemm.h"
#include "check.h"
#include "fixture.h"

#include <math.h>
#include <string.h>

static const char *const CASES[] = {"rnn_tanh_h0",      "rnn_relu_2l",       "rnn_tanh_bidir_packed", "lstm_1l",
                                    "lstm_2l_bidir_h0", "lstm_packed_bidir", "lstm_nobias_2l",        "gru_1l_h0",
                                    "gru_2l_bidir",     "gru_packed_2l"};

// Σ a·r as a 0-dim tensor
static ax_tensor *weighted(ax_tensor *a, ax_tensor *r) { return ax_sum_all(ax_mul(a, r)); }

static ax_tensor *opt_param(fx *f, const char *c, const char *name) {
    return fx_has(f, c, name) ? fx_param(f, c, name) : NULL;
}

// Builds the module with the fixture's configuration and copies PyTorch's weights in by name.
static ax_params *load_module(fx *f, const char *c, ax_rnn *r) {
    ax_params *p = ax_params_new();
    ax_rnn_init(r, p, "", (ax_rnn_mode)fx_num(f, c, "mode"), (int64_t)fx_num(f, c, "input_size"),
                (int64_t)fx_num(f, c, "hidden"), (int)fx_num(f, c, "layers"), fx_num(f, c, "bidir") != 0, 0.0f,
                fx_num(f, c, "bias") != 0);
    for (int i = 0; i < p->n; i++) {
        ax_tensor *w = fx_get(f, c, p->items[i].name);
        CHECK(ax_numel(w) == ax_numel(p->items[i].t), "%s %s: size of %s", c, p->items[i].name, ax_shape_str(w));
        memcpy(p->items[i].t->data, w->data, (size_t)ax_numel(w) * sizeof(float));
    }
    return p;
}

static void check_grad(fx *f, const char *c, const char *name, ax_tensor *t) {
    char key[96];
    snprintf(key, sizeof key, "grad_%s", name);
    bool ok = t->grad && check_close(t->grad, fx_get(f, c, key), FP32_RTOL, FP32_ATOL, __FILE__, __LINE__, key);
    CHECK(ok, "%s: %s", c, key);
}

static void fixture_case(fx *f, const char *c) {
    ax_rnn r;
    ax_params *p = load_module(f, c, &r);
    ax_tensor *x = fx_param(f, c, "x"), *h0 = opt_param(f, c, "h0"), *c0 = opt_param(f, c, "c0");
    ax_tensor *lengths = fx_has(f, c, "lengths") ? fx_get(f, c, "lengths") : NULL;
    ax_tensor *h_n = NULL, *c_n = NULL;
    ax_tensor *out = ax_rnn_forward(&r, x, h0, c0, lengths, true, &h_n, &c_n);
    CHECK(check_close(out, fx_get(f, c, "out"), FP32_RTOL, FP32_ATOL, __FILE__, __LINE__, "out"), "%s: out", c);
    CHECK(check_close(h_n, fx_get(f, c, "h_n"), FP32_RTOL, FP32_ATOL, __FILE__, __LINE__, "h_n"), "%s: h_n", c);
    ax_tensor *loss = ax_add(weighted(out, fx_get(f, c, "r_out")), weighted(h_n, fx_get(f, c, "r_h")));
    if (r.mode == AX_LSTM) {
        CHECK(check_close(c_n, fx_get(f, c, "c_n"), FP32_RTOL, FP32_ATOL, __FILE__, __LINE__, "c_n"), "%s: c_n", c);
        loss = ax_add(loss, weighted(c_n, fx_get(f, c, "r_c")));
    }
    ax_backward(loss);
    for (int i = 0; i < p->n; i++) check_grad(f, c, p->items[i].name, p->items[i].t);
    check_grad(f, c, "x", x);
    if (h0) check_grad(f, c, "h0", h0);
    if (c0) check_grad(f, c, "c0", c0);
    ax_params_free(p);
    ax_arena_reset();
}

// Inter-layer dropout: off in eval (the fixture's output), on in training (some outputs change).
static void dropout_between_layers(fx *f) {
    const char *c = "lstm_2l_bidir_h0";
    ax_rnn r;
    ax_params *p = load_module(f, c, &r);
    r.dropout = 0.5f;
    ax_tensor *x = fx_get(f, c, "x"), *expected = fx_get(f, c, "out");
    ax_tensor *eval = ax_rnn_forward(&r, x, fx_get(f, c, "h0"), fx_get(f, c, "c0"), NULL, false, NULL, NULL);
    CHECK(check_close(eval, expected, FP32_RTOL, FP32_ATOL, __FILE__, __LINE__, "eval"), "dropout off in eval");
    ax_manual_seed(1);
    ax_tensor *train = ax_rnn_forward(&r, x, fx_get(f, c, "h0"), fx_get(f, c, "c0"), NULL, true, NULL, NULL);
    int64_t changed = 0;
    for (int64_t i = 0; i < ax_numel(train); i++) changed += ax_f32(train)[i] != ax_f32(expected)[i];
    CHECK(changed > ax_numel(train) / 4, "dropout on in training: %lld of %lld outputs changed", (long long)changed,
          (long long)ax_numel(train));
    ax_params_free(p);
    ax_arena_reset();
}

/* ---- finite differences ---- */

typedef struct {
    ax_rnn_mode mode;         // cell type
    const ax_tensor *lengths; // I32 (B) or NULL
    bool reverse;             // direction
} seq_ctx;

// inputs: xw, w_hh, b_hh, h0, c0 → [out | h_n | c_n] flattened per batch row
static ax_tensor *seq_fn(ax_tensor **in, void *vctx) {
    const seq_ctx *s = vctx;
    bool lstm = s->mode == AX_LSTM;
    ax_tensor *h_n, *c_n = NULL;
    ax_tensor *out =
        ax_rnn_sequence(s->mode, in[0], in[1], in[2], in[3], lstm ? in[4] : NULL, s->lengths, s->reverse, &h_n, &c_n);
    int64_t B = out->shape[0];
    ax_tensor *parts[3] = {ax_reshape(out, AX_SHAPE(B, -1)), h_n, c_n};
    return ax_concat(parts, lstm ? 3 : 2, 1);
}

static void gradcheck_sequence(ax_rnn_mode mode, bool reverse, bool with_lengths) {
    int64_t B = 3, T = 4, H = 3, GH = ax_rnn_gates(mode) * H;
    ax_manual_seed(42 + (uint64_t)mode);
    ax_tensor *in[5] = {ax_randn(AX_SHAPE(B, T, GH), 0, 1), ax_randn(AX_SHAPE(GH, H), 0, 0.6f),
                        ax_randn(AX_SHAPE(GH), 0, 0.5f), ax_randn(AX_SHAPE(B, H), 0, 1),
                        ax_randn(AX_SHAPE(B, H), 0, 1)};
    if (mode == AX_RNN_RELU) // keep pre-activations away from the kink at 0, where differences are meaningless
        for (int64_t i = 0; i < B * T * GH; i++) ax_f32(in[0])[i] += ax_f32(in[0])[i] > 0 ? 0.3f : -0.3f;
    int n_in = mode == AX_LSTM ? 5 : 4;
    for (int i = 0; i < n_in; i++) ax_requires_grad(in[i], true);
    seq_ctx s = {mode, with_lengths ? ax_from_i32(AX_SHAPE(3), (const int32_t[]){4, 1, 2}) : NULL, reverse};
    int bad = ax_gradcheck(seq_fn, &s, in, n_in, GC_EPS, GC_RTOL, GC_ATOL);
    CHECK(bad == 0, "gradcheck sequence mode %d reverse %d lengths %d: %d bad", mode, reverse, with_lengths, bad);
    ax_arena_reset();
}

typedef struct {
    const ax_rnn *r;          // the module
    const ax_tensor *lengths; // I32 (B) or NULL
} module_ctx;

// inputs: x stored (T, B, C), h0, c0 (then the parameters, read through the module) → [out | h_n | c_n].
// x goes in as a transposed, non-contiguous (B, T, C) view.
static ax_tensor *module_fn(ax_tensor **in, void *vctx) {
    const module_ctx *m = vctx;
    ax_tensor *h_n, *c_n;
    ax_tensor *out = ax_rnn_forward(m->r, ax_transpose(in[0], 0, 1), in[1], in[2], m->lengths, false, &h_n, &c_n);
    ax_tensor *parts[3] = {ax_reshape(out, AX_SHAPE(-1)), ax_reshape(h_n, AX_SHAPE(-1)), ax_reshape(c_n, AX_SHAPE(-1))};
    return ax_concat(parts, 3, 0);
}

// A 2-layer bidirectional LSTM (dropout set but off in eval) with packed lengths: every input and weight.
static void gradcheck_module(void) {
    ax_manual_seed(5);
    ax_params *p = ax_params_new();
    ax_rnn r;
    ax_rnn_init(&r, p, "lstm.", AX_LSTM, 2, 3, 2, true, 0.5f, true);
    CHECK(p->n == 16 && ax_params_get(p, "lstm.weight_hh_l1_reverse") != NULL, "torch names with prefix and _reverse");
    ax_tensor *in[3 + 16] = {ax_randn(AX_SHAPE(4, 2, 2), 0, 1), ax_randn(AX_SHAPE(4, 2, 3), 0, 1),
                             ax_randn(AX_SHAPE(4, 2, 3), 0, 1)};
    for (int i = 0; i < 3; i++) ax_requires_grad(in[i], true);
    for (int i = 0; i < p->n; i++) in[3 + i] = p->items[i].t;
    module_ctx m = {&r, ax_from_i32(AX_SHAPE(2), (const int32_t[]){4, 2})};
    int bad = ax_gradcheck(module_fn, &m, in, 3 + p->n, GC_EPS, GC_RTOL, GC_ATOL);
    CHECK(bad == 0, "gradcheck lstm module: %d bad", bad);
    ax_params_free(p);
    ax_arena_reset();
}

/* Keras's initialisation: forget-gate bias 1 in bias_ih and every other bias 0, recurrent weights with orthonormal
 * columns, input weights inside the xavier bound √(6 / (in + 4H)); then the gates opened. */
static void keras_init(void) {
    ax_params *p = ax_params_new();
    ax_rnn r;
    ax_manual_seed(4);
    ax_rnn_init(&r, p, "", AX_LSTM, 5, 8, 2, false, 0.0f, true);
    ax_rnn_init_keras(&r);
    for (int k = 0; k < 2; k++) {
        const ax_rnn_weights *w = &r.w[k][0];
        bool biases = true;
        for (int i = 0; i < 32; i++)
            biases &= ax_f32(w->b_ih)[i] == (i >= 8 && i < 16 ? 1.0f : 0.0f) && ax_f32(w->b_hh)[i] == 0.0f;
        CHECK(biases, "layer %d: forget bias 1, others 0", k);
        double worst = 0;
        for (int u = 0; u < 8; u++)
            for (int v = 0; v < 8; v++) {
                double dot = 0;
                for (int i = 0; i < 32; i++) dot += (double)ax_f32(w->w_hh)[i * 8 + u] * ax_f32(w->w_hh)[i * 8 + v];
                worst = fmax(worst, fabs(dot - (u == v)));
            }
        CHECK(worst < 1e-5, "layer %d: orthonormal recurrent columns (off by %g)", k, worst);
        double bound = sqrt(6.0 / (double)(w->w_ih->shape[1] + 32)), top = 0;
        for (int64_t i = 0; i < ax_numel(w->w_ih); i++) top = fmax(top, fabs(ax_f32(w->w_ih)[i]));
        CHECK(top <= bound && top > 0.5 * bound, "layer %d: input weights up to %g, xavier bound %g", k, top, bound);
    }
    ax_lstm_open_gates(&r, 0.5f); // i, f, o biases 0.5; the candidate's stay 0
    bool open = true;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 32; i++) open &= ax_f32(r.w[k][0].b_ih)[i] == (i >= 16 && i < 24 ? 0.0f : 0.5f);
    CHECK(open, "open gates: input, forget and output biases set, the candidate's kept");
    ax_params_free(p);
}

int main(void) {
    fx *f = fx_open("rnn");
    static const char *const isas[] = {"avx512", "avx2", "generic"}; // each build of the cell and GEMM kernels
    for (size_t k = 0; k < sizeof isas / sizeof *isas; k++)
        if (ax_fused_force_isa(isas[k]) && ax_gemm_force_isa(isas[k]))
            for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) fixture_case(f, CASES[i]);
    ax_fused_force_isa(NULL);
    ax_gemm_force_isa(NULL);
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) fixture_case(f, CASES[i]);
    dropout_between_layers(f);
    fx_close(f);
    for (int mode = AX_RNN_TANH; mode <= AX_GRU; mode++)
        for (int v = 0; v < 3; v++) gradcheck_sequence((ax_rnn_mode)mode, v == 1, v == 2);
    gradcheck_sequence(AX_GRU, true, true);
    gradcheck_module();
    keras_init();
    return check_report();
}
