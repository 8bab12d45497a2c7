/* The BPE trainer (against a naive re-counting trainer, tie-breaking, its own segmentation, files), the char
 * tokenizer, and corrupt tokenizer files. */
#include "tokenize/tok_internal.h"
#include "tokenize/unicode.h"
#include "tokenize_util.h"

/* ---- a naive trainer: recounts every pair of every word after each merge ---- */

typedef struct {
    int32_t sym[1024]; // the word's symbols
    int len;           // how many
    int64_t freq;      // occurrences
} naive_word;

// returns the merge count; text must not contain "<|endoftext|>"
static int naive_train(const char *text, size_t len, int vocab_size, int32_t *merges) {
    static naive_word words[8192];
    strmap pieces = {0}, tokens = {0};
    int n_words = 0, n_tokens = 256, n_merges = 0;
    bool added;
    for (size_t i = 0; i < len;) {
        size_t end = gpt2_piece_end(text, len, i);
        uint64_t *w = strmap_add(&pieces, text + i, end - i, (uint64_t)n_words, &added);
        if (added) {
            AX_ASSERT(n_words < 8192 && end - i <= 1024, "naive trainer limits");
            naive_word *nw = &words[n_words++];
            nw->len = (int)(end - i), nw->freq = 0;
            for (int k = 0; k < nw->len; k++) nw->sym[k] = gpt2_byte_rank((unsigned char)text[i + k]);
        }
        words[*w].freq++;
        i = end;
    }
    static char tok[1 << 12][256]; // token bytes (merged tokens stay short here)
    static int blen[1 << 12];      // their lengths
    for (int b = 0; b < 256; b++) tok[gpt2_byte_rank(b)][0] = (char)b, blen[gpt2_byte_rank(b)] = 1;
    for (int id = 0; id < 256; id++) strmap_add(&tokens, tok[id], 1, (uint64_t)id, &added);
    while (n_tokens < vocab_size - 1) {
        u64map counts = {0};
        for (int w = 0; w < n_words; w++)
            for (int k = 0; k + 1 < words[w].len; k++)
                *u64map_add(&counts, (uint64_t)words[w].sym[k] << 32 | (uint32_t)words[w].sym[k + 1], 0, &added) +=
                    (uint64_t)words[w].freq;
        uint64_t best = 0, best_count = 0;
        for (size_t s = 0; s < counts.cap; s++) {
            if (counts.keys[s] == UINT64_MAX) continue;
            if (counts.values[s] > best_count || (counts.values[s] == best_count && counts.keys[s] < best))
                best = counts.keys[s], best_count = counts.values[s];
        }
        u64map_free(&counts);
        if (best_count < 2) break;
        int32_t left = (int32_t)(best >> 32), right = (int32_t)(uint32_t)best;
        char cat[512];
        AX_ASSERT(blen[left] + blen[right] <= 256, "naive trainer token length");
        memcpy(cat, tok[left], (size_t)blen[left]);
        memcpy(cat + blen[left], tok[right], (size_t)blen[right]);
        int32_t id = (int32_t)*strmap_add(&tokens, cat, (size_t)(blen[left] + blen[right]), (uint64_t)n_tokens, &added);
        if (added)
            memcpy(tok[n_tokens], cat, (size_t)(blen[left] + blen[right])), blen[n_tokens++] = blen[left] + blen[right];
        merges[2 * n_merges] = left, merges[2 * n_merges + 1] = right, n_merges++;
        for (int w = 0; w < n_words; w++) {
            int m = 0;
            for (int k = 0; k < words[w].len; m++) {
                if (k + 1 < words[w].len && words[w].sym[k] == left && words[w].sym[k + 1] == right)
                    words[w].sym[m] = id, k += 2;
                else
                    words[w].sym[m] = words[w].sym[k++];
            }
            words[w].len = m;
        }
    }
    strmap_free(&pieces);
    strmap_free(&tokens);
    return n_merges;
}

static void test_trainer_matches_naive(const char *text, size_t len, int want_vocab) {
    static int32_t want[2 * 1024];
    int n_want = naive_train(text, len, 700, want);
    bpe b;
    if (!CHECK(bpe_train(&b, text, len, 700, NULL) == AX_OK, "train: %s", ax_last_error())) return;
    CHECK(b.n_merges == n_want && memcmp(b.merges, want, (size_t)n_want * 2 * sizeof *want) == 0,
          "incremental trainer = naive trainer (%d vs %d merges)", b.n_merges, n_want);
    CHECK(b.n_tokens == want_vocab && b.eot == want_vocab - 1, "vocab size %d, eot %d", b.n_tokens, b.eot);
    bpe_free(&b);
}

static void test_trainer_ties(void) {
    static const char text[] = "ab ab cd cd";
    bpe b;
    if (!CHECK(bpe_train(&b, text, sizeof text - 1, 1000, NULL) == AX_OK, "train: %s", ax_last_error())) return;
    // counts: (a,b) 2, (c,d) 2, (Ġ,c) 2, (Ġ,a) 1; ties go to the smaller left id: a=64 < c=66 < Ġ=220
    int32_t sp = gpt2_byte_rank(' '), a = gpt2_byte_rank('a'), c = gpt2_byte_rank('c');
    int32_t want[] = {a, gpt2_byte_rank('b'), c, gpt2_byte_rank('d'), sp, 257};
    CHECK(b.n_merges == 3 && memcmp(b.merges, want, sizeof want) == 0, "merges ab, cd, Ġcd (%d merges)", b.n_merges);
    CHECK(b.n_tokens == 260 && b.eot == 259, "stops when no pair occurs twice: %d tokens", b.n_tokens);
    bpe_free(&b);
    CHECK(bpe_train(&b, text, sizeof text - 1, 256, NULL) == AX_ERR && strstr(ax_last_error(), "257"),
          "vocab 256 is refused: %s", ax_last_error());
}

static void test_trainer_segmentation(const char *text, size_t len) {
    bpe b;
    ids_vec seg = {0}, enc = {0};
    if (!CHECK(bpe_train(&b, text, len, 1200, &seg) == AX_OK, "train: %s", ax_last_error())) return;
    CHECK(bpe_encode(&b, text, len, &enc) == AX_OK, "encode: %s", ax_last_error());
    long d = tu_first_diff(enc.v, enc.n, seg.v, seg.n);
    CHECK(d < 0, "encoding the training text = the trainer's segmentation (%zu vs %zu ids, differ at %ld)", enc.n,
          seg.n, d);
    CHECK(enc.n < len / 2, "1200 tokens compress the text: %zu ids for %zu bytes", enc.n, len);
    free(seg.v);
    free(enc.v);
    bpe_free(&b);
}

static bool same_files(const char *dir, const char *a, const char *b) {
    char pa[128], pb[128];
    snprintf(pa, sizeof pa, "%s/%s", dir, a);
    snprintf(pb, sizeof pb, "%s/%s", dir, b);
    void *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    bool same = ax_read_file(pa, 1 << 26, &x, &nx) == AX_OK && ax_read_file(pb, 1 << 26, &y, &ny) == AX_OK &&
                nx == ny && memcmp(x, y, nx) == 0;
    free(x), free(y);
    return same;
}

/* The saved directory also holds Hugging Face's names (vocab.json, merges.txt: GPT2Tokenizer reads them), the
 * same bytes; with OpenAI's names gone the tokenizer loads from Hugging Face's and encodes alike. */
static void test_hf_names(const char *dir, const char *text, size_t len) {
    CHECK(same_files(dir, "encoder.json", "vocab.json") && same_files(dir, "vocab.bpe", "merges.txt"),
          "vocab.json, merges.txt written alongside encoder.json, vocab.bpe");
    ax_tokenizer *openai = NULL, *hf = NULL;
    CHECK(ax_tokenizer_load(dir, &openai) == AX_OK, "load: %s", ax_last_error());
    char path[128];
    snprintf(path, sizeof path, "%s/encoder.json", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/vocab.bpe", dir);
    unlink(path);
    CHECK(ax_tokenizer_load(dir, &hf) == AX_OK, "load from vocab.json + merges.txt: %s", ax_last_error());
    if (openai && hf) {
        int32_t *a, *b;
        size_t na, nb;
        ax_tokenizer_encode(openai, text, len, &a, &na);
        ax_tokenizer_encode(hf, text, len, &b, &nb);
        CHECK(tu_first_diff(a, na, b, nb) < 0, "the same ids from either pair of names");
        free(a), free(b);
    }
    ax_tokenizer_free(openai), ax_tokenizer_free(hf);
}

static void test_trained_files(const char *text, size_t len) {
    ax_tokenizer *tok = NULL, *back = NULL, *again = NULL;
    char dir[64];
    tu_mkdtemp(dir, sizeof dir);
    CHECK(ax_bpe_train(text, len, 800, &tok) == AX_OK && ax_tokenizer_save(tok, dir) == AX_OK, "train + save: %s",
          ax_last_error());
    CHECK(ax_tokenizer_load(dir, &back) == AX_OK, "reload: %s", ax_last_error());
    CHECK(ax_bpe_train(text, len, 800, &again) == AX_OK, "train again");
    if (tok && back && again) {
        CHECK(ax_tokenizer_vocab_size(back) == 800 && ax_tokenizer_eot(back) == 799, "reloaded: 800 tokens, eot 799");
        int32_t *a, *b, *c;
        size_t na, nb, nc;
        ax_tokenizer_encode(tok, text, len, &a, &na);
        ax_tokenizer_encode(back, text, len, &b, &nb);
        ax_tokenizer_encode(again, text, len, &c, &nc);
        CHECK(tu_first_diff(a, na, b, nb) < 0 && tu_first_diff(a, na, c, nc) < 0,
              "reloaded and retrained tokenizers encode the same ids");
        free(a), free(b), free(c);
        CHECK(tu_round_trip(back, text, len), "trained tokenizer round-trips the corpus");
        static const char odd[] = "\xff\xfe never seen \xe4\xb8\xad <|endoftext|> \x00";
        CHECK(tu_round_trip(back, odd, sizeof odd - 1), "and bytes it never saw");
    }
    ax_tokenizer_free(tok), ax_tokenizer_free(back), ax_tokenizer_free(again);
    test_hf_names(dir, text, len);
    tu_rmtree(dir);
}

/* ---- the char tokenizer ---- */

static void test_char(void) {
    static const char text[] = "hello w\xc3\xb6rld \xf0\x9f\x98\x80\n\x00!";
    ax_tokenizer *tok = NULL, *back = NULL;
    if (!CHECK(ax_char_tokenizer_build(text, sizeof text - 1, &tok) == AX_OK, "build: %s", ax_last_error())) return;
    CHECK(ax_tokenizer_kind_of(tok) == AX_TOK_CHAR && ax_tokenizer_vocab_size(tok) == 13 && ax_tokenizer_eot(tok) == -1,
          "13 distinct characters, no eot (%d)", ax_tokenizer_vocab_size(tok));
    int32_t *ids;
    size_t n;
    CHECK(ax_tokenizer_encode(tok, "\n\x00!h\xf0\x9f\x98\x80", 8, &ids, &n) == AX_OK && n == 5 && ids[0] == 1 &&
              ids[1] == 0 && ids[2] == 3 && ids[3] == 6 && ids[4] == 12,
          "ids follow code-point order (NUL = 0, \\n = 1, ! = 3, h = 6, 😀 = 12)");
    free(ids);
    CHECK(tu_round_trip(tok, text, sizeof text - 1), "char round trip");
    CHECK(ax_tokenizer_encode(tok, "hz", 2, &ids, &n) == AX_ERR && strstr(ax_last_error(), "U+007A") &&
              strstr(ax_last_error(), "byte 1"),
          "unknown character: %s", ax_last_error());
    CHECK(ax_tokenizer_encode(tok, "h\xff", 2, &ids, &n) == AX_ERR && strstr(ax_last_error(), "not valid UTF-8") &&
              strstr(ax_last_error(), "offset 1"),
          "invalid UTF-8: %s", ax_last_error());
    int32_t bad = 13;
    char *out;
    size_t out_len;
    CHECK(ax_tokenizer_decode(tok, &bad, 1, &out, &out_len) == AX_ERR && strstr(ax_last_error(), "out of range"),
          "id out of range: %s", ax_last_error());
    char dir[64];
    tu_mkdtemp(dir, sizeof dir);
    CHECK(ax_tokenizer_save(tok, dir) == AX_OK && ax_tokenizer_load(dir, &back) == AX_OK, "save + load: %s",
          ax_last_error());
    CHECK(back && ax_tokenizer_vocab_size(back) == 13 && tu_round_trip(back, text, sizeof text - 1),
          "reloaded char tokenizer round-trips (with the NUL)");
    tu_rmtree(dir);
    ax_tokenizer_free(tok), ax_tokenizer_free(back);
    CHECK(ax_char_tokenizer_build("ab\xc3", 3, &tok) == AX_ERR && strstr(ax_last_error(), "offset 2"),
          "a corpus that is not UTF-8: %s", ax_last_error());
}

/* ---- corrupt files: one clear line each ---- */

static void expect_load_error(const char *dir, const char *want, const char *what) {
    ax_tokenizer *tok = NULL;
    int rc = ax_tokenizer_load(dir, &tok);
    const char *msg = ax_last_error();
    CHECK(rc == AX_ERR && !tok && strstr(msg, want) && !strchr(msg, '\n'), "%s: expected \"%s\", got \"%s\"", what,
          want, msg);
    ax_tokenizer_free(tok);
}

// encoder.json with the 256 bytes, then extra tokens ("ab", "abc", "<|endoftext|>"); skip drops byte 'A'
static char *small_encoder(bool skip, const char *extra) {
    char *json = malloc(8192), *p = json;
    p += sprintf(p, "{");
    int id = 0;
    for (int b = 0; b < 256; b++) {
        char key[8] = {0};
        utf8_encode(gpt2_byte_cp(b), key);
        if (!(skip && b == 'A'))
            p += sprintf(p, "%s\"%s%s\": %d", id ? ", " : "", strcmp(key, "\"") && strcmp(key, "\\") ? "" : "\\", key,
                         id),
                id++;
    }
    sprintf(p, ", \"ab\": %d, \"abc\": %d, \"<|endoftext|>\": %d%s}", id, id + 1, id + 2, extra);
    return json;
}

static void test_corrupt_bpe(void) {
    char dir[64];
    tu_mkdtemp(dir, sizeof dir);
    expect_load_error(dir, "no tokenizer in", "an empty directory");
    char *enc = small_encoder(false, "");
    tu_write(dir, "encoder.json", enc);
    expect_load_error(dir, "vocab.bpe", "no vocab.bpe");
    tu_write(dir, "vocab.bpe", "#version: 0.2\na b\nab c\n");
    ax_tokenizer *tok = NULL;
    int32_t *ids = NULL;
    size_t n = 0;
    CHECK(ax_tokenizer_load(dir, &tok) == AX_OK &&
              ax_tokenizer_encode(tok, "abc abc<|endoftext|>", 20, &ids, &n) == AX_OK,
          "a small valid tokenizer: %s", ax_last_error());
    int32_t want[] = {257, ' ', 257, 258}; // bytes have the ids the file gives; "<|endoftext|>" is special
    CHECK(tu_first_diff(ids, n, want, 4) < 0 && ax_tokenizer_eot(tok) == 258, "abc Ġ abc <|endoftext|>");
    free(ids);
    ax_tokenizer_free(tok);
    static const struct {
        const char *merges; // vocab.bpe
        const char *want;   // in the message
    } bad_merges[] = {
        {"#version: 0.2\na\n", "line 2: expected two tokens"},
        {"#version: 0.2\na b\na  b\n", "line 3: expected two tokens"},
        {"#version: 0.2\na zz\n", "line 2: \"zz\" is not in encoder.json"},
        {"#version: 0.2\na c\n", "merge 1 makes a token that is not in the vocabulary"},
        {"#version: 0.2\na b\na b\n", "merge 2 repeats"},
        {"#version: 0.2\nab c\na b\n", "merge 1 uses a token that no byte or earlier merge makes"},
        {"#version: 0.2\na \xff\n", "outside GPT-2's byte alphabet"},
    };
    for (size_t k = 0; k < sizeof bad_merges / sizeof *bad_merges; k++) {
        tu_write(dir, "vocab.bpe", bad_merges[k].merges);
        expect_load_error(dir, bad_merges[k].want, "vocab.bpe case");
    }
    tu_write(dir, "vocab.bpe", "#version: 0.2\na b\nab c\n");
    char *missing_a = small_encoder(true, ", \"zz\": 258");
    static const struct {
        const char *json; // encoder.json
        const char *want; // in the message
    } bad_enc[] = {
        {"{\"a\": 0, ", "encoder.json is not valid JSON"},
        {"[1, 2]", "encoder.json is not a JSON object"},
        {"{\"a\": 0}", "encoder.json has 1 tokens"},
        {NULL, "no token for byte 0x41"},
    };
    for (size_t k = 0; k < sizeof bad_enc / sizeof *bad_enc; k++) {
        tu_write(dir, "encoder.json", bad_enc[k].json ? bad_enc[k].json : missing_a);
        expect_load_error(dir, bad_enc[k].want, "encoder.json case");
    }
    free(missing_a);
    static const char *const extra[][2] = {
        {", \"zz\": 5", "id 5 is given to two tokens"},
        {", \"zz\": 9999", "has id 9999; ids must be integers 0 .. 259"},
        {", \"zz\": 258.5", "has id 258.5"},
        {", \"zz\": 1e300", "has id 1e+300"},
        {", \"zz\": \"259\"", "the id of token \"zz\" is not a number"},
        {", \"a b\": 259", "character (U+0020) outside GPT-2's byte alphabet"},
    };
    for (size_t k = 0; k < sizeof extra / sizeof *extra; k++) {
        char *json = small_encoder(false, extra[k][0]);
        tu_write(dir, "encoder.json", json);
        expect_load_error(dir, extra[k][1], "encoder.json extra");
        free(json);
    }
    free(enc);
    tu_rmtree(dir);
}

static void test_corrupt_char(void) {
    char dir[64];
    tu_mkdtemp(dir, sizeof dir);
    static const char *const cases[][2] = {
        {"{\"axon_tokenizer\": \"char\", \"chars\": [\"a\"", "is not valid JSON"},
        {"{\"axon_tokenizer\": \"bpe\", \"chars\": [\"a\"]}", "needs \"axon_tokenizer\": \"char\""},
        {"{\"axon_tokenizer\": \"char\", \"chars\": []}", "\"chars\" has 0 entries"},
        {"{\"axon_tokenizer\": \"char\", \"chars\": [\"a\", \"bc\"]}", "entry 1 must be one character"},
        {"{\"axon_tokenizer\": \"char\", \"chars\": [\"b\", \"a\"]}", "entry 1 must be one character, in ascending"},
        {"{\"axon_tokenizer\": \"char\", \"chars\": [\"a\", 5]}", "entry 1 must be one character"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        tu_write(dir, "char_vocab.json", cases[k][0]);
        expect_load_error(dir, cases[k][1], "char_vocab.json case");
    }
    tu_rmtree(dir);
    expect_load_error("/nonexistent/axon", "no tokenizer in /nonexistent/axon", "a missing directory");
}

int main(void) {
    size_t len;
    char *text = tu_fixture_text("gpt2_text.txt", &len);
    // (windows without "<|endoftext|>": the naive trainer does not split documents)
    test_trainer_matches_naive(text, 12000, 700);         // prose, many scripts, symbols
    test_trainer_matches_naive(text + 45000, 12000, 641); // random mixtures, long pieces: runs out of pairs
    test_trainer_ties();
    test_trainer_segmentation(text, len);
    test_trained_files(text, 30000);
    free(text);
    test_char();
    test_corrupt_bpe();
    test_corrupt_char();
    return check_report();
}
