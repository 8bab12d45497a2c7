/* Layer normalisation over the last dim (size C), row by row:
 *   μ = mean x,  σ² = mean (x−μ)² (biased),  r = 1/√(σ² + ε),  x̂ = (x−μ)·r,  y = x̂·w + b
 *   dx += r·(g − mean g − x̂·mean(g·x̂)) with g = dy·w;   dw += Σ_rows dy·x̂;   db += Σ_rows dy
 * Row statistics are computed in float (two passes) and μ, r saved for backward. w and b may be NULL
 * (w = 1, b = 0). */
#include "autograd/tape.h"
#include "axon/ops.h"
#include "ops/lanes.h"

typedef struct {
    float *mean; // (rows) μ of each row
    float *rstd; // (rows) r of each row
} ln_stats;

// μ and r of one row of C elements
static void row_stats(const float *x, int64_t C, float eps, float *mean, float *rstd) {
    float sum = 0.0f, sq = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t c = 0; c < C; c++) sum += x[c];
    float mu = sum / (float)C;
#pragma omp simd reduction(+ : sq)
    for (int64_t c = 0; c < C; c++) sq += (x[c] - mu) * (x[c] - mu);
    *mean = mu;
    *rstd = 1.0f / sqrtf(sq / (float)C + eps);
}

// dx of one row: r·(g − mean g − x̂·mean(g·x̂)), g = dy·w
static void row_grad(const float *x, const float *dy, const float *w, int64_t C, float mu, float r, float *dx) {
    float sg = 0.0f, sgx = 0.0f; // Σ g, Σ g·x̂
#pragma omp simd reduction(+ : sg, sgx)
    for (int64_t c = 0; c < C; c++) {
        float g = w ? dy[c] * w[c] : dy[c];
        sg += g;
        sgx += g * (x[c] - mu) * r;
    }
    float mg = sg / (float)C, mgx = sgx / (float)C;
    for (int64_t c = 0; c < C; c++) {
        float g = w ? dy[c] * w[c] : dy[c];
        dx[c] += r * (g - mg - (x[c] - mu) * r * mgx);
    }
}

// dw += Σ_rows dy·x̂, db += Σ_rows dy; each task owns a block of columns
static void affine_grads(const float *x, const float *dy, const ln_stats *st, int64_t rows, int64_t C, float *dw,
                         float *db) {
#pragma omp parallel for if (rows * C > AX_PAR_MIN)
    for (int64_t c0 = 0; c0 < C; c0 += AX_COL_BLOCK) {
        int64_t c1 = c0 + AX_COL_BLOCK < C ? c0 + AX_COL_BLOCK : C;
        for (int64_t i = 0; i < rows; i++) {
            const float *xi = x + i * C, *gi = dy + i * C;
            float mu = st->mean[i], r = st->rstd[i];
            if (dw)
                for (int64_t c = c0; c < c1; c++) dw[c] += gi[c] * (xi[c] - mu) * r;
            if (db)
                for (int64_t c = c0; c < c1; c++) db[c] += gi[c];
        }
    }
}

static void layernorm_backward(ax_node *nd) {
    ax_tensor *x = nd->in[0], *w = nd->in[1];
    const ln_stats *st = nd->saved;
    int64_t C = x->shape[x->ndim - 1], rows = C ? ax_numel(x) / C : 0;
    const float *px = x->data, *dy = nd->out->grad->data, *pw = w ? ax_f32(w) : NULL;
    float *dx = ax_grad_buf(x), *dw = ax_grad_buf(w), *db = ax_grad_buf(nd->in[2]);
    if (dx) {
#pragma omp parallel for if (rows * C > AX_PAR_MIN)
        for (int64_t i = 0; i < rows; i++)
            row_grad(px + i * C, dy + i * C, pw, C, st->mean[i], st->rstd[i], dx + i * C);
    }
    if (dw || db) affine_grads(px, dy, st, rows, C, dw, db);
}

static ax_tensor *affine_param(ax_tensor *p, const char *what, const ax_tensor *x, int64_t C) {
    if (!p) return NULL;
    AX_ASSERT(p->ndim == 1 && p->shape[0] == C, "layernorm: %s %s does not fit input %s", what, ax_shape_str(p),
              ax_shape_str(x));
    return ax_contiguous(p);
}

ax_tensor *ax_layernorm(ax_tensor *x, ax_tensor *w, ax_tensor *b, float eps) {
    AX_ASSERT(x->ndim >= 1, "layernorm of a 0-dim tensor");
    int64_t C = x->shape[x->ndim - 1], rows = C ? ax_numel(x) / C : 0;
    w = affine_param(w, "weight", x, C);
    b = affine_param(b, "bias", x, C);
    x = ax_contiguous(x);
    ax_tensor *y = ax_empty(x->ndim, x->shape);
    ln_stats *st = ax_arena_alloc(sizeof *st);
    st->mean = ax_arena_alloc((size_t)rows * sizeof(float));
    st->rstd = ax_arena_alloc((size_t)rows * sizeof(float));
    const float *px = ax_f32(x), *pw = w ? ax_f32(w) : NULL, *pb = b ? ax_f32(b) : NULL;
    float *py = y->data;
#pragma omp parallel for if (rows * C > AX_PAR_MIN)
    for (int64_t i = 0; i < rows; i++) {
        const float *xi = px + i * C;
        float *yi = py + i * C, mu, r;
        row_stats(xi, C, eps, &mu, &r);
        st->mean[i] = mu;
        st->rstd[i] = r;
        for (int64_t c = 0; c < C; c++) {
            float v = (xi[c] - mu) * r;
            yi[c] = (pw ? v * pw[c] : v) + (pb ? pb[c] : 0.0f);
        }
    }
    ax_node *nd = AX_RECORD("layernorm", layernorm_backward, y, x, w, b);
    if (nd) nd->saved = st;
    return y;
}
