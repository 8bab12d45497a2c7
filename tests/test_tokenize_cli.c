/* `axon tokenizer encode|decode|train` round trips, exit codes and one-line errors. */
#include "tokenize_util.h"

#include <stdarg.h>

#define FIX AX_FIXTURE_DIR

static char out[1 << 20]; // captured stdout + stderr of the last command

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...) {
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return check_run(cmd, out, sizeof out);
}

static bool one_line(void) { return strchr(out, '\n') == out + strlen(out) - 1 && strncmp(out, "axon: ", 6) == 0; }

static void test_gpt2(const char *bin, const char *dir) {
    CHECK(run("printf 'Hello world' | %s tokenizer encode", bin) == 0 && strcmp(out, "15496 995\n") == 0,
          "encode stdin: %s", out);
    CHECK(run("printf '[15496, 995]' | %s tokenizer decode", bin) == 0 && strcmp(out, "Hello world") == 0,
          "decode a JSON array: %s", out);
    // the 66 KB reference text: ids equal the fixture's, and they decode back byte for byte
    size_t n_ref;
    int32_t *ref = tu_fixture_ids("gpt2_text.ids.json", &n_ref);
    char path[600];
    snprintf(path, sizeof path, "%s/ids.txt", dir);
    FILE *fp = fopen(path, "w");
    for (size_t i = 0; fp && i < n_ref; i++) fprintf(fp, i ? " %d" : "%d", (int)ref[i]);
    if (fp) fputc('\n', fp), fclose(fp);
    free(ref);
    CHECK(run("%s tokenizer encode --tokenizer gpt2 %s/gpt2_text.txt > %s/enc.txt && cmp %s/enc.txt %s/ids.txt", bin,
              FIX, dir, dir, dir) == 0,
          "encode FILE prints the reference ids: %s", out);
    CHECK(run("%s tokenizer decode %s/enc.txt | cmp - %s/gpt2_text.txt", bin, dir, FIX) == 0, "decode FILE: %s", out);
    CHECK(
        run("head -c 20000 /dev/urandom > %s/rand.bin && %s tokenizer encode %s/rand.bin | %s tokenizer decode | cmp - "
            "%s/rand.bin",
            dir, bin, dir, bin, dir) == 0,
        "random bytes round-trip through the CLI: %s", out);
    CHECK(run("echo '1 2 50257' | %s tokenizer decode", bin) == 1 && one_line() && strstr(out, "50257"),
          "an id out of range: %s", out);
    CHECK(run("echo '1 two' | %s tokenizer decode", bin) == 1 && one_line() && strstr(out, "\"two\" at byte 2"),
          "a word that is not an id: %s", out);
    CHECK(run("%s tokenizer encode %s/missing.txt", bin, dir) == 1 && one_line(), "a missing file: %s", out);
}

static void test_train(const char *bin, const char *dir) {
    CHECK(run("%s tokenizer train --vocab-size 600 --out %s/bpe %s/gpt2_text.txt", bin, dir, FIX) == 0 &&
              strstr(out, "600 tokens"),
          "train bpe: %s", out);
    CHECK(
        run("%s tokenizer encode --tokenizer %s/bpe %s/gpt2_text.txt | %s tokenizer decode --tokenizer %s/bpe | cmp - "
            "%s/gpt2_text.txt",
            bin, dir, FIX, bin, dir, FIX) == 0,
        "trained bpe round trip: %s", out);
    CHECK(run("printf 'abc\\n' > %s/c.txt && %s tokenizer train --kind char --out %s/char %s/c.txt", dir, bin, dir,
              dir) == 0 &&
              strstr(out, "4 tokens"),
          "train char: %s", out);
    CHECK(run("printf 'cab' | %s tokenizer encode --tokenizer %s/char", bin, dir) == 0 && strcmp(out, "3 1 2\n") == 0,
          "char encode: %s", out);
    CHECK(run("printf 'abz' | %s tokenizer encode --tokenizer %s/char", bin, dir) == 1 && one_line() &&
              strstr(out, "U+007A"),
          "a character outside the vocabulary: %s", out);
    CHECK(run("printf 'a\\377' | %s tokenizer encode --tokenizer %s/char", bin, dir) == 1 && one_line() &&
              strstr(out, "UTF-8"),
          "invalid UTF-8 for a char tokenizer: %s", out);
    CHECK(run("printf '{\"a\": 1' > %s/bpe/encoder.json && echo hi | %s tokenizer encode --tokenizer %s/bpe", dir, bin,
              dir) == 1 &&
              one_line() && strstr(out, "encoder.json is not valid JSON"),
          "a corrupt tokenizer: %s", out);
    CHECK(run("%s tokenizer train --out %s/x %s/missing.txt", bin, dir, dir) == 1 && one_line(), "a missing corpus: %s",
          out);
}

static void test_usage(const char *bin) {
    CHECK(run("%s tokenizer encode --help", bin) == 0 && strstr(out, "--tokenizer") && strstr(out, "default gpt2"),
          "encode --help: %s", out);
    CHECK(run("%s help tokenizer", bin) == 0 && strstr(out, "train"), "help tokenizer: %s", out);
    CHECK(run("%s tokenizer train in.txt", bin) == 2, "train without --out: %s", out);
    CHECK(run("%s tokenizer train --vocab-size 10 --out x in.txt", bin) == 2, "vocab size too small: %s", out);
    CHECK(run("%s tokenizer train --kind word --out x in.txt", bin) == 2, "unknown kind: %s", out);
    CHECK(run("%s tokenizer frob", bin) == 2 && one_line(), "unknown subcommand: %s", out);
    CHECK(run("%s tokenizer encode a b", bin) == 2, "two files: %s", out);
}

int main(void) {
    const char *bin = check_axon_bin();
    char dir[64];
    tu_mkdtemp(dir, sizeof dir);
    test_gpt2(bin, dir);
    test_train(bin, dir);
    test_usage(bin);
    tu_rmtree(dir);
    return check_report();
}
