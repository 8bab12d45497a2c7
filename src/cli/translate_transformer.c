/* `axon translate` with a Transformer checkpoint: each input line (--text, else the lines of stdin) becomes BPE ids
 * (cut to the model's max_len with a note) and is translated by beam search (--beam N, GNMT length penalty --alpha,
 * --nbest results), or with --beam 1 greedily, --batch-size lines at once. Translations stop after the source
 * length + 50 tokens. --attention writes the first sentence's cross-attention (--attn-layer, --attn-head, default
 * the mean) as an SVG heatmap. A summary of the decoding speed goes to stderr unless --quiet. */
#include "cli/progress.h"
#include "cli/transformer_cli.h"
#include "cli/translate.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BEAM 1000 // widest beam accepted (as cmd_translate.c)

typedef struct {
    const tr_opts *o; // the options
    ax_transformer *m; // the model
    ax_tokenizer *tok; // its tokenizer
    int64_t line; // input lines read
    bool plotted; // the heatmap is written
    int64_t sentences; // sentences translated
    int64_t out_tokens; // tokens generated (each translation's eos included)
    double seconds; // spent decoding
} tf_translator;

typedef struct {
    int32_t *ids; // (n) source ids, eot last; malloc'd
    int n; // how many
} source;

// a line as source ids, cut to max_len − 1 tokens (with a note) then eot; AX_ERR if the tokenizer fails
static int encode_line(tf_translator *tr, const char *line, source *s) {
    tr->line++;
    int32_t *ids;
    size_t n, max = (size_t)tr->m->cfg.max_len - 1;
    if (ax_tokenizer_encode(tr->tok, line, strlen(line), &ids, &n) != AX_OK) return AX_ERR;
    if (n > max && !tr->o->quiet)
        fprintf(stderr, "axon: note: input line %lld has %zu tokens; only the first %zu are translated\n",
                (long long)tr->line, n, max);
    n = n < max ? n : max;
    s->ids = realloc(ids, (n + 1) * sizeof *ids);
    AX_ASSERT(s->ids, "out of memory");
    s->ids[n] = tr->m->cfg.eot, s->n = (int)n + 1;
    return AX_OK;
}

// the most tokens a translation of n source ids may have
static int max_out(const tf_translator *tr, int n) {
    int cap = tr->m->cfg.max_len - 1, want = tr->o->max_len ? (int)tr->o->max_len : n + TF_EXTRA_LEN;
    return want < cap ? want : cap;
}

static cJSON *token_names(const tf_translator *tr, const int32_t *ids, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        char *name = tf_token_name(tr->tok, ids[i]);
        cJSON_AddItemToArray(a, cJSON_CreateString(name));
        free(name);
    }
    return a;
}

/* One sentence's results: plain text (n-best: rank, score, text) or one JSON object; hyps from beam search, or
 * a single greedy result (score NULL). AX_ERR if an id cannot be decoded. */
static int print_result(const tf_translator *tr, const source *s, const ax_beam_hyp *h, int got, bool scored) {
    cJSON *j = tr->o->json ? cJSON_CreateObject() : NULL, *list = NULL;
    if (j)
        cJSON_AddItemToObject(j, "source", token_names(tr, s->ids, s->n)),
            list = cJSON_AddArrayToObject(j, "translations");
    int rc = AX_OK;
    for (int i = 0; i < got && rc == AX_OK; i++) {
        char *text = tf_decode(tr->tok, h[i].ids, h[i].len);
        if (!text) {
            rc = AX_ERR;
        } else if (j) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "text", text);
            cJSON_AddItemToObject(e, "tokens", token_names(tr, h[i].ids, h[i].len));
            if (scored) cJSON_AddNumberToObject(e, "score", h[i].score), cJSON_AddNumberToObject(e, "logp", h[i].logp);
            cJSON_AddBoolToObject(e, "finished", h[i].finished);
            cJSON_AddItemToArray(list, e);
        } else if (tr->o->nbest > 1) {
            printf("%d\t%.4f\t%s\n", i + 1, h[i].score, text);
        } else {
            printf("%s\n", text);
        }
        free(text);
    }
    if (j && rc == AX_OK) {
        char *line = cJSON_PrintUnformatted(j);
        AX_ASSERT(line, "out of memory");
        printf("%s\n", line);
        free(line);
    }
    cJSON_Delete(j);
    fflush(stdout);
    return rc;
}

// the heatmap of the first sentence: rows the output tokens and </s>, columns the source tokens and </s>
static int plot_attention(tf_translator *tr, const source *s, const ax_beam_hyp *h) {
    const ax_transformer_config *c = &tr->m->cfg;
    int rows = h->len + 1, n = s->n;
    float *w = malloc((size_t)rows * (size_t)n * sizeof *w);
    double *v = malloc((size_t)rows * (size_t)n * sizeof *v);
    char **names = malloc((size_t)(rows + n) * sizeof *names);
    AX_ASSERT(w && v && names, "out of memory");
    ax_transformer_cross_attention(tr->m, s->ids, n, h->ids, h->len, (int)tr->o->attn_layer, (int)tr->o->attn_head, w);
    ax_arena_reset();
    for (int i = 0; i < rows * n; i++) v[i] = w[i];
    for (int i = 0; i < rows; i++) names[i] = tf_token_name(tr->tok, i < h->len ? h->ids[i] : c->eot);
    for (int i = 0; i < n; i++) names[rows + i] = tf_token_name(tr->tok, s->ids[i]);
    char title[96], layer[32] = "mean of layers", head[32] = "mean of heads";
    if (tr->o->attn_layer >= 0) snprintf(layer, sizeof layer, "layer %lld", (long long)tr->o->attn_layer);
    if (tr->o->attn_head >= 0) snprintf(head, sizeof head, "head %lld", (long long)tr->o->attn_head);
    snprintf(title, sizeof title, "cross-attention, %s, %s", layer, head);
    const ax_svg_labels labels = {title, "source tokens", "translation tokens"};
    int rc = ax_svg_heatmap(tr->o->attention, &labels, v, rows, n, (const char *const *)names,
                            (const char *const *)names + rows, n <= 16);
    for (int i = 0; i < rows + n; i++) free(names[i]);
    free(w), free(v), free(names);
    tr->plotted = true;
    return rc;
}

// after a sentence's results: the heatmap when it is the first
static int maybe_plot(tf_translator *tr, const source *s, const ax_beam_hyp *h) {
    return tr->o->attention && !tr->plotted ? plot_attention(tr, s, h) : AX_OK;
}

static int translate_beam(tf_translator *tr, const source *s) {
    const tr_opts *o = tr->o;
    ax_beam_config bc = {.beam = (int)o->beam,
                         .nbest = (int)o->nbest,
                         .max_len = max_out(tr, s->n),
                         .alpha = (float)o->alpha,
                         .sos = tr->m->cfg.eot,
                         .eos = tr->m->cfg.eot};
    ax_beam_hyp *h = malloc((size_t)o->nbest * sizeof *h);
    AX_ASSERT(h, "out of memory");
    double t0 = cli_now();
    int got = ax_transformer_beam(tr->m, s->ids, s->n, &bc, h), rc = got > 0 ? AX_OK : AX_ERR;
    tr->seconds += cli_now() - t0;
    ax_arena_reset();
    if (rc == AX_OK) {
        tr->sentences++, tr->out_tokens += h[0].len + 1;
        rc = print_result(tr, s, h, got, true);
    }
    if (rc == AX_OK) rc = maybe_plot(tr, s, h);
    ax_beam_hyp_free(h, got > 0 ? got : 0);
    free(h);
    return rc;
}

// greedy decoding of k sources at once, each result printed as a one-hypothesis list
static int translate_greedy(tf_translator *tr, const source *s, int k) {
    int most = 1;
    for (int i = 0; i < k; i++) most = max_out(tr, s[i].n) > most ? max_out(tr, s[i].n) : most;
    const int32_t **src = malloc((size_t)k * sizeof *src);
    int *len = malloc((size_t)k * sizeof *len);
    int32_t **out = malloc((size_t)k * sizeof *out), *buf = malloc((size_t)k * (size_t)(most + 1) * sizeof *buf);
    AX_ASSERT(src && len && out && buf, "out of memory");
    for (int i = 0; i < k; i++) src[i] = s[i].ids, len[i] = s[i].n, out[i] = buf + (size_t)i * (size_t)(most + 1);
    double t0 = cli_now();
    ax_transformer_greedy(tr->m, src, len, k, most, out);
    tr->seconds += cli_now() - t0;
    ax_arena_reset();
    int rc = AX_OK;
    for (int i = 0; i < k && rc == AX_OK; i++) {
        ax_beam_hyp h = {.ids = out[i], .len = 0, .finished = true};
        while (h.len < max_out(tr, s[i].n) && out[i][h.len] != tr->m->cfg.eot) h.len++;
        h.finished = out[i][h.len] == tr->m->cfg.eot && h.len < most;
        tr->sentences++, tr->out_tokens += h.len + 1;
        rc = print_result(tr, &s[i], &h, 1, false);
        if (rc == AX_OK) rc = maybe_plot(tr, &s[i], &h);
    }
    free(src), free(len), free(out), free(buf);
    return rc;
}

// translates the queued sources and frees them
static int flush(tf_translator *tr, source *queue, int *k) {
    int rc = AX_OK;
    if (tr->o->beam == 1 && *k) rc = translate_greedy(tr, queue, *k);
    for (int i = 0; i < *k; i++) {
        if (rc == AX_OK && tr->o->beam > 1) rc = translate_beam(tr, &queue[i]);
        free(queue[i].ids);
    }
    *k = 0;
    return rc;
}

static int translate_all(tf_translator *tr) {
    int cap = tr->o->beam == 1 ? (int)tr->o->batch : 1, k = 0, rc = AX_OK;
    source *queue = malloc((size_t)cap * sizeof *queue);
    AX_ASSERT(queue, "out of memory");
    if (tr->o->text) {
        if ((rc = encode_line(tr, tr->o->text, &queue[0])) == AX_OK) k = 1;
    } else {
        char *line = NULL;
        size_t size = 0;
        ssize_t len;
        while (rc == AX_OK && (len = getline(&line, &size, stdin)) >= 0) {
            while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
            if ((rc = encode_line(tr, line, &queue[k])) == AX_OK && ++k == cap) rc = flush(tr, queue, &k);
        }
        free(line);
    }
    int last = flush(tr, queue, &k);
    free(queue);
    return rc == AX_OK ? last : rc;
}

int translate_transformer(const tr_opts *o) {
    tf_translator tr = {.o = o};
    if (o->beam > MAX_BEAM) return fprintf(stderr, "axon: --beam must be 1..%d\n", MAX_BEAM), 2;
    int rc = tf_open(o->ckpt, &tr.m, &tr.tok);
    const ax_transformer_config *c = tr.m ? &tr.m->cfg : NULL;
    if (rc == AX_OK && o->attention && (o->attn_layer >= c->dec_layers || o->attn_head >= c->n_head))
        rc =
            ax_error("--attn-layer must be below %d and --attn-head below %d for this model", c->dec_layers, c->n_head);
    if (rc == AX_OK) rc = translate_all(&tr);
    if (rc != AX_OK)
        fprintf(stderr, "axon: %s\n", ax_last_error());
    else if (!o->quiet && tr.sentences)
        fprintf(stderr, "translate: %lld sentences, %lld tokens in %.2f s: %.1f tokens/s (%s)\n",
                (long long)tr.sentences, (long long)tr.out_tokens, tr.seconds, (double)tr.out_tokens / tr.seconds,
                o->beam == 1 ? "greedy" : "beam search");
    ax_transformer_free(tr.m);
    ax_tokenizer_free(tr.tok);
    return rc == AX_OK ? 0 : 1;
}
