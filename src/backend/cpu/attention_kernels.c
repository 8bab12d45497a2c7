/* Flash-attention forward and backward on the CPU (see attention_kernels.h).
 *
 * Each (batch·head) is cut into blocks of BQ query rows; a block meets the keys in tiles of BK. Kᵀ (and Vᵀ
 * for the backward) are packed once into panels of BK keys, so that every tile product runs along
 * contiguous rows: S = Q·Kᵀ reads Q rows and a Kᵀ panel, O += P·V reads V rows, and so on (attention_simd.h).
 * Scratch: one BQ × BK score tile (and one dP tile) per thread; nothing of size Tq × Tk. */
#include "backend/cpu/attention_kernels.h"

#include "axon/tensor.h"
#include "backend/cpu/attention_simd.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#define BQ 64             // query rows per block: the unit of parallel work
#define BK 64             // keys per tile, and the width of a packed Kᵀ / Vᵀ panel
#define PAR_MIN (1 << 20) // multiply-adds below which the kernels stay on one thread

typedef struct {
    const ax_attn_problem *p; // the problem
    const ax_attn_isa *isa;   // the SIMD primitives
    float *bias;              // (B, Tk): 0 for a key that counts, −∞ for padding; NULL without key_keep
    float *kt, *vt;           // (B·H, panel) Kᵀ and Vᵀ packed (vt: backward only); see pack_all
    int64_t panel;            // floats per head in kt / vt: ceil(Tk / BK) panels of D × BK
} plan;

typedef struct {            // one (batch, head)
    const float *q, *k, *v; // row 0 of q (Tq, D), k and v (Tk, D)
    int64_t ldq, ldk, ldv;  // their row strides
    const float *bias;      // (Tk) key bias, or NULL
    const float *kt, *vt;   // this head's packed panels
} head;

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

ax_attn_layout ax_attn_contiguous(int64_t H, int64_t T, int64_t D) { return (ax_attn_layout){H * T * D, T * D, D}; }

// offset of head bh's row 0 in layout l
static int64_t head_offset(const ax_attn_problem *p, const ax_attn_layout *l, int64_t bh) {
    return bh / p->H * l->sb + bh % p->H * l->sh;
}
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static float *scratch(int64_t floats) { return ax_arena_alloc((size_t)floats * sizeof(float)); }

/* Each head's x (Tk, D) → panels of BK rows, transposed (the GEMM's pack): row j, column d at
 * [j / BK·D·BK + d·BK + j % BK], zeros past Tk. */
static float *pack_all(const plan *pl, const ax_attn_operand *x) {
    const ax_attn_problem *p = pl->p;
    float *dst = scratch(p->B * p->H * pl->panel);
#pragma omp parallel for collapse(2) if (p->B * p->H * p->Tk * p->D > PAR_MIN / 8)
    for (int64_t b = 0; b < p->B; b++)
        for (int64_t h = 0; h < p->H; h++) {
            ax_gemm_view rows = {x->p + b * x->sb + h * x->sh, x->st, 1};
            ax_gemm_pack(dst + (b * p->H + h) * pl->panel, rows, p->Tk, p->D, BK, pl->isa->pack->pack_t);
        }
    return dst;
}

static plan make_plan(const ax_attn_problem *p, bool backward) {
    plan pl = {p, ax_attn_isa_current(), NULL, NULL, NULL, (p->Tk + BK - 1) / BK * p->D * BK};
    if (p->keep) {
        pl.bias = scratch(p->B * p->Tk);
        for (int64_t i = 0; i < p->B * p->Tk; i++) pl.bias[i] = p->keep[i] ? 0.0f : -INFINITY;
    }
    pl.kt = pack_all(&pl, &p->k);
    if (backward) pl.vt = pack_all(&pl, &p->v);
    return pl;
}

static head head_at(const plan *pl, int64_t bh) {
    const ax_attn_problem *p = pl->p;
    int64_t b = bh / p->H, h = bh % p->H;
    return (head){p->q.p + b * p->q.sb + h * p->q.sh,
                  p->k.p + b * p->k.sb + h * p->k.sh,
                  p->v.p + b * p->v.sb + h * p->v.sh,
                  p->q.st,
                  p->k.st,
                  p->v.st,
                  pl->bias ? pl->bias + b * p->Tk : NULL,
                  pl->kt + bh * pl->panel,
                  pl->vt ? pl->vt + bh * pl->panel : NULL};
}

// Keys [0, end) hold every key that some row of [i0, i0 + m) sees: causal row i sees j ≤ i + Tk − Tq.
static int64_t visible_end(const ax_attn_problem *p, int64_t i0, int64_t m) {
    return p->causal ? min64(p->Tk, max64(0, i0 + m + p->Tk - p->Tq)) : p->Tk;
}

/* s (m × n, row stride BK) = scale·Q[i0 : i0+m]·K[j0 : j0+n]ᵀ, then −∞ at padding keys and, causal, at the
 * keys after each row's last visible one. */
static void scores(const plan *pl, const head *h, int64_t i0, int64_t m, int64_t j0, int64_t n, float *s) {
    const ax_attn_problem *p = pl->p;
    pl->isa->gemm(m, n, p->D, h->q + i0 * h->ldq, h->ldq, 1, h->kt + j0 * p->D, BK, s, BK, p->scale, false);
    if (h->bias) {
        const float *bias = h->bias + j0;
        for (int64_t r = 0; r < m; r++)
#pragma omp simd
            for (int64_t j = 0; j < n; j++) s[r * BK + j] += bias[j];
    }
    if (!p->causal) return;
    for (int64_t r = 0; r < m; r++)
        for (int64_t j = max64(0, i0 + r + p->Tk - p->Tq + 1 - j0); j < n; j++) s[r * BK + j] = -INFINITY;
}

/* ---- forward ---- */

static void scale_row(float *x, int64_t n, float a) {
#pragma omp simd
    for (int64_t j = 0; j < n; j++) x[j] *= a;
}

/* Online softmax over one tile: turns row r of s into e^(s − m_r) with m_r the running max of the row, and
 * rescales what o and l hold so far by e^(m_old − m_r). A row that has seen only −∞ keeps m = −∞. */
static void softmax_tile(const plan *pl, float *s, int64_t m, int64_t n, float *mx, float *l, float *o, int64_t ldo) {
    int64_t D = pl->p->D;
    for (int64_t r = 0; r < m; r++) {
        float mnew = fmaxf(mx[r], pl->isa->max_row(s + r * BK, n));
        float alpha = mx[r] == -INFINITY ? 0.0f : expf(mx[r] - mnew);
        l[r] = l[r] * alpha + pl->isa->exp_row(s + r * BK, n, mnew == -INFINITY ? 0.0f : mnew);
        if (alpha != 1.0f) scale_row(o + r * ldo, D, alpha);
        mx[r] = mnew;
    }
}

// Rows [i0, i0 + m) of head bh: o (m, D) with row stride ldo and lse (m) of that head's rows.
static void forward_block(const plan *pl, int64_t bh, int64_t i0, int64_t m, float *o, int64_t ldo, float *lse,
                          float *s) {
    const ax_attn_problem *p = pl->p;
    head h = head_at(pl, bh);
    float mx[BQ], l[BQ];
    for (int64_t r = 0; r < m; r++) {
        mx[r] = -INFINITY, l[r] = 0.0f;
        memset(o + r * ldo, 0, (size_t)p->D * sizeof *o);
    }
    int64_t end = visible_end(p, i0, m);
    for (int64_t j0 = 0; j0 < end; j0 += BK) {
        int64_t n = min64(BK, end - j0);
        scores(pl, &h, i0, m, j0, n, s);
        softmax_tile(pl, s, m, n, mx, l, o, ldo);
        pl->isa->gemm(m, p->D, n, s, BK, 1, h.v + j0 * h.ldv, h.ldv, o, ldo, 1.0f, true); // O += P·V
    }
    for (int64_t r = 0; r < m; r++) {
        if (l[r] > 0.0f) scale_row(o + r * ldo, p->D, 1.0f / l[r]);
        lse[r] = l[r] > 0.0f ? mx[r] + logf(l[r]) : INFINITY; // +∞: e^(s − lse) = 0 in the backward
    }
}

void ax_attn_forward(const ax_attn_problem *p, float *out, float *lse) {
    plan pl = make_plan(p, false);
    int64_t BH = p->B * p->H, nqb = (p->Tq + BQ - 1) / BQ;
    float *s = scratch(ax_threads() * BQ * BK);
    // the last query blocks first: under a causal mask they see the most keys
#pragma omp parallel for schedule(dynamic, 1) if (BH * p->Tq * p->Tk * p->D > PAR_MIN)
    for (int64_t t = 0; t < BH * nqb; t++) {
        int64_t bh = t % BH, i0 = (nqb - 1 - t / BH) * BQ, m = min64(BQ, p->Tq - i0);
        forward_block(&pl, bh, i0, m, out + head_offset(p, &p->o, bh) + i0 * p->o.st, p->o.st, lse + bh * p->Tq + i0,
                      s + omp_get_thread_num() * BQ * BK);
    }
}

/* ---- backward ---- */

typedef struct {        // the gradients one task accumulates into, at its head
    float *dq;          // (Tq, D) or NULL
    float *dk, *dv;     // (Tk, D) or NULL: the real gradients or a partial sum of this task's query blocks
    int64_t ldq, ldk, ldv; // their row strides
} grads;

static float dot(const float *x, const float *y, int64_t n) {
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < n; j++) sum += x[j] * y[j];
    return sum;
}

// s = P → dS·scale = P⊙(dP − D_r)·scale, row by row
static void score_grads(float *s, const float *dp, const float *delta, int64_t m, int64_t n, float scale) {
    for (int64_t r = 0; r < m; r++) {
        float *sr = s + r * BK;
        const float *dpr = dp + r * BK;
#pragma omp simd
        for (int64_t j = 0; j < n; j++) sr[j] = scale * sr[j] * (dpr[j] - delta[r]);
    }
}

/* Rows [i0, i0 + m) of head bh. o, dout: (Tq, D) of the head, row stride ldo; lse: (Tq) of the head; s, dp:
 * tile scratch. */
static void backward_block(const plan *pl, int64_t bh, int64_t i0, int64_t m, const float *o, const float *dout,
                           int64_t ldo, const float *lse, grads g, float *s, float *dp) {
    const ax_attn_problem *p = pl->p;
    const ax_attn_isa *isa = pl->isa;
    int64_t D = p->D;
    head h = head_at(pl, bh);
    const float *q = h.q + i0 * h.ldq, *dO = dout + i0 * ldo;
    float delta[BQ];
    for (int64_t r = 0; r < m; r++) delta[r] = dot(dO + r * ldo, o + (i0 + r) * ldo, D);
    int64_t end = visible_end(p, i0, m);
    for (int64_t j0 = 0; j0 < end; j0 += BK) {
        int64_t n = min64(BK, end - j0);
        scores(pl, &h, i0, m, j0, n, s);
        for (int64_t r = 0; r < m; r++) isa->exp_row(s + r * BK, n, lse[i0 + r]); // P
        if (g.dv) isa->gemm(n, D, m, s, 1, BK, dO, ldo, g.dv + j0 * g.ldv, g.ldv, 1.0f, true); // dV += Pᵀ·dO
        if (!g.dq && !g.dk) continue;
        isa->gemm(m, n, D, dO, ldo, 1, h.vt + j0 * D, BK, dp, BK, 1.0f, false); // dP = dO·Vᵀ
        score_grads(s, dp, delta, m, n, p->scale);
        if (g.dq) // dQ += dS·K
            isa->gemm(m, D, n, s, BK, 1, h.k + j0 * h.ldk, h.ldk, g.dq + i0 * g.ldq, g.ldq, 1.0f, true);
        if (g.dk) isa->gemm(n, D, m, s, 1, BK, q, h.ldq, g.dk + j0 * g.ldk, g.ldk, 1.0f, true); // dK += dSᵀ·Q
    }
}

/* With fewer heads than threads, each head's query blocks are split among `split` tasks; task c > 0 sums
 * its dK, dV into part (split − 1, 2, B·H, Tk, D) contiguous, added to the gradients at the end. Not when dq
 * is also dk or dv (q and k or v are one tensor): task 0 would write rows of dk that another task writes as
 * dq. */
static int64_t split_of(const ax_attn_problem *p, const float *dq, const float *dk, const float *dv) {
    int64_t BH = p->B * p->H, nqb = (p->Tq + BQ - 1) / BQ, threads = ax_threads();
    bool aliased = dq && (dq == dk || dq == dv);
    return BH >= threads || aliased ? 1 : min64(nqb, (threads + BH - 1) / BH);
}

// dst (layout l) += the split − 1 partial sums in part (contiguous (B·H, Tk, D), 2·n apart)
static void add_parts(const ax_attn_problem *p, float *dst, const ax_attn_layout *l, const float *part, int64_t split,
                      int64_t n) {
    if (!dst) return;
    int64_t D = p->D;
#pragma omp parallel for collapse(2) if (n * split > PAR_MIN / 8)
    for (int64_t bh = 0; bh < p->B * p->H; bh++)
        for (int64_t t = 0; t < p->Tk; t++) {
            float *d = dst + head_offset(p, l, bh) + t * l->st;
            for (int64_t c = 0; c < split - 1; c++) {
                const float *src = part + c * 2 * n + (bh * p->Tk + t) * D;
#pragma omp simd
                for (int64_t j = 0; j < D; j++) d[j] += src[j];
            }
        }
}

void ax_attn_backward(const ax_attn_problem *p, const float *out, const float *dout, const float *lse, float *dq,
                      float *dk, float *dv) {
    if (!dq && !dk && !dv) return;
    plan pl = make_plan(p, true);
    int64_t BH = p->B * p->H, nqb = (p->Tq + BQ - 1) / BQ, split = split_of(p, dq, dk, dv), nk = BH * p->Tk * p->D;
    float *part = NULL;
    if (split > 1) {
        part = scratch((split - 1) * 2 * nk);
        memset(part, 0, (size_t)((split - 1) * 2 * nk) * sizeof *part);
    }
    float *s = scratch(ax_threads() * 2 * BQ * BK);
#pragma omp parallel for schedule(dynamic, 1) if (BH * p->Tq * p->Tk * p->D > PAR_MIN)
    for (int64_t t = 0; t < BH * split; t++) {
        int64_t bh = t % BH, c = t / BH, oo = head_offset(p, &p->o, bh), po = bh * p->Tk * p->D;
        grads g = {dq ? dq + head_offset(p, &p->dq, bh) : NULL, NULL, NULL, p->dq.st, p->dk.st, p->dv.st};
        if (c == 0) {
            g.dk = dk ? dk + head_offset(p, &p->dk, bh) : NULL;
            g.dv = dv ? dv + head_offset(p, &p->dv, bh) : NULL;
        } else { // this task's partial sums
            g.dk = dk ? part + (c - 1) * 2 * nk + po : NULL;
            g.dv = dv ? part + (c - 1) * 2 * nk + nk + po : NULL;
            g.ldk = g.ldv = p->D;
        }
        float *st = s + omp_get_thread_num() * 2 * BQ * BK;
        for (int64_t qb = c; qb < nqb; qb += split)
            backward_block(&pl, bh, qb * BQ, min64(BQ, p->Tq - qb * BQ), out + oo, dout + oo, p->o.st,
                           lse + bh * p->Tq, g, st, st + BQ * BK);
    }
    if (split > 1) {
        add_parts(p, dk, &p->dk, part, split, nk);
        add_parts(p, dv, &p->dv, part + nk, split, nk);
    }
}
