/* Layer normalisation over the last dim (size C), row by row:
 *   μ = mean x,  σ² = mean (x−μ)² (biased),  r = 1/√(σ² + ε),  x̂ = (x−μ)·r,  y = x̂·w + b
 *   dx += r·(g − mean g − x̂·mean(g·x̂)) with g = dy·w;   dw += Σ_rows dy·x̂;   db += Σ_rows dy
 * Row statistics are computed in float (two passes) and μ, r saved for backward. w and b may be NULL
 * (w = 1, b = 0). The rows run on the fused SIMD kernels (backend/cpu/fused.h), the backward in one pass
 * over x and dy. */
#include "autograd/tape.h"
#include "axon/ops.h"
#include "backend/cpu/fused.h"
#include "ops/lanes.h"

#include <omp.h>
#include <string.h>

typedef struct {
    float *mean; // (rows) μ of each row
    float *rstd; // (rows) r of each row
} ln_stats;

// C copies of v in the arena: the weight or bias a layernorm without one behaves as if it had
static const float *filled(int64_t C, float v) {
    float *p = ax_arena_alloc((size_t)C * sizeof *p);
    for (int64_t c = 0; c < C; c++) p[c] = v;
    return p;
}

/* dx row by row; dw, db summed per thread over its rows into part (threads, 2, C), then added up */
static void layernorm_backward(ax_node *nd) {
    ax_tensor *x = nd->in[0], *w = nd->in[1];
    const ln_stats *st = nd->saved;
    int64_t C = x->shape[x->ndim - 1], rows = C ? ax_numel(x) / C : 0;
    const float *px = x->data, *dy = nd->out->grad->data, *pw = w ? ax_f32(w) : filled(C, 1.0f);
    float *dx = ax_grad_buf(x), *dw = ax_grad_buf(w), *db = ax_grad_buf(nd->in[2]);
    const ax_fused_isa *k = ax_fused();
    int nt = rows * C > AX_PAR_MIN ? ax_threads() : 1;
    float *part = NULL;
    if ((dw || db) && nt > 1) {
        part = ax_arena_alloc((size_t)(nt * 2 * C) * sizeof *part);
        memset(part, 0, (size_t)(nt * 2 * C) * sizeof *part);
    }
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        float *tw = dw, *tb = db; // this thread's sums
        if (part) {
            float *mine = part + omp_get_thread_num() * 2 * C;
            tw = dw ? mine : NULL, tb = db ? mine + C : NULL;
        }
#pragma omp for schedule(static)
        for (int64_t i = 0; i < rows; i++)
            k->layernorm_row_grad(px + i * C, dy + i * C, pw, C, st->mean[i], st->rstd[i], dx ? dx + i * C : NULL, tw,
                                  tb);
    }
    for (int t = 0; part && t < nt; t++)
        for (int64_t c = 0; c < C; c++) {
            if (dw) dw[c] += part[t * 2 * C + c];
            if (db) db[c] += part[t * 2 * C + C + c];
        }
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
    const float *px = ax_f32(x), *pw = w ? ax_f32(w) : filled(C, 1.0f), *pb = b ? ax_f32(b) : filled(C, 0.0f);
    float *py = y->data;
    const ax_fused_isa *k = ax_fused();
#pragma omp parallel for if (rows * C > AX_PAR_MIN)
    for (int64_t i = 0; i < rows; i++)
        k->layernorm_row(px + i * C, pw, pb, C, eps, py + i * C, &st->mean[i], &st->rstd[i]);
    ax_node *nd = AX_RECORD("layernorm", layernorm_backward, y, x, w, b);
    if (nd) nd->saved = st;
    return y;
}
