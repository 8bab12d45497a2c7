/* The fused recurrent op: one layer, one direction, a whole sequence (see include/axon/rnn.h).
 *
 * Forward, per step t (in processing order): gh = h·W_hhᵀ (one GEMM), then the cell on every row b whose
 * step is valid (t < lengths[b]); the activated gates and the state entering the step are saved.
 * Backward (BPTT), steps in reverse processing order: the cell's backward gives d(pre-activations) for the
 * input part (dxw) and the hidden part (dgh); dh_prev = dgh·W_hh + direct terms. dW_hh = Σ_t dgh_tᵀ·h_{t−1}
 * and db_hh = Σ_t dgh_t are one GEMM and one column sum over all steps at the end.
 * The cells are the vector kernels of backend/cpu/fused.h. The batch rows never meet, so each thread takes a
 * slice of them through every step on its own, with W_hh packed once for the step GEMMs (gemm_packed.h):
 * no synchronisation per step, and results that do not depend on the thread count.
 *
 * The op has three results (out, h_n, c_n). They are packed into one 1-D tensor [out (B·T·H) | h_n (B·H) |
 * c_n (B·H)], and the caller gets contiguous reshaped views of it, so the tape sees one output. */
#include "autograd/tape.h"
#include "axon/rnn.h"
#include "backend/cpu/fused.h"
#include "backend/cpu/gemm.h"
#include "backend/cpu/gemm_packed.h"

#include <omp.h>
#include <string.h>

#define PAR_MIN_MACS 262144 // multiply-adds per step below which a sequence runs on one thread
#define MIN_ROWS 8          // batch rows per thread at least

typedef struct {
    ax_rnn_mode mode; // cell type
    int64_t B, T, H;  // batch, steps, hidden size
    int64_t GH;       // gates × H
    bool reverse;     // processes t = T−1 … 0
    int32_t *len;     // (B) valid steps per sequence, or NULL (all T)
    float *gates;     // (T, B, G·H) activated gates (RNN: h')
    float *hprev;     // (T, B, H) hidden state entering step t
    float *cprev;     // (T, B, H) LSTM cell state entering step t; NULL otherwise
    float *aux;       // (T, B, H) LSTM: tanh(c'); GRU: W_hn·h + b_hn; NULL for RNN
} rnn_plan;

int ax_rnn_gates(ax_rnn_mode mode) { return mode == AX_LSTM ? 4 : mode == AX_GRU ? 3 : 1; }

static bool valid(const rnn_plan *p, int64_t b, int64_t t) { return !p->len || t < p->len[b]; }

// Step index t of the s-th step processed.
static int64_t step_t(const rnn_plan *p, int64_t s) { return p->reverse ? p->T - 1 - s : s; }

// One row of the cell: pre-activations xw + gh + b_hh, state h (c) → h_out (c_out); gate and aux rows saved.
static void cell_forward(const rnn_plan *p, const ax_fused_isa *k, const float *xw, const float *gh, const float *bhh,
                         const float *h, const float *c, float *h_out, float *c_out, float *gate, float *aux) {
    if (p->mode == AX_LSTM)
        k->lstm_cell(xw, gh, bhh, c, gate, aux, c_out, h_out, p->H);
    else if (p->mode == AX_GRU)
        k->gru_cell(xw, gh, bhh, h, gate, aux, h_out, p->H);
    else
        k->rnn_cell(xw, gh, bhh, gate, h_out, p->H, p->mode == AX_RNN_RELU);
}

// One row of the cell's backward (see fused.h): dh, dc in/out, dgh out, dx += the input part when dx.
static void cell_backward(const rnn_plan *p, const ax_fused_isa *k, const float *gate, const float *aux,
                          const float *hp, const float *cp, const float *dout, float *dh, float *dc, float *dgh,
                          float *dx) {
    if (p->mode == AX_LSTM)
        k->lstm_cell_grad(gate, aux, cp, dout, dh, dc, dgh, dx, p->H);
    else if (p->mode == AX_GRU)
        k->gru_cell_grad(gate, aux, hp, dout, dh, dgh, dx, p->H);
    else
        k->rnn_cell_grad(gate, dout, dh, dgh, dx, p->H, p->mode == AX_RNN_RELU);
}

static float *arena_floats(int64_t n) { return ax_arena_alloc((size_t)n * sizeof(float)); }

// Σ over the T·B rows of dgh (T·B, GH) into db (GH): a 1 × (T·B) · (T·B) × GH product (threaded, fixed order)
static void column_sums(const float *dgh, int64_t rows, int64_t GH, float *db) {
    float *ones = arena_floats(rows);
    for (int64_t r = 0; r < rows; r++) ones[r] = 1.0f;
    ax_gemm(false, false, 1, GH, rows, 1.0f, ones, rows, dgh, GH, 1.0f, db, GH);
}

// threads for the batch slices: one unless a step is big enough, and at least MIN_ROWS rows each
static int team_size(const rnn_plan *p) {
    if (omp_in_parallel() || p->B * p->GH * p->H < PAR_MIN_MACS) return 1;
    int64_t by_rows = p->B / MIN_ROWS, nt = omp_get_max_threads();
    return (int)(by_rows < 1 ? 1 : by_rows < nt ? by_rows : nt);
}

// this thread's rows [*lo, *hi) of B
static void my_rows(int64_t B, int64_t *lo, int64_t *hi) {
    int64_t id = omp_get_thread_num(), nt = omp_get_num_threads(), per = (B + nt - 1) / nt;
    *lo = id * per < B ? id * per : B;
    *hi = *lo + per < B ? *lo + per : B;
}

// W_hh packed as op(B) of the step's GEMM: W_hhᵀ (H × GH) forward, W_hh (GH × H) backward
static ax_gemm_packed pack_whh(const rnn_plan *p, const float *whh, bool transpose) {
    int64_t K = transpose ? p->H : p->GH, N = transpose ? p->GH : p->H;
    return ax_gemm_pack_b(transpose, K, N, whh, p->H, arena_floats((int64_t)ax_gemm_packed_floats(K, N)));
}

typedef struct {
    const float *dout; // (B, T, H) gradient of the outputs
    float *dxw;        // (B, T, GH) gradient of xw, or NULL
    float *dh, *dc;    // (B, H) gradient of the state entering the current step
    float *dgh;        // (T, B, GH) d(pre-activations) of the hidden part, per step
} rnn_grads;

// BPTT for batch rows [lo, hi): per step the cell's backward, then dh_prev += dgh·W_hh.
static void backward_rows(const rnn_plan *p, const ax_gemm_packed *w, const rnn_grads *g, int64_t lo, int64_t hi) {
    const ax_fused_isa *k = ax_fused();
    int64_t B = p->B, T = p->T, H = p->H, GH = p->GH;
    for (int64_t s = T - 1; s >= 0; s--) {
        int64_t t = step_t(p, s);
        float *dg_t = g->dgh + t * B * GH;
        for (int64_t b = lo; b < hi; b++) {
            if (!valid(p, b, t)) { // state passed through: dh, dc unchanged
                memset(dg_t + b * GH, 0, (size_t)GH * sizeof *dg_t);
                continue;
            }
            int64_t r = t * B + b;
            cell_backward(p, k, p->gates + r * GH, p->aux ? p->aux + r * H : NULL, p->hprev + r * H,
                          p->cprev ? p->cprev + r * H : NULL, g->dout + (b * T + t) * H, g->dh + b * H,
                          g->dc + b * H, dg_t + b * GH, g->dxw ? g->dxw + (b * T + t) * GH : NULL);
        }
        ax_gemm_packed_run(w, hi - lo, dg_t + lo * GH, GH, 1.0f, g->dh + lo * H, H);
    }
}

static void rnn_backward(ax_node *n) {
    const rnn_plan *p = n->saved;
    int64_t B = p->B, T = p->T, H = p->H, GH = p->GH;
    const float *dP = n->out->grad->data;
    float *dwhh = ax_grad_buf(n->in[1]), *dbhh = ax_grad_buf(n->in[2]);
    float *dh0 = ax_grad_buf(n->in[3]), *dc0 = ax_grad_buf(n->in[4]);
    rnn_grads g = {.dout = dP, .dxw = ax_grad_buf(n->in[0]), .dh = arena_floats(B * H), .dc = arena_floats(B * H),
                   .dgh = arena_floats(T * B * GH)};
    memcpy(g.dh, dP + B * T * H, (size_t)(B * H) * sizeof *g.dh);
    if (p->mode == AX_LSTM) memcpy(g.dc, dP + B * T * H + B * H, (size_t)(B * H) * sizeof *g.dc);
    ax_gemm_packed w = pack_whh(p, n->in[1]->data, false);
    int nt = team_size(p);
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int64_t lo, hi;
        my_rows(B, &lo, &hi);
        backward_rows(p, &w, &g, lo, hi);
    }
    if (dh0)
        for (int64_t i = 0; i < B * H; i++) dh0[i] += g.dh[i];
    if (dc0)
        for (int64_t i = 0; i < B * H; i++) dc0[i] += g.dc[i];
    if (dwhh) ax_gemm(true, false, GH, H, T * B, 1.0f, g.dgh, GH, p->hprev, H, 1.0f, dwhh, H); // Σ_t dghᵀ·h_{t−1}
    if (dbhh) column_sums(g.dgh, T * B, GH, dbhh);                                              // Σ_t dgh_t
}

/* The state entering the s-th step processed lives in hprev (cprev) at its step; after the last one, in h_n
 * (c_n). So the cell writes the new state straight where the next step reads it. */
static float *state_slot(const rnn_plan *p, float *saved, float *final, int64_t s) {
    return s < p->T ? saved + step_t(p, s) * p->B * p->H : final;
}

typedef struct {
    const float *xw, *bhh; // (B, T, GH) input part of the pre-activations, (GH) b_hh
    float *h_n, *c_n;      // (B, H) final states (c_n: LSTM only, else NULL)
    float *out;            // (B, T, H) outputs
    float *gh;             // (B, GH) the step's h·W_hhᵀ
} rnn_io;

// The forward for batch rows [lo, hi): per step gh = h·W_hhᵀ, then the cell.
static void forward_rows(const rnn_plan *p, const ax_gemm_packed *w, const rnn_io *io, int64_t lo, int64_t hi) {
    const ax_fused_isa *k = ax_fused();
    int64_t B = p->B, T = p->T, H = p->H, GH = p->GH;
    for (int64_t s = 0; s < T; s++) {
        int64_t t = step_t(p, s);
        const float *h = state_slot(p, p->hprev, io->h_n, s);
        const float *c = p->cprev ? state_slot(p, p->cprev, io->c_n, s) : NULL;
        float *h_out = state_slot(p, p->hprev, io->h_n, s + 1);
        float *c_out = c ? state_slot(p, p->cprev, io->c_n, s + 1) : NULL;
        ax_gemm_packed_run(w, hi - lo, h + lo * H, H, 0.0f, io->gh + lo * GH, GH);
        for (int64_t b = lo; b < hi; b++) {
            float *o = io->out + (b * T + t) * H;
            if (!valid(p, b, t)) { // no step: state passed through, output 0
                memcpy(h_out + b * H, h + b * H, (size_t)H * sizeof *h_out);
                if (c) memcpy(c_out + b * H, c + b * H, (size_t)H * sizeof *c_out);
                memset(o, 0, (size_t)H * sizeof *o);
                continue;
            }
            int64_t r = t * B + b;
            cell_forward(p, k, io->xw + (b * T + t) * GH, io->gh + b * GH, io->bhh, h + b * H, c ? c + b * H : NULL,
                         h_out + b * H, c ? c_out + b * H : NULL, p->gates + r * GH, p->aux ? p->aux + r * H : NULL);
            memcpy(o, h_out + b * H, (size_t)H * sizeof *o);
        }
    }
}

static void rnn_forward(const rnn_plan *p, const float *whh, const rnn_io *io) {
    ax_gemm_packed w = pack_whh(p, whh, true);
    int nt = team_size(p);
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int64_t lo, hi;
        my_rows(p->B, &lo, &hi);
        forward_rows(p, &w, io, lo, hi);
    }
}

// Initial state into dst (B·H floats): a copy of s, or zeros.
static void init_state(float *dst, const ax_tensor *s, int64_t n) {
    if (s)
        memcpy(dst, ax_f32(s), (size_t)n * sizeof *dst);
    else
        memset(dst, 0, (size_t)n * sizeof *dst);
}

static void check_args(ax_rnn_mode mode, const ax_tensor *xw, const ax_tensor *w_hh, const ax_tensor *b_hh,
                       const ax_tensor *h0, const ax_tensor *c0, const ax_tensor *lengths) {
    AX_ASSERT(xw->ndim == 3 && w_hh->ndim == 2 && w_hh->shape[0] == xw->shape[2] &&
                  w_hh->shape[0] == ax_rnn_gates(mode) * w_hh->shape[1],
              "rnn: xw %s does not fit w_hh %s", ax_shape_str(xw), ax_shape_str(w_hh));
    AX_ASSERT(!b_hh || ax_numel(b_hh) == w_hh->shape[0], "rnn: b_hh %s does not fit w_hh %s", ax_shape_str(b_hh),
              ax_shape_str(w_hh));
    int64_t B = xw->shape[0], H = w_hh->shape[1];
    AX_ASSERT(!h0 || (h0->ndim == 2 && h0->shape[0] == B && h0->shape[1] == H), "rnn: h0 %s, want (%lld, %lld)",
              ax_shape_str(h0), (long long)B, (long long)H);
    AX_ASSERT(!c0 || (mode == AX_LSTM && c0->ndim == 2 && c0->shape[0] == B && c0->shape[1] == H),
              "rnn: c0 %s is for an LSTM with state (%lld, %lld)", ax_shape_str(c0), (long long)B, (long long)H);
    AX_ASSERT(!lengths || (lengths->dtype == AX_I32 && ax_numel(lengths) == B && ax_is_contiguous(lengths)),
              "rnn: lengths %s for batch %lld", ax_shape_str(lengths), (long long)B);
}

static ax_tensor *contig_or_null(ax_tensor *t) { return t ? ax_contiguous(t) : NULL; }

ax_tensor *ax_rnn_sequence(ax_rnn_mode mode, ax_tensor *xw, ax_tensor *w_hh, ax_tensor *b_hh, ax_tensor *h0,
                           ax_tensor *c0, const ax_tensor *lengths, bool reverse, ax_tensor **h_n, ax_tensor **c_n) {
    check_args(mode, xw, w_hh, b_hh, h0, c0, lengths);
    xw = ax_contiguous(xw), w_hh = ax_contiguous(w_hh);
    b_hh = contig_or_null(b_hh), h0 = contig_or_null(h0), c0 = contig_or_null(c0);
    int64_t B = xw->shape[0], T = xw->shape[1], H = w_hh->shape[1], GH = w_hh->shape[0];
    bool lstm = mode == AX_LSTM;
    rnn_plan *p = ax_arena_alloc(sizeof *p);
    *p = (rnn_plan){.mode = mode, .B = B, .T = T, .H = H, .GH = GH, .reverse = reverse};
    if (lengths) {
        p->len = ax_arena_alloc((size_t)B * sizeof *p->len);
        memcpy(p->len, ax_i32(lengths), (size_t)B * sizeof *p->len);
    }
    p->gates = arena_floats(T * B * GH);
    p->hprev = arena_floats(T * B * H);
    p->cprev = lstm ? arena_floats(T * B * H) : NULL;
    p->aux = lstm || mode == AX_GRU ? arena_floats(T * B * H) : NULL;
    float *bhh = b_hh ? ax_f32(b_hh) : ax_zeros(AX_SHAPE(GH))->data;
    ax_tensor *packed = ax_empty(AX_SHAPE(B * T * H + (lstm ? 2 : 1) * B * H));
    float *out = packed->data, *hf = out + B * T * H, *cf = lstm ? hf + B * H : NULL; // final states
    init_state(state_slot(p, p->hprev, hf, 0), h0, B * H);
    if (lstm) init_state(state_slot(p, p->cprev, cf, 0), c0, B * H);
    rnn_forward(p, ax_f32(w_hh), &(rnn_io){.xw = ax_f32(xw), .bhh = bhh, .h_n = hf, .c_n = cf, .out = out,
                                          .gh = arena_floats(B * GH)});
    ax_node *n = AX_RECORD(lstm             ? "lstm_sequence"
                           : mode == AX_GRU ? "gru_sequence"
                                            : "rnn_sequence",
                           rnn_backward, packed, xw, w_hh, b_hh, h0, c0);
    if (n) n->saved = p;
    if (h_n) *h_n = ax_reshape(ax_narrow(packed, 0, B * T * H, B * H), AX_SHAPE(B, H));
    if (c_n && lstm) *c_n = ax_reshape(ax_narrow(packed, 0, B * T * H + B * H, B * H), AX_SHAPE(B, H));
    return ax_reshape(ax_narrow(packed, 0, 0, B * T * H), AX_SHAPE(B, T, H));
}
