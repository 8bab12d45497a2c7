/* safetensors files (https://github.com/huggingface/safetensors): a strict, never-crashing reader and a writer
 * that produces the same bytes as the reference implementation.
 *
 * Validation follows the reference: the header is UTF-8 JSON (trailing whitespace allowed), every tensor has a
 * supported dtype, integer shape and data_offsets with end − begin = numel · dtype size, names are unique, and
 * the tensors tile the data buffer exactly: sorted by offset, each starts where the previous ended and the last
 * ends at the end of the file, so gaps, overlaps and trailing bytes are all rejected. Integers in the header
 * must be exact in a double (≤ 2^53; cJSON parses numbers as doubles). `data` pointers may be unaligned. */
#include "axon/io.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian; big-endian hosts are not supported"
#endif

#define ST_MAX_ITEMS (1 << 18)        // most tensors (and, separately, metadata pairs) a file may hold
#define ST_MAX_INT 9007199254740992.0 // 2^53: the largest integer a header number may hold exactly

static const struct {
    const char *name; // dtype string in the header
    ax_dtype dtype;   // the axon dtype
} st_dtypes[] = {{"F32", AX_F32}, {"F16", AX_F16}, {"BF16", AX_BF16}, {"I32", AX_I32}, {"I64", AX_I64}};
#define ST_N_DTYPES (int)(sizeof st_dtypes / sizeof *st_dtypes)

static int st_dtype_index(ax_dtype dtype) {
    for (int i = 0; i < ST_N_DTYPES; i++)
        if (st_dtypes[i].dtype == dtype) return i;
    return -1;
}

/* ---- helpers shared by reader and writer ---- */

static int cmp_str_ptr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* A name that occurs twice among names[0..n), or NULL; *oom is set when the scratch copy cannot be made. */
static const char *first_duplicate(const char *const *names, int n, bool *oom) {
    *oom = false;
    if (n < 2) return NULL;
    const char **sorted = malloc((size_t)n * sizeof *sorted);
    if (!sorted) {
        *oom = true;
        return NULL;
    }
    memcpy(sorted, names, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_str_ptr);
    const char *dup = NULL;
    for (int i = 1; i < n && !dup; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0) dup = sorted[i];
    free(sorted);
    return dup;
}

/* A tensor name that occurs twice in e[0..n), or NULL; *oom is set when the scratch copy cannot be made. */
static const char *duplicate_entry_name(const ax_st_entry *e, int n, bool *oom) {
    const char **names = malloc(((size_t)n + 1) * sizeof *names);
    if (!names) {
        *oom = true;
        return NULL;
    }
    for (int i = 0; i < n; i++) names[i] = e[i].name;
    const char *dup = first_duplicate(names, n, oom);
    free(names);
    return dup;
}

/* numel · elem_size of a shape, or false when it overflows 64 bits. */
static bool shape_nbytes(int ndim, const int64_t *shape, size_t elem_size, uint64_t *nbytes) {
    uint64_t n = elem_size;
    for (int d = 0; d < ndim; d++) {
        uint64_t s = (uint64_t)shape[d];
        if (s != 0 && n > UINT64_MAX / s) return false;
        n *= s;
    }
    *nbytes = n;
    return true;
}

/* ---- reading ---- */

/* Records a one-line "safetensors: ..." error; control characters (from names in the file) become '?'. */
__attribute__((format(printf, 1, 2))) static int st_error(const char *fmt, ...) {
    char msg[480];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *c = msg; *c; c++)
        if ((unsigned char)*c < 0x20) *c = '?';
    return ax_error("safetensors: %s", msg);
}

/* Is s[0..n) well-formed UTF-8 without NUL bytes (no overlongs, surrogates or code points past U+10FFFF)? */
static bool valid_utf8(const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (c == 0 || len == 0 || len > n - i) return false;
        uint32_t cp = len == 1 ? c : c & (0x7Fu >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = cp << 6 | (s[i + k] & 0x3Fu);
        }
        static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

/* A JSON number that is an integer in [0, 2^53]. */
static bool json_uint(const cJSON *v, uint64_t *out) {
    if (!cJSON_IsNumber(v)) return false;
    double x = v->valuedouble;
    if (!(x >= 0 && x <= ST_MAX_INT) || floor(x) != x) return false;
    *out = (uint64_t)x;
    return true;
}

/* Parses the 8-byte size and the JSON header; *data / *data_len is the buffer after it. */
static int parse_header(const uint8_t *buf, size_t len, cJSON **root, const uint8_t **data, size_t *data_len) {
    if (len < 8) return st_error("file is %zu bytes, shorter than the 8-byte header size", len);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | buf[i];
    if (n > AX_ST_MAX_HEADER) return st_error("header size %" PRIu64 " exceeds the %u-byte limit", n, AX_ST_MAX_HEADER);
    if (n > len - 8) return st_error("header size %" PRIu64 " runs past the end of the file (%zu bytes)", n, len);
    const char *text = (const char *)buf + 8, *end = NULL;
    if (!valid_utf8(buf + 8, (size_t)n)) return st_error("header is not valid UTF-8 (or has a NUL byte)");
    *root = cJSON_ParseWithLengthOpts(text, (size_t)n, &end, false);
    if (!*root) return st_error("header is not valid JSON");
    for (; end < text + n; end++)
        if (!strchr(" \t\r\n", *end)) return st_error("unexpected bytes after the header JSON");
    if (!cJSON_IsObject(*root)) return st_error("header is not a JSON object");
    *data = buf + 8 + n;
    *data_len = len - 8 - (size_t)n;
    return AX_OK;
}

static int parse_shape(const char *name, const cJSON *shape, ax_st_entry *e) {
    if (!cJSON_IsArray(shape)) return st_error("tensor '%s' has no shape array", name);
    int ndim = cJSON_GetArraySize(shape);
    if (ndim > AX_ST_MAX_DIMS)
        return st_error("tensor '%s' has %d dimensions (at most %d)", name, ndim, AX_ST_MAX_DIMS);
    e->ndim = 0;
    for (const cJSON *d = shape->child; d; d = d->next) {
        uint64_t size;
        if (!json_uint(d, &size))
            return st_error("tensor '%s' has a shape entry that is not an integer in [0, 2^53]", name);
        e->shape[e->ndim++] = (int64_t)size;
    }
    return AX_OK;
}

/* One tensor entry: dtype, shape, and data_offsets checked against the buffer and the shape. */
static int parse_entry(const cJSON *item, ax_st_entry *e, const uint8_t *data, size_t data_len) {
    const char *name = item->string;
    if (!cJSON_IsObject(item)) return st_error("tensor '%s' is not a JSON object", name);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    if (!cJSON_IsString(dt)) return st_error("tensor '%s' has no dtype string", name);
    int k = 0;
    while (k < ST_N_DTYPES && strcmp(st_dtypes[k].name, dt->valuestring) != 0) k++;
    if (k == ST_N_DTYPES) return st_error("tensor '%s' has unsupported dtype \"%.32s\"", name, dt->valuestring);
    e->dtype = st_dtypes[k].dtype;
    if (parse_shape(name, cJSON_GetObjectItemCaseSensitive(item, "shape"), e) != AX_OK) return AX_ERR;
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
    uint64_t begin, end, nbytes;
    if (!cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2 || !json_uint(off->child, &begin) ||
        !json_uint(off->child->next, &end))
        return st_error("tensor '%s' needs data_offsets [begin, end] of integers", name);
    if (begin > end) return st_error("tensor '%s' has begin %" PRIu64 " > end %" PRIu64, name, begin, end);
    if (end > data_len)
        return st_error("tensor '%s' ends at %" PRIu64 ", past the %zu-byte data buffer", name, end, data_len);
    if (!shape_nbytes(e->ndim, e->shape, ax_dtype_size(e->dtype), &nbytes))
        return st_error("tensor '%s' has a shape whose size overflows", name);
    if (nbytes != end - begin)
        return st_error("tensor '%s' shape needs %" PRIu64 " bytes but data_offsets span %" PRIu64, name, nbytes,
                        end - begin);
    e->name = strdup(name);
    if (!e->name) return st_error("out of memory");
    e->data = data + begin;
    e->nbytes = (size_t)nbytes;
    return AX_OK;
}

static int parse_meta(ax_safetensors *st, const cJSON *meta) {
    if (st->meta_keys) return st_error("__metadata__ appears twice");
    if (!cJSON_IsObject(meta)) return st_error("__metadata__ is not a JSON object");
    int n = cJSON_GetArraySize(meta);
    if (n > ST_MAX_ITEMS) return st_error("%d metadata pairs (at most %d)", n, ST_MAX_ITEMS);
    st->meta_keys = calloc((size_t)n + 1, sizeof *st->meta_keys);
    st->meta_values = calloc((size_t)n + 1, sizeof *st->meta_values);
    if (!st->meta_keys || !st->meta_values) return st_error("out of memory");
    for (const cJSON *kv = meta->child; kv; kv = kv->next) {
        if (!cJSON_IsString(kv)) return st_error("__metadata__ value of '%s' is not a string", kv->string);
        st->meta_keys[st->n_meta] = strdup(kv->string);
        st->meta_values[st->n_meta++] = strdup(kv->valuestring);
        if (!st->meta_keys[st->n_meta - 1] || !st->meta_values[st->n_meta - 1]) return st_error("out of memory");
    }
    bool oom;
    const char *dup = first_duplicate((const char *const *)st->meta_keys, st->n_meta, &oom);
    if (oom) return st_error("out of memory");
    return dup ? st_error("duplicate __metadata__ key '%s'", dup) : AX_OK;
}

/* Entries by data start, then size (empty tensors before the tensor they share a start with), then name. */
static int cmp_entry(const void *pa, const void *pb) {
    const ax_st_entry *a = pa, *b = pb;
    const uint8_t *da = a->data, *db = b->data;
    if (da != db) return da < db ? -1 : 1;
    if (a->nbytes != b->nbytes) return a->nbytes < b->nbytes ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* Sorts the entries by offset and checks that names are unique and the tensors tile data[0..data_len). */
static int check_layout(ax_safetensors *st, const uint8_t *data, size_t data_len) {
    bool oom;
    const char *dup = duplicate_entry_name(st->entries, st->n, &oom);
    if (oom) return st_error("out of memory");
    if (dup) return st_error("duplicate tensor '%s'", dup);
    qsort(st->entries, (size_t)st->n, sizeof *st->entries, cmp_entry);
    const uint8_t *expected = data;
    for (int i = 0; i < st->n; i++) {
        const ax_st_entry *e = &st->entries[i];
        const uint8_t *start = e->data;
        if (start != expected)
            return st_error("tensor '%s' starts at %td but the previous tensor ends at %td (%s)", e->name, start - data,
                            expected - data, start < expected ? "overlap" : "gap");
        expected += e->nbytes;
    }
    if (expected != data + data_len)
        return st_error("%td trailing data bytes are not covered by any tensor", data + data_len - expected);
    return AX_OK;
}

static int parse_root(ax_safetensors *st, const cJSON *root, const uint8_t *data, size_t data_len) {
    int n = cJSON_GetArraySize(root) - (cJSON_GetObjectItemCaseSensitive(root, "__metadata__") ? 1 : 0);
    if (n > ST_MAX_ITEMS) return st_error("%d tensors (at most %d)", n, ST_MAX_ITEMS);
    st->entries = calloc((size_t)n + 1, sizeof *st->entries);
    if (!st->entries) return st_error("out of memory");
    for (const cJSON *item = root->child; item; item = item->next) {
        bool is_meta = strcmp(item->string, "__metadata__") == 0;
        int rc = is_meta ? parse_meta(st, item) : parse_entry(item, &st->entries[st->n], data, data_len);
        if (rc != AX_OK) return rc;
        st->n += !is_meta;
    }
    return check_layout(st, data, data_len);
}

int ax_safetensors_parse(void *buf, size_t len, ax_safetensors **out) {
    *out = NULL;
    ax_safetensors *st = calloc(1, sizeof *st);
    if (!st) {
        free(buf);
        return st_error("out of memory");
    }
    st->buffer = buf;
    cJSON *root = NULL;
    const uint8_t *data = NULL;
    size_t data_len = 0;
    int rc = parse_header(buf, len, &root, &data, &data_len);
    if (rc == AX_OK) rc = parse_root(st, root, data, data_len);
    cJSON_Delete(root);
    if (rc != AX_OK) {
        ax_safetensors_free(st);
        return rc;
    }
    *out = st;
    return AX_OK;
}

int ax_safetensors_read(const char *path, ax_safetensors **out) {
    *out = NULL;
    void *buf;
    size_t len;
    if (ax_read_file(path, SIZE_MAX - 1, &buf, &len) != AX_OK) return AX_ERR;
    if (ax_safetensors_parse(buf, len, out) == AX_OK) return AX_OK;
    char why[512];
    snprintf(why, sizeof why, "%s", ax_last_error());
    return ax_error("%s: %s", path, why);
}

const ax_st_entry *ax_safetensors_find(const ax_safetensors *st, const char *name) {
    for (int i = 0; i < st->n; i++)
        if (strcmp(st->entries[i].name, name) == 0) return &st->entries[i];
    return NULL;
}

const char *ax_safetensors_meta(const ax_safetensors *st, const char *key) {
    for (int i = 0; i < st->n_meta; i++)
        if (strcmp(st->meta_keys[i], key) == 0) return st->meta_values[i];
    return NULL;
}

void ax_safetensors_free(ax_safetensors *st) {
    if (!st) return;
    for (int i = 0; i < st->n; i++) free(st->entries[i].name);
    for (int i = 0; i < st->n_meta; i++) {
        free(st->meta_keys[i]);
        free(st->meta_values[i]);
    }
    free(st->entries);
    free(st->meta_keys);
    free(st->meta_values);
    free(st->buffer);
    free(st);
}

/* ---- writing ---- */

/* A JSON string the way serde_json (the reference writer) escapes it. */
static void put_json_string(FILE *f, const char *s) {
    fputc('"', f);
    static const char special[] = "\"\\\b\f\n\r\t", letter[] = "\"\\bfnrt"; // escaped as \<letter>
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        const char *k = strchr(special, *c);
        if (k) {
            fprintf(f, "\\%c", letter[k - special]);
        } else if (*c < 0x20) {
            fprintf(f, "\\u%04x", *c);
        } else {
            fputc(*c, f);
        }
    }
    fputc('"', f);
}

/* The compact header JSON: __metadata__ first, then the tensors in order with consecutive offsets. */
static char *header_json(const ax_st_entry *e, int n, const char *const *keys, const char *const *values, int n_meta,
                         size_t *len) {
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (!f) return NULL;
    fputc('{', f);
    if (n_meta > 0) {
        fputs("\"__metadata__\":{", f);
        for (int i = 0; i < n_meta; i++) {
            if (i) fputc(',', f);
            put_json_string(f, keys[i]);
            fputc(':', f);
            put_json_string(f, values[i]);
        }
        fputc('}', f);
    }
    uint64_t offset = 0;
    for (int i = 0; i < n; i++) {
        if (i || n_meta > 0) fputc(',', f);
        put_json_string(f, e[i].name);
        fprintf(f, ":{\"dtype\":\"%s\",\"shape\":[", st_dtypes[st_dtype_index(e[i].dtype)].name);
        for (int d = 0; d < e[i].ndim; d++) fprintf(f, d ? ",%" PRId64 : "%" PRId64, e[i].shape[d]);
        fprintf(f, "],\"data_offsets\":[%" PRIu64 ",%" PRIu64 "]}", offset, offset + e[i].nbytes);
        offset += e[i].nbytes;
    }
    fputc('}', f);
    bool ok = !ferror(f);
    if (fclose(f) != 0 || !ok) {
        free(text);
        return NULL;
    }
    return text;
}

/* Writer inputs come from code, not files: a malformed entry is a programmer error. */
static void check_entries(const ax_st_entry *e, int n) {
    for (int i = 0; i < n; i++) {
        AX_ASSERT(st_dtype_index(e[i].dtype) >= 0, "safetensors: tensor '%s' has unsupported dtype %s", e[i].name,
                  ax_dtype_name(e[i].dtype));
        AX_ASSERT(e[i].ndim >= 0 && e[i].ndim <= AX_ST_MAX_DIMS, "safetensors: tensor '%s' has %d dims", e[i].name,
                  e[i].ndim);
        for (int d = 0; d < e[i].ndim; d++)
            AX_ASSERT(e[i].shape[d] >= 0, "safetensors: tensor '%s' has a negative size", e[i].name);
        uint64_t nbytes;
        AX_ASSERT(shape_nbytes(e[i].ndim, e[i].shape, ax_dtype_size(e[i].dtype), &nbytes) && nbytes == e[i].nbytes,
                  "safetensors: tensor '%s' has nbytes %zu that does not match its shape", e[i].name, e[i].nbytes);
    }
    bool oom;
    const char *dup = duplicate_entry_name(e, n, &oom);
    AX_ASSERT(!oom, "out of memory");
    AX_ASSERT(!dup, "safetensors: duplicate tensor name '%s'", dup);
}

int ax_safetensors_write(const char *path, const ax_st_entry *entries, int n, const char *const *meta_keys,
                         const char *const *meta_values, int n_meta) {
    check_entries(entries, n);
    size_t hlen;
    char *header = header_json(entries, n, meta_keys, meta_values, n_meta, &hlen);
    if (!header) return ax_error("out of memory writing %s", path);
    size_t padded = (hlen + 7) & ~(size_t)7, total = 8 + padded;
    for (int i = 0; i < n; i++) total += entries[i].nbytes;
    uint8_t *buf = malloc(total);
    if (!buf) {
        free(header);
        return ax_error("out of memory writing %s (%zu bytes)", path, total);
    }
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    memcpy(buf + 8, header, hlen);
    memset(buf + 8 + hlen, ' ', padded - hlen);
    free(header);
    uint8_t *p = buf + 8 + padded;
    for (int i = 0; i < n; i++) {
        if (entries[i].nbytes) memcpy(p, entries[i].data, entries[i].nbytes);
        p += entries[i].nbytes;
    }
    int rc = ax_write_file_atomic(path, buf, total);
    free(buf);
    return rc;
}
