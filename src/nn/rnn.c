/* Multi-layer, optionally bidirectional RNN / LSTM / GRU on top of the fused sequence op
 * (src/ops/rnn_cell.c). Per layer and direction: xw = x·W_ihᵀ + b_ih for all steps as one GEMM, then
 * ax_rnn_sequence; the two directions' outputs are concatenated on the feature dim. */
#include "axon/rnn.h"

#include <math.h>
#include <stdio.h>

static ax_tensor *add_param(ax_params *p, const char *prefix, const char *kind, int layer, int dir, int ndim,
                            const int64_t *shape, bool no_decay) {
    char name[256];
    int len = snprintf(name, sizeof name, "%s%s_l%d%s", prefix, kind, layer, dir ? "_reverse" : "");
    AX_ASSERT(len > 0 && (size_t)len < sizeof name, "parameter name \"%s%s\" is too long", prefix, kind);
    ax_tensor *t = ax_params_add(p, name, ndim, shape);
    p->items[p->n - 1].no_decay = no_decay;
    return t;
}

// torch.nn.RNNBase.reset_parameters: every parameter ← U(−1/√H, 1/√H), in registration order
void ax_rnn_init(ax_rnn *r, ax_params *p, const char *prefix, ax_rnn_mode mode, int64_t input_size, int64_t hidden_size,
                 int num_layers, bool bidirectional, float dropout, bool bias) {
    AX_ASSERT(num_layers >= 1 && num_layers <= AX_RNN_MAX_LAYERS, "rnn: %d layers (1..%d)", num_layers,
              AX_RNN_MAX_LAYERS);
    *r = (ax_rnn){.mode = mode,
                  .input_size = input_size,
                  .hidden_size = hidden_size,
                  .num_layers = num_layers,
                  .bidirectional = bidirectional,
                  .dropout = dropout};
    int64_t GH = ax_rnn_gates(mode) * hidden_size, D = bidirectional ? 2 : 1;
    float bound = (float)(1.0 / sqrt((double)hidden_size));
    for (int k = 0; k < num_layers; k++) {
        for (int d = 0; d < D; d++) {
            ax_rnn_weights *w = &r->w[k][d];
            int64_t in = k == 0 ? input_size : D * hidden_size;
            w->w_ih = add_param(p, prefix, "weight_ih", k, d, 2, (const int64_t[]){GH, in}, false);
            w->w_hh = add_param(p, prefix, "weight_hh", k, d, 2, (const int64_t[]){GH, hidden_size}, false);
            w->b_ih = bias ? add_param(p, prefix, "bias_ih", k, d, 1, (const int64_t[]){GH}, true) : NULL;
            w->b_hh = bias ? add_param(p, prefix, "bias_hh", k, d, 1, (const int64_t[]){GH}, true) : NULL;
            ax_tensor *all[4] = {w->w_ih, w->w_hh, w->b_ih, w->b_hh};
            for (int i = 0; i < 4; i++)
                if (all[i]) ax_init_uniform(all[i], -bound, bound);
        }
    }
}

void ax_rnn_init_keras(ax_rnn *r) {
    int64_t H = r->hidden_size;
    for (int k = 0; k < r->num_layers; k++)
        for (int d = 0; d < (r->bidirectional ? 2 : 1); d++) {
            ax_rnn_weights *w = &r->w[k][d];
            ax_init_xavier_uniform(w->w_ih, 1.0f);
            ax_init_orthogonal(w->w_hh, 1.0f);
            if (w->b_ih) ax_init_zeros(w->b_ih), ax_init_zeros(w->b_hh);
            if (w->b_ih && r->mode == AX_LSTM) // gates i f g o: the forget gate's block
                for (int64_t i = H; i < 2 * H; i++) ax_f32(w->b_ih)[i] = 1.0f;
        }
}

void ax_lstm_open_gates(ax_rnn *r, float b) {
    AX_ASSERT(r->mode == AX_LSTM, "ax_lstm_open_gates: not an LSTM");
    int64_t H = r->hidden_size;
    for (int k = 0; k < r->num_layers; k++)
        for (int d = 0; d < (r->bidirectional ? 2 : 1); d++) {
            float *bias = r->w[k][d].b_ih ? ax_f32(r->w[k][d].b_ih) : NULL;
            for (int64_t i = 0; bias && i < 4 * H; i++) // gates i f g o: all but the candidate g
                if (i < 2 * H || i >= 3 * H) bias[i] = b;
        }
}

static void check_state(const ax_rnn *r, const ax_tensor *x, const ax_tensor *s) {
    int64_t LD = r->num_layers * (r->bidirectional ? 2 : 1);
    AX_ASSERT(!s || (s->ndim == 3 && s->shape[0] == LD && s->shape[1] == x->shape[0] && s->shape[2] == r->hidden_size),
              "rnn: initial state %s, want (%lld, %lld, %lld)", ax_shape_str(s), (long long)LD, (long long)x->shape[0],
              (long long)r->hidden_size);
}

// State slice i of a (L·D, B, H) tensor as (B, H), or NULL.
static ax_tensor *state_slice(ax_tensor *s, int i) { return s ? ax_squeeze(ax_narrow(s, 0, i, 1), 0) : NULL; }

ax_tensor *ax_rnn_forward(const ax_rnn *r, ax_tensor *x, ax_tensor *h0, ax_tensor *c0, const ax_tensor *lengths,
                          bool train, ax_tensor **h_n, ax_tensor **c_n) {
    int D = r->bidirectional ? 2 : 1, L = r->num_layers;
    AX_ASSERT(x->ndim == 3 && x->shape[2] == r->input_size, "rnn: input %s, want (B, T, %lld)", ax_shape_str(x),
              (long long)r->input_size);
    check_state(r, x, h0);
    check_state(r, x, c0);
    bool lstm = r->mode == AX_LSTM;
    ax_tensor *hs[2 * AX_RNN_MAX_LAYERS], *cs[2 * AX_RNN_MAX_LAYERS];
    for (int k = 0; k < L; k++) {
        ax_tensor *outs[2];
        for (int d = 0; d < D; d++) {
            const ax_rnn_weights *w = &r->w[k][d];
            int i = k * D + d;
            ax_tensor *xw = ax_linear(x, w->w_ih, w->b_ih);
            outs[d] = ax_rnn_sequence(r->mode, xw, w->w_hh, w->b_hh, state_slice(h0, i),
                                      lstm ? state_slice(c0, i) : NULL, lengths, d == 1, &hs[i], &cs[i]);
        }
        x = D == 2 ? ax_concat(outs, 2, 2) : outs[0];
        if (k < L - 1) x = ax_dropout(x, r->dropout, train);
    }
    if (h_n) *h_n = ax_stack(hs, L * D, 0);
    if (c_n && lstm) *c_n = ax_stack(cs, L * D, 0);
    return x;
}
