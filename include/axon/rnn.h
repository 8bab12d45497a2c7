/* axon/rnn.h — recurrent layers: Elman RNN (tanh/relu), LSTM, GRU.
 *
 * Layout and names follow torch.nn.RNN/LSTM/GRU so weights transfer both ways. Sequences are batch-first:
 * x (B, T, C). Per layer k and direction (suffix "_reverse" for the backward direction) the parameters are
 *   weight_ih_l{k} (G·H, in), weight_hh_l{k} (G·H, H), bias_ih_l{k} (G·H), bias_hh_l{k} (G·H)
 * with G = 1 (RNN), 4 (LSTM, gates i, f, g, o) or 3 (GRU, gates r, z, n), and the cells
 *   RNN:  h' = act(W_ih x + b_ih + W_hh h + b_hh)
 *   LSTM: i, f, g, o = σ, σ, tanh, σ of (W_ih x + b_ih + W_hh h + b_hh);  c' = f·c + i·g;  h' = o·tanh(c')
 *   GRU:  r, z = σ(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z});  n = tanh(W_in x + b_in + r·(W_hn h + b_hn))
 *         h' = (1 − z)·n + z·h
 * Initial and final states are (L·D, B, H) as in PyTorch (D = 2 when bidirectional). Variable lengths:
 * `lengths` I32 (B); steps t ≥ lengths[b] leave sequence b's state unchanged and output zeros, as
 * pack_padded_sequence + pad_packed_sequence do (the reverse direction starts at lengths[b] − 1). */
#ifndef AXON_RNN_H
#define AXON_RNN_H

#include "nn.h"

typedef enum { AX_RNN_TANH = 0, AX_RNN_RELU, AX_LSTM, AX_GRU } ax_rnn_mode;

int ax_rnn_gates(ax_rnn_mode mode); // G: 1, 1, 4 or 3

/* ---- the fused op: one layer, one direction, a whole sequence ------------------------------------
 * xw (B, T, G·H) is the input projection W_ih x + b_ih for every step (one GEMM by the caller); the op
 * loops over time (a GEMM h·W_hhᵀ per step plus the fused cell) and saves the gates; its backward runs
 * backpropagation through time in one pass. h0, c0 (B, H) may be NULL (zeros); c0 and c_n are for the
 * LSTM only; lengths may be NULL (all T). Returns out (B, T, H); *h_n, *c_n (B, H) if asked for. */
ax_tensor *ax_rnn_sequence(ax_rnn_mode mode, ax_tensor *xw, ax_tensor *w_hh, ax_tensor *b_hh, ax_tensor *h0,
                           ax_tensor *c0, const ax_tensor *lengths, bool reverse, ax_tensor **h_n, ax_tensor **c_n);

/* ---- the multi-layer module --------------------------------------------------------------------- */
#define AX_RNN_MAX_LAYERS 8

typedef struct {
    ax_tensor *w_ih; // (G·H, in)
    ax_tensor *w_hh; // (G·H, H)
    ax_tensor *b_ih; // (G·H), or NULL without bias
    ax_tensor *b_hh; // (G·H), or NULL without bias
} ax_rnn_weights;

typedef struct {
    ax_rnn_mode mode;     // cell type
    int64_t input_size;   // C of the input
    int64_t hidden_size;  // H
    int num_layers;       // L stacked layers
    bool bidirectional;   // D = 2: a reverse direction per layer, outputs concatenated (2H)
    float dropout;        // applied to every layer's output but the last, in training
    ax_rnn_weights w[AX_RNN_MAX_LAYERS][2]; // [layer][direction]
} ax_rnn;

/* Registers the parameters as "<prefix>weight_ih_l0", … (prefix may be "" or e.g. "lstm.") with PyTorch's
 * initialisation U(−1/√H, 1/√H); the biases are no_decay. */
void ax_rnn_init(ax_rnn *r, ax_params *p, const char *prefix, ax_rnn_mode mode, int64_t input_size,
                 int64_t hidden_size, int num_layers, bool bidirectional, float dropout, bool bias);

/* Re-initialises r as Keras initialises its recurrent layers: input weights xavier-uniform (glorot_uniform), recurrent
 * weights orthogonal per layer (each (G·H, H) matrix with orthonormal columns), biases 0 except the LSTM's forget
 * gate, 1 in bias_ih (unit_forget_bias). */
void ax_rnn_init_keras(ax_rnn *r);

/* Sets the LSTM's input, forget and output gate biases (in bias_ih) to b. With every gate at σ(0) = 0.5, a fresh
 * layer of H units passes on roughly 0.4× the size of its input, so a 4-layer stack starts with almost no signal at
 * its top and sits on the unigram plateau for hundreds of steps; at b = 1 (σ = 0.73) the cell keeps ~2.7× its
 * candidate and a layer's output is about as large as its input. */
void ax_lstm_open_gates(ax_rnn *r, float b);

/* x (B, T, C) → (B, T, D·H). h0, c0 (L·D, B, H) or NULL; lengths I32 (B) or NULL. *h_n, *c_n (L·D, B, H)
 * when not NULL (c_n for the LSTM only). train switches the inter-layer dropout on. */
ax_tensor *ax_rnn_forward(const ax_rnn *r, ax_tensor *x, ax_tensor *h0, ax_tensor *c0, const ax_tensor *lengths,
                          bool train, ax_tensor **h_n, ax_tensor **c_n);

/* ---- char-LSTM language model -------------------------------------------------------------------------
 * One-hot characters → stacked LSTM (dropout after every layer, in training) → dense softmax over the
 * characters. Parameters as torch.nn.LSTM(V, H, L, batch_first=True) named "lstm.*" plus nn.Linear(H, V)
 * "fc.weight", "fc.bias". Checkpoint: config.json {"axon_model": "char-lstm", "vocab_size", "hidden_size",
 * "num_layers", "dropout"}, model.safetensors and the char tokenizer's char_vocab.json. */
typedef struct {
    int64_t vocab;  // V characters
    int64_t hidden; // H units per LSTM layer
    int layers;     // L stacked LSTM layers
    float dropout;  // after every LSTM layer, in training
} ax_char_lstm_config;

typedef struct {
    ax_char_lstm_config cfg; // architecture
    ax_params *params;       // every parameter, torch names
    ax_rnn lstm;             // the LSTM stack
    ax_linear_layer fc;      // (V, H) output layer
} ax_char_lstm;

int ax_char_lstm_config_check(const ax_char_lstm_config *cfg);         // AX_ERR naming the bad field
char *ax_char_lstm_config_to_json(const ax_char_lstm_config *cfg);      // malloc'd config.json text
int ax_char_lstm_config_from_json(const char *json, ax_char_lstm_config *cfg); // AX_ERR on a bad config
ax_char_lstm *ax_char_lstm_new(const ax_char_lstm_config *cfg);        // initialised from the global RNG
void ax_char_lstm_free(ax_char_lstm *m);                                // NULL is fine
int ax_char_lstm_load(const char *dir, ax_char_lstm **out);             // config.json + model.safetensors
/* idx I32 (B, T) → logits (B, T, V). h0, c0 (L, B, H) or NULL (zeros); *h_n, *c_n (L, B, H) if asked for. */
ax_tensor *ax_char_lstm_forward(const ax_char_lstm *m, ax_tensor *idx, ax_tensor *h0, ax_tensor *c0, bool train,
                                ax_tensor **h_n, ax_tensor **c_n);

#endif
