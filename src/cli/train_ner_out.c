/* What `axon train ner` writes: the checkpoint (config.json with the scores, model.safetensors, vocabularies), the
 * plots and the final report. */
#include "cli/train_ner.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

int ner_save_checkpoint(const ner_trainer *t) {
    const ner_train_opts *o = &t->o;
    cJSON *j = cJSON_CreateObject(), *tr = cJSON_CreateObject();
    AX_ASSERT(j && tr, "out of memory");
    cJSON_AddNumberToObject(j, "epoch", t->best_epoch);
    cJSON_AddNumberToObject(j, "val_f1", t->best_f1);
    cJSON_AddStringToObject(tr, "data", o->data ? o->data : "weak labels");
    if (o->valid) cJSON_AddStringToObject(tr, "valid", o->valid);
    cJSON_AddNumberToObject(tr, "min_freq", (double)o->min_freq);
    cJSON_AddNumberToObject(tr, "max_len", (double)o->max_len);
    cJSON_AddNumberToObject(tr, "epochs", (double)o->epochs);
    cJSON_AddNumberToObject(tr, "batch_size", (double)o->batch);
    cJSON_AddNumberToObject(tr, "lr", o->lr);
    cJSON_AddNumberToObject(tr, "grad_clip", o->clip);
    cJSON_AddNumberToObject(tr, "seed", (double)o->seed);
    if (t->bert && o->init) cJSON_AddStringToObject(tr, "init", o->init);
    else if (t->bert) cJSON_AddNumberToObject(tr, "pretrain_steps", (double)o->pretrain_steps);
    cJSON_AddItemToObject(j, "train", tr);
    char *extra = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    AX_ASSERT(extra, "out of memory");
    int rc = t->bert ? ax_bert_save(t->bert, o->out, extra) : ax_tagger_save(t->m, o->out, extra);
    free(extra);
    return rc;
}

int ner_write_plots(const ner_trainer *t) {
    char path[4096], title[2][64];
    const char *arch = t->bert ? "BERT-style tagger" : "BiLSTM-CRF";
    snprintf(title[0], sizeof title[0], "%s loss", arch), snprintf(title[1], sizeof title[1], "%s entity F1", arch);
    snprintf(path, sizeof path, "%s/loss.svg", t->o.out);
    const ax_svg_series loss = {"training", t->train_loss.x, t->train_loss.y, t->train_loss.n};
    if (ax_svg_line_chart(path, &(ax_svg_labels){title[0], "epoch", t->bert ? "cross-entropy per word" : "CRF NLL per sentence"}, &loss, 1) != AX_OK)
        return AX_ERR;
    snprintf(path, sizeof path, "%s/f1.svg", t->o.out);
    const ax_svg_series f1 = {"validation", t->val_f1.x, t->val_f1.y, t->val_f1.n};
    return ax_svg_line_chart(path, &(ax_svg_labels){title[1], "epoch", "F1 (conlleval)"}, &f1, 1);
}

void ner_report(const ner_trainer *t, FILE *fp) {
    if (!t->o.json) {
        fprintf(fp, "best validation F1 %.2f (epoch %d of %d; last %.2f), %.0f tokens/s training; checkpoint in %s\n",
                t->best_f1, t->best_epoch, t->epoch, t->last_f1, t->tokens_per_s, t->o.out);
        return;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "epochs", t->epoch);
    cJSON_AddNumberToObject(j, "train_loss", t->last_loss);
    cJSON_AddNumberToObject(j, "val_f1", t->last_f1);
    cJSON_AddNumberToObject(j, "val_accuracy", t->last_acc);
    cJSON_AddNumberToObject(j, "best_epoch", t->best_epoch);
    cJSON_AddNumberToObject(j, "best_val_f1", t->best_f1);
    cJSON_AddNumberToObject(j, "tokens_per_s", t->tokens_per_s);
    cJSON_AddNumberToObject(j, "train_seconds", t->train_s);
    cJSON_AddStringToObject(j, "out", t->o.out);
    char *text = cJSON_PrintUnformatted(j);
    if (text) fprintf(fp, "%s\n", text);
    free(text);
    cJSON_Delete(j);
}
