/* The char-LSTM's carried state, training/validation step and generation (see char_lstm_cli.h). */
#include "cli/char_lstm_cli.h"
#include "cli/gen_sink.h"
#include "cli/gpt_cli.h"
#include "cli/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void char_lstm_state_init(char_lstm_state *s, const ax_char_lstm *m, int64_t batch) {
    s->h = ax_tensor_new(AX_F32, AX_SHAPE(m->cfg.layers, batch, m->cfg.hidden));
    s->c = ax_tensor_new(AX_F32, AX_SHAPE(m->cfg.layers, batch, m->cfg.hidden));
}

void char_lstm_state_reset(char_lstm_state *s) {
    memset(s->h->data, 0, (size_t)ax_numel(s->h) * sizeof(float));
    memset(s->c->data, 0, (size_t)ax_numel(s->c) * sizeof(float));
}

void char_lstm_state_free(char_lstm_state *s) {
    ax_tensor_free(s->h);
    ax_tensor_free(s->c);
}

// forward from the state; the state becomes the final one (the op saved copies of what backward needs)
static ax_tensor *forward(const ax_char_lstm *m, char_lstm_state *s, const int32_t *x, int64_t B, int64_t T,
                          bool train) {
    ax_tensor *h_n, *c_n;
    ax_tensor *logits = ax_char_lstm_forward(m, ax_from_i32(AX_SHAPE(B, T), x), s->h, s->c, train, &h_n, &c_n);
    memcpy(s->h->data, h_n->data, (size_t)ax_numel(h_n) * sizeof(float));
    memcpy(s->c->data, c_n->data, (size_t)ax_numel(c_n) * sizeof(float));
    return logits;
}

ax_tensor *char_lstm_step_loss(const ax_char_lstm *m, char_lstm_state *s, const int32_t *x, const int32_t *y, int64_t B,
                               int64_t T, bool train) {
    ax_tensor *logits = forward(m, s, x, B, T, train);
    return ax_cross_entropy(ax_reshape(logits, AX_SHAPE(B * T, m->cfg.vocab)), ax_from_i32(AX_SHAPE(B * T), y),
                            AX_CE_DEFAULTS);
}

// the prompt's ids with room for max_new more; an empty prompt starts from "\n" (or id 0); NULL after an error
static int32_t *prompt_ids(ax_tokenizer *tok, const char *prompt, size_t prompt_len, int64_t max_new, int *n_out) {
    int32_t *ids, *nl;
    size_t n, n_nl;
    if (ax_tokenizer_encode(tok, prompt, prompt_len, &ids, &n) != AX_OK) return NULL;
    int32_t *all = malloc((n + 1 + (size_t)max_new) * sizeof *all);
    AX_ASSERT(all, "out of memory");
    memcpy(all, ids, n * sizeof *ids);
    free(ids);
    if (n == 0) {
        all[n++] = ax_tokenizer_encode(tok, "\n", 1, &nl, &n_nl) == AX_OK && n_nl == 1 ? nl[0] : 0;
        if (n_nl == 1) free(nl);
    }
    *n_out = (int)n;
    return all;
}

// samples up to max_new characters after ids[0, n) into the sink; returns the count, *reason "stop" or "length"
static int64_t sample_loop(const ax_char_lstm *m, ax_tokenizer *tok, ax_sampler *smp, int32_t *ids, int n,
                           const char_lstm_gen_opts *o, gen_sink *sink, const char **reason) {
    int64_t V = m->cfg.vocab;
    char_lstm_state st;
    char_lstm_state_init(&st, m, 1);
    float *last = malloc((size_t)V * sizeof *last);
    AX_ASSERT(last, "out of memory");
    ax_tensor *logits = forward(m, &st, ids, 1, n, false);
    memcpy(last, ax_f32(logits) + (n - 1) * V, (size_t)V * sizeof *last);
    ax_arena_reset();
    int64_t i = 0;
    *reason = "length";
    while (i < o->max_new) {
        int32_t next = ax_sample(smp, last, ids, n);
        ids[n++] = next;
        i++;
        char *piece;
        size_t len;
        AX_ASSERT(ax_tokenizer_decode(tok, &next, 1, &piece, &len) == AX_OK, "decode: %s", ax_last_error());
        bool stopped = gen_sink_add(sink, piece, len, false);
        free(piece);
        if (stopped) {
            *reason = "stop";
            break;
        }
        logits = forward(m, &st, &next, 1, 1, false);
        memcpy(last, ax_f32(logits), (size_t)V * sizeof *last);
        ax_arena_reset();
    }
    gen_sink_add(sink, "", 0, true);
    free(last);
    char_lstm_state_free(&st);
    return i;
}

bool char_lstm_is_checkpoint(const char *dir) {
    char *json, model[AX_MODEL_NAME_MAX];
    if (ax_checkpoint_read_config(dir, &json, model) != AX_OK) return false;
    free(json);
    return strcmp(model, "char-lstm") == 0;
}

// the model and its tokenizer from a checkpoint, checked to fit; AX_ERR with a message
static int open_model(const char *dir, ax_char_lstm **m, ax_tokenizer **tok) {
    if (ax_char_lstm_load(dir, m) != AX_OK || ax_tokenizer_load(dir, tok) != AX_OK) return AX_ERR;
    if (ax_tokenizer_vocab_size(*tok) != (*m)->cfg.vocab)
        return ax_error("%s: the vocabulary (%d) does not fit the model (%lld)", dir, ax_tokenizer_vocab_size(*tok),
                        (long long)(*m)->cfg.vocab);
    return AX_OK;
}

int char_lstm_generate(const char_lstm_gen_opts *o) {
    ax_char_lstm *m = NULL;
    ax_tokenizer *tok = NULL;
    ax_sampler smp = {0};
    int32_t *ids = NULL;
    char *stdin_text = NULL;
    size_t plen = o->prompt ? strlen(o->prompt) : 0;
    int n = 0, rc = 1;
    if (open_model(o->ckpt, &m, &tok) == AX_OK && (o->prompt || gpt_cli_read_all(stdin, "stdin", &stdin_text, &plen) == AX_OK)) {
        const char *prompt = o->prompt ? o->prompt : stdin_text;
        if ((ids = prompt_ids(tok, prompt, plen, o->max_new, &n)) &&
            ax_sampler_init(&smp, &o->sc, (int)m->cfg.vocab, o->seed) == AX_OK) {
            bool prev = ax_set_grad_enabled(false);
            if (o->echo && !o->json) fwrite(prompt, 1, plen, stdout);
            double t0 = cli_now();
            gen_sink sink = {.stop = o->stop, .stream = !o->json};
            const char *reason;
            int64_t k = sample_loop(m, tok, &smp, ids, n, o, &sink, &reason);
            double s = cli_now() - t0;
            if (o->json) gen_sink_print_json(&sink, n, k, reason, s);
            else gen_sink_end_line(&sink); // before the note on stderr
            if (!o->quiet)
                fprintf(stderr, "axon: %lld characters in %.2f s (%.1f/s, stop: %s)\n", (long long)k, s,
                        s > 0 ? k / s : 0.0, reason);
            ax_gen_text_free(&sink.text);
            ax_set_grad_enabled(prev);
            rc = 0;
        }
    }
    if (rc) fprintf(stderr, "axon: %s\n", ax_last_error());
    ax_sampler_free(&smp);
    free(ids);
    free(stdin_text);
    ax_tokenizer_free(tok);
    ax_char_lstm_free(m);
    return rc;
}
