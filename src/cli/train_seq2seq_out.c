/* What `axon train seq2seq` writes: the checkpoint (config.json with the scores, model.safetensors, both
 * vocabularies), the plots and the final report. */
#include "cli/train_seq2seq.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// config.json: the architecture plus the epoch, its scores and the training settings
static char *config_json(const s2s_trainer *t) {
    char *arch = ax_seq2seq_config_to_json(&t->m->cfg);
    cJSON *j = cJSON_Parse(arch), *tr = cJSON_CreateObject();
    free(arch);
    AX_ASSERT(j && tr, "out of memory");
    const s2s_train_opts *o = &t->o;
    cJSON_AddNumberToObject(j, "epoch", t->best_epoch);
    cJSON_AddNumberToObject(j, "val_bleu", t->best_bleu);
    cJSON_AddNumberToObject(j, "val_loss", t->best_val_loss);
    cJSON_AddStringToObject(tr, "data", o->data);
    cJSON_AddBoolToObject(tr, "reverse", o->reverse);
    cJSON_AddNumberToObject(tr, "min_freq", (double)o->min_freq);
    cJSON_AddNumberToObject(tr, "max_vocab", (double)o->max_vocab);
    cJSON_AddNumberToObject(tr, "epochs", (double)o->epochs);
    cJSON_AddNumberToObject(tr, "batch_size", (double)o->batch);
    cJSON_AddNumberToObject(tr, "lr", o->lr);
    cJSON_AddNumberToObject(tr, "min_lr", o->min_lr);
    cJSON_AddNumberToObject(tr, "grad_clip", o->clip);
    cJSON_AddNumberToObject(tr, "teacher_forcing", o->tf);
    cJSON_AddNumberToObject(tr, "seed", (double)o->seed);
    cJSON_AddItemToObject(j, "train", tr);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    AX_ASSERT(text, "out of memory");
    return text;
}

int s2s_save_checkpoint(const s2s_trainer *t) {
    char ps[4096], pt[4096];
    snprintf(ps, sizeof ps, "%s/%s", t->o.out, S2S_SRC_VOCAB);
    snprintf(pt, sizeof pt, "%s/%s", t->o.out, S2S_TGT_VOCAB);
    if (ax_vocab_save(t->sv, ps) != AX_OK || ax_vocab_save(t->tv, pt) != AX_OK) return AX_ERR;
    char *json = config_json(t);
    int rc = ax_checkpoint_save(t->o.out, json, t->m->params);
    free(json);
    return rc;
}

int s2s_write_plots(const s2s_trainer *t) {
    char path[4096];
    snprintf(path, sizeof path, "%s/loss.svg", t->o.out);
    const ax_svg_series loss[2] = {{"training", t->train_loss.x, t->train_loss.y, t->train_loss.n},
                                   {"validation", t->val_loss.x, t->val_loss.y, t->val_loss.n}};
    if (ax_svg_line_chart(path, &(ax_svg_labels){"seq2seq loss", "epoch", "cross-entropy (nats per word)"}, loss, 2) !=
        AX_OK)
        return AX_ERR;
    snprintf(path, sizeof path, "%s/bleu.svg", t->o.out);
    const ax_svg_series bleu = {"validation (greedy)", t->val_bleu.x, t->val_bleu.y, t->val_bleu.n};
    return ax_svg_line_chart(path, &(ax_svg_labels){"seq2seq BLEU", "epoch", "BLEU"}, &bleu, 1);
}

void s2s_report(const s2s_trainer *t, FILE *fp) {
    if (t->o.json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "epochs", t->epoch);
        cJSON_AddNumberToObject(j, "train_loss", t->last_loss);
        cJSON_AddNumberToObject(j, "val_loss", t->last_val_loss);
        cJSON_AddNumberToObject(j, "val_bleu", t->last_bleu);
        cJSON_AddNumberToObject(j, "best_epoch", t->best_epoch);
        cJSON_AddNumberToObject(j, "best_val_bleu", t->best_bleu);
        if (isfinite(t->test_bleu)) cJSON_AddNumberToObject(j, "test_bleu", t->test_bleu);
        if (isfinite(t->test_loss)) cJSON_AddNumberToObject(j, "test_loss", t->test_loss);
        cJSON_AddNumberToObject(j, "tokens_per_s", t->tokens_per_s);
        cJSON_AddNumberToObject(j, "train_seconds", t->train_s);
        cJSON_AddStringToObject(j, "out", t->o.out);
        char *text = cJSON_PrintUnformatted(j);
        if (text) fprintf(fp, "%s\n", text);
        free(text);
        cJSON_Delete(j);
        return;
    }
    char took[32];
    cli_format_duration(t->train_s, took, sizeof took);
    fprintf(fp, "best validation BLEU %.2f at epoch %d of %d (val loss %.3f); training %s, %.0f words/s\n", t->best_bleu,
            t->best_epoch, t->epoch, t->best_val_loss, took, t->tokens_per_s);
    if (isfinite(t->test_bleu))
        fprintf(fp, "test BLEU %.2f, test loss %.3f (%s)\n", t->test_bleu, t->test_loss, t->test_path);
    fprintf(fp, "checkpoint  %s/\nmetrics     %s/metrics.jsonl\nplots       %s/loss.svg, %s/bleu.svg\nnext        axon "
                "translate --ckpt %s --text \"...\"\n", t->o.out, t->o.out, t->o.out, t->o.out, t->o.out);
}
