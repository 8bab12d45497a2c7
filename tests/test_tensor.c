/* Tensors, the step arena, the RNG and autograd semantics (no fixtures: exact values by construction). */
#include "autograd/tape.h"
#include "check.h"

#include <math.h>
#include <string.h>

// every element of t (any strides) equals the matching entry of expected
static bool equals(const ax_tensor *t, const float *expected) {
    int64_t n = ax_numel(t);
    float buf[64];
    AX_ASSERT(n <= 64, "equals: %s too big", ax_shape_str(t));
    ax_copy_to_f32(t, buf);
    return memcmp(buf, expected, (size_t)n * sizeof *buf) == 0;
}

static bool all_equal(const ax_tensor *t, float v) {
    for (int64_t i = 0; i < ax_numel(t); i++)
        if (ax_f32(t)[i] != v) return false;
    return true;
}

/* ---- creation, strides, contiguity ---- */

static void test_creation(void) {
    ax_tensor *z = ax_zeros(AX_SHAPE(2, 3, 4));
    CHECK(z->ndim == 3 && ax_numel(z) == 24 && z->dtype == AX_F32 && all_equal(z, 0.0f), "zeros");
    CHECK(z->stride[0] == 12 && z->stride[1] == 4 && z->stride[2] == 1 && ax_is_contiguous(z), "row-major strides");
    CHECK(!z->requires_grad && !z->persistent && !z->grad && !z->node, "a fresh step tensor is a plain leaf");
    CHECK(strcmp(ax_shape_str(z), "(2, 3, 4)") == 0, "shape string %s", ax_shape_str(z));
    CHECK(all_equal(ax_ones(AX_SHAPE(5)), 1.0f) && all_equal(ax_full(AX_SHAPE(2, 2), -2.5f), -2.5f), "ones, full");
    ax_tensor *s = ax_scalar(3.5f);
    CHECK(s->ndim == 0 && ax_numel(s) == 1 && ax_item(s) == 3.5f && strcmp(ax_shape_str(s), "()") == 0, "scalar");
    const float v[6] = {1, 2, 3, 4, 5, 6};
    ax_tensor *f = ax_from_f32(AX_SHAPE(2, 3), v);
    CHECK(equals(f, v) && ax_f32(f) != v, "from_f32 copies");
    CHECK(ax_get(f, (const int64_t[]){1, 2}) == 6.0f && ax_norm_dim(f, -1) == 1 && ax_norm_dim(f, -2) == 0, "get, dims");
    ax_tensor *i = ax_from_i32(AX_SHAPE(3), (const int32_t[]){7, -1, 0});
    CHECK(i->dtype == AX_I32 && ax_i32(i)[0] == 7 && ax_i32(i)[1] == -1, "from_i32");
    ax_tensor *b = ax_empty_dtype(AX_BOOL, AX_SHAPE(4, 5));
    ax_tensor *bz = ax_zeros_like(b);
    bool zero = bz->dtype == AX_BOOL && ax_same_shape(bz, b);
    for (int k = 0; k < 20; k++) zero &= ((uint8_t *)bz->data)[k] == 0;
    CHECK(zero, "zeros_like keeps dtype and shape");
    CHECK(ax_empty_like(f)->dtype == AX_F32 && ax_same_shape(ax_empty_like(f), f), "empty_like");
    CHECK((uintptr_t)ax_arena_alloc(3) % 64 == 0 && (uintptr_t)ax_arena_alloc(100) % 64 == 0, "arena alignment");
    ax_arena_reset();
}

static void test_contiguity(void) {
    float v[24];
    for (int k = 0; k < 24; k++) v[k] = (float)k;
    ax_tensor *x = ax_from_f32(AX_SHAPE(2, 3, 4), v);
    ax_tensor *p = ax_permute(x, (const int[]){2, 0, 1}); // p[i][j][k] = x[j][k][i] = 12j + 4k + i
    CHECK(!ax_is_contiguous(p) && p->shape[0] == 4 && p->stride[0] == 1, "permuted view strides");
    float expected[24];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++)
            for (int k = 0; k < 3; k++) expected[i * 6 + j * 3 + k] = (float)(12 * j + 4 * k + i);
    CHECK(equals(p, expected), "copy_to_f32 of a permuted view");
    ax_tensor *kept = ax_tensor_keep(p);
    CHECK(kept->persistent && ax_is_contiguous(kept) && ax_same_shape(kept, p) && equals(kept, expected) &&
              !kept->requires_grad,
          "tensor_keep packs a view");
    ax_tensor_free(kept);
    // size-1 dims do not break contiguity whatever their stride
    ax_tensor *u = ax_unsqueeze(ax_narrow(x, 0, 1, 1), 2);
    CHECK(ax_is_contiguous(u), "size-1 dims are ignored by is_contiguous");
    ax_tensor *n = ax_tensor_new(AX_F32, AX_SHAPE(3, 5));
    CHECK(n->persistent && n->owns_data && all_equal(n, 0.0f) && ax_is_contiguous(n), "tensor_new is zeroed");
    ax_tensor_free(n);
    ax_arena_reset();
}

/* ---- random numbers ---- */

static void test_rng(void) {
    ax_rng a, b, c;
    ax_rng_seed(&a, 42);
    ax_rng_seed(&b, 42);
    ax_rng_seed(&c, 43);
    // reference values of this PCG-XSH-RR seeding, from an independent implementation: the stream must
    // never change (checkpoints resume it bit-exactly)
    const uint32_t golden[4] = {0xcb738720u, 0xd1221c21u, 0xd30a4869u, 0x9025c65eu};
    bool same = true, golden_ok = true;
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = ax_rng_u32(&a);
        same &= x == ax_rng_u32(&b);
        differ += x != ax_rng_u32(&c);
        if (i < 4) golden_ok &= x == golden[i];
    }
    CHECK(same && differ > 990, "same seed, same stream (%d of 1000 differ for another seed)", differ);
    CHECK(golden_ok, "the seed-42 stream matches the reference values");

    enum { N = 100000 };
    double sum = 0, sum2 = 0, nsum = 0, nsum2 = 0;
    float lo = 1, hi = 0;
    for (int i = 0; i < N; i++) {
        float u = ax_rng_uniform(&a);
        lo = fminf(lo, u), hi = fmaxf(hi, u);
        sum += u, sum2 += (double)u * u;
        double z = ax_rng_normal(&a);
        nsum += z, nsum2 += z * z;
    }
    CHECK(lo >= 0.0f && hi < 1.0f && lo < 1e-3f && hi > 0.999f, "uniform in [0, 1): min %g max %g", lo, hi);
    // 5 standard errors: mean of U[0,1) ± 5·0.289/√N, variance 1/12 ± 5·0.0745/√N
    CHECK_NEAR(sum / N, 0.5, 5 * 0.289 / sqrt(N));
    CHECK_NEAR(sum2 / N - (sum / N) * (sum / N), 1.0 / 12, 5 * 0.0745 / sqrt(N));
    // standard normal: mean 0 ± 5/√N, std 1 ± 5/√(2N)
    double mean = nsum / N, std = sqrt(nsum2 / N - mean * mean);
    CHECK_NEAR(mean, 0.0, 5 / sqrt(N));
    CHECK_NEAR(std, 1.0, 5 / sqrt(2.0 * N));

    // the global generator: ax_manual_seed makes ax_rand / ax_randn reproducible
    ax_manual_seed(7);
    ax_tensor *r1 = ax_rand(AX_SHAPE(64), -2.0f, 3.0f), *n1 = ax_randn(AX_SHAPE(64), 1.0f, 0.5f);
    ax_manual_seed(7);
    ax_tensor *r2 = ax_rand(AX_SHAPE(64), -2.0f, 3.0f), *n2 = ax_randn(AX_SHAPE(64), 1.0f, 0.5f);
    CHECK(memcmp(r1->data, r2->data, 64 * sizeof(float)) == 0 && memcmp(n1->data, n2->data, 64 * sizeof(float)) == 0,
          "manual_seed reproduces rand and randn");
    bool in_range = true;
    for (int i = 0; i < 64; i++) in_range &= ax_f32(r1)[i] >= -2.0f && ax_f32(r1)[i] < 3.0f;
    CHECK(in_range, "rand in [lo, hi)");
    ax_arena_reset();
}

/* ---- the step arena: zero malloc per step in steady state ---- */

// One training-like step: ops with gradients, backward, reset. Needs more than the arena's first block.
static void arena_step(ax_tensor *w) {
    ax_manual_seed(1);
    ax_tensor *x = ax_randn(AX_SHAPE(128, 256), 0.0f, 1.0f);
    ax_tensor *h = ax_tanh(ax_matmul(x, w)); // (128, 256)
    ax_tensor *e = ax_exp(ax_mul_scalar(ax_reshape(h, AX_SHAPE(-1)), 0.1f));
    ax_tensor *y = ax_mul(ax_reshape(ax_transpose(h, 0, 1), AX_SHAPE(-1)), e); // the reshape copies
    ax_backward_from(y, ax_ones(y->ndim, y->shape));
    ax_arena_reset();
}

static void test_arena(void) {
    ax_tensor *w = ax_tensor_new(AX_F32, AX_SHAPE(256, 256));
    ax_requires_grad(w, true);
    ax_arena_reset();
    uint64_t mallocs[6];
    for (int s = 0; s < 6; s++) {
        arena_step(w);
        mallocs[s] = ax_arena_get_stats().n_mallocs;
    }
    ax_arena_stats st = ax_arena_get_stats();
    CHECK(mallocs[0] > 1, "the first step outgrows the first block (%llu mallocs): the test exercises growth",
          (unsigned long long)mallocs[0]);
    CHECK(mallocs[2] == mallocs[3] && mallocs[3] == mallocs[5], "no malloc per step after warm-up: %llu %llu %llu",
          (unsigned long long)mallocs[2], (unsigned long long)mallocs[3], (unsigned long long)mallocs[5]);
    CHECK(st.used == 0 && st.capacity >= st.peak && st.peak > (1u << 20), "stats: used %zu capacity %zu peak %zu",
          st.used, st.capacity, st.peak);
    CHECK(w->grad && w->grad->persistent && ax_tape_len() == 0, "persistent gradient survives the resets");
    ax_tensor_free(w);
}

/* ---- autograd semantics ---- */

static ax_tensor *param(const float *v, int64_t n) {
    ax_tensor *x = ax_from_f32(AX_SHAPE(n), v);
    ax_requires_grad(x, true);
    return x;
}

static void seed_ones(ax_tensor *y) { ax_backward_from(y, ax_ones(y->ndim, y->shape)); }

static void test_accumulation(void) {
    const float v[4] = {-1.5f, 0.0f, 2.0f, 3.25f};
    ax_tensor *x = param(v, 4);
    seed_ones(ax_add(ax_mul(x, x), x)); // x used three times: dy/dx = 2x + 1
    float expected[4];
    for (int i = 0; i < 4; i++) expected[i] = 2 * v[i] + 1;
    CHECK(x->grad && equals(x->grad, expected), "a tensor used twice gets the sum of its gradients");
    CHECK(ax_tape_len() == 0, "backward clears the tape");

    ax_tensor *l = ax_mul(ax_narrow(x, 0, 2, 1), ax_narrow(x, 0, 3, 1)); // one element: x2·x3
    ax_zero_grad(x);
    float *buf = x->grad->data;
    ax_backward(l);
    const float e2[4] = {0, 0, v[3], v[2]};
    CHECK(x->grad->data == buf && equals(x->grad, e2), "zero_grad keeps the buffer; backward seeds 1");
    ax_zero_grad(x);
    CHECK(all_equal(x->grad, 0.0f), "zero_grad zeroes");
    ax_arena_reset();
}

/* An intermediate's first gradient is handed over (add, reshape) or written (sub, relu, mul_scalar), later ones add
 * to it; the same tensor twice in one add; an intermediate that takes the seed's own buffer and is then added to. */
static void test_first_gradient(void) {
    const float v[4] = {-1.5f, 0.0f, 2.0f, 3.25f};
    ax_tensor *x = param(v, 4);
    ax_tensor *h = ax_mul_scalar(x, 2.0f); // {-3, 0, 4, 6.5}
    ax_tensor *twice = ax_reshape(ax_reshape(h, AX_SHAPE(2, 2)), AX_SHAPE(4));
    ax_tensor *y = ax_add(ax_add(h, h), ax_mul_scalar(twice, 3.0f));
    seed_ones(ax_sub(ax_add(y, ax_relu(h)), h)); // dy/dh = 2 + 3 + [h > 0] − 1
    const float e1[4] = {8, 8, 10, 10};
    CHECK(x->grad && equals(x->grad, e1), "handed-over and written first gradients, then sums");
    ax_zero_grad(x);
    h = ax_mul_scalar(x, 2.0f);
    seed_ones(ax_add(h, ax_mul(h, h))); // h takes the seed's buffer, then gets 2h added: dy/dx = 2·(1 + 2h)
    const float e2[4] = {-10, 2, 18, 28};
    CHECK(equals(x->grad, e2), "a gradient handed over, then added to");
    ax_arena_reset();
}

static void test_no_grad(void) {
    ax_tensor *x = param((const float[]){1, 2}, 2);
    int64_t before = ax_tape_len();
    bool prev = ax_set_grad_enabled(false);
    CHECK(prev && !ax_grad_enabled(), "set_grad_enabled returns the previous mode");
    ax_tensor *y = ax_exp(ax_mul(x, x));
    CHECK(!y->requires_grad && !y->node && ax_tape_len() == before, "no-grad mode records nothing");
    ax_set_grad_enabled(prev);
    CHECK(ax_grad_enabled(), "grad mode restored");
    ax_tensor *z = ax_exp(x);
    CHECK(z->requires_grad && z->node && ax_tape_len() == before + 1, "grad mode records");
    ax_tensor *c = ax_exp(ax_ones(AX_SHAPE(2)));
    CHECK(!c->requires_grad && ax_tape_len() == before + 1, "ops on tensors without grad record nothing");
    ax_arena_reset();
    CHECK(ax_tape_len() == 0, "arena reset clears the tape");
}

static void test_detach(void) {
    const float v[3] = {0.5f, -2.0f, 3.0f};
    ax_tensor *x = param(v, 3);
    ax_tensor *d = ax_detach(x);
    CHECK(d->data == x->data && !d->requires_grad && !d->node && !d->grad, "detach shares data without history");
    seed_ones(ax_mul(d, x)); // gradient only through the attached factor: d(x̄·x)/dx = x̄
    CHECK(equals(x->grad, v) && !d->grad, "no gradient flows through a detached tensor");
    ax_tensor *h = ax_exp(x);
    ax_tensor *hd = ax_detach(h);
    CHECK(!hd->node && !hd->requires_grad && h->node, "detach of an op output drops its history");
    ax_arena_reset();
}

static void test_persistent_accumulation(void) {
    ax_tensor *w = ax_tensor_new(AX_F32, AX_SHAPE(3));
    float *wp = w->data;
    wp[0] = 1, wp[1] = -2, wp[2] = 0.5f;
    ax_requires_grad(w, true);
    const float b_v[3] = {4, 5, 6};
    for (int step = 0; step < 2; step++) { // d(w·b)/dw = b, twice
        ax_tensor *b = ax_from_f32(AX_SHAPE(3), b_v);
        seed_ones(ax_mul(w, b));
        CHECK(!b->grad, "an input with requires_grad = false gets no gradient");
        ax_arena_reset();
    }
    const float expected[3] = {8, 10, 12};
    CHECK(w->grad && w->grad->persistent && equals(w->grad, expected), "persistent gradients accumulate across steps");
    ax_zero_grad(w);
    CHECK(all_equal(w->grad, 0.0f), "zero_grad of a persistent tensor");
    ax_tensor_free(w);
}

int main(void) {
    test_creation();
    test_contiguity();
    test_rng();
    test_arena();
    test_accumulation();
    test_first_gradient();
    test_no_grad();
    test_detach();
    test_persistent_accumulation();
    return check_report();
}
