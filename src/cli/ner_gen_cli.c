/* Generative NER checkpoints and tagging (src/cli/ner_gen_cli.h). */
#include "cli/ner_gen_cli.h"
#include "cli/transformer_cli.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ner_gen_sentence(const ax_ner_corpus *c, int64_t s) {
    size_t len = 1;
    for (int64_t i = c->sent_start[s]; i < c->sent_start[s + 1]; i++) len += strlen(c->tokens[i]) + 1;
    char *text = malloc(len), *w = text;
    AX_ASSERT(text, "out of memory");
    *w = '\0';
    for (int64_t i = c->sent_start[s]; i < c->sent_start[s + 1]; i++)
        w += sprintf(w, "%s%s", i > c->sent_start[s] ? " " : "", c->tokens[i]);
    return text;
}

// config.json of dir parsed (NULL after ax_error) when it is a "transformer" model
static cJSON *transformer_config(const char *dir) {
    char *json, model[AX_MODEL_NAME_MAX];
    if (ax_checkpoint_read_config(dir, &json, model) != AX_OK) return NULL;
    cJSON *j = strcmp(model, "transformer") == 0 ? cJSON_Parse(json) : NULL;
    free(json);
    if (!j) ax_error("%s/%s: not a generative NER (transformer) checkpoint", dir, AX_CKPT_CONFIG);
    return j;
}

bool ner_gen_is_checkpoint(const char *dir) {
    cJSON *j = transformer_config(dir);
    const char *arch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "arch"));
    bool yes = arch && strcmp(arch, NER_GEN_ARCH) == 0;
    cJSON_Delete(j);
    return yes;
}

// the entity types of config.json ("types": ["LOC", "PER", …]) into an IOB2 tag set
static int read_types(const char *dir, ax_tagset *ts) {
    cJSON *j = transformer_config(dir), *types = cJSON_GetObjectItemCaseSensitive(j, "types"), *e;
    if (!j) return AX_ERR;
    ax_tagset_init(ts, AX_NER_IOB2);
    int rc = cJSON_IsArray(types) ? AX_OK : AX_ERR;
    cJSON_ArrayForEach(e, types) {
        const char *name = cJSON_GetStringValue(e);
        if (rc == AX_OK && (!name || !*name || strlen(name) > AX_NER_TYPE_MAX || ax_tagset_add_type(ts, name) < 0))
            rc = AX_ERR;
    }
    cJSON_Delete(j);
    return rc == AX_OK ? AX_OK : ax_error("%s/%s: no valid \"types\" list of entity types", dir, AX_CKPT_CONFIG);
}

int ner_gen_open(const char *dir, ner_gen_model *g) {
    *g = (ner_gen_model){0};
    if (read_types(dir, &g->tags) != AX_OK || tf_open(dir, &g->m, &g->tok) != AX_OK) return ner_gen_close(g), AX_ERR;
    return AX_OK;
}

void ner_gen_close(ner_gen_model *g) {
    ax_transformer_free(g->m);
    ax_tokenizer_free(g->tok);
    g->m = NULL, g->tok = NULL;
}

int ner_gen_tag_corpus(const ner_gen_model *g, const ax_ner_corpus *c, ax_ner_corpus *guess, int64_t *dropped,
                       int64_t *cut) {
    int64_t n = c->n_sents;
    s2s_texts txt = {.n = n, .src = malloc((size_t)(n ? n : 1) * sizeof(char *)),
                     .tgt = malloc((size_t)(n ? n : 1) * sizeof(char *))};
    char **hyps = calloc((size_t)(n ? n : 1), sizeof *hyps);
    ax_ner_span *spans = malloc((size_t)(c->n_tokens ? c->n_tokens : 1) * sizeof *spans);
    AX_ASSERT(txt.src && txt.tgt && hyps && spans, "out of memory");
    for (int64_t s = 0; s < n; s++) txt.src[s] = ner_gen_sentence(c, s), txt.tgt[s] = strdup("");
    tf_set set;
    int rc = tf_set_build(&set, &txt, g->tok, g->m->cfg.max_len);
    if (rc == AX_OK) rc = tf_greedy_texts(g->m, g->tok, &set, n, NER_GEN_BATCH_TOKENS, hyps);
    *cut = set.cut, *dropped = 0;
    ax_ner_corpus_init(guess);
    guess->tags = g->tags, guess->labelled = true;
    for (int64_t s = 0; s < n && rc == AX_OK; s++) {
        int64_t t0 = c->sent_start[s];
        int len = (int)(c->sent_start[s + 1] - t0), drop;
        const char *const *toks = (const char *const *)c->tokens + t0;
        int k = hyps[s] ? ax_ner_gen_spans(hyps[s], toks, len, &g->tags, spans, &drop) : 0;
        *dropped += hyps[s] ? drop : 0;
        rc = ax_ner_corpus_add(guess, toks, len, spans, k, c->line ? c->line + t0 : NULL);
    }
    tf_set_free(&set);
    s2s_texts_free(&txt);
    ax_segments_free(hyps, n);
    free(spans);
    return rc;
}

int ner_gen_tag(const ner_gen_model *g, const ax_ner_corpus *c, bool quiet, ax_ner_corpus *guess) {
    int64_t dropped, cut;
    if (ner_gen_tag_corpus(g, c, guess, &dropped, &cut) != AX_OK) return AX_ERR;
    if (cut && !quiet)
        fprintf(stderr, "note: %lld sentences are longer than the model's %d tokens: their end was not read\n",
                (long long)cut, g->m->cfg.max_len);
    if (dropped && !quiet)
        fprintf(stderr, "note: %lld generated entities matched no tokens of their sentence and were dropped\n",
                (long long)dropped);
    return AX_OK;
}
