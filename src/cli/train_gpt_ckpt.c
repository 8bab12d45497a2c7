/* What `axon train gpt` keeps on disk and reads back for --resume.
 *
 *   OUT/                      the best checkpoint (lowest validation loss): model.safetensors, config.json, tokenizer
 *   OUT/last/                 the latest one, plus optimizer.safetensors (AdamW moments "exp_avg.<param>",
 *                             "exp_avg_sq.<param>", per-parameter update counts "param_steps" I64) and
 *                             trainer_state.json (step, both RNG states, best validation loss, corpus identity)
 *   OUT/metrics.jsonl, OUT/loss.svg
 *
 * Each file is written atomically and the last one written in OUT/last is trainer_state.json; all three of it,
 * config.json and optimizer.safetensors carry the step, and --resume refuses a set whose steps differ (a save that
 * was interrupted). Resuming restores the weights, the optimizer, the dropout and data generators and the step,
 * so the run goes on exactly as if it had never stopped (same thread count: float sums depend on it). */
#include "cli/optim_state.h"
#include "cli/train_gpt.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_CAP 4096
#define STATE_MAX_BYTES (1u << 20)    // a larger trainer_state.json is corrupt
#define METRICS_MAX_BYTES (1u << 30)  // a larger metrics.jsonl is not read back on --resume
#define METRICS_MAX_FIELDS 32         // keys per metrics line kept on --resume

// dir/file into out (PATH_CAP bytes); --out is checked to be short enough
static void path_of(char *out, const char *dir, const char *file) {
    int n = snprintf(out, PATH_CAP, "%s/%s", dir, file);
    AX_ASSERT(n < PATH_CAP, "path too long: %s/%s", dir, file);
}

/* ---- saving ------------------------------------------------------------------------------------------------ */

// the config.json members besides the architecture: tokenizer, step, validation loss, training settings
static char *extra_config(const gpt_trainer *t, int64_t step, double val_loss) {
    const gpt_train_opts *o = &t->o;
    cJSON *j = cJSON_CreateObject(), *tr = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "axon_tokenizer", gpt_tokenizer_name(t));
    cJSON_AddNumberToObject(j, "train_step", (double)step);
    cJSON_AddNumberToObject(j, "val_loss", val_loss);
    cJSON_AddStringToObject(tr, "data", t->corpus.name);
    cJSON_AddNumberToObject(tr, "max_iters", (double)o->max_iters);
    cJSON_AddNumberToObject(tr, "batch_size", (double)o->batch);
    cJSON_AddNumberToObject(tr, "grad_accum", (double)o->accum);
    cJSON_AddNumberToObject(tr, "lr", o->lr);
    cJSON_AddNumberToObject(tr, "min_lr", o->min_lr);
    cJSON_AddNumberToObject(tr, "warmup_iters", (double)t->sched.warmup);
    cJSON_AddNumberToObject(tr, "lr_decay_iters", (double)t->sched.total_steps);
    cJSON_AddNumberToObject(tr, "weight_decay", o->weight_decay);
    cJSON_AddNumberToObject(tr, "beta1", o->beta1);
    cJSON_AddNumberToObject(tr, "beta2", o->beta2);
    cJSON_AddNumberToObject(tr, "grad_clip", o->clip);
    cJSON_AddNumberToObject(tr, "val_fraction", o->val_fraction);
    cJSON_AddNumberToObject(tr, "seed", (double)o->seed);
    cJSON_AddItemToObject(j, "train", tr);
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    AX_ASSERT(text, "out of memory");
    return text;
}

// model.safetensors + config.json + the tokenizer files into dir
static int save_model(const gpt_trainer *t, const char *dir, double val_loss) {
    char *extra = extra_config(t, t->step, val_loss);
    int rc = ax_gpt_save(t->model, dir, extra);
    free(extra);
    return rc == AX_OK ? ax_tokenizer_save(t->tok, dir) : rc;
}

int gpt_save_best(const gpt_trainer *t) { return save_model(t, t->o.out, t->best_val); }

static cJSON *rng_json(const ax_rng *r) {
    char s[2][24];
    snprintf(s[0], sizeof s[0], "0x%016" PRIx64, r->state);
    snprintf(s[1], sizeof s[1], "0x%016" PRIx64, r->inc);
    const char *v[] = {s[0], s[1]};
    return cJSON_CreateStringArray(v, 2);
}

static int save_state(const gpt_trainer *t, const char *path) {
    cJSON *j = cJSON_CreateObject(), *c = cJSON_CreateObject();
    char hash[24];
    snprintf(hash, sizeof hash, "0x%016" PRIx64, t->corpus.hash);
    cJSON_AddStringToObject(j, "axon_trainer", "gpt");
    cJSON_AddNumberToObject(j, "step", (double)t->step);
    cJSON_AddItemToObject(j, "rng", rng_json(ax_rng_global()));
    cJSON_AddItemToObject(j, "data_rng", rng_json(&t->data_rng));
    cJSON_AddNumberToObject(j, "best_val_loss", t->best_val); // cJSON writes 17 digits where 15 do not round-trip
    cJSON_AddNumberToObject(j, "best_step", (double)t->best_step);
    cJSON_AddNumberToObject(j, "tokens_seen", (double)(t->step * t->o.accum * t->o.batch * t->o.block));
    cJSON_AddNumberToObject(j, "seconds", t->trained_s + cli_now() - t->start);
    cJSON_AddNumberToObject(j, "threads", ax_threads());
    cJSON_AddStringToObject(c, "name", t->corpus.name);
    cJSON_AddNumberToObject(c, "tokens", (double)t->corpus.n);
    cJSON_AddNumberToObject(c, "train_tokens", (double)t->corpus.n_train);
    cJSON_AddStringToObject(c, "hash", hash);
    cJSON_AddItemToObject(j, "corpus", c);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    AX_ASSERT(text, "out of memory");
    int rc = ax_write_file_atomic(path, text, strlen(text));
    free(text);
    return rc;
}

int gpt_save_last(const gpt_trainer *t, const ax_optim *full, double val_loss) {
    char dir[PATH_CAP], path[PATH_CAP];
    path_of(dir, t->o.out, GPT_LAST_DIR);
    if (ax_mkdir_p(dir) != AX_OK) return AX_ERR;
    path_of(path, dir, GPT_OPTIM_FILE);
    if (cli_optim_save(full, t->model->params, t->step, path) != AX_OK || save_model(t, dir, val_loss) != AX_OK)
        return AX_ERR;
    path_of(path, dir, GPT_STATE_FILE);
    return save_state(t, path);
}

/* ---- resuming ------------------------------------------------------------------------------------------------ */

static bool parse_u64(const cJSON *v, uint64_t *out) {
    const char *s = cJSON_GetStringValue(v);
    char *end;
    if (!s) return false;
    *out = strtoull(s, &end, 16);
    return end != s && *end == '\0';
}

static bool parse_rng(const cJSON *j, const char *key, ax_rng *r) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_GetArraySize(a) == 2 && parse_u64(cJSON_GetArrayItem(a, 0), &r->state) &&
           parse_u64(cJSON_GetArrayItem(a, 1), &r->inc) && (r->inc & 1);
}

static bool get_i64(const cJSON *j, const char *key, int64_t *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 0) return false;
    *out = (int64_t)v->valuedouble;
    return true;
}

typedef struct {
    int64_t step, best_step, tokens, train_tokens; // as saved
    uint64_t hash;                                 // corpus hash
    ax_rng rng, data_rng;                          // generator states
    double best_val, seconds;                      // best validation loss (null: none yet), training time
} saved_state;

static int read_state(const char *path, saved_state *s) {
    void *text;
    size_t len;
    if (ax_read_file(path, STATE_MAX_BYTES, &text, &len) != AX_OK) return AX_ERR;
    cJSON *j = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "corpus");
    const cJSON *best = cJSON_GetObjectItemCaseSensitive(j, "best_val_loss");
    const cJSON *secs = cJSON_GetObjectItemCaseSensitive(j, "seconds");
    bool ok = get_i64(j, "step", &s->step) && get_i64(j, "best_step", &s->best_step) &&
              parse_rng(j, "rng", &s->rng) && parse_rng(j, "data_rng", &s->data_rng) &&
              get_i64(c, "tokens", &s->tokens) && get_i64(c, "train_tokens", &s->train_tokens) &&
              parse_u64(cJSON_GetObjectItemCaseSensitive(c, "hash"), &s->hash) &&
              (cJSON_IsNumber(best) || cJSON_IsNull(best));
    s->best_val = cJSON_IsNumber(best) ? best->valuedouble : INFINITY;
    s->seconds = cJSON_IsNumber(secs) ? secs->valuedouble : 0;
    cJSON_Delete(j);
    return ok ? AX_OK : ax_error("%s is not a valid trainer state (a damaged file?)", path);
}

// one line naming every architecture field that differs between the checkpoint (a) and this run (b)
static int check_config(const char *dir, const ax_gpt_config *a, const ax_gpt_config *b) {
    char diff[512] = "";
    size_t n = 0;
#define DIFF(field, fmt)                                                                                           \
    if (a->field != b->field && n < sizeof diff)                                                                   \
        n += (size_t)snprintf(diff + n, sizeof diff - n, "%s" #field " " fmt " there, " fmt " here", n ? "; " : "", \
                              a->field, b->field);
    DIFF(vocab_size, "%d") DIFF(block_size, "%d") DIFF(n_layer, "%d") DIFF(n_head, "%d") DIFF(n_embd, "%d")
    DIFF(dropout, "%g") DIFF(bias, "%d") DIFF(ln_eps, "%g")
#undef DIFF
    if (!n) return AX_OK;
    return ax_error("%s holds another config (%s): resume with the options it was trained with, or train into "
                    "another --out", dir, diff);
}

static int check_corpus(const gpt_trainer *t, const char *dir, const saved_state *s) {
    const gpt_corpus *c = &t->corpus;
    if (s->hash != c->hash || s->tokens != c->n)
        return ax_error("%s was trained on other data (%lld tokens; here %lld from %s with --tokenizer %s): resume "
                        "with the same --data and --tokenizer", dir, (long long)s->tokens, (long long)c->n, c->name,
                        t->o.tokenizer);
    if (s->train_tokens != c->n_train)
        return ax_error("%s was trained on %lld of the %lld tokens, here --val-fraction %g leaves %lld: resume with "
                        "the same --val-fraction", dir, (long long)s->train_tokens, (long long)c->n,
                        t->o.val_fraction, (long long)c->n_train);
    return AX_OK;
}

// the step config.json of dir was saved at (-1 if it does not say)
static int64_t config_step(const char *dir) {
    char *text, model[AX_MODEL_NAME_MAX];
    if (ax_checkpoint_read_config(dir, &text, model) != AX_OK) return -1;
    cJSON *j = cJSON_Parse(text);
    free(text);
    int64_t step = -1;
    if (!get_i64(j, "train_step", &step)) step = -1;
    cJSON_Delete(j);
    return step;
}

int gpt_resume(gpt_trainer *t) {
    char dir[PATH_CAP], path[PATH_CAP];
    path_of(dir, t->o.out, GPT_LAST_DIR);
    path_of(path, dir, GPT_STATE_FILE);
    FILE *fp = fopen(path, "r");
    if (!fp) return ax_error("--resume: no checkpoint to resume in %s (%s is missing)", dir, GPT_STATE_FILE);
    fclose(fp);
    saved_state s;
    ax_gpt_config cfg;
    if (read_state(path, &s) != AX_OK || ax_gpt_config_read(dir, &cfg) != AX_OK ||
        check_corpus(t, dir, &s) != AX_OK || check_config(dir, &cfg, &t->model->cfg) != AX_OK)
        return AX_ERR;
    if (config_step(dir) != s.step)
        return ax_error("%s/%s is not from step %lld like %s (an interrupted save?)", dir, AX_CKPT_CONFIG,
                        (long long)s.step, GPT_STATE_FILE);
    path_of(path, dir, GPT_OPTIM_FILE);
    if (ax_gpt_load_weights(t->model, dir) != AX_OK || cli_optim_load(t->opt, t->model->params, s.step, path) != AX_OK)
        return AX_ERR;
    *ax_rng_global() = s.rng;
    t->data_rng = s.data_rng;
    t->step = t->start_step = s.step;
    t->best_val = s.best_val;
    t->best_step = s.best_step;
    t->trained_s = s.seconds;
    return AX_OK;
}

/* ---- metrics.jsonl and loss.svg ------------------------------------------------------------------------------ */

// one line of an old metrics.jsonl: written again (and plotted) if it is from step ≤ t->step
static void keep_line(gpt_trainer *t, const char *line) {
    cJSON *j = cJSON_Parse(line);
    int64_t step;
    if (!cJSON_IsObject(j) || !get_i64(j, "step", &step) || step > t->step) {
        cJSON_Delete(j);
        return;
    }
    ax_metric m[METRICS_MAX_FIELDS];
    int n = 0;
    for (const cJSON *f = j->child; f && n < METRICS_MAX_FIELDS; f = f->next)
        if (cJSON_IsNumber(f) || cJSON_IsNull(f)) m[n++] = (ax_metric){f->string, cJSON_IsNumber(f) ? f->valuedouble : NAN};
    ax_metrics_write(t->log, m, n);
    const cJSON *loss = cJSON_GetObjectItemCaseSensitive(j, "loss"), *val = cJSON_GetObjectItemCaseSensitive(j, "val_loss");
    if (cJSON_IsNumber(loss)) mlp_curve_push(&t->train_curve, (double)step, loss->valuedouble);
    if (cJSON_IsNumber(val)) mlp_curve_push(&t->val_curve, (double)step, val->valuedouble);
    cJSON_Delete(j);
}

int gpt_open_metrics(gpt_trainer *t) {
    char path[PATH_CAP];
    path_of(path, t->o.out, "metrics.jsonl");
    void *old = NULL;
    size_t len = 0;
    FILE *fp = t->o.resume ? fopen(path, "r") : NULL;
    if (fp) {
        fclose(fp);
        if (ax_read_file(path, METRICS_MAX_BYTES, &old, &len) != AX_OK) old = NULL; // a lost history is no reason to stop
    }
    if (!(t->log = ax_metrics_open(path))) {
        free(old);
        return AX_ERR;
    }
    for (char *line = old, *end; line && line < (char *)old + len; line = end + 1) {
        end = memchr(line, '\n', (size_t)((char *)old + len - line));
        if (!end) end = (char *)old + len; // the last line without its newline: a crash mid-write, parsed or dropped
        *end = '\0';
        keep_line(t, line);
    }
    free(old);
    return AX_OK;
}

int gpt_write_plot(const gpt_trainer *t) {
    char path[PATH_CAP];
    path_of(path, t->o.out, "loss.svg");
    ax_svg_series s[2] = {{"training", t->train_curve.x, t->train_curve.y, t->train_curve.n},
                          {"validation", t->val_curve.x, t->val_curve.y, t->val_curve.n}};
    return ax_svg_line_chart(path, &(ax_svg_labels){"GPT loss", "step", "cross-entropy (nats per token)"}, s, 2);
}
