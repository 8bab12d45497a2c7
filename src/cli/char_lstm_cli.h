/* What `axon train char-lstm` and `axon generate` share for the char-LSTM: the carried LSTM state of truncated
 * BPTT, one forward step with its loss, and generation from a checkpoint. */
#ifndef AX_CLI_CHAR_LSTM_CLI_H
#define AX_CLI_CHAR_LSTM_CLI_H

#include "axon.h"

typedef struct {
    ax_tensor *h; // (L, B, H) persistent hidden state, carried between steps (no gradient flows through it)
    ax_tensor *c; // (L, B, H) persistent cell state
} char_lstm_state;

void char_lstm_state_init(char_lstm_state *s, const ax_char_lstm *m, int64_t batch); // zeros
void char_lstm_state_reset(char_lstm_state *s);                                       // back to zeros
void char_lstm_state_free(char_lstm_state *s);

/* Forward of ids x (B, T) from the state, which then moves on to the final state; returns the mean
 * cross-entropy (nats, 0-dim, with its tape in grad mode) against targets y (B, T). */
ax_tensor *char_lstm_step_loss(const ax_char_lstm *m, char_lstm_state *s, const int32_t *x, const int32_t *y,
                               int64_t B, int64_t T, bool train);

typedef struct {
    const char *ckpt;      // checkpoint directory
    const char *prompt;    // text to continue ("" starts from a newline); NULL: read it from stdin
    const char *stop;      // stop when this text appears (not printed), or NULL
    ax_sampler_config sc;  // temperature, top-k, top-p, repetition penalty
    uint64_t seed;         // sampler seed
    int64_t max_new;       // characters to generate
    bool echo, json, quiet; // print the prompt first; JSON result; no speed line
} char_lstm_gen_opts;

bool char_lstm_is_checkpoint(const char *dir); // does DIR/config.json name a char-lstm?
/* `axon generate` on a char-lstm checkpoint: streams the continuation to stdout. Returns the exit code. */
int char_lstm_generate(const char_lstm_gen_opts *o);

#endif
