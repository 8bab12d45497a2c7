/* Fused attention: forward and the three gradients against PyTorch's explicit composition (causal or not,
 * Tq ≠ Tk, key padding, rows that see no key, D = 8/16/64, T = 1, 7, 65, 130, transposed-view inputs) with
 * finite differences, on the AVX-512, AVX2 and portable kernels; then larger random cases against axon's
 * own composed ops (matmul, transpose, masked_fill, softmax, mul_scalar); gradients of some inputs only; the
 * packed ax_attention_qkv and ax_attention_q_kv against the same op on split views. */
#include "autograd/tape.h"
#include "backend/cpu/attention_kernels.h"
#include "check.h"
#include "fixture.h"
#include "op_check.h"

#include <math.h>
#include <string.h>

/* ---- against PyTorch (tools/fixtures/attention.py) ---- */

typedef struct {
    fx *f;           // the fixture
    const char *c;   // case name
    ax_tensor *keep; // key_keep or NULL
    bool causal;     // causal mask
    float scale;     // score scale
} attn_case;

static ax_tensor *run_case(ax_tensor **in, void *ctx) {
    const attn_case *k = ctx;
    return ax_attention(fx_view(k->f, k->c, "q", in[0]), fx_view(k->f, k->c, "k", in[1]),
                        fx_view(k->f, k->c, "v", in[2]), k->keep, k->causal, k->scale);
}

static void test_fixtures(fx *f) {
    static const char *const cases[] = {"basic",      "causal_d16", "t1_d64",     "d64_pad",   "cross",
                                        "cross_causal", "more_q_causal", "pad",   "pad_causal", "t65_causal",
                                        "t130_keys",  "heads_view"};
    static const char *const names[] = {"q", "k", "v"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *c = cases[i];
        attn_case k = {f, c, fx_has(f, c, "keep") ? fx_get(f, c, "keep") : NULL, fx_num(f, c, "causal") != 0,
                       (float)fx_num(f, c, "scale")};
        check_op_case(f, c, run_case, &k, names, 3);
    }
}

// A row that sees no key is exactly zero and passes exactly zero gradient, not NaN.
static void test_empty_rows(void) {
    ax_manual_seed(3);
    ax_tensor *q = ax_randn(AX_SHAPE(1, 2, 6, 8), 0, 1), *k = ax_randn(AX_SHAPE(1, 2, 4, 8), 0, 1);
    ax_tensor *v = ax_randn(AX_SHAPE(1, 2, 4, 8), 0, 1);
    ax_requires_grad(q, true);
    ax_tensor *out = ax_attention(q, k, v, NULL, true, 0.5f); // rows 0, 1 see nothing (offset Tk − Tq = −2)
    ax_backward_from(out, ax_ones(AX_SHAPE(1, 2, 6, 8)));
    int bad = 0;
    for (int64_t h = 0; h < 2; h++)
        for (int64_t i = 0; i < 2; i++)
            for (int64_t d = 0; d < 8; d++) {
                int64_t at = (h * 6 + i) * 8 + d;
                bad += ax_f32(out)[at] != 0.0f || ax_f32(q->grad)[at] != 0.0f;
            }
    for (int64_t i = 0; i < ax_numel(out); i++) bad += !isfinite(ax_f32(out)[i]) || !isfinite(ax_f32(q->grad)[i]);
    CHECK(bad == 0, "rows with no visible key: %d values not zero or not finite", bad);
    ax_arena_reset();
}

/* q = k = v one tensor: its gradient is the sum of the three, as with three copies (run with more threads
 * than heads, where the backward would otherwise split a head's query blocks among tasks). */
static void test_self_attention(void) {
    ax_manual_seed(4);
    ax_tensor *x = ax_randn(AX_SHAPE(1, 1, 200, 64), 0, 1), *r = ax_randn(AX_SHAPE(1, 1, 200, 64), 0, 1), *c[3];
    for (int i = 0; i < 3; i++) {
        c[i] = ax_empty_like(x);
        memcpy(c[i]->data, x->data, (size_t)ax_numel(x) * sizeof(float));
        ax_requires_grad(c[i], true);
    }
    ax_requires_grad(x, true);
    ax_backward_from(ax_attention(x, x, x, NULL, true, 0.25f), r);
    ax_backward_from(ax_attention(c[0], c[1], c[2], NULL, true, 0.25f), r);
    ax_tensor *sum = ax_add(ax_add(c[0]->grad, c[1]->grad), c[2]->grad);
    check_close(x->grad, sum, FP32_RTOL, FP32_ATOL, __FILE__, __LINE__, "attention(x, x, x)");
    ax_arena_reset();
}

/* ---- against axon's composed ops ---- */

// softmax(q·kᵀ·scale, masked)·v with −∞ where mask (BOOL (B, 1, Tq, Tk)) is true
static ax_tensor *composed(ax_tensor *q, ax_tensor *k, ax_tensor *v, ax_tensor *mask, float scale) {
    ax_tensor *s = ax_mul_scalar(ax_matmul(q, ax_transpose(k, -2, -1)), scale);
    return ax_matmul(ax_softmax(ax_masked_fill(s, mask, -INFINITY), -1), v);
}

// (B, 1, Tq, Tk): true where query i must not see key j (padding, or causal j > i + Tk − Tq)
static ax_tensor *mask_of(const uint8_t *keep, int64_t B, int64_t Tq, int64_t Tk, bool causal) {
    ax_tensor *m = ax_empty_dtype(AX_BOOL, AX_SHAPE(B, 1, Tq, Tk));
    uint8_t *p = m->data;
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < Tq; i++)
            for (int64_t j = 0; j < Tk; j++)
                p[(b * Tq + i) * Tk + j] = !keep[b * Tk + j] || (causal && j > i + Tk - Tq);
    return m;
}

typedef struct {
    int64_t B, H, Tq, Tk, D; // shapes
    bool causal, view;       // causal mask; q, k, v as (B, T, H, D) leaves seen transposed
} big_case;

static ax_tensor *input(const big_case *c, int64_t T) {
    ax_tensor *x = c->view ? ax_randn(AX_SHAPE(c->B, T, c->H, c->D), 0, 1)
                           : ax_randn(AX_SHAPE(c->B, c->H, T, c->D), 0, 1);
    ax_requires_grad(x, true);
    return x;
}

static ax_tensor *heads(const big_case *c, ax_tensor *x) { return c->view ? ax_transpose(x, 1, 2) : x; }

// out and the three gradients of one random case, fused vs composed, from the same inputs and the same r
static void check_big(const big_case *c) {
    float scale = 1.0f / sqrtf((float)c->D);
    ax_tensor *x[3] = {input(c, c->Tq), input(c, c->Tk), input(c, c->Tk)}, *y[3];
    for (int i = 0; i < 3; i++) {
        y[i] = ax_empty_like(x[i]);
        ax_copy_to_f32(x[i], ax_f32(y[i]));
        ax_requires_grad(y[i], true);
    }
    uint8_t *keep = ax_arena_alloc((size_t)(c->B * c->Tk));
    for (int64_t i = 0; i < c->B * c->Tk; i++) keep[i] = i % c->Tk == 0 || ax_rng_uniform(ax_rng_global()) > 0.15f;
    ax_tensor *keep_t = ax_empty_dtype(AX_BOOL, AX_SHAPE(c->B, c->Tk));
    memcpy(keep_t->data, keep, (size_t)(c->B * c->Tk));
    ax_tensor *out = ax_attention(heads(c, x[0]), heads(c, x[1]), heads(c, x[2]), keep_t, c->causal, scale);
    ax_tensor *r = ax_randn(4, out->shape, 0, 1);
    ax_backward_from(out, r); // backward clears the tape: one graph at a time
    ax_tensor *mask = mask_of(keep, c->B, c->Tq, c->Tk, c->causal);
    ax_tensor *ref = composed(heads(c, y[0]), heads(c, y[1]), heads(c, y[2]), mask, scale);
    ax_backward_from(ref, r);
    char what[128];
    snprintf(what, sizeof what, "B%lld H%lld Tq%lld Tk%lld D%lld%s%s", (long long)c->B, (long long)c->H,
             (long long)c->Tq, (long long)c->Tk, (long long)c->D, c->causal ? " causal" : "", c->view ? " view" : "");
    check_close(out, ref, FP32_RTOL, FP32_ATOL, __FILE__, __LINE__, what);
    for (int i = 0; i < 3; i++) check_close(x[i]->grad, y[i]->grad, FP32_RTOL, FP32_ATOL, __FILE__, __LINE__, what);
    ax_arena_reset();
}

static void test_big(void) {
    static const big_case cases[] = {
        {2, 3, 130, 130, 64, true, false}, {1, 2, 200, 77, 16, false, false}, {2, 2, 70, 150, 64, true, true},
        {1, 1, 257, 257, 32, true, false}, {1, 12, 64, 64, 64, true, true},
    };
    ax_manual_seed(11);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) check_big(&cases[i]);
}

/* Gradients of only some inputs: the others are skipped (dP is not even formed when only v needs one), and
 * what is computed matches the all-inputs run exactly. q's head dim is strided here (a (B, H, D, T) leaf seen
 * transposed), which the op packs first. */
static void test_some_grads(void) {
    ax_manual_seed(9);
    ax_tensor *qs = ax_randn(AX_SHAPE(2, 2, 16, 70), 0, 1), *k = ax_randn(AX_SHAPE(2, 2, 90, 16), 0, 1);
    ax_tensor *v = ax_randn(AX_SHAPE(2, 2, 90, 16), 0, 1), *r = ax_randn(AX_SHAPE(2, 2, 70, 16), 0, 1);
    ax_tensor *all[3] = {qs, k, v}, *grads[3];
    for (int i = 0; i < 3; i++) ax_requires_grad(all[i], true);
    ax_backward_from(ax_attention(ax_transpose(qs, 2, 3), k, v, NULL, true, 0.25f), r);
    for (int i = 0; i < 3; i++) {
        grads[i] = ax_empty_like(all[i]);
        memcpy(grads[i]->data, all[i]->grad->data, (size_t)ax_numel(all[i]) * sizeof(float));
    }
    for (int only = 0; only < 3; only++) {
        for (int i = 0; i < 3; i++) {
            ax_zero_grad(all[i]);
            ax_requires_grad(all[i], i == only);
        }
        ax_backward_from(ax_attention(ax_transpose(qs, 2, 3), k, v, NULL, true, 0.25f), r);
        check_close(all[only]->grad, grads[only], 0, 0, __FILE__, __LINE__, "one input's gradient alone");
    }
    ax_arena_reset();
}

/* ---- attention on packed projections ---- */

// (B, T, parts·C) as the heads (B, H, T, C / H) of its part j: a view
static ax_tensor *part_heads(ax_tensor *packed, int parts, int j, int H) {
    int64_t B = packed->shape[0], T = packed->shape[1], D = packed->shape[2] / parts / H;
    ax_tensor *v = ax_reshape(packed, AX_SHAPE(B, T, (int64_t)parts * H, D));
    return ax_transpose(ax_narrow(v, 2, (int64_t)j * H, H), 1, 2);
}

// ax_attention_qkv (kv NULL: q is q | k | v) or ax_attention_q_kv spelled with views: split the heads, attend, merge
static ax_tensor *packed_by_views(ax_tensor *q, ax_tensor *kv, int H, ax_tensor *keep, bool causal, float scale) {
    ax_tensor *y = kv ? ax_attention(part_heads(q, 1, 0, H), part_heads(kv, 2, 0, H), part_heads(kv, 2, 1, H), keep,
                                     causal, scale)
                      : ax_attention(part_heads(q, 3, 0, H), part_heads(q, 3, 1, H), part_heads(q, 3, 2, H), keep,
                                     causal, scale);
    return ax_reshape(ax_transpose(y, 1, 2), AX_SHAPE(y->shape[0], y->shape[2], y->shape[1] * y->shape[3]));
}

static ax_tensor *run_qkv(ax_tensor **in, void *ctx) { return ax_attention_qkv(in[0], *(const int *)ctx, NULL, true, 0.3f); }

static ax_tensor *run_q_kv(ax_tensor **in, void *ctx) {
    return ax_attention_q_kv(in[0], in[1], *(const int *)ctx, NULL, false, 0.3f);
}

// a BOOL (B, T) key mask with about one key in five masked out (key 0 always kept)
static ax_tensor *random_keep(int64_t B, int64_t T) {
    ax_tensor *keep = ax_empty_dtype(AX_BOOL, AX_SHAPE(B, T));
    uint8_t *k = keep->data;
    for (int64_t i = 0; i < B * T; i++) k[i] = i % T == 0 || ax_rng_uniform(ax_rng_global()) > 0.2f;
    return keep;
}

// a leaf and its copy, both requiring grad
static void twin_leaves(int64_t B, int64_t T, int64_t C, ax_tensor **x, ax_tensor **y) {
    *x = ax_randn(AX_SHAPE(B, T, C), 0, 1);
    *y = ax_empty_like(*x);
    ax_copy_to_f32(*x, ax_f32(*y));
    ax_requires_grad(*x, true);
    ax_requires_grad(*y, true);
}

/* Self-attention on q | k | v and cross-attention on q, k | v: output and gradients equal the view-based spelling
 * (one head: with 4 threads the backward splits it among tasks and sums partial dK, dV into the packed gradient),
 * with and without a key mask, and finite differences hold. */
static void test_packed(void) {
    static const struct {
        int64_t B, Tq, Tk, C; // Tk 0: self-attention
        int H;
        bool causal, masked;
    } cases[] = {{2, 130, 0, 96, 3, true, false}, {1, 70, 0, 64, 1, true, false}, {3, 9, 0, 48, 4, false, false},
                 {2, 37, 0, 64, 2, false, true},  {2, 21, 45, 64, 4, false, true}, {1, 80, 80, 32, 1, true, true},
                 {3, 5, 17, 48, 3, false, false}};
    ax_manual_seed(12);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        float scale = 0.25f;
        bool cross = cases[i].Tk > 0;
        int64_t B = cases[i].B, Tk = cross ? cases[i].Tk : cases[i].Tq, C = cases[i].C;
        int H = cases[i].H;
        ax_tensor *q, *q2, *kv = NULL, *kv2 = NULL;
        twin_leaves(B, cases[i].Tq, cross ? C : 3 * C, &q, &q2);
        if (cross) twin_leaves(B, Tk, 2 * C, &kv, &kv2);
        ax_tensor *keep = cases[i].masked ? random_keep(B, Tk) : NULL;
        ax_tensor *out = cross ? ax_attention_q_kv(q, kv, H, keep, cases[i].causal, scale)
                               : ax_attention_qkv(q, H, keep, cases[i].causal, scale);
        ax_tensor *r = ax_randn(3, out->shape, 0, 1);
        ax_backward_from(out, r);
        ax_tensor *ref = packed_by_views(q2, kv2, H, keep, cases[i].causal, scale);
        ax_backward_from(ref, r);
        char what[96];
        snprintf(what, sizeof what, "packed %s attention, case %zu", cross ? "cross" : "self", i);
        check_close(out, ref, FP32_RTOL, FP32_ATOL, __FILE__, __LINE__, what);
        check_close(q->grad, q2->grad, FP32_RTOL, FP32_ATOL, __FILE__, __LINE__, what);
        if (cross) check_close(kv->grad, kv2->grad, FP32_RTOL, FP32_ATOL, __FILE__, __LINE__, what);
        ax_arena_reset();
    }
    int H = 2;
    ax_tensor *x = ax_randn(AX_SHAPE(2, 5, 3 * 8), 0, 1);
    ax_requires_grad(x, true);
    CHECK(ax_gradcheck(run_qkv, &H, &x, 1, GC_EPS, GC_RTOL, GC_ATOL) == 0, "attention_qkv finite differences");
    ax_tensor *qkv[2] = {ax_randn(AX_SHAPE(2, 3, 8), 0, 1), ax_randn(AX_SHAPE(2, 6, 16), 0, 1)};
    for (int i = 0; i < 2; i++) ax_requires_grad(qkv[i], true);
    CHECK(ax_gradcheck(run_q_kv, &H, qkv, 2, GC_EPS, GC_RTOL, GC_ATOL) == 0, "attention_q_kv finite differences");
    ax_arena_reset();
}

// Without grad mode nothing is recorded and the forward alone runs.
static void test_no_grad(void) {
    ax_manual_seed(5);
    ax_tensor *q = ax_randn(AX_SHAPE(1, 1, 5, 8), 0, 1);
    ax_requires_grad(q, true);
    bool was = ax_set_grad_enabled(false);
    ax_tensor *out = ax_attention(q, q, q, NULL, false, 1.0f);
    ax_set_grad_enabled(was);
    CHECK(out->node == NULL && ax_tape_len() == 0, "attention recorded without grad mode");
    ax_arena_reset();
}

int main(void) {
    fx *f = fx_open("attention");
    const char *isas[] = {"avx512", "avx2", "generic"};
    for (size_t i = 0; i < sizeof isas / sizeof *isas; i++) {
        if (!ax_attn_force_isa(isas[i])) continue; // a CPU without AVX-512 or AVX2 tests what it has
        ax_set_threads(4); // more threads than heads: query blocks split among tasks, partial dK, dV summed
        test_fixtures(f);
        test_empty_rows();
        test_self_attention();
        test_packed();
        ax_set_threads(0);
        test_big();
    }
    ax_attn_force_isa(NULL);
    test_some_grads();
    test_no_grad();
    fx_close(f);
    return check_report();
}
