/* What `axon train transformer` keeps on disk and reads back:
 *
 *   OUT/                       the final model (the average of the last --average epochs): config.json (with its
 *                              scores and the training settings), model.safetensors, the tokenizer files
 *   OUT/epochs/epoch-N.safetensors   the weights after epoch N, the last --average of them kept
 *   OUT/last/                  the latest epoch's model and tokenizer, optimizer.safetensors and trainer_state.json
 *                              (epoch, step, RNG states, seconds, curves, data identity), written last
 *   OUT/metrics.jsonl, OUT/loss.svg, OUT/bleu.svg
 *
 * --resume continues after the last finished epoch exactly as if the run had never stopped (same thread count). */
#include "cli/optim_state.h"
#include "cli/train_transformer.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_CAP 4200
#define STATE_MAX_BYTES (16u << 20) // a larger trainer_state.json is corrupt
#define METRICS_MAX_BYTES (1u << 30) // a larger metrics.jsonl is not read back on --resume
#define METRICS_MAX_FIELDS 16 // keys per metrics line kept on --resume

static void path_of(char *out, const char *dir, const char *file) {
    int n = snprintf(out, PATH_CAP, "%s/%s", dir, file);
    AX_ASSERT(n < PATH_CAP, "path too long: %s/%s", dir, file);
}

static void snapshot_path(char *out, const tf_trainer *t, int epoch) {
    char name[64];
    snprintf(name, sizeof name, "%s/epoch-%d.safetensors", TF_EPOCHS_DIR, epoch);
    path_of(out, t->o.out, name);
}

/* ---- checkpoints --------------------------------------------------------------------------------------------- */

// config.json: the architecture plus the scores and the training settings
static char *config_json(const tf_trainer *t, int epoch, int averaged, double val_loss, double val_bleu) {
    char *arch = ax_transformer_config_to_json(&t->m->cfg);
    cJSON *j = cJSON_Parse(arch), *tr = cJSON_CreateObject();
    free(arch);
    AX_ASSERT(j && tr, "out of memory");
    const tf_train_opts *o = &t->o;
    cJSON_AddNumberToObject(j, "epoch", epoch);
    cJSON_AddNumberToObject(j, "averaged_epochs", averaged);
    cJSON_AddNumberToObject(j, "val_loss", val_loss);
    cJSON_AddNumberToObject(j, "val_bleu", val_bleu);
    cJSON_AddStringToObject(tr, "data", o->data);
    cJSON_AddBoolToObject(tr, "reverse", o->reverse);
    cJSON_AddNumberToObject(tr, "vocab_size", (double)o->vocab_size);
    cJSON_AddNumberToObject(tr, "epochs", (double)o->epochs);
    cJSON_AddNumberToObject(tr, "batch_tokens", (double)o->batch_tokens);
    cJSON_AddNumberToObject(tr, "lr", o->lr);
    cJSON_AddNumberToObject(tr, "warmup", (double)o->warmup);
    cJSON_AddNumberToObject(tr, "label_smoothing", o->label_smoothing);
    cJSON_AddNumberToObject(tr, "grad_clip", o->clip);
    cJSON_AddNumberToObject(tr, "average", (double)o->average);
    cJSON_AddNumberToObject(tr, "seed", (double)o->seed);
    cJSON_AddItemToObject(j, "train", tr);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    AX_ASSERT(text, "out of memory");
    return text;
}

static int save_model(const tf_trainer *t, const char *dir, int averaged, double val_loss, double val_bleu) {
    char *json = config_json(t, t->epoch, averaged, val_loss, val_bleu);
    int rc = ax_tokenizer_save(t->tok, dir);
    if (rc == AX_OK) rc = ax_checkpoint_save(dir, json, t->m->params);
    free(json);
    return rc;
}

static cJSON *rng_json(const ax_rng *r) {
    char s[2][24];
    snprintf(s[0], sizeof s[0], "0x%016" PRIx64, r->state);
    snprintf(s[1], sizeof s[1], "0x%016" PRIx64, r->inc);
    const char *v[] = {s[0], s[1]};
    return cJSON_CreateStringArray(v, 2);
}

static cJSON *curve_json(const mlp_curve *c) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < c->n; i++) {
        const double p[2] = {c->x[i], c->y[i]};
        cJSON_AddItemToArray(a, cJSON_CreateDoubleArray(p, 2));
    }
    return a;
}

static int save_state(const tf_trainer *t, const char *path) {
    cJSON *j = cJSON_CreateObject(), *c = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "axon_trainer", "transformer");
    cJSON_AddNumberToObject(j, "epoch", t->epoch);
    cJSON_AddNumberToObject(j, "step", (double)ax_optim_steps(t->opt));
    cJSON_AddItemToObject(j, "rng", rng_json(ax_rng_global()));
    cJSON_AddItemToObject(j, "data_rng", rng_json(&t->data_rng));
    cJSON_AddNumberToObject(j, "seconds", t->train_s);
    cJSON_AddNumberToObject(c, "train_pairs", (double)t->train.n);
    cJSON_AddNumberToObject(c, "train_tokens", (double)t->train.tgt_tokens);
    cJSON_AddNumberToObject(c, "valid_pairs", (double)t->valid.n);
    cJSON_AddItemToObject(j, "data", c);
    cJSON_AddItemToObject(j, "train_loss", curve_json(&t->train_loss));
    cJSON_AddItemToObject(j, "val_loss", curve_json(&t->val_loss));
    cJSON_AddItemToObject(j, "val_bleu", curve_json(&t->val_bleu));
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    AX_ASSERT(text, "out of memory");
    int rc = ax_write_file_atomic(path, text, strlen(text));
    free(text);
    return rc;
}

int tf_save_epoch(tf_trainer *t) {
    char dir[PATH_CAP], path[PATH_CAP];
    path_of(dir, t->o.out, TF_EPOCHS_DIR);
    snapshot_path(path, t, t->epoch);
    if (ax_mkdir_p(dir) != AX_OK || ax_params_save(t->m->params, path) != AX_OK) return AX_ERR;
    if (t->epoch > t->o.average) {
        snapshot_path(path, t, t->epoch - (int)t->o.average);
        remove(path);
    }
    path_of(dir, t->o.out, TF_LAST_DIR);
    if (ax_mkdir_p(dir) != AX_OK || save_model(t, dir, 1, t->last_val_loss, t->last_bleu) != AX_OK) return AX_ERR;
    path_of(path, dir, TF_OPTIM_FILE);
    if (cli_optim_save(t->opt, t->m->params, ax_optim_steps(t->opt), path) != AX_OK) return AX_ERR;
    path_of(path, dir, TF_STATE_FILE);
    return save_state(t, path);
}

/* ---- averaging and the final model ----------------------------------------------------------------------------- */

int tf_average_params(ax_params *p, const char *const *paths, int k) {
    float **sum = calloc((size_t)p->n + 1, sizeof *sum);
    AX_ASSERT(sum, "out of memory");
    int rc = AX_OK;
    for (int f = 0; f < k && rc == AX_OK; f++) {
        ax_safetensors *st;
        if ((rc = ax_safetensors_read(paths[f], &st)) != AX_OK) break;
        for (int i = 0; i < p->n && rc == AX_OK; i++) {
            const ax_tensor *want = p->items[i].t;
            const ax_st_entry *e = ax_safetensors_find(st, p->items[i].name);
            int64_t n = ax_numel(want);
            if (!e || e->dtype != AX_F32 || e->nbytes != (size_t)n * sizeof(float)) {
                rc = ax_error("%s: '%s' is missing or not f32 %s", paths[f], p->items[i].name, ax_shape_str(want));
                break;
            }
            if (!sum[i]) sum[i] = calloc((size_t)n, sizeof(float));
            AX_ASSERT(sum[i], "out of memory");
            const float *v = e->data;
            for (int64_t j = 0; j < n; j++) sum[i][j] += v[j];
        }
        ax_safetensors_free(st);
    }
    for (int i = 0; i < p->n; i++) {
        float *w = ax_f32(p->items[i].t);
        for (int64_t j = 0; rc == AX_OK && j < ax_numel(p->items[i].t); j++) w[j] = sum[i][j] / (float)k;
        free(sum[i]);
    }
    free(sum);
    return rc;
}

// the last min(--average, epochs) snapshots averaged into the model
static int average(tf_trainer *t) {
    int k = t->epoch < t->o.average ? t->epoch : (int)t->o.average;
    t->averaged = k;
    if (k <= 1) return AX_OK;
    char(*buf)[PATH_CAP] = malloc((size_t)k * sizeof *buf);
    const char **paths = malloc((size_t)k * sizeof *paths);
    AX_ASSERT(buf && paths, "out of memory");
    for (int i = 0; i < k; i++) snapshot_path(buf[i], t, t->epoch - k + 1 + i), paths[i] = buf[i];
    int rc = tf_average_params(t->m->params, paths, k);
    free(buf), free(paths);
    return rc;
}

// the final model's loss and BLEU on the test pairs
static int test_final(tf_trainer *t) {
    if (!t->test_path || t->test.n == 0) return AX_OK;
    t->test_loss = tf_eval_loss(t->m, &t->test, t->o.batch_tokens);
    t->test_bleu = tf_bleu(t->m, t->tok, &t->test, t->test.n, t->o.batch_tokens, &t->test_words_bleu, NULL);
    ax_metric m[] = {{"step", (double)ax_optim_steps(t->opt)},
                     {"epoch", t->epoch},
                     {"test_loss", t->test_loss},
                     {"test_bleu", t->test_bleu},
                     {"test_words_bleu", t->test_words_bleu}};
    return ax_metrics_write(t->log, m, 5);
}

int tf_finish(tf_trainer *t) {
    if (average(t) != AX_OK) return AX_ERR;
    int64_t n = t->o.bleu_sentences && t->o.bleu_sentences < t->valid.n ? t->o.bleu_sentences : t->valid.n;
    t->avg_val_loss = t->last_val_loss, t->avg_bleu = t->last_bleu;
    if (t->averaged > 1) {
        t->avg_val_loss = tf_eval_loss(t->m, &t->valid, t->o.batch_tokens);
        t->avg_bleu = tf_bleu(t->m, t->tok, &t->valid, n, t->o.batch_tokens, NULL, NULL);
        ax_metric m[] = {{"step", (double)ax_optim_steps(t->opt)},
                         {"epoch", t->epoch},
                         {"averaged_epochs", t->averaged},
                         {"avg_val_loss", t->avg_val_loss},
                         {"avg_val_bleu", t->avg_bleu}};
        if (ax_metrics_write(t->log, m, 5) != AX_OK) return AX_ERR;
    }
    if (save_model(t, t->o.out, t->averaged, t->avg_val_loss, t->avg_bleu) != AX_OK) return AX_ERR;
    return test_final(t);
}

/* ---- resuming ------------------------------------------------------------------------------------------------ */

static bool parse_rng(const cJSON *j, const char *key, ax_rng *r) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, key);
    const char *s0 = cJSON_GetStringValue(cJSON_GetArrayItem(a, 0)),
               *s1 = cJSON_GetStringValue(cJSON_GetArrayItem(a, 1));
    char *e0, *e1;
    if (cJSON_GetArraySize(a) != 2 || !s0 || !s1) return false;
    r->state = strtoull(s0, &e0, 16), r->inc = strtoull(s1, &e1, 16);
    return e0 != s0 && !*e0 && e1 != s1 && !*e1 && (r->inc & 1);
}

static double num(const cJSON *j, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static bool parse_curve(const cJSON *j, const char *key, mlp_curve *c) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, key), *p;
    if (!cJSON_IsArray(a)) return false;
    cJSON_ArrayForEach(p, a) {
        if (cJSON_GetArraySize(p) != 2) return false;
        mlp_curve_push(c, cJSON_GetNumberValue(cJSON_GetArrayItem(p, 0)),
                       cJSON_GetNumberValue(cJSON_GetArrayItem(p, 1)));
    }
    return true;
}

// the state file into t (epoch, RNGs, seconds, curves) after checking it was saved for these data; returns the step
static int read_state(tf_trainer *t, const char *path, int64_t *step) {
    void *text;
    size_t len;
    if (ax_read_file(path, STATE_MAX_BYTES, &text, &len) != AX_OK) return AX_ERR;
    cJSON *j = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "data");
    double epoch = num(j, "epoch"), st = num(j, "step");
    ax_rng rng, data_rng;
    bool ok = epoch >= 1 && epoch == floor(epoch) && st >= 0 && st == floor(st) && parse_rng(j, "rng", &rng) &&
              parse_rng(j, "data_rng", &data_rng) && isfinite(num(j, "seconds")) &&
              parse_curve(j, "train_loss", &t->train_loss) && parse_curve(j, "val_loss", &t->val_loss) &&
              parse_curve(j, "val_bleu", &t->val_bleu);
    int rc = ok ? AX_OK : ax_error("%s is not a valid trainer state (a damaged file?)", path);
    if (ok && (num(d, "train_pairs") != (double)t->train.n || num(d, "train_tokens") != (double)t->train.tgt_tokens ||
               num(d, "valid_pairs") != (double)t->valid.n))
        rc = ax_error("%s was trained on other data (%.0f training pairs, here %lld from %s): resume with the same "
                      "--data, --valid, --reverse and --max-len",
                      t->o.out, num(d, "train_pairs"), (long long)t->train.n, t->o.data);
    if (rc == AX_OK) {
        t->epoch = t->start_epoch = (int)epoch, *step = (int64_t)st;
        *ax_rng_global() = rng, t->data_rng = data_rng, t->train_s = num(j, "seconds");
        t->last_val_loss = t->val_loss.n ? t->val_loss.y[t->val_loss.n - 1] : NAN;
        t->last_bleu = t->val_bleu.n ? t->val_bleu.y[t->val_bleu.n - 1] : NAN;
    }
    cJSON_Delete(j);
    return rc;
}

// the architecture in dir/config.json must be this run's
static int check_config(const char *dir, const ax_transformer_config *b) {
    char *json, model[AX_MODEL_NAME_MAX];
    ax_transformer_config a;
    if (ax_checkpoint_read_config(dir, &json, model) != AX_OK) return AX_ERR;
    int rc = ax_transformer_config_from_json(json, &a);
    free(json);
    if (rc != AX_OK) return AX_ERR;
    char *ja = ax_transformer_config_to_json(&a), *jb = ax_transformer_config_to_json(b);
    rc = strcmp(ja, jb) == 0 ? AX_OK
                             : ax_error("%s holds another architecture (%s) than these options (%s): resume with the "
                                        "options it was trained with, or train into another --out",
                                        dir, ja, jb);
    free(ja), free(jb);
    return rc;
}

// metrics.jsonl again with the old lines of epochs up to the resumed one
static int reopen_metrics(tf_trainer *t, const char *path) {
    void *old = NULL;
    size_t len = 0;
    if (ax_read_file(path, METRICS_MAX_BYTES, &old, &len) != AX_OK) old = NULL; // a lost history is no reason to stop
    if (!(t->log = ax_metrics_open(path))) return free(old), AX_ERR;
    for (char *line = old, *end; line && line < (char *)old + len; line = end + 1) {
        end = memchr(line, '\n', (size_t)((char *)old + len - line));
        if (!end) end = (char *)old + len;
        *end = '\0';
        cJSON *j = cJSON_Parse(line);
        ax_metric m[METRICS_MAX_FIELDS];
        int n = 0;
        bool final =
            cJSON_GetObjectItemCaseSensitive(j, "averaged_epochs") || cJSON_GetObjectItemCaseSensitive(j, "test_loss");
        if (cJSON_IsObject(j) && num(j, "epoch") <= t->epoch && !final) // a finished run's last lines are redone
            for (const cJSON *f = j->child; f && n < METRICS_MAX_FIELDS; f = f->next)
                if (cJSON_IsNumber(f)) m[n++] = (ax_metric){f->string, f->valuedouble};
        if (n) ax_metrics_write(t->log, m, n);
        cJSON_Delete(j);
    }
    free(old);
    return AX_OK;
}

int tf_load_resume_tokenizer(tf_trainer *t) {
    char dir[PATH_CAP], path[PATH_CAP];
    path_of(dir, t->o.out, TF_LAST_DIR);
    path_of(path, dir, TF_STATE_FILE);
    FILE *fp = fopen(path, "r");
    if (!fp) return ax_error("--resume: no run to resume in %s (%s is missing)", dir, TF_STATE_FILE);
    fclose(fp);
    return ax_tokenizer_load(dir, &t->tok);
}

int tf_resume(tf_trainer *t) {
    char dir[PATH_CAP], path[PATH_CAP];
    int64_t step;
    path_of(dir, t->o.out, TF_LAST_DIR);
    path_of(path, dir, TF_STATE_FILE);
    if (read_state(t, path, &step) != AX_OK || check_config(dir, &t->m->cfg) != AX_OK ||
        ax_checkpoint_load_params(dir, t->m->params) != AX_OK)
        return AX_ERR;
    path_of(path, dir, TF_OPTIM_FILE);
    if (cli_optim_load(t->opt, t->m->params, step, path) != AX_OK) return AX_ERR;
    path_of(path, t->o.out, "metrics.jsonl");
    return reopen_metrics(t, path);
}

/* ---- plots and the report -------------------------------------------------------------------------------------- */

int tf_write_plots(const tf_trainer *t) {
    char path[PATH_CAP];
    path_of(path, t->o.out, "loss.svg");
    const ax_svg_series loss[2] = {{"training (label-smoothed)", t->train_loss.x, t->train_loss.y, t->train_loss.n},
                                   {"validation", t->val_loss.x, t->val_loss.y, t->val_loss.n}};
    if (ax_svg_line_chart(path, &(ax_svg_labels){"Transformer loss", "epoch", "cross-entropy (nats per token)"}, loss,
                          2) != AX_OK)
        return AX_ERR;
    path_of(path, t->o.out, "bleu.svg");
    const ax_svg_series bleu = {"validation (greedy)", t->val_bleu.x, t->val_bleu.y, t->val_bleu.n};
    return ax_svg_line_chart(path, &(ax_svg_labels){"Transformer BLEU", "epoch", "BLEU"}, &bleu, 1);
}

static void report_json(const tf_trainer *t, FILE *fp) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "epochs", t->epoch);
    cJSON_AddNumberToObject(j, "train_loss", t->last_loss);
    cJSON_AddNumberToObject(j, "val_loss", t->last_val_loss);
    cJSON_AddNumberToObject(j, "val_bleu", t->last_bleu);
    cJSON_AddNumberToObject(j, "averaged_epochs", t->averaged);
    cJSON_AddNumberToObject(j, "final_val_loss", t->avg_val_loss);
    cJSON_AddNumberToObject(j, "final_val_bleu", t->avg_bleu);
    if (isfinite(t->test_bleu)) cJSON_AddNumberToObject(j, "test_bleu", t->test_bleu);
    if (isfinite(t->test_words_bleu)) cJSON_AddNumberToObject(j, "test_words_bleu", t->test_words_bleu);
    if (isfinite(t->test_loss)) cJSON_AddNumberToObject(j, "test_loss", t->test_loss);
    cJSON_AddNumberToObject(j, "cut", (double)t->cut);
    cJSON_AddNumberToObject(j, "skipped", (double)t->skipped);
    cJSON_AddNumberToObject(j, "tokens_per_s", t->tokens_per_s);
    cJSON_AddNumberToObject(j, "train_seconds", t->train_s);
    cJSON_AddStringToObject(j, "out", t->o.out);
    char *text = cJSON_PrintUnformatted(j);
    if (text) fprintf(fp, "%s\n", text);
    free(text);
    cJSON_Delete(j);
}

void tf_report(const tf_trainer *t, FILE *fp) {
    if (t->o.json) return report_json(t, fp);
    char took[32];
    cli_format_duration(t->train_s, took, sizeof took);
    fprintf(fp,
            "epoch %d: val BLEU %.2f (val loss %.3f); final model (average of the last %d epochs): val BLEU %.2f "
            "(val loss %.3f); training %s, %.0f tokens/s\n",
            t->epoch, t->last_bleu, t->last_val_loss, t->averaged, t->avg_bleu, t->avg_val_loss, took, t->tokens_per_s);
    if (isfinite(t->test_bleu))
        fprintf(fp, "test BLEU %.2f (sacreBLEU; %.2f on normalised words), test loss %.3f (%s)\n", t->test_bleu,
                t->test_words_bleu, t->test_loss, t->test_path);
    fprintf(fp,
            "checkpoint  %s/\nmetrics     %s/metrics.jsonl\nplots       %s/loss.svg, %s/bleu.svg\nnext        axon "
            "translate --ckpt %s --text \"...\"\n",
            t->o.out, t->o.out, t->o.out, t->o.out, t->o.out);
}
