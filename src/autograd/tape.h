/* The autograd tape, as seen by op implementations (not public API).
 *
 * An op computes its output, then calls AX_RECORD(...). If grad mode is on and some input requires a
 * gradient, a node is appended and returned (else NULL and the output needs no gradient). The op stores
 * what backward needs in the node. Backward reads ax_grad_buf(n->out) and accumulates (+=) into
 * ax_grad_buf(input) for each input, which is NULL when that input needs no gradient. */
#ifndef AX_AUTOGRAD_TAPE_H
#define AX_AUTOGRAD_TAPE_H

#include "axon/autograd.h"

struct ax_node {
    const char *op;                // op name, for messages
    void (*backward)(ax_node *n);  // accumulates the inputs' gradients from the output's
    ax_tensor *out;                // the op's result
    ax_tensor **in;                // (n_in) the op's inputs, in argument order
    int n_in;                      // number of inputs
    void *saved;                   // op-specific values kept for backward (arena memory)
    int64_t iarg[4];               // small integer arguments (dims, flags)
    float farg[4];                 // small float arguments (slope, eps, p)
};

typedef void (*ax_backward_fn)(ax_node *n);

ax_node *ax_tape_record(const char *op, ax_backward_fn backward, ax_tensor *out, int n_in, ax_tensor *const *in);
#define AX_RECORD(op, backward, out, ...)                                                          \
    ax_tape_record(op, backward, out, (int)(sizeof((ax_tensor *[]){__VA_ARGS__}) / sizeof(ax_tensor *)), \
                   (ax_tensor *[]){__VA_ARGS__})

float *ax_grad_buf(ax_tensor *t); // t's contiguous gradient, zero-initialised on first use; NULL if t needs none
/* The same for a backward that writes every element: when t had no gradient yet (*fresh), the buffer is left
 * uninitialised and must be written (=), not accumulated (+=); a parameter's gradient is never fresh. */
float *ax_grad_buf_fresh(ax_tensor *t, bool *fresh);
/* Hands g — a contiguous gradient holding as many elements as t, in t's row-major order, that nothing reads after
 * this — to t as its gradient, when t needs one and has none yet and is not a parameter: no copy, no zeroing.
 * False otherwise (the caller accumulates as usual). */
bool ax_grad_adopt(ax_tensor *t, ax_tensor *g);
void ax_tape_clear(void);         // forget every node (after backward, at arena reset)
int64_t ax_tape_len(void);        // nodes on the tape

#endif
