/* safetensors: round trip of every dtype, the reference-format fixture (bytes and values), every rejection
 * case as a crafted buffer, atomic writes, and parameter save/load through the registry.
 * The fuzz test is tests/test_safetensors_fuzz.c. */
#include "check.h"
#include "fixture.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp_dir[64]; // scratch directory for this run, removed at the end

static const char *tmp_path(const char *name) {
    static char path[8][160];
    static int next;
    char *p = path[next++ & 7];
    snprintf(p, 160, "%s/%s", tmp_dir, name);
    return p;
}

static void *slurp(const char *path, size_t *len) {
    void *buf = NULL;
    if (ax_read_file(path, 1u << 26, &buf, len) != AX_OK) *len = 0;
    return buf;
}

static bool no_temp_files_left(void) {
    DIR *d = opendir(tmp_dir);
    bool clean = d != NULL;
    for (struct dirent *e; d && (e = readdir(d));) clean = clean && !strstr(e->d_name, ".tmp");
    if (d) closedir(d);
    return clean;
}

static bool has(const char *haystack, const char *needle) { return strstr(haystack, needle) != NULL; }

static bool same_entry(const ax_st_entry *a, const ax_st_entry *b) {
    if (strcmp(a->name, b->name) != 0 || a->dtype != b->dtype || a->ndim != b->ndim || a->nbytes != b->nbytes)
        return false;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d]) return false;
    return a->nbytes == 0 || memcmp(a->data, b->data, a->nbytes) == 0;
}

/* ---- round trip ---- */

static void test_round_trip(void) {
    static const float f32[6] = {1.5f, -2.0f, 3.25f, 0.0f, -0.0f, 1e-30f}, scalar = 42.0f;
    static const uint16_t f16[4] = {0x3C00, 0x8001, 0x7BFF, 0x7C00}, bf16[4] = {0x3F80, 0xC000, 0x0001, 0x7F80};
    static const int32_t i32[2] = {-7, 2147483647};
    static const int64_t i64[2] = {INT64_MIN, 1234567890123LL};
    ax_st_entry in[] = {
        {"f32", AX_F32, 2, {2, 3}, f32, sizeof f32},
        {"scalar", AX_F32, 0, {0}, &scalar, 4},
        {"empty", AX_F32, 2, {0, 5}, NULL, 0},
        {"f16", AX_F16, 1, {4}, f16, sizeof f16},
        {"bf16", AX_BF16, 2, {2, 2}, bf16, sizeof bf16},
        {"i32", AX_I32, 8, {1, 1, 1, 1, 1, 1, 1, 2}, i32, sizeof i32},
        {"i64 \"odd\" name", AX_I64, 1, {2}, i64, sizeof i64},
    };
    int n = (int)(sizeof in / sizeof *in);
    const char *keys[] = {"format", "note"}, *values[] = {"pt", "quote \" slash \\ newline \n tab \t \x01 é ✓"};
    const char *path = tmp_path("round.safetensors");
    CHECK(ax_safetensors_write(path, in, n, keys, values, 2) == AX_OK, "write: %s", ax_last_error());
    ax_safetensors *st;
    CHECK(ax_safetensors_read(path, &st) == AX_OK, "read back: %s", ax_last_error());
    if (!st) return;
    CHECK(st->n == n && st->n_meta == 2, "%d tensors, %d metadata", st->n, st->n_meta);
    for (int i = 0; i < n && i < st->n; i++) CHECK(same_entry(&st->entries[i], &in[i]), "entry %d (%s)", i, in[i].name);
    CHECK(ax_safetensors_find(st, "bf16") == &st->entries[4], "find bf16");
    CHECK(ax_safetensors_find(st, "nope") == NULL, "find absent");
    CHECK(strcmp(ax_safetensors_meta(st, "note"), values[1]) == 0, "metadata with escapes survives");
    CHECK(ax_safetensors_meta(st, "absent") == NULL, "absent metadata key");
    ax_safetensors_free(st);
    size_t len;
    uint8_t *raw = slurp(path, &len);
    uint64_t hlen = 0;
    for (int i = 7; raw && i >= 0; i--) hlen = hlen << 8 | raw[i];
    size_t data_len = 6 * 4 + 4 + 4 * 2 + 4 * 2 + 2 * 4 + 2 * 8;
    CHECK(hlen % 8 == 0 && len == 8 + hlen + data_len, "header padded to 8 (%llu), %zu bytes", (unsigned long long)hlen,
          len);
    free(raw);
    CHECK(no_temp_files_left(), "no temp file after a successful write");
}

/* ---- the reference-format fixture ---- */

static void check_f32_entry(fx *f, const ax_safetensors *st, const char *name) {
    const ax_st_entry *e = ax_safetensors_find(st, name);
    ax_tensor *want = fx_get(f, "values", name);
    if (!CHECK(e && e->dtype == AX_F32 && e->ndim == want->ndim, "%s: f32 of rank %d", name, want->ndim)) return;
    CHECK_CLOSE(ax_from_f32(e->ndim, e->shape, e->data), want, 0, 0);
}

static void test_reference_file(fx *f) {
    const char *path = AX_FIXTURE_DIR "/safetensors.safetensors";
    ax_safetensors *st;
    if (!CHECK(ax_safetensors_read(path, &st) == AX_OK, "read fixture: %s", ax_last_error())) return;
    static const char *order[] = {"ids", "counts", "empty", "scale", "weight", "emb", "half"}; // by offset
    CHECK(st->n == 7, "7 tensors, got %d", st->n);
    for (int i = 0; i < 7 && i < st->n; i++) CHECK(strcmp(st->entries[i].name, order[i]) == 0, "entry %d", i);
    CHECK(ax_safetensors_meta(st, "format") && strcmp(ax_safetensors_meta(st, "format"), "pt") == 0, "format");
    check_f32_entry(f, st, "weight");
    check_f32_entry(f, st, "scale");
    check_f32_entry(f, st, "empty");
    const ax_st_entry *ids = ax_safetensors_find(st, "ids"), *counts = ax_safetensors_find(st, "counts");
    const ax_st_entry *emb = ax_safetensors_find(st, "emb"), *half = ax_safetensors_find(st, "half");
    static const int64_t want_ids[4] = {-1, 0, (1LL << 40) + 7, -(1LL << 62)};
    CHECK(ids && ids->dtype == AX_I64 && memcmp(ids->data, want_ids, sizeof want_ids) == 0, "I64 ids");
    ax_tensor *want_counts = fx_get(f, "values", "counts");
    CHECK(counts && counts->dtype == AX_I32 && memcmp(counts->data, want_counts->data, 8) == 0, "I32 counts");
    ax_tensor *want_emb = fx_get(f, "values", "emb");
    bool emb_ok = emb && emb->dtype == AX_BF16 && emb->nbytes == 8;
    for (int i = 0; emb_ok && i < 4; i++) { // bf16 is the top half of the float32 (the fixture values are exact)
        uint32_t bits;
        memcpy(&bits, &ax_f32(want_emb)[i], 4);
        emb_ok = ((const uint16_t *)emb->data)[i] == bits >> 16;
    }
    CHECK(emb_ok, "BF16 emb bits");
    CHECK(half && half->dtype == AX_F16 && half->ndim == 1 && half->shape[0] == 6, "F16 half (values: params test)");
    // Writing the entries back in offset order reproduces the reference writer's bytes exactly.
    const char *copy = tmp_path("copy.safetensors");
    const char *key = "format", *value = "pt";
    CHECK(ax_safetensors_write(copy, st->entries, st->n, &key, &value, 1) == AX_OK, "rewrite: %s", ax_last_error());
    size_t la, lb;
    void *a = slurp(path, &la), *b = slurp(copy, &lb);
    CHECK(la == lb && memcmp(a, b, la) == 0, "rewrite is byte-identical to the reference (%zu vs %zu bytes)", lb, la);
    free(a);
    free(b);
    ax_safetensors_free(st);
}

/* ---- rejections ---- */

/* A malloc'd file: the 8-byte size, the header (' stands for "), then data_len zero bytes. */
static void *craft(const char *header, size_t hlen, size_t data_len, size_t *len) {
    *len = 8 + hlen + data_len;
    uint8_t *buf = calloc(1, *len);
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
    for (size_t i = 0; i < hlen; i++) buf[8 + i] = header[i] == '\'' ? '"' : (uint8_t)header[i];
    return buf;
}

static void expect_parse(void *buf, size_t len, const char *want_error, const char *what) {
    static ax_safetensors sentinel; // parse must overwrite it with NULL on failure
    ax_safetensors *st = &sentinel;
    int rc = ax_safetensors_parse(buf, len, &st);
    if (!CHECK(st != &sentinel, "%s: *out left unset", what)) return;
    if (!want_error) {
        CHECK(rc == AX_OK && st, "%s: accepted (%s)", what, ax_last_error());
    } else {
        const char *msg = ax_last_error();
        CHECK(rc == AX_ERR && !st && has(msg, want_error) && !strchr(msg, '\n'), "%s: want error with \"%s\", got %s",
              what, want_error, rc == AX_OK ? "success" : msg);
    }
    ax_safetensors_free(st);
}

#define F4(name, off) "'" name "':{'dtype':'F32','shape':[1],'data_offsets':" off "}"

static void test_rejections(void) {
    static const struct {
        const char *header; // JSON with ' for "
        size_t data_len;    // zero bytes after the header
        const char *error;  // expected substring of the message, NULL when the file is valid
    } cases[] = {
        {"{'a':", 0, "not valid JSON"},
        {"[1,2]", 0, "not a JSON object"},
        {"{} x", 0, "after the header JSON"},
        {"{'a':3}", 0, "'a' is not a JSON object"},
        {"{'a':{'shape':[1],'data_offsets':[0,4]}}", 4, "no dtype"},
        {"{'a':{'dtype':5,'shape':[1],'data_offsets':[0,4]}}", 4, "no dtype"},
        {"{'a':{'dtype':'F64','shape':[1],'data_offsets':[0,8]}}", 8, "unsupported dtype \"F64\""},
        {"{'a':{'dtype':'F32','data_offsets':[0,4]}}", 4, "no shape"},
        {"{'a':{'dtype':'F32','shape':4,'data_offsets':[0,4]}}", 4, "no shape"},
        {"{'a':{'dtype':'F32','shape':[-1],'data_offsets':[0,4]}}", 4, "not an integer"},
        {"{'a':{'dtype':'F32','shape':[1.5],'data_offsets':[0,4]}}", 4, "not an integer"},
        {"{'a':{'dtype':'F32','shape':['1'],'data_offsets':[0,4]}}", 4, "not an integer"},
        {"{'a':{'dtype':'F32','shape':[1e300],'data_offsets':[0,4]}}", 4, "not an integer"},
        {"{'a':{'dtype':'I64','shape':[4294967296,4294967296,4],'data_offsets':[0,0]}}", 0, "overflows"},
        {"{'a':{'dtype':'F32','shape':[1,1,1,1,1,1,1,1,1],'data_offsets':[0,4]}}", 4, "9 dimensions"},
        {"{'a':{'dtype':'F32','shape':[1]}}", 4, "data_offsets"},
        {"{'a':{'dtype':'F32','shape':[1],'data_offsets':[0]}}", 4, "data_offsets"},
        {"{'a':{'dtype':'F32','shape':[1],'data_offsets':['0','4']}}", 4, "data_offsets"},
        {"{'a':{'dtype':'F32','shape':[1],'data_offsets':[-4,0]}}", 4, "data_offsets"},
        {"{'a':{'dtype':'F32','shape':[0],'data_offsets':[4,0]}}", 4, "begin 4 > end 0"},
        {"{" F4("a", "[0,8]") "}", 4, "past the 4-byte data buffer"},
        {"{'a':{'dtype':'F32','shape':[2],'data_offsets':[0,4]}}", 4, "needs 8 bytes"},
        {"{'a':{'dtype':'F32','shape':[2],'data_offsets':[0,8]},'b':{'dtype':'F32','shape':[2],'data_offsets':[4,12]}}",
         12, "(overlap)"},
        {"{" F4("a", "[0,4]") "," F4("b", "[0,4]") "}", 4, "(overlap)"},
        {"{" F4("a", "[0,4]") "," F4("b", "[8,12]") "}", 12, "(gap)"},
        {"{" F4("a", "[4,8]") "}", 8, "(gap)"},
        {"{" F4("a", "[0,4]") "}", 8, "4 trailing data bytes"},
        {"{}", 1, "1 trailing data bytes"},
        {"{" F4("a", "[0,4]") "," F4("a", "[4,8]") "}", 8, "duplicate tensor 'a'"},
        {"{'__metadata__':[]}", 0, "__metadata__ is not a JSON object"},
        {"{'__metadata__':{'k':1}}", 0, "value of 'k' is not a string"},
        {"{'__metadata__':{'k':'v','k':'w'}}", 0, "duplicate __metadata__ key 'k'"},
        {"{'__metadata__':{},'__metadata__':{}}", 0, "twice"},
        // valid files, to show the checks are not stricter than the format
        {"{}", 0, NULL},
        {"{}  \n\t\r  ", 0, NULL},
        {"{'__metadata__':{}}", 0, NULL},
        {"{" F4("b", "[4,8]") ",'e':{'dtype':'I64','shape':[3,0],'data_offsets':[4,4]}," F4("a", "[0,4]") "}", 8, NULL},
        {"{'s':{'dtype':'BF16','shape':[],'data_offsets':[0,2],'extra':[1]}}", 2, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len;
        void *buf = craft(cases[i].header, strlen(cases[i].header), cases[i].data_len, &len);
        expect_parse(buf, len, cases[i].error, cases[i].header);
    }
    size_t len;
#define CRAFT(literal) craft(literal, sizeof literal - 1, 0, &len)
    void *buf = CRAFT("{'\xff':1}");
    expect_parse(buf, len, "not valid UTF-8", "invalid UTF-8");
    buf = CRAFT("{'a\0':1}");
    expect_parse(buf, len, "NUL", "NUL byte");
    buf = CRAFT("{'\xed\xa0\x80':1}"); // a UTF-16 surrogate encoded as UTF-8
    expect_parse(buf, len, "not valid UTF-8", "surrogate");
    expect_parse(calloc(1, 5), 5, "shorter than the 8-byte", "5-byte file");
    expect_parse(NULL, 0, "shorter than the 8-byte", "empty file");
    static const uint64_t bad_sizes[] = {AX_ST_MAX_HEADER + 1u, UINT64_MAX, 100};
    static const char *bad_size_errors[] = {"exceeds the", "exceeds the", "past the end of the file"};
    for (int i = 0; i < 3; i++) {
        buf = craft("{}", 2, 40, &len);
        for (int b = 0; b < 8; b++) ((uint8_t *)buf)[b] = (uint8_t)(bad_sizes[i] >> (8 * b));
        expect_parse(buf, len, bad_size_errors[i], "bad size prefix");
    }
    size_t cap = 16u << 20, n = 0; // one more tensor than the limit allows (never parsed: rejected by count)
    char *many = malloc(cap);
    n += (size_t)sprintf(many, "{");
    for (int i = 0; i <= (1 << 18); i++) n += (size_t)sprintf(many + n, "%s'%d':0", i ? "," : "", i);
    n += (size_t)sprintf(many + n, "}");
    buf = craft(many, n, 0, &len);
    free(many);
    expect_parse(buf, len, "262145 tensors", "too many tensors");
}

/* ---- atomic writes ---- */

static void test_atomic_write(void) {
    static const float old_data[2] = {1, 2}, new_data[3] = {3, 4, 5};
    const ax_st_entry old_e = {"x", AX_F32, 1, {2}, old_data, 8}, new_e = {"x", AX_F32, 1, {3}, new_data, 12};
    const char *path = tmp_path("atomic.safetensors");
    CHECK(ax_safetensors_write(path, &old_e, 1, NULL, NULL, 0) == AX_OK, "write: %s", ax_last_error());
    size_t old_len;
    void *old_bytes = slurp(path, &old_len);

    CHECK(ax_safetensors_write(tmp_path("missing/x.safetensors"), &new_e, 1, NULL, NULL, 0) == AX_ERR &&
              has(ax_last_error(), "missing/x.safetensors"),
          "writing into a missing directory fails: %s", ax_last_error());
    char blocker[200]; // a directory where the temp file would go (src/io/file.c names it path.tmp<pid>)
    snprintf(blocker, sizeof blocker, "%s.tmp%d", path, (int)getpid());
    CHECK(mkdir(blocker, 0700) == 0, "mkdir %s", blocker);
    CHECK(ax_safetensors_write(path, &new_e, 1, NULL, NULL, 0) == AX_ERR, "temp file cannot be created");
    rmdir(blocker);
    const char *dir = tmp_path("dir.safetensors"), *inner = tmp_path("dir.safetensors/inner");
    CHECK(mkdir(dir, 0700) == 0 && ax_write_file_atomic(inner, "x", 1) == AX_OK, "make a non-empty directory");
    CHECK(ax_safetensors_write(dir, &new_e, 1, NULL, NULL, 0) == AX_ERR, "rename onto a directory fails");
    remove(inner);
    rmdir(dir);
    struct stat dev;
    CHECK(ax_write_file_atomic("/dev/null", "x", 1) == AX_OK && stat("/dev/null", &dev) == 0 && S_ISCHR(dev.st_mode),
          "a device is written in place, never replaced by a file");
    size_t len;
    void *bytes = slurp(path, &len);
    CHECK(len == old_len && memcmp(bytes, old_bytes, len) == 0, "old file intact after failed writes");
    CHECK(no_temp_files_left(), "no temp file left after failed writes");
    free(bytes);
    free(old_bytes);

    CHECK(ax_safetensors_write(path, &new_e, 1, NULL, NULL, 0) == AX_OK, "overwrite: %s", ax_last_error());
    ax_safetensors *st;
    CHECK(ax_safetensors_read(path, &st) == AX_OK && same_entry(&st->entries[0], &new_e), "overwritten content");
    ax_safetensors_free(st);
    CHECK(ax_safetensors_read(tmp_path("absent.safetensors"), &st) == AX_ERR && !st &&
              has(ax_last_error(), "absent.safetensors"),
          "reading a missing file: %s", ax_last_error());
}

/* ---- parameters ---- */

/* A registry "layer.weight" (3, 2), "layer.bias" (3), "scale" (); `skip` leaves one name out, `extra` adds one. */
static ax_params *make_params(const char *skip, const char *extra, int64_t w_rows) {
    ax_params *p = ax_params_new();
    if (!skip || strcmp(skip, "layer.weight") != 0) ax_params_add(p, "layer.weight", AX_SHAPE(w_rows, 2));
    if (!skip || strcmp(skip, "layer.bias") != 0) ax_params_add(p, "layer.bias", AX_SHAPE(3));
    if (!skip || strcmp(skip, "scale") != 0) ax_params_add(p, "scale", 0, NULL);
    if (extra) ax_params_add(p, extra, AX_SHAPE(1));
    return p;
}

static bool params_equal(const ax_params *a, const ax_params *b) {
    if (a->n != b->n) return false;
    for (int i = 0; i < a->n; i++) {
        const ax_tensor *x = a->items[i].t, *y = ax_params_get(b, a->items[i].name);
        if (!y || !ax_same_shape(x, y) || memcmp(x->data, y->data, (size_t)ax_numel(x) * 4) != 0) return false;
    }
    return true;
}

static void expect_load_error(ax_params *p, const char *path, const char *want) {
    CHECK(ax_params_load(p, path) == AX_ERR && has(ax_last_error(), want), "want load error \"%s\", got \"%s\"", want,
          ax_last_error());
    for (int i = 0; i < p->n; i++)
        for (int64_t k = 0; k < ax_numel(p->items[i].t); k++)
            CHECK(ax_f32(p->items[i].t)[k] == 0, "failed load leaves '%s' untouched", p->items[i].name);
    ax_params_free(p);
}

static void test_params(void) {
    ax_params *src = make_params(NULL, NULL, 3), *dst = make_params(NULL, NULL, 3);
    ax_rng rng;
    ax_rng_seed(&rng, 7);
    for (int i = 0; i < src->n; i++)
        for (int64_t k = 0; k < ax_numel(src->items[i].t); k++) ax_f32(src->items[i].t)[k] = (float)ax_rng_normal(&rng);
    const char *path = tmp_path("params.safetensors");
    CHECK(ax_params_save(src, path) == AX_OK, "save: %s", ax_last_error());
    CHECK(ax_params_load(dst, path) == AX_OK && params_equal(src, dst), "load: %s", ax_last_error());
    ax_safetensors *st;
    CHECK(ax_safetensors_read(path, &st) == AX_OK && st->n == 3 && strcmp(st->entries[0].name, "layer.weight") == 0 &&
              st->entries[0].dtype == AX_F32 && strcmp(ax_safetensors_meta(st, "format"), "pt") == 0,
          "saved as F32 in registration order with format=pt");
    ax_safetensors_free(st);
    ax_params_free(src);
    ax_params_free(dst);

    expect_load_error(make_params(NULL, "head.bias", 3), path,
                      "missing tensor 'head.bias' (the model expects shape (1))");
    expect_load_error(make_params(NULL, NULL, 4), path,
                      "tensor 'layer.weight' has shape (3, 2) in the file but the model expects (4, 2)");
    expect_load_error(make_params("scale", NULL, 3), path, "unexpected tensor 'scale' ()");
    expect_load_error(make_params(NULL, NULL, 3), tmp_path("absent.safetensors"), "absent.safetensors");
    static const int32_t ints[1] = {1};
    const ax_st_entry int_e = {"head.bias", AX_I32, 1, {1}, ints, 4};
    const char *int_path = tmp_path("ints.safetensors");
    CHECK(ax_safetensors_write(int_path, &int_e, 1, NULL, NULL, 0) == AX_OK, "write ints");
    ax_params *p = ax_params_new();
    ax_params_add(p, "head.bias", AX_SHAPE(1));
    expect_load_error(p, int_path, "dtype i32");
}

/* BF16 and F16 tensors of the reference fixture load as the float32 values PyTorch gives them. */
static void test_params_half(fx *f) {
    ax_safetensors *ref;
    if (!CHECK(ax_safetensors_read(AX_FIXTURE_DIR "/safetensors.safetensors", &ref) == AX_OK, "read fixture")) return;
    static const char *names[] = {"emb", "half", "weight", "scale"};
    ax_st_entry picked[4];
    ax_params *p = ax_params_new();
    for (int i = 0; i < 4; i++) {
        picked[i] = *ax_safetensors_find(ref, names[i]);
        ax_params_add(p, names[i], picked[i].ndim, picked[i].shape);
    }
    const char *path = tmp_path("half.safetensors");
    CHECK(ax_safetensors_write(path, picked, 4, NULL, NULL, 0) == AX_OK, "write: %s", ax_last_error());
    CHECK(ax_params_load(p, path) == AX_OK, "load: %s", ax_last_error());
    for (int i = 0; i < 4; i++) CHECK_CLOSE(ax_params_get(p, names[i]), fx_get(f, "values", names[i]), 0, 0);
    ax_params_free(p);
    ax_safetensors_free(ref);

    // F16 specials: ±inf, NaN, −0, smallest and largest subnormal, smallest normal, 1/3 rounded.
    static const uint16_t h[8] = {0x7C00, 0xFC00, 0x7E00, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3555};
    const float want[8] = {INFINITY, -INFINITY, NAN, -0.0f, 0x1p-24f, 0x3FFp-24f, 0x1p-14f, 0.333251953125f};
    const ax_st_entry e = {"h", AX_F16, 1, {8}, h, sizeof h};
    CHECK(ax_safetensors_write(path, &e, 1, NULL, NULL, 0) == AX_OK, "write f16");
    p = ax_params_new();
    const float *got = ax_f32(ax_params_add(p, "h", AX_SHAPE(8)));
    CHECK(ax_params_load(p, path) == AX_OK, "load f16: %s", ax_last_error());
    for (int i = 0; i < 8; i++)
        CHECK(i == 2 ? isnan(got[i]) : memcmp(&got[i], &want[i], 4) == 0, "f16 0x%04x -> %g", h[i], got[i]);
    ax_params_free(p);
}

int main(void) {
    snprintf(tmp_dir, sizeof tmp_dir, "st_test_XXXXXX");
    if (!mkdtemp(tmp_dir)) return 1;
    fx *f = fx_open("safetensors");
    test_round_trip();
    test_reference_file(f);
    test_rejections();
    test_atomic_write();
    test_params();
    test_params_half(f);
    fx_close(f);
    static const char *files[] = {"round.safetensors",  "copy.safetensors", "atomic.safetensors",
                                  "params.safetensors", "ints.safetensors", "half.safetensors"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) remove(tmp_path(files[i]));
    CHECK(rmdir(tmp_dir) == 0, "every scratch file accounted for");
    ax_arena_reset();
    return check_report();
}
