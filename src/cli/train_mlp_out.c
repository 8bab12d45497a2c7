/* What `axon train mlp` writes: the best checkpoint, the curves and confusion matrix as SVG, the summary. */
#include "cli/classifier.h"
#include "cli/train_mlp.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mlp_curve_push(mlp_curve *c, double x, double y) {
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->x = realloc(c->x, (size_t)c->cap * sizeof *c->x);
        c->y = realloc(c->y, (size_t)c->cap * sizeof *c->y);
        AX_ASSERT(c->x && c->y, "out of memory for a %d-point curve", c->cap);
    }
    c->x[c->n] = x;
    c->y[c->n++] = y;
}

void mlp_curve_free(mlp_curve *c) {
    free(c->x);
    free(c->y);
    memset(c, 0, sizeof *c);
}

// f as the shortest decimal that reads back as the same float (lr 1e-3f is written 0.001)
static cJSON *float_json(double v) {
    float f = (float)v;
    char buf[32];
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, (double)f);
        if (strtof(buf, NULL) == f) break;
    }
    return cJSON_CreateNumber(strtod(buf, NULL));
}

// the training settings, kept in config.json for the record
static cJSON *train_settings(const mlp_trainer *t) {
    const mlp_train_opts *o = &t->o;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "optimizer", o->optimizer);
    cJSON_AddItemToObject(j, "lr", float_json(t->optim_cfg.lr));
    cJSON_AddItemToObject(j, "weight_decay", float_json(t->optim_cfg.weight_decay));
    if (t->optim_cfg.momentum > 0) cJSON_AddItemToObject(j, "momentum", float_json(t->optim_cfg.momentum));
    cJSON_AddStringToObject(j, "schedule", o->schedule);
    cJSON_AddNumberToObject(j, "batch_size", (double)o->batch);
    cJSON_AddNumberToObject(j, "epochs", (double)o->epochs);
    cJSON_AddItemToObject(j, "val_fraction", float_json(o->val_fraction));
    cJSON_AddNumberToObject(j, "train_images", (double)t->n_train);
    cJSON_AddNumberToObject(j, "seed", (double)o->seed);
    return j;
}

int mlp_save_checkpoint(const mlp_trainer *t) {
    char *arch = ax_mlp_config_to_json(&t->mlp->cfg), data[PATH_MAX];
    cJSON *j = cJSON_Parse(arch);
    free(arch);
    AX_ASSERT(j, "the MLP config does not parse back");
    cJSON_AddNumberToObject(j, "image_rows", (double)t->data.rows);
    cJSON_AddNumberToObject(j, "image_cols", (double)t->data.cols);
    cJSON_AddItemToObject(j, "class_names",
                          cJSON_CreateStringArray((const char *const *)t->class_names, (int)t->mlp->cfg.classes));
    cJSON_AddStringToObject(j, "data", realpath(t->o.data, data) ? data : t->o.data);
    cJSON_AddNumberToObject(j, "epoch", t->best_epoch);
    cJSON_AddItemToObject(j, "val_accuracy", float_json(t->best_acc));
    cJSON_AddItemToObject(j, "val_loss", float_json(t->best_loss));
    cJSON_AddItemToObject(j, "train", train_settings(t));
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    int rc = text ? ax_checkpoint_save(t->o.out, text, t->mlp->params) : ax_error("out of memory");
    free(text);
    return rc;
}

static int write_pair(const mlp_trainer *t, const char *file, const char *title, const char *y_label,
                      const mlp_curve *train, const mlp_curve *val) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", t->o.out, file);
    ax_svg_series s[2] = {{"training", train->x, train->y, train->n}, {"validation", val->x, val->y, val->n}};
    return ax_svg_line_chart(path, &(ax_svg_labels){title, "epoch", y_label}, s, 2);
}

int mlp_write_plots(const mlp_trainer *t) {
    int64_t C = t->mlp->cfg.classes;
    if (write_pair(t, "loss.svg", "MLP loss", "cross-entropy", &t->train_loss, &t->val_loss) != AX_OK ||
        write_pair(t, "accuracy.svg", "MLP accuracy", "accuracy", &t->train_acc, &t->val_acc) != AX_OK)
        return AX_ERR;
    double *cells = malloc((size_t)(C * C) * sizeof *cells);
    if (!cells) return ax_error("out of memory");
    for (int64_t i = 0; i < C * C; i++) cells[i] = (double)t->best_confusion[i];
    char path[4096], title[128];
    snprintf(path, sizeof path, "%s/confusion.svg", t->o.out);
    snprintf(title, sizeof title, "Confusion matrix, validation set, epoch %d (accuracy %.4f)", t->best_epoch,
             t->best_acc);
    const char *const *names = (const char *const *)t->class_names;
    int rc = ax_svg_heatmap(path, &(ax_svg_labels){title, "predicted class", "true class"}, cells, (int)C, (int)C,
                            names, names, true);
    free(cells);
    return rc;
}

void mlp_report(const mlp_trainer *t) {
    const char *out = t->o.out;
    double seconds = cli_now() - t->start;
    if (t->o.json) {
        printf("{\"best_epoch\": %d, \"val_accuracy\": %.6f, \"val_loss\": %.6f, \"seconds\": %.3f, "
               "\"samples_per_s\": %.1f, \"out\": \"%s\"}\n",
               t->best_epoch, t->best_acc, t->best_loss, seconds,
               (double)(t->n_train * t->o.epochs) / seconds, out);
        return;
    }
    char took[32];
    cli_format_duration(seconds, took, sizeof took);
    printf("best validation accuracy %.4f (loss %.4f) at epoch %d of %lld; %s in all\n", t->best_acc, t->best_loss,
           t->best_epoch, (long long)t->o.epochs, took);
    printf("checkpoint  %s/ (%s, %s)\nmetrics     %s/metrics.jsonl\nplots       %s/loss.svg %s/accuracy.svg "
           "%s/confusion.svg\nnext        axon eval --ckpt %s   axon predict --ckpt %s\n",
           out, AX_CKPT_CONFIG, AX_CKPT_WEIGHTS, out, out, out, out, out, out);
}
