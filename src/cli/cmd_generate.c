/* `axon generate --ckpt DIR --prompt "…"`: continue a prompt with a GPT checkpoint, streaming the text as it is
 * produced. The prompt goes through the KV cache in one chunk, then one token per step; when the cache holds
 * block_size positions, the last half of the context is encoded again and generation goes on. */
#include "cli/char_lstm_cli.h"
#include "cli/cli.h"
#include "cli/gen_sink.h"
#include "cli/gpt_cli.h"
#include "cli/options.h"
#include "cli/progress.h"

#include <stdlib.h>
#include <string.h>

/* ---- generation --------------------------------------------------------------------------------------------- */

typedef struct {
    int64_t max_new;  // tokens to generate at most
    bool quiet;       // no notes on stderr
} gen_opts;

typedef struct {
    int n_new;             // tokens generated
    const char *reason;    // "eot", "stop" or "length"
    double prompt_s, gen_s; // seconds in the prompt pass and in generation
} gen_result;

static void note_slide(bool *said, bool quiet, int keep) {
    if (!*said && !quiet)
        fprintf(stderr, "axon: the context reached the block size: re-encoding its last %d tokens and going on\n", keep);
    *said = true;
}

/* tokens (cap ≥ n + max_new) holds the prompt; appends what it generates. */
static gen_result generate(const ax_gpt *m, ax_gpt_kv *kv, ax_sampler *smp, const ax_tokenizer *tok, int32_t *tokens,
                           int n, const gen_opts *o, gen_sink *sink) {
    int T = m->cfg.block_size, eot = ax_tokenizer_eot(tok);
    gen_result r = {.reason = "length"};
    double t0 = cli_now();
    const float *logits = ax_gpt_kv_forward(m, kv, tokens + (n > T ? n - T : 0), n > T ? T : n);
    r.prompt_s = cli_now() - t0;
    t0 = cli_now();
    bool slid = false;
    for (int64_t i = 0; i < o->max_new; i++) {
        int32_t next = ax_sample(smp, logits, tokens, n);
        if (next == eot) {
            r.reason = "eot";
            break;
        }
        tokens[n++] = next;
        r.n_new++;
        char *piece;
        size_t len;
        AX_ASSERT(ax_tokenizer_decode(tok, &next, 1, &piece, &len) == AX_OK, "decode: %s", ax_last_error());
        bool stopped = gen_sink_add(sink, piece, len, false);
        free(piece);
        if (stopped) {
            r.reason = "stop";
            break;
        }
        if (i + 1 == o->max_new) break;
        if (ax_gpt_kv_len(kv) == T) { // full: keep the last half of the context
            int keep = T / 2 > 0 ? T / 2 : 1;
            note_slide(&slid, o->quiet, keep);
            ax_gpt_kv_reset(kv);
            logits = ax_gpt_kv_forward(m, kv, tokens + n - keep, keep);
        } else {
            logits = ax_gpt_kv_forward(m, kv, &next, 1);
        }
    }
    r.gen_s = cli_now() - t0;
    gen_sink_add(sink, "", 0, true); // what was held back for a stop string that never came
    return r;
}

/* The prompt's ids (at least one: an empty prompt starts from <|endoftext|>) in a buffer with room for
 * max_new more. Prints the error and returns NULL on failure. */
static int32_t *prompt_ids(ax_tokenizer *tok, const char *text, size_t len, int64_t max_new, int *n_out) {
    int32_t *ids;
    size_t n;
    if (ax_tokenizer_encode(tok, text, len, &ids, &n) != AX_OK) {
        fprintf(stderr, "axon: the prompt: %s\n", ax_last_error());
        return NULL;
    }
    int eot = ax_tokenizer_eot(tok);
    if (n == 0 && eot < 0) {
        fprintf(stderr, "axon: empty prompt (and this tokenizer has no <|endoftext|> to start from)\n");
        free(ids);
        return NULL;
    }
    int32_t *all = malloc((n + 1 + (size_t)max_new) * sizeof *all);
    AX_ASSERT(all, "out of memory");
    if (n == 0) all[n++] = eot;
    else memcpy(all, ids, n * sizeof *ids);
    free(ids);
    *n_out = (int)n;
    return all;
}

static int run(const char *ckpt, const char *prompt, const char *stop, const ax_sampler_config *sc, uint64_t seed,
               const gen_opts *o, bool echo, bool json) {
    ax_gpt *m;
    ax_tokenizer *tok;
    if (gpt_cli_open(ckpt, &m, &tok)) return 1;
    char *stdin_text = NULL;
    size_t plen = prompt ? strlen(prompt) : 0;
    int rc = 1, n = 0;
    if (!prompt && gpt_cli_read_all(stdin, "stdin", &stdin_text, &plen) != AX_OK)
        fprintf(stderr, "axon: %s\n", ax_last_error());
    const char *text = prompt ? prompt : stdin_text;
    int32_t *tokens = text ? prompt_ids(tok, text, plen, o->max_new, &n) : NULL;
    ax_sampler smp = {0};
    ax_gpt_kv *kv = NULL;
    if (tokens && ax_sampler_init(&smp, sc, ax_tokenizer_vocab_size(tok), seed) == AX_OK && (kv = ax_gpt_kv_new(m))) {
        if (n > m->cfg.block_size)
            fprintf(stderr, "axon: the prompt is %d tokens, longer than the block size %d: keeping its last %d tokens\n",
                    n, m->cfg.block_size, m->cfg.block_size);
        if (echo && !json) fwrite(text, 1, plen, stdout);
        gen_sink sink = {.stop = stop, .stream = !json};
        gen_result r = generate(m, kv, &smp, tok, tokens, n, o, &sink);
        if (json) gen_sink_print_json(&sink, n, r.n_new, r.reason, r.gen_s);
        else gen_sink_end_line(&sink);
        if (!o->quiet)
            fprintf(stderr, "axon: %d tokens in %.2f s (%.1f tokens/s, stop: %s); prompt %d tokens in %.3f s\n", r.n_new,
                    r.gen_s, r.gen_s > 0 ? r.n_new / r.gen_s : 0.0, r.reason, n, r.prompt_s);
        ax_gen_text_free(&sink.text);
        rc = 0;
    } else if (tokens) {
        fprintf(stderr, "axon: %s\n", ax_last_error());
    }
    ax_gpt_kv_free(kv);
    ax_sampler_free(&smp);
    free(tokens);
    free(stdin_text);
    ax_tokenizer_free(tok);
    ax_gpt_free(m);
    return rc;
}

int cmd_generate(int argc, char **argv) {
    const char *ckpt = NULL, *prompt = NULL, *stop = NULL;
    int64_t max_new = 200, top_k = 0, seed = 1337, threads = 0;
    double temperature = 1.0, top_p = 1.0, penalty = 1.0;
    bool greedy = false, no_echo = false, quiet = false, json = false;
    const cli_option opts[] = {
        {"ckpt", OPT_STRING, &ckpt, "checkpoint directory (config.json, model.safetensors, tokenizer)"},
        {"prompt", OPT_STRING, &prompt, "text to continue (default: read stdin; empty: start from <|endoftext|>)"},
        {"max-new-tokens", OPT_INT, &max_new, "tokens to generate at most"},
        {"temperature", OPT_FLOAT, &temperature, "divide the logits by this; 0 = greedy"},
        {"top-k", OPT_INT, &top_k, "sample among the k most likely tokens; 0 = all"},
        {"top-p", OPT_FLOAT, &top_p, "sample among the fewest tokens whose probability reaches p; 1 = all"},
        {"repetition-penalty", OPT_FLOAT, &penalty, "penalise tokens already present (CTRL); 1 = off"},
        {"greedy", OPT_FLAG, &greedy, "always take the most likely token (same as --temperature 0)"},
        {"seed", OPT_INT, &seed, "random seed of the sampler"},
        {"stop", OPT_STRING, &stop, "stop when this text is generated (it is not printed)"},
        {"no-echo", OPT_FLAG, &no_echo, "print only the continuation, not the prompt"},
        {"threads", OPT_INT, &threads, "threads (0 = all cores)"},
        {"quiet", OPT_FLAG, &quiet, "no notes or speed line on stderr"},
        {"json", OPT_FLAG, &json, "print {text, prompt_tokens, new_tokens, stop_reason, tokens_per_s} at the end"},
    };
    const cli_command_spec spec = {"axon generate --ckpt DIR [--prompt TEXT] [options]",
                                   "Continue a prompt with a GPT checkpoint, streaming tokens as they are produced; "
                                   "stops at <|endoftext|>, --stop or --max-new-tokens.",
                                   opts, (int)(sizeof opts / sizeof *opts)};
    const char *pos[1];
    int n_pos, rc = cli_parse(&spec, argc, argv, pos, 0, &n_pos);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    ax_sampler_config sc = {.temperature = greedy ? 0.0f : (float)temperature, .top_k = (int)top_k,
                            .top_p = (float)top_p, .repetition_penalty = (float)penalty};
    if (!ckpt) {
        fprintf(stderr, "axon: generate needs --ckpt DIR (usage: %s)\n", spec.usage);
        return 2;
    }
    if (max_new < 0 || max_new > 100000000 || top_k > 1000000000 || ax_sampler_check(&sc) != AX_OK) {
        fprintf(stderr, "axon: %s\n", max_new < 0 || max_new > 100000000 ? "--max-new-tokens must be in 0..1e8"
                                      : top_k > 1000000000            ? "--top-k is too large"
                                                                      : ax_last_error());
        return 2;
    }
    ax_set_threads((int)threads);
    gen_opts o = {.max_new = max_new, .quiet = quiet};
    if (char_lstm_is_checkpoint(ckpt)) // config.json "axon_model": "char-lstm"
        return char_lstm_generate(
            &(char_lstm_gen_opts){ckpt, prompt, stop, sc, (uint64_t)seed, max_new, !no_echo, json, quiet});
    return run(ckpt, prompt, stop, &sc, (uint64_t)seed, &o, !no_echo, json);
}
