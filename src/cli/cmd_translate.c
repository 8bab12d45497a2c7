/* `axon translate --ckpt DIR [--text "…"]`: translate sentences with an `axon train seq2seq` checkpoint, one output
 * line per input line (--text, else the lines of stdin), by beam search (--beam 1: greedy) with length
 * normalisation and n-best lists; --attention writes the first sentence's attention weights as an SVG heatmap.
 * Transformer checkpoints (`axon train transformer`) go to translate_transformer.c. */
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/seq2seq_cli.h"
#include "cli/transformer_cli.h"
#include "cli/translate.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BEAM 1000 // widest beam accepted

typedef struct {
    const tr_opts *o;       // the options
    ax_seq2seq *m;          // the model
    ax_vocab *sv, *tv;      // its vocabularies
    ax_beam_config bc;      // search settings
    int64_t line;           // input lines read
    bool plotted;           // the heatmap is written
} translator;

static int parse_options(int argc, char **argv, tr_opts *o) {
    *o = (tr_opts){.ckpt = "runs/seq2seq", .beam = 5, .nbest = 1, .alpha = 0.6, .attn_layer = -1, .attn_head = -1,
                   .batch = 32};
    const cli_option opts[] = {
        {"ckpt", OPT_STRING, &o->ckpt, "checkpoint directory from axon train seq2seq or axon train transformer"},
        {"text", OPT_STRING, &o->text, "the sentence to translate (default: every line of stdin)"},
        {"beam", OPT_INT, &o->beam, "beam width (1: greedy decoding)"},
        {"nbest", OPT_INT, &o->nbest, "translations per sentence, best first (at most --beam)"},
        {"alpha", OPT_FLOAT, &o->alpha, "length normalisation: score = log P / ((5 + length) / 6)^alpha"},
        {"max-len", OPT_INT, &o->max_len,
         "most words per translation and per input (0: the model's max_len; transformer: source length + 50)"},
        {"attention", OPT_STRING, &o->attention, "write the first sentence's attention heatmap to this SVG file"},
        {"attn-layer", OPT_INT, &o->attn_layer, "transformer heatmap: decoder layer, from 0 (-1: mean over layers)"},
        {"attn-head", OPT_INT, &o->attn_head, "transformer heatmap: head, from 0 (-1: mean over heads)"},
        {"batch-size", OPT_INT, &o->batch, "transformer, --beam 1: sentences decoded together (greedy)"},
        {"threads", OPT_INT, &o->threads, "threads (0: all cores)"},
        {"json", OPT_FLAG, &o->json, "one JSON object per sentence: source words, translations, scores"},
        {"quiet", OPT_FLAG, &o->quiet, "no notes on stderr (cut inputs)"},
    };
    const cli_command_spec spec = {"axon translate --ckpt DIR [--text SENTENCE] [options]",
                                   "Translate sentences with a seq2seq or transformer checkpoint (beam search, n-best "
                                   "lists, attention heatmap); reads stdin lines without --text.",
                                   opts, (int)(sizeof opts / sizeof *opts)};
    const char *pos[1];
    int n_pos;
    int rc = cli_parse(&spec, argc, argv, pos, 0, &n_pos);
    if (rc) return rc;
    const char *bad = o->beam < 1 || o->beam > MAX_BEAM ? "--beam must be 1..1000"
                      : o->nbest < 1 || o->nbest > o->beam ? "--nbest must be 1..--beam"
                      : !(o->alpha >= 0 && o->alpha <= 10) ? "--alpha must be in [0, 10]"
                      : o->max_len < 0 || o->max_len > 4096 || o->threads < 0 ? "--max-len 0..4096, --threads ≥ 0"
                      : o->attn_layer < -1 || o->attn_head < -1 || o->batch < 1 || o->batch > 4096
                          ? "--attn-layer and --attn-head must be ≥ -1, --batch-size 1..4096"
                                                                                : NULL;
    if (bad) fprintf(stderr, "axon: %s\n", bad);
    return bad ? 2 : 0;
}

// the heatmap of the best translation: rows the output words and <eos>, columns the source words and <eos>
static int plot_attention(translator *tr, const int32_t *src, int n, char **src_words, const ax_beam_hyp *h) {
    int rows = h->len + 1;
    float *w = malloc((size_t)rows * (size_t)n * sizeof *w);
    double *v = malloc((size_t)rows * (size_t)n * sizeof *v);
    const char **row_names = malloc((size_t)rows * sizeof *row_names);
    AX_ASSERT(w && v && row_names, "out of memory");
    ax_seq2seq_attention(tr->m, src, n, h->ids, h->len, w);
    ax_arena_reset();
    for (int i = 0; i < rows * n; i++) v[i] = w[i];
    for (int i = 0; i < rows; i++) row_names[i] = ax_vocab_word(tr->tv, i < h->len ? h->ids[i] : AX_EOS);
    const ax_svg_labels labels = {"attention weights", "source words", "translation"};
    int rc = ax_svg_heatmap(tr->o->attention, &labels, v, rows, n, row_names, (const char *const *)src_words, n <= 16);
    free(w), free(v), free(row_names);
    tr->plotted = true;
    return rc;
}

static void print_result(const translator *tr, char **src_words, int n, const ax_beam_hyp *h, int got) {
    if (!tr->o->json) {
        for (int i = 0; i < got; i++) {
            char *words = ax_vocab_decode(tr->tv, h[i].ids, h[i].len), *text = ax_words_detokenize(words);
            if (tr->o->nbest > 1) printf("%d\t%.4f\t%s\n", i + 1, h[i].score, text);
            else printf("%s\n", text);
            free(words), free(text);
        }
        fflush(stdout);
        return;
    }
    cJSON *j = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(j, "translations");
    cJSON_AddItemToObject(j, "source", cJSON_CreateStringArray((const char *const *)src_words, n - 1));
    for (int i = 0; i < got; i++) {
        cJSON *e = cJSON_CreateObject();
        char *words = ax_vocab_decode(tr->tv, h[i].ids, h[i].len), *text = ax_words_detokenize(words);
        cJSON_AddStringToObject(e, "text", text);
        cJSON_AddStringToObject(e, "words", words);
        cJSON_AddNumberToObject(e, "score", h[i].score);
        cJSON_AddNumberToObject(e, "logp", h[i].logp);
        cJSON_AddBoolToObject(e, "finished", h[i].finished);
        cJSON_AddItemToArray(list, e);
        free(words), free(text);
    }
    char *s = cJSON_PrintUnformatted(j);
    AX_ASSERT(s, "out of memory");
    printf("%s\n", s);
    fflush(stdout);
    free(s);
    cJSON_Delete(j);
}

// one input sentence: words → ids (cut at max_len, with a note) → beam search → output (and the heatmap)
static int translate_line(translator *tr, const char *line) {
    tr->line++;
    char *norm = ax_words_normalize(line);
    int max = tr->bc.max_len, total = ax_vocab_encode(tr->sv, norm, NULL, 0), n = (total < max ? total : max) + 1;
    if (total > max && !tr->o->quiet)
        fprintf(stderr, "axon: note: input line %lld has %d words; only the first %d are translated\n",
                (long long)tr->line, total, max);
    int32_t *src = malloc((size_t)n * sizeof *src);
    char **words = malloc((size_t)n * sizeof *words);
    AX_ASSERT(src && words, "out of memory");
    ax_vocab_encode(tr->sv, norm, src, n - 1);
    src[n - 1] = AX_EOS;
    char *p = norm;
    for (int i = 0; i < n - 1; i++, p += strcspn(p, " ") + 1) words[i] = p, p[strcspn(p, " ")] = '\0';
    words[n - 1] = "<eos>";
    ax_beam_hyp h[MAX_BEAM];
    int got = ax_seq2seq_beam(tr->m, src, n, &tr->bc, h), rc = got > 0 ? AX_OK : AX_ERR;
    ax_arena_reset();
    if (rc == AX_OK) print_result(tr, words, n, h, got);
    if (rc == AX_OK && tr->o->attention && !tr->plotted) rc = plot_attention(tr, src, n, words, &h[0]);
    ax_beam_hyp_free(h, got > 0 ? got : 0);
    free(src), free(words), free(norm);
    return rc;
}

static int translate_stdin(translator *tr) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = AX_OK;
    while (rc == AX_OK && (len = getline(&line, &cap, stdin)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        rc = translate_line(tr, line);
    }
    free(line);
    return rc;
}

int cmd_translate(int argc, char **argv) {
    tr_opts o;
    int rc = parse_options(argc, argv, &o);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    ax_set_threads((int)o.threads);
    char kind[AX_MODEL_NAME_MAX];
    if (tf_model_kind(o.ckpt, kind) == AX_OK && strcmp(kind, "transformer") == 0) return translate_transformer(&o);
    translator tr = {.o = &o};
    rc = s2s_open(o.ckpt, &tr.m, &tr.sv, &tr.tv);
    if (rc == AX_OK) {
        int max = o.max_len ? (int)o.max_len : tr.m->cfg.max_len;
        tr.bc = (ax_beam_config){.beam = (int)o.beam, .nbest = (int)o.nbest, .max_len = max, .alpha = (float)o.alpha,
                                 .sos = AX_SOS, .eos = AX_EOS};
        rc = o.text ? translate_line(&tr, o.text) : translate_stdin(&tr);
    }
    if (rc != AX_OK) fprintf(stderr, "axon: %s\n", ax_last_error());
    ax_seq2seq_free(tr.m);
    ax_vocab_free(tr.sv);
    ax_vocab_free(tr.tv);
    return rc == AX_OK ? 0 : 1;
}
