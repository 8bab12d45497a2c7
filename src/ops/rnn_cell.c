/* The fused recurrent op: one layer, one direction, a whole sequence (see include/axon/rnn.h).
 *
 * Forward, per step t (in processing order): gh = h·W_hhᵀ (one GEMM), then the cell on every row b whose
 * step is valid (t < lengths[b]); the activated gates and the state entering the step are saved.
 * Backward (BPTT), steps in reverse processing order: the cell's backward gives d(pre-activations) for the
 * input part (dxw) and the hidden part (dgh); dh_prev = dgh·W_hh + direct terms. dW_hh = Σ_t dgh_tᵀ·h_{t−1}
 * and db_hh = Σ_t dgh_t are one GEMM and one column sum over all steps at the end.
 *
 * The op has three results (out, h_n, c_n). They are packed into one 1-D tensor [out (B·T·H) | h_n (B·H) |
 * c_n (B·H)], and the caller gets contiguous reshaped views of it, so the tape sees one output. */
#include "autograd/tape.h"
#include "axon/rnn.h"
#include "backend/cpu/gemm.h"

#include <math.h>
#include <string.h>

#define PAR_MIN 16384 // elements per step below which the cell stays single-threaded

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

static float sigm(float x) { return 1.0f / (1.0f + expf(-x)); }

static bool valid(const rnn_plan *p, int64_t b, int64_t t) { return !p->len || t < p->len[b]; }

// Step index t of the s-th step processed.
static int64_t step_t(const rnn_plan *p, int64_t s) { return p->reverse ? p->T - 1 - s : s; }

// One row of the cell: pre-activations xw + gh + b_hh → new h (and c) in place; gate/aux rows saved.
static void cell_forward(const rnn_plan *p, const float *xw, const float *gh, const float *bhh, float *h, float *c,
                         float *gate, float *aux) {
    int64_t H = p->H;
    for (int64_t j = 0; j < H; j++) {
        switch (p->mode) {
        case AX_RNN_TANH:
            h[j] = gate[j] = tanhf(xw[j] + gh[j] + bhh[j]);
            break;
        case AX_RNN_RELU:
            h[j] = gate[j] = fmaxf(xw[j] + gh[j] + bhh[j], 0.0f);
            break;
        case AX_LSTM: {
            float pre[4];
            for (int k = 0; k < 4; k++) pre[k] = xw[k * H + j] + gh[k * H + j] + bhh[k * H + j];
            float i = sigm(pre[0]), f = sigm(pre[1]), g = tanhf(pre[2]), o = sigm(pre[3]);
            c[j] = f * c[j] + i * g;
            aux[j] = tanhf(c[j]);
            h[j] = o * aux[j];
            gate[j] = i, gate[H + j] = f, gate[2 * H + j] = g, gate[3 * H + j] = o;
            break;
        }
        case AX_GRU: {
            float r = sigm(xw[j] + gh[j] + bhh[j]), z = sigm(xw[H + j] + gh[H + j] + bhh[H + j]);
            aux[j] = gh[2 * H + j] + bhh[2 * H + j];
            float n = tanhf(xw[2 * H + j] + r * aux[j]);
            h[j] = (1.0f - z) * n + z * h[j];
            gate[j] = r, gate[H + j] = z, gate[2 * H + j] = n;
            break;
        }
        }
    }
}

// One row of the cell's backward. In: dh (incl. dout), dc; gates/aux/hprev/cprev rows. Out: dgh (G·H),
// dx += d(pre-activation of the input part) when dx, dh = its direct part (GRU: dh·z, else 0), dc = dc_prev.
static void cell_backward(const rnn_plan *p, const float *gate, const float *aux, const float *hp, const float *cp,
                          float *dh, float *dc, float *dgh, float *dx) {
    int64_t H = p->H;
    for (int64_t j = 0; j < H; j++) {
        switch (p->mode) {
        case AX_RNN_TANH:
            dgh[j] = dh[j] * (1.0f - gate[j] * gate[j]), dh[j] = 0.0f;
            break; // tanh' = 1 − h²
        case AX_RNN_RELU:
            dgh[j] = gate[j] > 0.0f ? dh[j] : 0.0f, dh[j] = 0.0f;
            break;
        case AX_LSTM: { // c' = f·c + i·g, h' = o·tanh c'
            float i = gate[j], f = gate[H + j], g = gate[2 * H + j], o = gate[3 * H + j], tc = aux[j];
            float dct = dc[j] + dh[j] * o * (1.0f - tc * tc);
            dgh[j] = dct * g * i * (1.0f - i);
            dgh[H + j] = dct * cp[j] * f * (1.0f - f);
            dgh[2 * H + j] = dct * i * (1.0f - g * g);
            dgh[3 * H + j] = dh[j] * tc * o * (1.0f - o);
            dc[j] = dct * f, dh[j] = 0.0f;
            break;
        }
        case AX_GRU: { // h' = (1 − z)·n + z·h, n = tanh(x_n + r·hn)
            float r = gate[j], z = gate[H + j], n = gate[2 * H + j];
            float dn = dh[j] * (1.0f - z) * (1.0f - n * n);
            float dr = dn * aux[j] * r * (1.0f - r), dz = dh[j] * (hp[j] - n) * z * (1.0f - z);
            dgh[j] = dr, dgh[H + j] = dz, dgh[2 * H + j] = dn * r;
            if (dx) dx[2 * H + j] += dn;
            dh[j] *= z;
            break;
        }
        }
    }
    if (dx)
        for (int64_t k = 0, nk = p->mode == AX_GRU ? 2 * H : p->GH; k < nk; k++) dx[k] += dgh[k];
}

static void rnn_backward(ax_node *n) {
    const rnn_plan *p = n->saved;
    int64_t B = p->B, T = p->T, H = p->H, GH = p->GH;
    const float *dP = n->out->grad->data, *dout = dP, *whh = n->in[1]->data;
    float *dxw = ax_grad_buf(n->in[0]), *dwhh = ax_grad_buf(n->in[1]), *dbhh = ax_grad_buf(n->in[2]);
    float *dh0 = ax_grad_buf(n->in[3]), *dc0 = ax_grad_buf(n->in[4]);
    float *dh = ax_arena_alloc((size_t)(B * H) * sizeof *dh), *dc = ax_arena_alloc((size_t)(B * H) * sizeof *dc);
    memcpy(dh, dP + B * T * H, (size_t)(B * H) * sizeof *dh);
    if (p->mode == AX_LSTM) memcpy(dc, dP + B * T * H + B * H, (size_t)(B * H) * sizeof *dc);
    float *dgh = ax_zeros(AX_SHAPE(T, B, GH))->data;
    for (int64_t s = T - 1; s >= 0; s--) {
        int64_t t = step_t(p, s);
        float *dg_t = dgh + t * B * GH;
#pragma omp parallel for if (B * GH > PAR_MIN)
        for (int64_t b = 0; b < B; b++) {
            if (!valid(p, b, t)) continue; // state passed through: dh, dc unchanged, dgh row stays 0
            int64_t r = t * B + b;
            for (int64_t j = 0; j < H; j++) dh[b * H + j] += dout[(b * T + t) * H + j];
            cell_backward(p, p->gates + r * GH, p->aux ? p->aux + r * H : NULL, p->hprev + r * H,
                          p->cprev ? p->cprev + r * H : NULL, dh + b * H, dc + b * H, dg_t + b * GH,
                          dxw ? dxw + (b * T + t) * GH : NULL);
        }
        ax_gemm(false, false, B, H, GH, 1.0f, dg_t, GH, whh, H, 1.0f, dh, H); // dh_prev += dgh·W_hh
    }
    if (dh0)
        for (int64_t i = 0; i < B * H; i++) dh0[i] += dh[i];
    if (dc0)
        for (int64_t i = 0; i < B * H; i++) dc0[i] += dc[i];
    if (dwhh) ax_gemm(true, false, GH, H, T * B, 1.0f, dgh, GH, p->hprev, H, 1.0f, dwhh, H); // Σ_t dghᵀ·h_{t−1}
    if (dbhh)
        for (int64_t r = 0; r < T * B; r++)
            for (int64_t k = 0; k < GH; k++) dbhh[k] += dgh[r * GH + k];
}

static void rnn_forward(const rnn_plan *p, const float *xw, const float *whh, const float *bhh, float *h, float *c,
                        float *out) {
    int64_t B = p->B, T = p->T, H = p->H, GH = p->GH;
    float *gh = ax_arena_alloc((size_t)(B * GH) * sizeof *gh);
    for (int64_t s = 0; s < T; s++) {
        int64_t t = step_t(p, s);
        memcpy(p->hprev + t * B * H, h, (size_t)(B * H) * sizeof *h);
        if (p->cprev) memcpy(p->cprev + t * B * H, c, (size_t)(B * H) * sizeof *c);
        ax_gemm(false, true, B, GH, H, 1.0f, h, H, whh, H, 0.0f, gh, GH);
#pragma omp parallel for if (B * GH > PAR_MIN)
        for (int64_t b = 0; b < B; b++) {
            float *o = out + (b * T + t) * H;
            if (!valid(p, b, t)) {
                memset(o, 0, (size_t)H * sizeof *o);
                continue;
            }
            int64_t r = t * B + b;
            cell_forward(p, xw + (b * T + t) * GH, gh + b * GH, bhh, h + b * H, c ? c + b * H : NULL, p->gates + r * GH,
                         p->aux ? p->aux + r * H : NULL);
            memcpy(o, h + b * H, (size_t)H * sizeof *o);
        }
    }
}

static float *arena_floats(int64_t n) { return ax_arena_alloc((size_t)n * sizeof(float)); }

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
    float *out = packed->data, *h = out + B * T * H, *c = lstm ? h + B * H : NULL;
    init_state(h, h0, B * H);
    if (c) init_state(c, c0, B * H);
    rnn_forward(p, ax_f32(xw), ax_f32(w_hh), bhh, h, c, out);
    ax_node *n = AX_RECORD(lstm             ? "lstm_sequence"
                           : mode == AX_GRU ? "gru_sequence"
                                            : "rnn_sequence",
                           rnn_backward, packed, xw, w_hh, b_hh, h0, c0);
    if (n) n->saved = p;
    if (h_n) *h_n = ax_reshape(ax_narrow(packed, 0, B * T * H, B * H), AX_SHAPE(B, H));
    if (c_n && lstm) *c_n = ax_reshape(ax_narrow(packed, 0, B * T * H + B * H, B * H), AX_SHAPE(B, H));
    return ax_reshape(ax_narrow(packed, 0, 0, B * T * H), AX_SHAPE(B, T, H));
}
