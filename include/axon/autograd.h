/* axon/autograd.h — the eager tape.
 *
 * While grad mode is on, every op whose inputs require a gradient appends a node to the tape (inputs,
 * output, saved values, backward function). ax_backward(loss) walks the tape from the newest node to
 * the oldest, accumulating into .grad (a tensor used twice receives the sum), then clears the tape, as
 * PyTorch frees the graph after backward. Gradients of persistent tensors accumulate across backward
 * calls until zeroed: that is gradient accumulation. */
#ifndef AXON_AUTOGRAD_H
#define AXON_AUTOGRAD_H

#include "tensor.h"

void ax_backward(ax_tensor *loss);                       // loss must be a one-element tensor; seeds d loss = 1
void ax_backward_from(ax_tensor *out, const ax_tensor *grad); // seeds d out = grad (same shape) instead
bool ax_grad_enabled(void);                              // is the tape recording?
bool ax_set_grad_enabled(bool enabled);                  // switch recording; returns the previous mode
void ax_requires_grad(ax_tensor *t, bool on);            // mark a leaf as needing a gradient
void ax_zero_grad(ax_tensor *t);                         // set t's gradient to zero (keeps the buffer)
ax_tensor *ax_detach(ax_tensor *t);                      // shares data, no gradient, no history
void ax_profile_enable(bool on); // per-op forward/backward times, printed to stderr at exit (also: AX_PROFILE=1)

/* Finite-difference gradient check. f maps the inputs to an output tensor y (any shape). With a fixed
 * random weighting R, L = Σ y·R is accumulated in double; the analytic gradient (backward seeded with R)
 * is compared against (L(x+ε) − L(x−ε)) / 2ε for every element of every input that requires a gradient.
 * Returns the number of elements outside |a − n| ≤ atol + rtol·|n| and prints the worst one. */
typedef ax_tensor *(*ax_grad_fn)(ax_tensor **inputs, void *ctx);
int ax_gradcheck(ax_grad_fn f, void *ctx, ax_tensor **inputs, int n_inputs, double eps, double rtol,
                 double atol);

#endif
