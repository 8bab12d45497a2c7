/* Losses. Each computes per-element losses l_i, then reduces them: none → l, sum → Σ l_i, mean → Σ l_i / count
 * (count = the number of elements, or of non-ignored targets for cross-entropy; PyTorch gives NaN when it
 * is 0, and so do we). Backward scales each element's local gradient by dL/dl_i = dy_i, dy or dy / count.
 *   cross_entropy: l_i = −Σ_c q_c·log softmax(x_i)_c,  q = (1−ε)·onehot(t_i) + ε/C;  l_i = 0 if t_i is ignored
 *                  dx_i = (softmax(x_i) − q)·dL/dl_i
 *   mse:           l = (p − t)²                              dp = 2(p − t)·dL/dl,  dt = −dp
 *   bce:           l = max(x, 0) − x·t + log(1 + e^−|x|)      dx = (σ(x) − t)·dL/dl, dt = −x·dL/dl */
#include "autograd/tape.h"
#include "axon/ops.h"
#include "backend/cpu/fused.h"
#include "ops/lanes.h"

/* ---- reduction of per-element losses, shared by every loss ---- */

// The loss tensor from the per-element losses l: l itself for NONE, else a 0-dim sum or mean.
static ax_tensor *reduce_loss(ax_tensor *l, ax_reduction red, int64_t count) {
    if (red == AX_REDUCE_NONE) return l;
    const float *p = l->data;
    int64_t len = ax_numel(l);
    double sum = 0.0;
#pragma omp parallel for simd reduction(+ : sum) if (len > AX_PAR_MIN)
    for (int64_t i = 0; i < len; i++) sum += p[i];
    if (red == AX_REDUCE_MEAN) sum = count ? sum / (double)count : NAN;
    return ax_scalar((float)sum);
}

typedef struct {
    const float *g; // the output's gradient
    int64_t step;   // 1 for NONE (one gradient per element), 0 for a 0-dim result
    float scale;    // 1, or 1/count for MEAN
} loss_grad;        // dL/dl_i = g[i·step]·scale

static loss_grad loss_grad_of(const ax_node *nd) {
    ax_reduction red = (ax_reduction)nd->iarg[0];
    int64_t count = nd->iarg[1];
    float scale = red != AX_REDUCE_MEAN ? 1.0f : count ? 1.0f / (float)count : 0.0f; // count 0: no element contributes
    return (loss_grad){nd->out->grad->data, red == AX_REDUCE_NONE ? 1 : 0, scale};
}

static inline float dl(loss_grad lg, int64_t i) { return lg.g[i * lg.step] * lg.scale; }

static void check_reduction(const char *op, ax_reduction red) {
    AX_ASSERT(red >= AX_REDUCE_MEAN && red <= AX_REDUCE_NONE, "%s: unknown reduction %d", op, (int)red);
}

// The loss from the per-element losses l; records backward with inputs a and b (NULL: a only).
static ax_tensor *record_loss(const char *op, ax_backward_fn backward, ax_tensor *l, ax_reduction red, int64_t count,
                              ax_tensor *a, ax_tensor *b, void *saved) {
    ax_tensor *out = reduce_loss(l, red, count);
    ax_node *nd = ax_tape_record(op, backward, out, b ? 2 : 1, (ax_tensor *[]){a, b});
    if (nd) {
        nd->iarg[0] = red;
        nd->iarg[1] = count;
        nd->saved = saved;
    }
    return out;
}

/* ---- cross-entropy over class logits (N, C), fused with the log-softmax ---- */

typedef struct {
    const int32_t *target; // (N) packed targets
    const float *lse;      // (N) log Σ_c e^x_c of each row
    int ignore_index;      // rows with this target contribute nothing
    float smoothing;       // ε
} ce_saved;

static void ce_backward(ax_node *nd) {
    ax_tensor *x = nd->in[0];
    float *dx = ax_grad_buf(x);
    if (!dx) return;
    const ce_saved *s = nd->saved;
    loss_grad lg = loss_grad_of(nd);
    int64_t N = x->shape[0], C = x->shape[1];
    const float *px = x->data;
    float eps = s->smoothing, off = eps / (float)C; // q_c = off + (1 − ε)·[c = t]
    const ax_fused_isa *k = ax_fused();
#pragma omp parallel for if (N * C > AX_PAR_MIN)
    for (int64_t i = 0; i < N; i++) {
        int32_t t = s->target[i];
        if (t == s->ignore_index) continue;
        float g = dl(lg, i);
        k->ce_row_grad(px + i * C, C, s->lse[i], g, off, dx + i * C);
        dx[i * C + t] -= g * (1.0f - eps);
    }
}

// targets (any stride) packed into the arena, each checked to be a class or the ignore index
static int32_t *checked_targets(const ax_tensor *target, int64_t C, int ignore_index) {
    const int32_t *src = ax_i32(target);
    int64_t N = target->shape[0];
    int32_t *t = ax_arena_alloc((size_t)N * sizeof *t);
    for (int64_t i = 0; i < N; i++) {
        t[i] = src[i * target->stride[0]];
        AX_ASSERT(t[i] == ignore_index || (t[i] >= 0 && t[i] < C), "cross_entropy: target %d out of range [0, %lld)",
                  (int)t[i], (long long)C);
    }
    return t;
}

ax_tensor *ax_cross_entropy(ax_tensor *logits, ax_tensor *target, ax_ce_opts opts) {
    AX_ASSERT(logits->ndim == 2 && target->ndim == 1 && target->shape[0] == logits->shape[0],
              "cross_entropy: logits %s (N, C) and target %s (N) do not fit", ax_shape_str(logits),
              ax_shape_str(target));
    float eps = opts.label_smoothing;
    AX_ASSERT(eps >= 0.0f && eps <= 1.0f, "cross_entropy: label smoothing %g outside [0, 1]", (double)eps);
    check_reduction("cross_entropy", opts.reduction);
    ax_tensor *x = ax_contiguous(logits);
    int64_t N = x->shape[0], C = x->shape[1], count = 0;
    ce_saved *s = ax_arena_alloc(sizeof *s);
    float *lse = ax_arena_alloc((size_t)N * sizeof *lse);
    *s = (ce_saved){checked_targets(target, C, opts.ignore_index), lse, opts.ignore_index, eps};
    ax_tensor *l = ax_empty(AX_SHAPE(N));
    const float *px = ax_f32(x);
    float *pl = l->data;
    const ax_fused_isa *k = ax_fused();
#pragma omp parallel for reduction(+ : count) if (N * C > AX_PAR_MIN)
    for (int64_t i = 0; i < N; i++) {
        const float *xi = px + i * C;
        int32_t t = s->target[i];
        float m = k->max_row(xi, C), log_sum = logf(k->sumexp_row(xi, C, m));
        lse[i] = m + log_sum;
        if (t == opts.ignore_index) {
            pl[i] = 0.0f;
            continue;
        }
        count++;
        float nll = (m - xi[t]) + log_sum; // −log p_t
        float smooth = 0.0f;               // −Σ_c log p_c = Σ_c (m − x_c) + C·log Σ e^(x−m)
        if (eps > 0.0f) {
#pragma omp simd reduction(+ : smooth)
            for (int64_t c = 0; c < C; c++) smooth += m - xi[c];
            smooth += (float)C * log_sum;
        }
        pl[i] = (1.0f - eps) * nll + eps / (float)C * smooth;
    }
    return record_loss("cross_entropy", ce_backward, l, opts.reduction, count, x, NULL, s);
}

/* ---- elementwise losses: pred or logits a, target b of the same shape, both differentiable ---- */

typedef enum { LOSS_MSE, LOSS_BCE } pointwise_loss;

// σ(x) without overflow
static inline float sigmoid(float x) {
    float e = expf(-fabsf(x));
    return x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

static void pointwise_backward(ax_node *nd, pointwise_loss kind) {
    ax_tensor *a = nd->in[0], *b = nd->in[1];
    float *da = ax_grad_buf(a), *db = ax_grad_buf(b);
    const float *pa = a->data, *pb = b->data;
    bool mse = kind == LOSS_MSE;
    loss_grad lg = loss_grad_of(nd);
    int64_t len = ax_numel(a);
#pragma omp parallel for if (len > AX_PAR_MIN)
    for (int64_t i = 0; i < len; i++) {
        float g = dl(lg, i), x = pa[i], t = pb[i];
        if (da) da[i] += g * (mse ? 2.0f * (x - t) : sigmoid(x) - t);
        if (db) db[i] += g * (mse ? -2.0f * (x - t) : -x);
    }
}

static void mse_backward(ax_node *nd) { pointwise_backward(nd, LOSS_MSE); }
static void bce_backward(ax_node *nd) { pointwise_backward(nd, LOSS_BCE); }

static ax_tensor *pointwise(const char *op, pointwise_loss kind, ax_tensor *a, ax_tensor *b, ax_reduction red) {
    AX_ASSERT(ax_same_shape(a, b), "%s: input %s and target %s differ in shape", op, ax_shape_str(a), ax_shape_str(b));
    check_reduction(op, red);
    a = ax_contiguous(a);
    b = ax_contiguous(b);
    ax_tensor *l = ax_empty(a->ndim, a->shape);
    const float *pa = ax_f32(a), *pb = ax_f32(b);
    float *pl = l->data;
    int64_t len = ax_numel(a);
#pragma omp parallel for simd if (len > AX_PAR_MIN)
    for (int64_t i = 0; i < len; i++) {
        float x = pa[i], t = pb[i];
        pl[i] = kind == LOSS_MSE ? (x - t) * (x - t) : fmaxf(x, 0.0f) - x * t + log1pf(expf(-fabsf(x)));
    }
    return record_loss(op, kind == LOSS_MSE ? mse_backward : bce_backward, l, red, len, a, b, NULL);
}

ax_tensor *ax_mse_loss(ax_tensor *pred, ax_tensor *target, ax_reduction reduction) {
    return pointwise("mse_loss", LOSS_MSE, pred, target, reduction);
}

ax_tensor *ax_bce_with_logits(ax_tensor *logits, ax_tensor *target, ax_reduction reduction) {
    return pointwise("bce_with_logits", LOSS_BCE, logits, target, reduction);
}
