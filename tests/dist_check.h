/* tests/dist_check.h — what test_dist.c (one process) and test_mpi.c (its worker under mpirun) share: a
 * registry of odd-sized parameters, gradients that differ per rank, and the comparison of ZeRO-1 with the plain
 * optimizer on the summed gradients. With a small bucket size the parameters spread over many buckets, one
 * larger than a bucket, and rank slices that start and end inside parameters. */
#ifndef AX_TESTS_DIST_CHECK_H
#define AX_TESTS_DIST_CHECK_H

#include "axon/dist.h"
#include "check.h"

#include <string.h>

#define DIST_N_PARAMS 5
#define DIST_BUCKET_BYTES 96 // 24 floats: most buckets hold a few parameters, the (40) one is alone

static ax_params *dist_params(void) {
    static const int64_t sizes[DIST_N_PARAMS] = {3, 7, 40, 1, 13};
    ax_params *p = ax_params_new();
    for (int i = 0; i < DIST_N_PARAMS; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        ax_tensor *t = ax_params_add(p, name, 1, &sizes[i]);
        for (int64_t j = 0; j < sizes[i]; j++) ax_f32(t)[j] = 0.25f * (float)((i * 7 + j * 3) % 11) - 1.0f;
        p->items[i].no_decay = i == 3;
    }
    return p;
}

// rank r's gradient of parameter i at step s, element j: small dyadic numbers, so sums over ranks are exact
static float dist_grad(int r, int i, int64_t j, int s) { return (float)((r * 5 + i * 3 + (int)j + s * 2) % 9 - 4) / 8.0f; }

// every gradient of p as rank r's (sum: the sum over ranks 0 .. n−1, what the reductions must give)
static void dist_set_grads(ax_params *p, int r, int n, int s, bool sum) {
    for (int i = 0; i < p->n; i++) {
        ax_tensor *t = p->items[i].t;
        if (!t->grad) t->grad = ax_tensor_new(AX_F32, t->ndim, t->shape);
        for (int64_t j = 0; j < ax_numel(t); j++) {
            float g = 0;
            for (int k = sum ? 0 : r; k < (sum ? n : r + 1); k++) g += dist_grad(k, i, j, s);
            ax_f32(t->grad)[j] = g;
        }
    }
}

static bool dist_same_values(const ax_params *a, const ax_params *b) {
    for (int i = 0; i < a->n; i++)
        if (memcmp(a->items[i].t->data, b->items[i].t->data, (size_t)ax_numel(a->items[i].t) * sizeof(float)))
            return false;
    return true;
}

static bool dist_same_state(const ax_optim *a, const ax_optim *b, int n) {
    if (ax_optim_steps(a) != ax_optim_steps(b)) return false;
    for (int i = 0; i < n; i++) {
        if (ax_optim_param_steps(a, i) != ax_optim_param_steps(b, i)) return false;
        for (int slot = 0; slot < 2; slot++) {
            const ax_tensor *x = ax_optim_state(a, i, slot), *y = ax_optim_state(b, i, slot);
            if (memcmp(x->data, y->data, (size_t)ax_numel(x) * sizeof(float))) return false;
        }
    }
    return true;
}

/* 3 AdamW steps (the norm clipped to 2) with ZeRO-1 on this rank's gradients vs the plain optimizer on their sum
 * (every rank computes it): the same weights bit for bit, the same gathered state, and a zero rebuilt from the
 * gathered state (ax_zero_scatter) continues identically */
static void dist_check_zero(void) {
    int r = ax_dist_rank(), n = ax_dist_size();
    ax_params *p = dist_params(), *ref = dist_params(), *saved = dist_params();
    ax_optim_config cfg = ax_optim_defaults(AX_OPTIM_ADAMW);
    cfg.lr = 0.1f;
    ax_zero *z = ax_zero_new(p, cfg, DIST_BUCKET_BYTES);
    ax_optim *plain = ax_optim_new(ref, cfg), *full = ax_optim_new(saved, cfg);
    for (int s = 0; s < 3; s++) {
        dist_set_grads(p, r, n, s, false);
        dist_set_grads(ref, r, n, s, true);
        float norm = ax_zero_reduce(z, 2.0f), want = ax_clip_grad_norm(ref, 2.0f);
        CHECK(norm == want, "step %d: global norm %.9g, plain %.9g", s, norm, want);
        ax_zero_step(z);
        ax_optim_step(plain);
        CHECK(dist_same_values(p, ref), "step %d: ZeRO-1 weights equal the plain optimizer's", s);
    }
    ax_zero_gather(z, r == 0 ? full : NULL);
    if (r == 0) CHECK(dist_same_state(full, plain, DIST_N_PARAMS), "the gathered state is the plain optimizer's");
    ax_zero *again = ax_zero_new(p, cfg, DIST_BUCKET_BYTES);
    ax_zero_scatter(again, r == 0 ? full : NULL);
    dist_set_grads(p, r, n, 3, false);
    dist_set_grads(ref, r, n, 3, true);
    ax_zero_reduce(again, 2.0f);
    ax_clip_grad_norm(ref, 2.0f);
    ax_zero_step(again);
    ax_optim_step(plain);
    CHECK(dist_same_values(p, ref), "a ZeRO-1 shard rebuilt from the gathered state continues like the original");
    ax_zero_free(z), ax_zero_free(again);
    ax_optim_free(plain), ax_optim_free(full);
    ax_params_free(p), ax_params_free(ref), ax_params_free(saved);
}

#endif
