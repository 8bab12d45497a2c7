/* `axon train gpt` on N ranks: `mpirun -np N axon train gpt …` (axon/dist.h). Every rank loads the data and
 * builds the model; rank 0 alone reads a checkpoint to resume and sends the weights, the optimizer state and the
 * trainer state (step, generators, best loss) to the others, so OUT need not be shared between machines. Each
 * step every rank draws all windows of the global batch from the same generator and trains on its contiguous
 * share, the micro-batch losses weighted by their share of the global batch, so the summed gradients are those
 * of one process on the whole batch (up to the order of the sums); all ranks then take the same step. The
 * trainer state is the same as one process's, so a checkpoint resumes on any N.
 *
 * Errors: a rank that fails (its data, rank 0's files) makes every rank stop at the next agreement point with
 * exit code 1, and the lowest failing rank prints its message, naming itself. A rank that dies ends the job
 * (mpirun). With one rank every function here is a no-op or the plain single-process step. */
#include "cli/train_gpt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int gpt_dist_agree(gpt_trainer *t, int rc) {
    int first = ax_dist_first_failure(rc != 0);
    if (first < 0) return 0;
    t->failed_rank = first;
    return 1;
}

/* ---- the same run on every rank --------------------------------------------------------------------------- */

typedef struct {
    const char *name; // the option (or what else), for the message
    double value;     // its value on this rank
} setting;

#define N_SETTINGS 28

// what must be the same on every rank: the options that shape the run, the data and the tokenizer
static void settings(const gpt_trainer *t, setting *s) {
    const gpt_train_opts *o = &t->o;
    const setting all[N_SETTINGS] = {
        {"--n-layer", (double)o->n_layer}, {"--n-head", (double)o->n_head}, {"--n-embd", (double)o->n_embd},
        {"--block-size", (double)o->block}, {"--dropout", o->dropout}, {"--batch-size", (double)o->batch},
        {"--grad-accum", (double)o->accum}, {"--max-iters", (double)o->max_iters}, {"--lr", o->lr},
        {"--min-lr", o->min_lr}, {"--weight-decay", o->weight_decay}, {"--beta1", o->beta1}, {"--beta2", o->beta2},
        {"--grad-clip", o->clip}, {"--warmup-iters", (double)o->warmup}, {"--lr-decay-iters", (double)o->decay_iters},
        {"--val-fraction", o->val_fraction}, {"--eval-interval", (double)o->eval_interval},
        {"--eval-iters", (double)o->eval_iters}, {"--log-every", (double)o->log_every}, {"--seed", (double)o->seed},
        {"--threads", (double)o->threads}, {"--resume", o->resume}, {"--zero1", o->zero1},
        {"the vocabulary size (--tokenizer)", (double)ax_tokenizer_vocab_size(t->tok)},
        {"the number of tokens (--data, --tokenizer)", (double)t->corpus.n},
        {"the text's hash, high half (--data, --tokenizer)", (double)(t->corpus.hash >> 32)},
        {"the text's hash, low half (--data, --tokenizer)", (double)(uint32_t)t->corpus.hash},
    };
    for (int i = 0; i < N_SETTINGS; i++) s[i] = all[i];
}

int gpt_dist_check(gpt_trainer *t) {
    if (t->world == 1) return 0;
    setting mine[N_SETTINGS];
    double root[N_SETTINGS];
    settings(t, mine);
    for (int i = 0; i < N_SETTINGS; i++) root[i] = mine[i].value;
    ax_dist_bcast(root, sizeof root);
    int bad = 0;
    for (int i = 0; i < N_SETTINGS && !bad; i++)
        if (root[i] != mine[i].value)
            bad = 1, ax_error("%s is %g here but %g on rank 0: start every rank with the same options and data",
                              mine[i].name, mine[i].value, root[i]);
    return gpt_dist_agree(t, bad);
}

/* ---- rank 0's state to every rank ------------------------------------------------------------------------- */

typedef struct {
    int64_t step, best_step;   // optimizer steps done; step of the best validation
    double best_val, trained_s; // best validation loss; seconds trained before
    ax_rng rng, data_rng;       // the global (dropout) and the window generators
} shared_state;

static void share_trainer_state(gpt_trainer *t) {
    shared_state s = {t->step, t->best_step, t->best_val, t->trained_s, *ax_rng_global(), t->data_rng};
    ax_dist_bcast(&s, sizeof s);
    t->step = t->start_step = s.step;
    t->best_step = s.best_step;
    t->best_val = s.best_val;
    t->trained_s = s.trained_s;
    *ax_rng_global() = s.rng;
    t->data_rng = s.data_rng;
}

// the AdamW moments and update counts rank 0 resumed (without --zero1 every rank holds them all)
static void share_optimizer(gpt_trainer *t) {
    int n = t->model->params->n;
    for (int i = 0; i < 2 * n; i++) {
        ax_tensor *s = ax_optim_state(t->opt, i / 2, i % 2);
        ax_dist_bcast(s->data, (size_t)ax_numel(s) * sizeof(float));
    }
    int64_t *steps = malloc((size_t)(n + 1) * sizeof *steps);
    AX_ASSERT(steps, "out of memory");
    for (int i = 0; i < n; i++) steps[i] = ax_optim_param_steps(t->opt, i);
    steps[n] = ax_optim_steps(t->opt);
    ax_dist_bcast(steps, (size_t)(n + 1) * sizeof *steps);
    ax_optim_set_steps(t->opt, steps[n], steps);
    free(steps);
}

int gpt_dist_start(gpt_trainer *t, ax_optim_config oc) {
    const gpt_train_opts *o = &t->o;
    int64_t share = (o->batch * o->accum + t->world - 1) / t->world;
    t->starts = malloc((size_t)share * sizeof *t->starts);
    AX_ASSERT(t->starts, "out of memory");
    if (t->world > 1) {
        ax_dist_bcast_params(t->model->params); // the same from the same seed; the checkpoint's when resuming
        share_trainer_state(t);
        if (!o->zero1 && o->resume) share_optimizer(t);
        if (!o->zero1) t->sync = ax_grad_sync_new(t->model->params, AX_DIST_BUCKET_BYTES);
    }
    if (o->zero1) {
        t->zero = ax_zero_new(t->model->params, oc, AX_DIST_BUCKET_BYTES);
        if (o->resume) ax_zero_scatter(t->zero, t->opt); // rank 0's t->opt holds the checkpoint's state
        ax_optim_free(t->opt);
        t->opt = ax_zero_optim(t->zero);
    }
    return 0;
}

/* ---- a step ------------------------------------------------------------------------------------------------ */

// splitmix64's finaliser: nearby inputs to unrelated outputs
static uint64_t mix(uint64_t x) {
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// dropout masks: on several ranks each draws from a stream of (seed, step, rank), so a resumed run repeats them
void gpt_dist_seed_step(const gpt_trainer *t) {
    if (t->world > 1) ax_manual_seed(mix(mix(mix((uint64_t)t->o.seed) ^ (uint64_t)t->step) ^ (uint64_t)t->rank));
}

float gpt_dist_reduce(gpt_trainer *t, double *loss, float max_norm) {
    ax_dist_sum(loss, 1);
    if (!isfinite(*loss)) return NAN; // every rank sees the same sum and stops here
    if (t->zero) return ax_zero_reduce(t->zero, max_norm);
    if (t->sync) ax_grad_sync_sum(t->sync);
    return ax_clip_grad_norm(t->model->params, max_norm);
}

void gpt_dist_update(gpt_trainer *t) {
    if (t->zero) ax_zero_step(t->zero);
    else ax_optim_step(t->opt);
}

/* ---- checkpoints ------------------------------------------------------------------------------------------- */

ax_optim *gpt_dist_full_optimizer(gpt_trainer *t) {
    if (!t->zero) return t->rank == 0 ? t->opt : NULL;
    // only the moments and counts are saved, so the configuration of this gathering copy does not matter
    ax_optim *full = t->rank == 0 ? ax_optim_new(t->model->params, ax_optim_defaults(AX_OPTIM_ADAMW)) : NULL;
    ax_zero_gather(t->zero, full);
    return full;
}

void gpt_dist_drop_full(gpt_trainer *t, ax_optim *full) {
    if (t->zero) ax_optim_free(full);
}
