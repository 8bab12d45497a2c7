/* `axon generate`, `axon ppl` and `axon import` on a tiny char-level GPT trained here to continue the alphabet
 * (a few hundred AdamW steps, about a second): greedy output, stdin prompts, stop strings, seeds, JSON, the
 * crop notice, generation past the block size, perplexity against the library's loss, a Hugging Face style
 * directory imported and generating the same text, and bad input (one line, exit 1 or 2). */
#include "axon/tokenize.h"
#include "check.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ALPHABET "abcdefghijklmnopqrstuvwxyz"
#define BLOCK 16

static char root[64];      // temporary directory of this run
static char ckpt[128];     // the trained checkpoint
static char out[1 << 16];  // output of the last command
static char cmd[4096];     // the last command

static int axon(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int axon(const char *fmt, ...) {
    int n = snprintf(cmd, sizeof cmd, "%s ", check_axon_bin());
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd + n, sizeof cmd - (size_t)n, fmt, ap);
    va_end(ap);
    return check_run(cmd, out, sizeof out);
}

static bool one_line(const char *s) { return strchr(s, '\n') == strrchr(s, '\n') && strncmp(s, "axon: ", 6) == 0; }

// the alphabet repeated `reps` times
static char *alphabet_text(int reps) {
    char *t = malloc(26 * (size_t)reps + 1);
    for (int i = 0; i < reps; i++) memcpy(t + 26 * i, ALPHABET, 26);
    t[26 * reps] = '\0';
    return t;
}

/* A char tokenizer over the alphabet and a GPT (V 26, T 16, C 32, 2 layers) trained on all 26 windows of the
 * repeated alphabet until it continues it. */
static ax_gpt *train_model(ax_tokenizer **tok_out) {
    char *text = alphabet_text(2);
    ax_tokenizer *tok;
    AX_ASSERT(ax_char_tokenizer_build(text, strlen(text), &tok) == AX_OK, "%s", ax_last_error());
    int32_t *ids;
    size_t n;
    AX_ASSERT(ax_tokenizer_encode(tok, text, strlen(text), &ids, &n) == AX_OK, "%s", ax_last_error());
    ax_gpt_config cfg = {.vocab_size = ax_tokenizer_vocab_size(tok), .block_size = BLOCK, .n_layer = 2, .n_head = 4,
                         .n_embd = 32, .bias = true, .ln_eps = 1e-5f};
    ax_gpt *m = ax_gpt_new(&cfg, ax_params_new());
    m->owns_params = true;
    ax_manual_seed(3);
    ax_gpt_init(m);
    ax_optim_config oc = ax_optim_defaults(AX_OPTIM_ADAMW);
    oc.lr = 3e-3f;
    ax_optim *opt = ax_optim_new(m->params, oc);
    int32_t x[26 * BLOCK], y[26 * BLOCK];
    for (int b = 0; b < 26; b++)
        for (int t = 0; t < BLOCK; t++) x[b * BLOCK + t] = ids[b + t], y[b * BLOCK + t] = ids[b + t + 1];
    float loss = 0;
    for (int step = 0; step < 300; step++) {
        ax_tensor *l = ax_gpt_loss(m, ax_from_i32(AX_SHAPE(26, BLOCK), x), ax_from_i32(AX_SHAPE(26, BLOCK), y), true);
        ax_optim_zero_grad(opt);
        ax_backward(l);
        ax_optim_step(opt);
        loss = ax_item(l);
        ax_arena_reset();
    }
    CHECK(loss < 0.05f, "the tiny GPT learns the alphabet: loss %.4f", loss);
    ax_optim_free(opt);
    free(ids);
    free(text);
    *tok_out = tok;
    return m;
}

static void save(const ax_gpt *m, const ax_tokenizer *tok, const char *dir) {
    CHECK(ax_gpt_save(m, dir, "{\"axon_tokenizer\": \"char\"}") == AX_OK, "%s", ax_last_error());
    CHECK(ax_tokenizer_save(tok, dir) == AX_OK, "%s", ax_last_error());
}

static void test_generate(void) {
    CHECK(axon("generate --ckpt %s --prompt abc --greedy --max-new-tokens 10 --quiet", ckpt) == 0 &&
              strcmp(out, "abcdefghijklm\n") == 0,
          "greedy: %s", out);
    CHECK(axon("generate --ckpt %s --prompt abc --temperature 0 --max-new-tokens 40 --no-echo --quiet", ckpt) == 0 &&
              strcmp(out, "defghijklmnopqrstuvwxyzabcdefghijklmnopq\n") == 0,
          "40 tokens, past the block size of 16 (the cache slides): %s", out);
    CHECK(axon("generate --ckpt %s --prompt abc --greedy --max-new-tokens 40", ckpt) == 0 && strstr(out, "re-encoding") &&
              strstr(out, "tokens/s"),
          "the slide is said once and tokens/s printed at the end: %s", out);
    CHECK(axon("generate --ckpt %s --greedy --max-new-tokens 4 --no-echo --quiet < /dev/null", ckpt) == 1 &&
              one_line(out) && strstr(out, "empty prompt"),
          "an empty prompt without <|endoftext|>: %s", out);
    snprintf(cmd, sizeof cmd, "printf mno | %s generate --ckpt %s --greedy --max-new-tokens 5 --no-echo --quiet",
             check_axon_bin(), ckpt);
    CHECK(check_run(cmd, out, sizeof out) == 0 && strcmp(out, "pqrst\n") == 0, "prompt from stdin: %s", out);
    char *longp = alphabet_text(2);
    CHECK(axon("generate --ckpt %s --prompt %s --greedy --max-new-tokens 3 --no-echo --quiet", ckpt, longp) == 0 &&
              strstr(out, "axon: the prompt is 52 tokens, longer than the block size 16: keeping its last 16 tokens\n") &&
              strstr(out, "tokens\nabc\n"),
          "a prompt longer than the block is cropped, and says so: %s", out);
    free(longp);
    CHECK(axon("generate --ckpt %s --prompt abc --greedy --max-new-tokens 20 --stop ghi --quiet", ckpt) == 0 &&
              strcmp(out, "abcdef\n") == 0,
          "stop string: %s", out);
    CHECK(axon("generate --ckpt %s --prompt abc --greedy --max-new-tokens 20 --stop hij --json --quiet", ckpt) == 0 &&
              strstr(out, "\"text\":\"defg\"") && strstr(out, "\"stop_reason\":\"stop\"") &&
              strstr(out, "\"new_tokens\":7"),
          "--json: %s", out);
    char first[1024];
    axon("generate --ckpt %s --prompt ab --temperature 3 --max-new-tokens 30 --seed 5 --quiet", ckpt);
    snprintf(first, sizeof first, "%.1000s", out);
    axon("generate --ckpt %s --prompt ab --temperature 3 --max-new-tokens 30 --seed 5 --quiet", ckpt);
    CHECK(strcmp(first, out) == 0 && strlen(out) == 33, "same seed, same text: '%s' vs '%s'", first, out);
    axon("generate --ckpt %s --prompt ab --temperature 3 --max-new-tokens 30 --seed 6 --quiet", ckpt);
    CHECK(strcmp(first, out) != 0, "another seed, other text: '%s' vs '%s'", first, out);
    CHECK(axon("generate --ckpt %s --prompt ab --top-k 1 --repetition-penalty 1.3 --top-p 0.9 --max-new-tokens 5 "
               "--quiet",
               ckpt) == 0,
          "top-k, top-p and repetition penalty together: %s", out);
}

static void test_generate_errors(void) {
    CHECK(axon("generate --ckpt %s --prompt 'ABC' --quiet", ckpt) == 1 && one_line(out), "chars outside the vocabulary: %s",
          out);
    CHECK(axon("generate --ckpt %s/nowhere --prompt abc", root) == 1 && one_line(out), "missing checkpoint: %s", out);
    CHECK(axon("generate --prompt abc") == 2, "no --ckpt: %s", out);
    CHECK(axon("generate --ckpt %s --top-p 1.5", ckpt) == 2 && strstr(out, "top-p"), "bad top-p: %s", out);
    CHECK(axon("generate --ckpt %s --temperature -1", ckpt) == 2, "bad temperature: %s", out);
    CHECK(axon("generate --help") == 0 && strstr(out, "--repetition-penalty") && strstr(out, "default"), "help: %s", out);
    // a corrupt tokenizer file, and a config.json from another model size: one line, files untouched
    char dir[128], path[1024];
    snprintf(dir, sizeof dir, "%s/bad", root);
    snprintf(path, sizeof path, "cp -r %s %s", ckpt, dir);
    CHECK(system(path) == 0, "%s", path);
    snprintf(path, sizeof path, "%s/char_vocab.json", dir);
    const char *corrupt = "{\"axon_tokenizer\": \"char\", \"chars\": [1, 2";
    CHECK(ax_write_file_atomic(path, corrupt, strlen(corrupt)) == AX_OK, "write");
    CHECK(axon("generate --ckpt %s --prompt abc", dir) == 1 && one_line(out), "corrupt tokenizer: %s", out);
    snprintf(path, sizeof path, "cp %s/char_vocab.json %s/ && sed -i 's/\"n_embd\":[[:space:]]*32/\"n_embd\": 64/' %s/config.json",
             ckpt, dir, dir);
    CHECK(system(path) == 0, "%s", path);
    CHECK(axon("generate --ckpt %s --prompt abc", dir) == 1 && one_line(out) && strstr(out, "shape"),
          "weights from another config: %s", out);
}

// axon ppl of a text that fits one window equals the library's mean cross-entropy
static void test_ppl(const ax_gpt *m, ax_tokenizer *tok) {
    char path[256];
    snprintf(path, sizeof path, "%s/text.txt", root);
    const char *text = "klmnopqrstuvwxyza"; // 17 characters: 16 predictions, one window
    CHECK(ax_write_file_atomic(path, text, strlen(text)) == AX_OK, "write");
    int32_t *ids;
    size_t n;
    CHECK(ax_tokenizer_encode(tok, text, strlen(text), &ids, &n) == AX_OK && n == 17, "encode");
    float want = ax_item(ax_gpt_loss((ax_gpt *)m, ax_from_i32(AX_SHAPE(1, 16), ids), ax_from_i32(AX_SHAPE(1, 16), ids + 1), false));
    ax_arena_reset();
    free(ids);
    double loss = -1, ppl = -1, bpc = -1;
    long long tokens = 0, scored = 0, chars = 0;
    CHECK(axon("ppl --ckpt %s --data %s --json --quiet", ckpt, path) == 0 &&
              sscanf(out, "{\"tokens\": %lld, \"scored\": %lld, \"chars\": %lld, \"loss\": %lf, \"perplexity\": %lf, "
                          "\"bits_per_token\": %*f, \"bits_per_char\": %lf}",
                     &tokens, &scored, &chars, &loss, &ppl, &bpc) == 6,
          "ppl --json: %s", out);
    CHECK(tokens == 17 && scored == 16 && chars == 16, "counts: %s", out);
    CHECK(fabs(loss - want) <= 1e-4 * fabs(want) + 1e-6, "ppl loss %.7f vs library %.7f", loss, (double)want);
    CHECK(fabs(ppl - exp(loss)) < 1e-4 * ppl && fabs(bpc - loss / log(2.0)) < 1e-4, "ppl and bits/char from the loss");
    // a longer text goes through overlapping windows; every token after the first is scored once
    char *longtext = alphabet_text(4);
    CHECK(ax_write_file_atomic(path, longtext, strlen(longtext)) == AX_OK, "write");
    free(longtext);
    CHECK(axon("ppl --ckpt %s --data %s --stride 4 --json --quiet", ckpt, path) == 0 &&
              sscanf(out, "{\"tokens\": %lld, \"scored\": %lld, \"chars\": %lld, \"loss\": %lf", &tokens, &scored, &chars,
                     &loss) == 4 &&
              tokens == 104 && scored == 103 && loss < 0.1,
          "strided windows: %s", out);
    CHECK(axon("ppl --ckpt %s --data %s --stride 17", ckpt, path) == 2, "stride above the block: %s", out);
    CHECK(axon("ppl --ckpt %s --data %s/none.txt", ckpt, root) == 1 && one_line(out), "missing text: %s", out);
}

/* A Hugging Face style directory: HF config.json (no axon keys), unprefixed tensor names, the attn.bias
 * buffers; imported, it generates what the original does. */
static void test_import(const ax_gpt *m, const ax_tokenizer *tok) {
    char hf[256], dst[256], path[300];
    snprintf(hf, sizeof hf, "%s/hf", root);
    snprintf(dst, sizeof dst, "%s/imported", root);
    int n = m->params->n;
    ax_st_entry *e = calloc((size_t)n + 1, sizeof *e);
    ax_tensor *mask = ax_tensor_new(AX_F32, AX_SHAPE(1, 1, BLOCK, BLOCK));
    for (int i = 0; i < n; i++) {
        const ax_tensor *t = m->params->items[i].t;
        e[i] = (ax_st_entry){.name = m->params->items[i].name + strlen("transformer."), .dtype = AX_F32, .ndim = t->ndim,
                             .data = t->data, .nbytes = (size_t)ax_numel(t) * 4};
        memcpy(e[i].shape, t->shape, sizeof t->shape);
    }
    e[n] = (ax_st_entry){.name = "h.0.attn.bias", .dtype = AX_F32, .ndim = 4, .shape = {1, 1, BLOCK, BLOCK},
                         .data = mask->data, .nbytes = BLOCK * BLOCK * 4};
    CHECK(ax_tokenizer_save(tok, hf) == AX_OK, "%s", ax_last_error());
    snprintf(path, sizeof path, "%s/model.safetensors", hf);
    CHECK(ax_safetensors_write(path, e, n + 1, NULL, NULL, 0) == AX_OK, "%s", ax_last_error());
    snprintf(path, sizeof path, "%s/config.json", hf);
    const char *cfg = "{\"model_type\": \"gpt2\", \"vocab_size\": 26, \"n_positions\": 16, \"n_embd\": 32, "
                      "\"n_layer\": 2, \"n_head\": 4, \"activation_function\": \"gelu_new\"}";
    CHECK(ax_write_file_atomic(path, cfg, strlen(cfg)) == AX_OK, "write");
    CHECK(axon("import %s --out %s", hf, dst) == 0 && strstr(out, "2 layers, 4 heads, n_embd 32"), "import: %s", out);
    CHECK(axon("generate --ckpt %s --prompt abc --greedy --max-new-tokens 10 --quiet", dst) == 0 &&
              strcmp(out, "abcdefghijklm\n") == 0,
          "the imported checkpoint generates the same text: %s", out);
    ax_safetensors *st;
    snprintf(path, sizeof path, "%s/model.safetensors", dst);
    CHECK(ax_safetensors_read(path, &st) == AX_OK && ax_safetensors_find(st, "transformer.h.1.mlp.c_proj.weight") &&
              !ax_safetensors_find(st, "h.0.attn.bias"),
          "imported weights under HF GPT2LMHeadModel names, without the buffers");
    ax_safetensors_free(st);
    CHECK(axon("import %s/nowhere --out %s/x", root, root) == 1 && one_line(out), "import of nothing: %s", out);
    CHECK(axon("import --out %s/x", root) == 2, "import without DIR: %s", out);
    ax_tensor_free(mask);
    free(e);
}

int main(void) {
    snprintf(root, sizeof root, "/tmp/axon_gpt_cli_XXXXXX");
    CHECK(mkdtemp(root) != NULL, "mkdtemp");
    snprintf(ckpt, sizeof ckpt, "%s/ckpt", root);
    ax_tokenizer *tok;
    ax_gpt *m = train_model(&tok);
    save(m, tok, ckpt);
    test_generate();
    test_generate_errors();
    test_ppl(m, tok);
    test_import(m, tok);
    ax_tokenizer_free(tok);
    ax_gpt_free(m);
    ax_arena_release();
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    CHECK(system(cmd) == 0, "%s", cmd);
    return check_report();
}
