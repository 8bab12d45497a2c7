/* GPT-2 byte-level BPE: exact ids against OpenAI's encoder and the gpt-3-encoder JS port, the hand-written
 * pre-tokenizer regex, UTF-8 and byte round trips, the merge algorithms, GPT-2's files saved and reloaded. */
#include "tokenize/tok_internal.h"
#include "tokenize/unicode.h"
#include "tokenize_util.h"

#define GPT2_DIR AX_FIXTURE_DIR "/../../data/gpt2"

/* ---- exactness against the references ---- */

static void check_reference(ax_tokenizer *tok, const char *text_file, const char *ids_file) {
    size_t len, n_ref, n;
    char *text = tu_fixture_text(text_file, &len);
    int32_t *ref = tu_fixture_ids(ids_file, &n_ref), *ids = NULL;
    CHECK(ax_tokenizer_encode(tok, text, len, &ids, &n) == AX_OK, "encode %s: %s", text_file, ax_last_error());
    long d = ids ? tu_first_diff(ids, n, ref, n_ref) : 0;
    CHECK(d < 0, "%s: %zu ids vs %zu reference ids, first difference at %ld (got %d, want %d)", text_file, n, n_ref, d,
          d >= 0 && (size_t)d < n ? ids[d] : -1, d >= 0 && (size_t)d < n_ref ? ref[d] : -1);
    char *back = NULL;
    size_t back_len = 0;
    CHECK(ax_tokenizer_decode(tok, ref, n_ref, &back, &back_len) == AX_OK && back_len == len &&
              memcmp(back, text, len) == 0,
          "%s: the reference ids decode back to the text", text_file);
    free(back);
    free(ids);
    free(ref);
    free(text);
}

static void test_gpt2_exact(ax_tokenizer *tok) {
    CHECK(ax_tokenizer_kind_of(tok) == AX_TOK_BPE && ax_tokenizer_vocab_size(tok) == 50257 &&
              ax_tokenizer_eot(tok) == 50256,
          "gpt2: bpe, 50257 tokens, <|endoftext|> = 50256");
    check_reference(tok, "gpt2_openai_sample.txt", "gpt2_openai_sample.ids.json"); // OpenAI's encoder.py
    check_reference(tok, "gpt2_text.txt", "gpt2_text.ids.json");                   // gpt-3-encoder, 66 KB
    static const struct {
        const char *text; // input
        int32_t ids[8];   // GPT-2 ids (from the JS reference)
        int n;            // how many
    } cases[] = {
        {"Hello world", {15496, 995}, 2},
        {"<|endoftext|>", {50256}, 1},
        {"a<|endoftext|>b", {64, 50256, 65}, 3},
        {"<|endoftext|><|endoftext|>", {50256, 50256}, 2},
        {"<|endoftext|", {27, 91, 437, 1659, 5239, 91}, 6},
        {"", {0}, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        int32_t *ids;
        size_t n;
        CHECK(ax_tokenizer_encode(tok, cases[c].text, strlen(cases[c].text), &ids, &n) == AX_OK, "encode");
        CHECK(tu_first_diff(ids, n, cases[c].ids, (size_t)cases[c].n) < 0, "ids of \"%s\" (%zu ids)", cases[c].text, n);
        free(ids);
    }
}

/* ---- the pre-tokenizer ---- */

static void check_pieces(const char *text, size_t len, const char *const *want) {
    size_t i = 0;
    int k = 0;
    bool ok = true;
    for (; i < len && want[k]; k++) {
        size_t end = gpt2_piece_end(text, len, i);
        ok = ok && end - i == strlen(want[k]) && memcmp(text + i, want[k], end - i) == 0;
        i = end;
    }
    CHECK(ok && i == len && !want[k], "pieces of \"%s\" (piece %d)", text, k);
}

#define PIECES(text, ...) check_pieces(text, sizeof text - 1, (const char *const[]){__VA_ARGS__, NULL})

static void test_pieces(void) { // expectations worked out from the regex by hand
    PIECES("Hello world", "Hello", " world");
    PIECES("  a", " ", " a");
    PIECES("a  b", "a", " ", " b");
    PIECES("x   ", "x", "   ");
    PIECES("\n\nHi", "\n", "\n", "Hi");
    PIECES("a\t\tb", "a", "\t", "\t", "b");
    PIECES("a\r\n", "a", "\r\n");
    PIECES("it's we'll've", "it", "'s", " we", "'ll", "'ve");
    PIECES("'S", "'", "S");
    PIECES("''s", "''", "s");
    PIECES(" 's", " '", "s");
    PIECES("'re'", "'re", "'");
    PIECES("' ", "'", " ");
    PIECES("abc123def", "abc", "123", "def");
    PIECES(" 42!", " 42", "!");
    PIECES("a !!?", "a", " !!?");
    PIECES("1,000", "1", ",", "000");
    PIECES("a \u3000b", "a", " ", "\u3000", "b");
    PIECES("\xc3\xa9\xe4\xb8\xad \xd9\xa3\xd9\xa4", "\xc3\xa9\xe4\xb8\xad", " \xd9\xa3\xd9\xa4"); // é中 ٣٤
    PIECES("e\u0301t", "e", "\u0301", "t");                                                       // a combining mark
    PIECES("\U0001F600\U0001F600 ok", "\U0001F600\U0001F600", " ok");
    PIECES("\ufeffx", "\ufeff", "x");             // JS \s includes U+FEFF
    PIECES("x\xc2\x85y", "x", "\xc2\x85", "y");   // ... but not U+0085
    PIECES("a\xff\xfe b", "a", "\xff\xfe", " b"); // invalid bytes are "other"
    PIECES(" \xff", " \xff");
}

static void test_unicode(void) {
    for (uint32_t cp = 0; cp < 128; cp++) { // the ASCII fast path agrees with the generated table
        int cls = UCLASS_OTHER;
        for (int r = 0; r < uclass_n_ranges; r++)
            if (cp >= uclass_ranges[r].lo && cp <= uclass_ranges[r].hi) cls = uclass_ranges[r].cls;
        CHECK(uclass_of(cp) == (uclass)cls, "class of U+%04X", cp);
    }
    CHECK(uclass_of(0x4E2D) == UCLASS_LETTER && uclass_of(0x0663) == UCLASS_NUMBER &&
              uclass_of(0x3000) == UCLASS_SPACE && uclass_of(0x0301) == UCLASS_OTHER &&
              uclass_of(0x1F600) == UCLASS_OTHER && uclass_of(0x2167) == UCLASS_NUMBER,
          "classes of 中 ٣ U+3000 U+0301 😀 Ⅷ");
    static const char *bad[] = {"\xc0\x80",         "\xc1\xbf", "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                "\xf5\x80\x80\x80", "\x80",     "\xe2\x82",     "\xf0\x9f\x98", "\xff"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        size_t len;
        CHECK(utf8_decode((const unsigned char *)bad[k], strlen(bad[k]), &len) == UTF8_INVALID && len == 1,
              "invalid UTF-8 case %zu", k);
    }
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp += cp < 0x800 ? 1 : 97) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        char buf[4];
        size_t n = utf8_encode(cp, buf), len;
        if (utf8_decode((unsigned char *)buf, n, &len) != cp || len != n) {
            CHECK(false, "UTF-8 round trip of U+%04X", cp);
            break;
        }
    }
}

/* ---- bytes ---- */

static uint64_t rng_state = 0x853C49E6748FEA9Bull;
static uint32_t rng_next(void) { // xorshift64*
    rng_state ^= rng_state >> 12, rng_state ^= rng_state << 25, rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

static void test_bytes(ax_tokenizer *tok) {
#define NASTY(s)                                                                                                       \
    { s, sizeof s - 1 }
    static const struct {
        const char *s; // bytes
        size_t len;    // how many (NULs included)
    } nasty[] = {
        NASTY("\xc0\x80"),         NASTY("\xed\xa0\x80\xed\xb0\x80"), NASTY("\xf4\x90\x80\x80"), NASTY("abc\xe2\x82"),
        NASTY("\xf0\x9f\x98"),     NASTY(" \xff\xfe\xfd x"),          NASTY("'\xffs"),           NASTY("\x00\x01\x02"),
        NASTY("<|endoftext|>\xff")};
    for (size_t k = 0; k < sizeof nasty / sizeof *nasty; k++)
        CHECK(tu_round_trip(tok, nasty[k].s, nasty[k].len), "round trip of nasty bytes %zu", k);
    char buf[2048];
    bool ok = true;
    for (int t = 0; t < 300 && ok; t++) {
        size_t len = rng_next() % sizeof buf;
        for (size_t i = 0; i < len; i++) { // half random bytes, half ASCII letters and spaces
            uint32_t r = rng_next();
            buf[i] = r & 1 ? (char)(r >> 8) : " aeiouxyz'\n"[(r >> 8) % 11];
        }
        ok = tu_round_trip(tok, buf, len);
    }
    CHECK(ok, "random bytes round-trip");
    for (int b = 0; b < 256; b++) {
        ok = ok && gpt2_cp_byte(gpt2_byte_cp(b)) == b && gpt2_byte_cp(b) >= 33 && gpt2_byte_cp(b) < 256 + 68;
        int32_t *ids;
        size_t n;
        char c = (char)b;
        ok = ok && ax_tokenizer_encode(tok, &c, 1, &ids, &n) == AX_OK && n == 1 && ids[0] == gpt2_byte_rank(b);
        free(ids);
    }
    CHECK(ok, "bytes_to_unicode is a bijection and each byte's id is its GPT-2 rank");
}

/* ---- the two merge algorithms agree ---- */

static void test_merge_algorithms(void) {
    bpe b;
    if (!CHECK(bpe_load(&b, GPT2_DIR) == AX_OK, "bpe_load: %s", ax_last_error())) return;
    int32_t scan[400], heap[400];
    bool ok = true;
    for (int t = 0; t < 400 && ok; t++) {
        int n = 1 + (int)(rng_next() % 400);
        static const char alphabet[] = "eeeeettaaoinnsshrdlu ,.\n0123'";
        for (int i = 0; i < n; i++)
            scan[i] = heap[i] = b.byte_id[(unsigned char)alphabet[rng_next() % (sizeof alphabet - 1)]];
        int ns = bpe_merge_piece_scan(&b, scan, n), nh = bpe_merge_piece_heap(&b, heap, n);
        ok = ns == nh && memcmp(scan, heap, (size_t)ns * sizeof *scan) == 0;
    }
    CHECK(ok, "rescanning and the heap merge 400 random pieces the same way");
    bpe_free(&b);
}

/* ---- files ---- */

static void test_gpt2_save_load(ax_tokenizer *tok) {
    char dir[64];
    tu_mkdtemp(dir, sizeof dir);
    char sub[128];
    snprintf(sub, sizeof sub, "%s/a/b", dir);
    ax_tokenizer *back = NULL;
    CHECK(ax_tokenizer_save(tok, sub) == AX_OK, "save: %s", ax_last_error());
    CHECK(ax_tokenizer_load(sub, &back) == AX_OK, "reload: %s", ax_last_error());
    if (back) {
        CHECK(ax_tokenizer_vocab_size(back) == 50257 && ax_tokenizer_eot(back) == 50256, "reloaded sizes");
        check_reference(back, "gpt2_text.txt", "gpt2_text.ids.json");
    }
    ax_tokenizer_free(back);
    tu_rmtree(dir);
}

int main(void) {
    ax_tokenizer *tok = NULL;
    if (!CHECK(ax_tokenizer_load("gpt2", &tok) == AX_OK, "load gpt2: %s", ax_last_error())) return check_report();
    test_gpt2_exact(tok);
    test_pieces();
    test_unicode();
    test_bytes(tok);
    test_merge_algorithms();
    test_gpt2_save_load(tok);
    ax_tokenizer_free(tok);
    return check_report();
}
