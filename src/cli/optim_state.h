/* An optimizer's state as a safetensors file, for trainers that resume: the moments "exp_avg.<param>",
 * "exp_avg_sq.<param>" (F32, the parameter's shape), the per-parameter update counts "param_steps" (I64) and the step
 * in the metadata. Used by `axon train gpt` and `axon train transformer`. */
#ifndef AX_CLI_OPTIM_STATE_H
#define AX_CLI_OPTIM_STATE_H

#include "axon.h"

int cli_optim_save(const ax_optim *opt, const ax_params *p, int64_t step, const char *path); // atomic
/* Checks the file (the step, every tensor's name, dtype and size, the counts ≤ step) before restoring anything;
 * AX_ERR with one line when it does not fit. */
int cli_optim_load(ax_optim *opt, const ax_params *p, int64_t step, const char *path);

#endif
