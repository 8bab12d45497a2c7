/* Fused scaled dot-product attention on the CPU (internal to ops/attention.c, its tests and benchmark).
 *
 * Flash-attention style: for each block of query rows the keys are visited in tiles of 64 with an online
 * softmax (running row max m and sum l), so the (Tq × Tk) score matrix is never materialised. The forward
 * saves each row's logsumexp; the backward recomputes the probability tiles from it (FlashAttention-2):
 *   P = e^(S − lse)   D_i = Σ dO_i·O_i   dV += Pᵀ·dO   dP = dO·Vᵀ   dS = P⊙(dP − D)
 *   dQ += dS·K·scale  dK += dSᵀ·Q·scale
 * Causal tiles wholly in the future are skipped. A query row that sees no key (all padding, or causal with
 * Tq > Tk) outputs zeros and passes no gradient (PyTorch's explicit composition would give NaN).
 * Work runs in parallel over (batch·head, query block) with OpenMP. */
#ifndef AX_BACKEND_CPU_ATTENTION_KERNELS_H
#define AX_BACKEND_CPU_ATTENTION_KERNELS_H

#include <stdbool.h>
#include <stdint.h>

/* One of q, k, v: element (b, h, t, d) at p[b·sb + h·sh + t·st + d] (the head dim D is contiguous). */
typedef struct {
    const float *p;     // element (0, 0, 0, 0)
    int64_t sb, sh, st; // strides in elements of batch, head and time
} ax_attn_operand;

/* Where an output or gradient (B, H, T, D) lives: element (b, h, t, d) at b·sb + h·sh + t·st + d. */
typedef struct {
    int64_t sb, sh, st; // strides in elements of batch, head and time
} ax_attn_layout;

typedef struct {
    int64_t B, H, Tq, Tk, D; // q (B, H, Tq, D); k, v (B, H, Tk, D)
    ax_attn_operand q, k, v; // the inputs
    const uint8_t *keep;     // (B, Tk) contiguous: 0 = padding key nobody sees; NULL = every key counts
    bool causal;             // query i sees only keys j ≤ i + Tk − Tq
    float scale;             // scores are q·kᵀ·scale
    ax_attn_layout o;        // of out and dout
    ax_attn_layout dq, dk, dv; // of the gradients
} ax_attn_problem;

ax_attn_layout ax_attn_contiguous(int64_t H, int64_t T, int64_t D); // the layout of a contiguous (B, H, T, D)

/* out (B, H, Tq, D) in layout p->o; lse (B, H, Tq) contiguous: each row's log Σ e^score, +∞ for a row that
 * sees no key. */
void ax_attn_forward(const ax_attn_problem *p, float *out, float *lse);

/* Accumulates (+=) into dq (B, H, Tq, D), dk and dv (B, H, Tk, D), in layouts p->dq, p->dk, p->dv; any may be
 * NULL. out, dout (layout p->o) and lse come from the forward. */
void ax_attn_backward(const ax_attn_problem *p, const float *out, const float *dout, const float *lse, float *dq,
                      float *dk, float *dv);

/* Selects the SIMD kernels by name ("avx512", "avx2", "generic"); false if unknown or not supported by this CPU.
 * NULL goes back to the automatic choice (the environment variable AX_ISA, else the best the CPU runs). */
bool ax_attn_force_isa(const char *name);
const char *ax_attn_isa_name(void); // the kernels in use

#endif
