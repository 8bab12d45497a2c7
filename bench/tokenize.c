/* Tokenizer throughput: GPT-2 BPE load, encode (first pass with an empty word cache, then cached), decode;
 * BPE training time for a few vocabulary sizes. Single-threaded.
 *
 * Usage: tokenize [TEXT_FILE [VOCAB_SIZE ...]]   (default tests/fixtures/gpt2_text.txt, vocab 4096 8192).
 * Prints "axon tokenize <what> <value> <unit>" lines. */
#include "axon.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "tokenize: %s: %s\n", what, ax_last_error());
    exit(1);
}

static void bench_gpt2(const char *text, size_t len) {
    double t0 = now();
    ax_tokenizer *tok;
    if (ax_tokenizer_load("gpt2", &tok) != AX_OK) die("load gpt2");
    printf("axon tokenize gpt2_load %.1f ms\n", 1e3 * (now() - t0));
    int32_t *ids;
    size_t n;
    for (int pass = 0; pass < 2; pass++) { // pass 0 fills the word cache
        t0 = now();
        if (ax_tokenizer_encode(tok, text, len, &ids, &n) != AX_OK) die("encode");
        double dt = now() - t0;
        printf("axon tokenize encode_%s %.1f MB/s (%zu bytes -> %zu tokens, %.3f s)\n", pass ? "cached" : "first",
               (double)len / dt / 1e6, len, n, dt);
        if (!pass) free(ids);
    }
    char *back;
    size_t back_len;
    t0 = now();
    if (ax_tokenizer_decode(tok, ids, n, &back, &back_len) != AX_OK) die("decode");
    printf("axon tokenize decode %.1f MB/s\n", (double)back_len / (now() - t0) / 1e6);
    free(back);
    free(ids);
    ax_tokenizer_free(tok);
}

static void bench_train(const char *text, size_t len, int vocab) {
    double t0 = now();
    ax_tokenizer *tok;
    if (ax_bpe_train(text, len, vocab, &tok) != AX_OK) die("train");
    printf("axon tokenize train_%d %.2f s (%zu bytes, %d tokens)\n", vocab, now() - t0, len,
           ax_tokenizer_vocab_size(tok));
    ax_tokenizer_free(tok);
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "tests/fixtures/gpt2_text.txt";
    void *text;
    size_t len;
    if (ax_read_file(path, (size_t)1 << 31, &text, &len) != AX_OK) die(path);
    bench_gpt2(text, len);
    if (argc > 2)
        for (int i = 2; i < argc; i++) bench_train(text, len, atoi(argv[i]));
    else
        bench_train(text, len, 4096), bench_train(text, len, 8192);
    free(text);
    return 0;
}
