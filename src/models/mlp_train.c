/* Mini-batch training, evaluation and prediction of the MLP classifier on an image set. Every batch lives in
 * the step arena, which is reset after it: in steady state a step does no malloc. */
#include "axon/models.h"

#include <string.h>

// the images must have the model's input size and labels below its class count
static void check_fits(const ax_mlp *m, const ax_image_set *s, bool labels) {
    AX_ASSERT(s->rows * s->cols == m->cfg.in, "mlp: %lldx%lld images do not fit an input of %lld",
              (long long)s->rows, (long long)s->cols, (long long)m->cfg.in);
    AX_ASSERT(!labels || (s->labels && s->n_classes <= m->cfg.classes),
              "mlp: image set with %d classes for a %lld-class model", s->n_classes, (long long)m->cfg.classes);
}

// the image indices of a batch: idx + start, or start, start + 1, … when idx is NULL
static const int64_t *batch_ids(const int64_t *idx, int64_t start, int64_t b) {
    if (idx) return idx + start;
    int64_t *ids = ax_arena_alloc((size_t)b * sizeof *ids);
    for (int64_t i = 0; i < b; i++) ids[i] = start + i;
    return ids;
}

// x (b, in) and, if y is not NULL, labels (b) for images ids[0..b)
static ax_tensor *make_batch(const ax_image_set *s, const int64_t *ids, int64_t b, ax_tensor **y) {
    ax_tensor *x = ax_empty(AX_SHAPE(b, s->rows * s->cols));
    if (y) *y = ax_empty_dtype(AX_I32, AX_SHAPE(b));
    ax_image_set_batch(s, ids, b, ax_f32(x), y ? ax_i32(*y) : NULL);
    return x;
}

// the arg-max class of row i of logits (n, C); the first one on ties
static int64_t argmax_row(const float *logits, int64_t C, int64_t i) {
    const float *r = logits + i * C;
    int64_t best = 0;
    for (int64_t c = 1; c < C; c++)
        if (r[c] > r[best]) best = c;
    return best;
}

// adds a batch's loss (its mean, 0-dim), correct predictions and, if not NULL, confusion counts to st
static void tally(ax_class_stats *st, ax_tensor *logits, ax_tensor *y, ax_tensor *loss, int64_t *confusion) {
    int64_t b = logits->shape[0], C = logits->shape[1];
    const float *l = ax_f32(logits);
    const int32_t *t = ax_i32(y);
    for (int64_t i = 0; i < b; i++) {
        int64_t pred = argmax_row(l, C, i);
        st->correct += pred == t[i];
        if (confusion) confusion[t[i] * C + pred]++;
    }
    st->loss_sum += (double)ax_item(loss) * (double)b;
    st->n += b;
}

ax_class_stats ax_mlp_train_epoch(ax_mlp *m, ax_optim *opt, const ax_lr_schedule *sched, const ax_image_set *s,
                                  const int64_t *idx, int64_t n, int64_t batch, ax_batch_fn on_batch, void *ctx) {
    check_fits(m, s, true);
    AX_ASSERT(batch >= 1, "mlp: batch size %lld", (long long)batch);
    ax_class_stats st = {0};
    for (int64_t start = 0; start < n; start += batch) {
        int64_t b = n - start < batch ? n - start : batch;
        ax_tensor *y, *x = make_batch(s, idx + start, b, &y);
        if (sched) ax_optim_set_lr(opt, ax_lr_at(sched, ax_optim_steps(opt)));
        ax_tensor *logits = ax_mlp_forward(m, x, true);
        ax_tensor *loss = ax_cross_entropy(logits, y, AX_CE_DEFAULTS);
        ax_optim_zero_grad(opt);
        ax_backward(loss);
        ax_optim_step(opt);
        tally(&st, logits, y, loss, NULL);
        ax_arena_reset();
        if (on_batch) on_batch(&st, ctx);
    }
    return st;
}

ax_class_stats ax_mlp_evaluate(const ax_mlp *m, const ax_image_set *s, const int64_t *idx, int64_t n, int64_t batch,
                               int64_t *confusion) {
    check_fits(m, s, true);
    AX_ASSERT(batch >= 1, "mlp: batch size %lld", (long long)batch);
    bool grad = ax_set_grad_enabled(false);
    ax_class_stats st = {0};
    for (int64_t start = 0; start < n; start += batch) {
        int64_t b = n - start < batch ? n - start : batch;
        ax_tensor *y, *x = make_batch(s, batch_ids(idx, start, b), b, &y);
        ax_tensor *logits = ax_mlp_forward(m, x, false);
        tally(&st, logits, y, ax_cross_entropy(logits, y, AX_CE_DEFAULTS), confusion);
        ax_arena_reset();
    }
    ax_set_grad_enabled(grad);
    return st;
}

void ax_mlp_predict(const ax_mlp *m, const ax_image_set *s, const int64_t *idx, int64_t n, float *probs) {
    check_fits(m, s, false);
    bool grad = ax_set_grad_enabled(false);
    const int64_t chunk = 256, C = m->cfg.classes;
    for (int64_t start = 0; start < n; start += chunk) {
        int64_t b = n - start < chunk ? n - start : chunk;
        ax_tensor *p = ax_softmax(ax_mlp_forward(m, make_batch(s, batch_ids(idx, start, b), b, NULL), false), 1);
        memcpy(probs + start * C, ax_f32(p), (size_t)(b * C) * sizeof *probs);
        ax_arena_reset();
    }
    ax_set_grad_enabled(grad);
}
