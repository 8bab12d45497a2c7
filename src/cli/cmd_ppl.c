/* `axon ppl --ckpt DIR --data FILE`: perplexity and bits per character of a text under a GPT checkpoint.
 *
 * Every token after the first is scored once. A text longer than the block size is read in windows of
 * block_size tokens that start --stride tokens apart; each window scores only the tokens the previous ones did
 * not, so with a stride below the block size every scored token sees at least block_size − stride tokens of
 * context (Hugging Face's "perplexity of fixed-length models"). */
#include "cli/cli.h"
#include "cli/gpt_cli.h"
#include "cli/options.h"
#include "cli/progress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX_BYTES (1u << 30) // a larger --data file is rejected

typedef struct {
    int64_t tokens; // tokens in the text
    int64_t scored; // tokens predicted (all but the first)
    int64_t chars;  // UTF-8 characters of the scored tokens
    double nll;     // Σ −ln p over the scored tokens
} ppl_result;

static int64_t utf8_chars(const char *s, size_t n) {
    int64_t c = 0;
    for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80; // count every non-continuation byte
    return c;
}

// Σ −ln p of targets[begin+1 .. end] given tokens[begin .. end), for the targets after `done`
static double window_nll(ax_gpt *m, const int32_t *ids, int64_t begin, int64_t end, int64_t done) {
    int64_t L = end - begin;
    ax_tensor *idx = ax_from_i32(AX_SHAPE(1, L), ids + begin);
    ax_tensor *tgt = ax_empty_dtype(AX_I32, AX_SHAPE(L));
    for (int64_t t = 0; t < L; t++) ax_i32(tgt)[t] = begin + 1 + t > done ? ids[begin + 1 + t] : -1;
    ax_tensor *logits = ax_reshape(ax_gpt_forward(m, idx, false), AX_SHAPE(L, m->cfg.vocab_size));
    ax_ce_opts opts = {.ignore_index = -1, .reduction = AX_REDUCE_SUM};
    double nll = ax_item(ax_cross_entropy(logits, tgt, opts));
    ax_arena_reset();
    return nll;
}

static ppl_result score(ax_gpt *m, const int32_t *ids, int64_t n, int64_t stride, bool quiet) {
    ppl_result r = {.tokens = n, .scored = n - 1};
    int64_t T = m->cfg.block_size, done = 0; // targets 1 .. done are scored
    bool was = ax_set_grad_enabled(false);
    cli_progress bar;
    cli_progress_begin(&bar, stderr, "ppl", n - 1, "tokens", quiet);
    for (int64_t begin = 0;; begin += stride) {
        int64_t end = begin + T < n - 1 ? begin + T : n - 1;
        r.nll += window_nll(m, ids, begin, end, done);
        done = end;
        char stats[64];
        snprintf(stats, sizeof stats, "loss %.4f", r.nll / (double)done);
        cli_progress_update(&bar, done, stats);
        if (end == n - 1) break;
    }
    cli_progress_end(&bar, done, NULL);
    ax_set_grad_enabled(was);
    return r;
}

static void print_result(const ppl_result *r, bool json) {
    double loss = r->nll / (double)r->scored, bits = r->nll / log(2.0);
    if (json) {
        printf("{\"tokens\": %lld, \"scored\": %lld, \"chars\": %lld, \"loss\": %.6f, \"perplexity\": %.6f, "
               "\"bits_per_token\": %.6f, \"bits_per_char\": %.6f}\n",
               (long long)r->tokens, (long long)r->scored, (long long)r->chars, loss, exp(loss),
               bits / (double)r->scored, bits / (double)r->chars);
        return;
    }
    printf("%lld tokens (%lld scored, %lld characters)\nloss       %.4f nats/token\nperplexity %.3f\n"
           "bits/token %.4f\nbits/char  %.4f\n",
           (long long)r->tokens, (long long)r->scored, (long long)r->chars, loss, exp(loss), bits / (double)r->scored,
           bits / (double)r->chars);
}

static int run(const char *ckpt, const char *data, int64_t stride, bool quiet, bool json) {
    ax_gpt *m;
    ax_tokenizer *tok;
    if (gpt_cli_open(ckpt, &m, &tok)) return 1;
    char *text = NULL, *first = NULL;
    size_t len = 0, first_len = 0, n = 0;
    int32_t *ids = NULL;
    int rc = 1;
    if (stride > m->cfg.block_size) {
        fprintf(stderr, "axon: --stride %lld is larger than the block size %d\n", (long long)stride, m->cfg.block_size);
        rc = 2;
    } else if (ax_read_file(data, TEXT_MAX_BYTES, (void **)&text, &len) != AX_OK ||
               ax_tokenizer_encode(tok, text, len, &ids, &n) != AX_OK) {
        fprintf(stderr, "axon: %s\n", ax_last_error());
    } else if (n < 2) {
        fprintf(stderr, "axon: %s holds %zu token%s: perplexity needs at least 2\n", data, n, n == 1 ? "" : "s");
    } else if (ax_tokenizer_decode(tok, ids, 1, &first, &first_len) == AX_OK) {
        ppl_result r = score(m, ids, (int64_t)n, stride > 0 ? stride : m->cfg.block_size, quiet);
        r.chars = utf8_chars(text, len) - utf8_chars(first, first_len);
        if (r.chars < 1) r.chars = 1;
        print_result(&r, json);
        rc = 0;
    }
    free(first);
    free(ids);
    free(text);
    ax_tokenizer_free(tok);
    ax_gpt_free(m);
    return rc;
}

int cmd_ppl(int argc, char **argv) {
    const char *ckpt = NULL, *data = NULL;
    int64_t stride = 0, threads = 0;
    bool quiet = false, json = false;
    const cli_option opts[] = {
        {"ckpt", OPT_STRING, &ckpt, "checkpoint directory"},
        {"data", OPT_STRING, &data, "text file to score"},
        {"stride", OPT_INT, &stride, "tokens between window starts; 0 = the block size (windows do not overlap)"},
        {"threads", OPT_INT, &threads, "threads (0 = all cores)"},
        {"quiet", OPT_FLAG, &quiet, "no progress on stderr"},
        {"json", OPT_FLAG, &json, "print {tokens, scored, chars, loss, perplexity, bits_per_token, bits_per_char}"},
    };
    const cli_command_spec spec = {"axon ppl --ckpt DIR --data FILE [options]",
                                   "Perplexity, bits per token and bits per character of a text file under a GPT "
                                   "checkpoint.",
                                   opts, (int)(sizeof opts / sizeof *opts)};
    const char *pos[1];
    int n_pos, rc = cli_parse(&spec, argc, argv, pos, 0, &n_pos);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    if (!ckpt || !data || stride < 0) {
        fprintf(stderr, "axon: ppl needs --ckpt DIR, --data FILE and --stride >= 0 (usage: %s)\n", spec.usage);
        return 2;
    }
    ax_set_threads((int)threads);
    return run(ckpt, data, stride, quiet, json);
}
