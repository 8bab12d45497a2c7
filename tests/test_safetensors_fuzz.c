/* Fuzz-style robustness of ax_safetensors_parse: 10,000 random and mutated files from a fixed seed. The parser
 * must never crash or leak (CI runs this under ASan + UBSan), must fail with a one-line message, and whatever it
 * accepts must satisfy the format's invariants (checked independently here). */
#include "check.h"

#include <stdlib.h>
#include <string.h>

#define N_CASES 10000

static ax_rng rng; // fixed seed: every run feeds the same inputs

static uint32_t rnd(uint32_t n) { return ax_rng_u32(&rng) % n; }

typedef struct {
    uint8_t *p; // bytes
    size_t len; // used
    size_t cap; // allocated
} bytes;

static void put(bytes *b, const void *src, size_t n) {
    if (n == 0) return;
    if (b->len + n > b->cap) {
        b->cap = 2 * (b->len + n) + 64;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_str(bytes *b, const char *s) { put(b, s, strlen(s)); }

static void set_size(uint8_t *file, uint64_t n) {
    for (int i = 0; i < 8; i++) file[i] = (uint8_t)(n >> (8 * i));
}

/* A file: the 8-byte size of header[0..hlen), the header, then data_len random bytes. */
static bytes make_file(const uint8_t *header, size_t hlen, size_t data_len) {
    bytes b = {0};
    uint8_t size[8];
    set_size(size, hlen);
    put(&b, size, 8);
    put(&b, header, hlen);
    for (size_t i = 0; i < data_len; i++) put(&b, &(uint8_t){(uint8_t)rnd(256)}, 1);
    return b;
}

static const char *const fragments[] = {
    "{", "}", "[", "]", ":", ",", "\"", " ", "\n", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"",
    "\"F32\"", "\"F16\"", "\"BF16\"", "\"I32\"", "\"I64\"", "\"U8\"", "\"a\"", "\"b\"", "0", "1", "4", "8", "-1",
    "1.5", "-0", "1e308", "1e-300", "9007199254740993", "18446744073709551616", "true", "null", "\"\\u0000\"",
    "\"\\ud800\"", "\"x\\ny\"", "\xff", "\xc3\xa9", "\xed\xa0\x80", "[0,4]", "[1]", "[]", "{}", "\"\\\"",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
};
#define N_FRAGMENTS (sizeof fragments / sizeof *fragments)

/* Random fragments glued together. */
static bytes random_json(void) {
    bytes h = {0};
    for (uint32_t n = 1 + rnd(40); n > 0; n--) put_str(&h, fragments[rnd(N_FRAGMENTS)]);
    bytes b = make_file(h.p, h.len, rnd(64));
    free(h.p);
    return b;
}

/* A well-formed header, mostly with consistent shapes and offsets, with an occasional bad choice: this reaches
 * the deep checks (sizes, overlaps, gaps, duplicates) and makes a good share of valid files. */
static bytes random_entries(void) {
    static const char *const names[] = {"a", "b", "c", "d", "__metadata__"};
    static const char *const bad_dims[] = {"-1", "4294967296", "1e20", "2.5", "\"2\""};
    static const char *const dtypes[] = {"F32", "BF16", "I64", "F16", "I32", "F64"};
    static const uint64_t sizes[] = {4, 2, 8, 2, 4, 8};
    static const char *const offsets[] = {"[0,4]", "[2,2]", "[4,8]", "[8,4]", "[0,1e30]", "[-4,0]", "[0]"};
    bytes h = {0};
    char buf[160];
    uint64_t offset = 0;
    put_str(&h, "{");
    for (uint32_t k = rnd(5); k > 0; k--) {
        uint32_t t = rnd(64) ? rnd(5) : 5;
        snprintf(buf, sizeof buf, "\"%s\":{\"dtype\":\"%s\",\"shape\":[", names[rnd(5)], dtypes[t]);
        put_str(&h, buf);
        uint64_t numel = 1;
        for (uint32_t d = rnd(4); d > 0; d--) {
            uint32_t size = rnd(4);
            numel *= size;
            snprintf(buf, sizeof buf, "%u", size);
            put_str(&h, rnd(32) ? buf : bad_dims[rnd(5)]);
            if (d > 1) put_str(&h, ",");
        }
        uint64_t end = offset + numel * sizes[t];
        snprintf(buf, sizeof buf, "[%llu,%llu]", (unsigned long long)offset, (unsigned long long)end);
        put_str(&h, "],\"data_offsets\":");
        put_str(&h, rnd(16) ? buf : offsets[rnd(7)]);
        put_str(&h, k > 1 ? "}," : "}");
        offset = end;
    }
    put_str(&h, "}");
    for (uint32_t pad = rnd(8); pad > 0; pad--) put_str(&h, " ");
    bytes b = make_file(h.p, h.len, rnd(8) ? offset : rnd(32));
    free(h.p);
    return b;
}

/* The seed file with some bits flipped, mostly in the size and header. */
static bytes bit_flips(const bytes *seed, size_t hlen) {
    bytes b = {0};
    put(&b, seed->p, seed->len);
    for (uint32_t n = 1 + rnd(8); n > 0; n--) b.p[rnd((uint32_t)(8 + hlen))] ^= (uint8_t)(1u << rnd(8));
    return b;
}

/* The seed file cut short. */
static bytes truncation(const bytes *seed) {
    bytes b = {0};
    put(&b, seed->p, rnd((uint32_t)seed->len + 1));
    return b;
}

/* The seed file with a wrong 8-byte size: near the real one, or anything. */
static bytes bad_size(const bytes *seed, size_t hlen) {
    bytes b = {0};
    put(&b, seed->p, seed->len);
    uint64_t any = (uint64_t)ax_rng_u32(&rng) << 32 | ax_rng_u32(&rng);
    set_size(b.p, rnd(2) ? hlen + rnd(64) - 32 : any >> rnd(64));
    return b;
}

/* A span of the seed header replaced by a fragment, with the size prefix kept consistent. */
static bytes splice(const bytes *seed, size_t hlen) {
    size_t at = rnd((uint32_t)hlen), cut = rnd((uint32_t)(hlen - at) + 1);
    bytes h = {0};
    put(&h, seed->p + 8, at);
    put_str(&h, fragments[rnd(N_FRAGMENTS)]);
    put(&h, seed->p + 8 + at + cut, hlen - at - cut);
    bytes b = make_file(h.p, h.len, 0);
    put(&b, seed->p + 8 + hlen, seed->len - 8 - hlen);
    free(h.p);
    return b;
}

/* What an accepted file must satisfy: entries in bounds, sized by their shape, tiling the data exactly. */
static bool invariants_hold(const ax_safetensors *st, size_t len) {
    const uint8_t *base = st->buffer, *end = base + len, *expected = NULL;
    for (int i = 0; i < st->n; i++) {
        const ax_st_entry *e = &st->entries[i];
        uint64_t numel = 1;
        for (int d = 0; d < e->ndim; d++) numel *= (uint64_t)e->shape[d];
        const uint8_t *p = e->data;
        if (!e->name || e->ndim > AX_ST_MAX_DIMS || numel * ax_dtype_size(e->dtype) != e->nbytes) return false;
        if (p < base + 8 || p > end || e->nbytes > (size_t)(end - p) || (expected && p != expected)) return false;
        expected = p + e->nbytes;
    }
    for (int i = 0; i < st->n_meta; i++)
        if (!st->meta_keys[i] || !st->meta_values[i]) return false;
    return !expected || expected == end;
}

int main(void) {
    void *seed_buf;
    size_t seed_len;
    if (ax_read_file(AX_FIXTURE_DIR "/safetensors.safetensors", 1 << 20, &seed_buf, &seed_len) != AX_OK) return 1;
    bytes seed = {seed_buf, seed_len, seed_len};
    size_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | seed.p[i];
    ax_rng_seed(&rng, 20240601);
    int accepted = 0, bad_message = 0, broken = 0;
    for (int i = 0; i < N_CASES; i++) {
        bytes b;
        switch (i % 6) {
        case 0:
            b = random_json();
            break;
        case 1:
            b = random_entries();
            break;
        case 2:
            b = bit_flips(&seed, hlen);
            break;
        case 3:
            b = truncation(&seed);
            break;
        case 4:
            b = bad_size(&seed, hlen);
            break;
        default:
            b = splice(&seed, hlen);
            break;
        }
        size_t len = b.len;
        ax_safetensors *st;
        if (ax_safetensors_parse(b.p, len, &st) == AX_OK) {
            accepted++;
            broken += !invariants_hold(st, len);
            ax_safetensors_free(st);
        } else {
            const char *msg = ax_last_error();
            bad_message += st != NULL || !*msg || strchr(msg, '\n') != NULL;
        }
    }
    free(seed.p);
    printf("fuzz: %d of %d inputs accepted\n", accepted, N_CASES);
    CHECK(broken == 0, "%d accepted files break the format's invariants", broken);
    CHECK(bad_message == 0, "%d rejections without a one-line message", bad_message);
    CHECK(accepted > 50 && accepted < N_CASES / 2, "a mix of accepted and rejected inputs (%d accepted)", accepted);
    return check_report();
}
