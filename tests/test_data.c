/* Data: the IDX reader on the committed Fashion-MNIST slice (gzip) and on raw copies, every rejection on
 * crafted files (bad magic, element type, dimension count, zero and huge sizes, truncated header and data,
 * trailing bytes, corrupt gzip), image sets (count mismatch, wrong dimensionality, file-name variants),
 * batching, shuffling and the PGM reader. */
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define SLICE AX_FIXTURE_DIR "/fashion-mnist-slice"

static char tmp_dir[64]; // scratch directory for this run

static const char *tmp_path(const char *name) {
    static char path[8][200];
    static int next;
    char *p = path[next++ & 7];
    snprintf(p, 200, "%s/%s", tmp_dir, name);
    return p;
}

static void write_bytes(const char *path, const void *data, size_t len, bool gz) {
    if (gz) {
        gzFile f = gzopen(path, "wb");
        CHECK(f && gzwrite(f, data, (unsigned)len) == (int)len && gzclose(f) == Z_OK, "gzip-writing %s", path);
        return;
    }
    FILE *fp = fopen(path, "wb");
    CHECK(fp && fwrite(data, 1, len, fp) == len && fclose(fp) == 0, "writing %s", path);
}

// an IDX header for ndim dims followed by `payload` bytes of value 7 (payload may differ from the dims)
static size_t make_idx(uint8_t *buf, uint8_t type, int ndim, const uint32_t *dims, size_t payload) {
    size_t n = 0;
    buf[n++] = 0, buf[n++] = 0, buf[n++] = type, buf[n++] = (uint8_t)ndim;
    for (int d = 0; d < ndim; d++)
        for (int b = 3; b >= 0; b--) buf[n++] = (uint8_t)(dims[d] >> (8 * b));
    memset(buf + n, 7, payload);
    return n + payload;
}

static bool one_line(const char *msg) { return *msg && !strchr(msg, '\n'); }

// ax_idx_read of bytes written to a file must fail with a message containing `want`
static void expect_idx_error(const char *what, const uint8_t *bytes, size_t len, bool gz, const char *want) {
    const char *path = tmp_path(gz ? "bad.gz" : "bad.idx");
    write_bytes(path, bytes, len, gz);
    ax_idx x;
    int rc = ax_idx_read(path, &x);
    CHECK(rc == AX_ERR && strstr(ax_last_error(), want) && one_line(ax_last_error()) && x.data == NULL,
          "%s (%s): rc %d, message '%s', want '%s'", what, gz ? "gz" : "raw", rc, ax_last_error(), want);
}

static void test_slice(void) {
    ax_image_set s;
    CHECK(ax_image_set_load_split(SLICE, "train", &s) == AX_OK, "load slice: %s", ax_last_error());
    CHECK(s.n == 500 && s.rows == 28 && s.cols == 28 && s.n_classes == 10, "slice %lld × %lld × %lld, %d classes",
          (long long)s.n, (long long)s.rows, (long long)s.cols, s.n_classes);
    int count[10] = {0};
    for (int64_t i = 0; i < s.n; i++) count[s.labels[i]]++;
    for (int c = 0; c < 10; c++) CHECK(count[c] == 50, "class %d has %d images", c, count[c]);
    // batching: pixel / 255 and the labels, in the order asked
    int64_t idx[2] = {3, 0};
    float x[2 * 784];
    int32_t y[2];
    ax_image_set_batch(&s, idx, 2, x, y);
    CHECK(y[0] == s.labels[3] && y[1] == s.labels[0], "batch labels %d %d", y[0], y[1]);
    bool same = true;
    for (int j = 0; j < 784; j++)
        same = same && x[784 + j] == s.images[j] / 255.0f && x[j] == s.images[3 * 784 + j] / 255.0f;
    CHECK(same, "batch pixels are pixel / 255 in index order");

    // the same file uncompressed, under the other naming ("train-images.idx3-ubyte") reads the same
    gzFile f = gzopen(SLICE "/train-images-idx3-ubyte.gz", "rb");
    static uint8_t raw[500 * 784 + 16];
    int got = gzread(f, raw, sizeof raw);
    gzclose(f);
    write_bytes(tmp_path("train-images.idx3-ubyte"), raw, (size_t)got, false);
    uint8_t labels[8 + 500];
    f = gzopen(SLICE "/train-labels-idx1-ubyte.gz", "rb");
    int got_labels = gzread(f, labels, sizeof labels);
    gzclose(f);
    write_bytes(tmp_path("train-labels.idx1-ubyte"), labels, (size_t)got_labels, false);
    ax_image_set r;
    CHECK(ax_image_set_load_split(tmp_dir, "train", &r) == AX_OK, "raw split: %s", ax_last_error());
    CHECK(r.n == s.n && memcmp(r.images, s.images, (size_t)(s.n * 784)) == 0 && memcmp(r.labels, s.labels, 500) == 0,
          "raw and gzip files read the same");
    ax_image_set_free(&r);
    ax_image_set_free(&s);
    CHECK(s.images == NULL && s.n == 0, "free clears the set");
}

static void test_idx_errors(void) {
    static uint8_t buf[1 << 16];
    const uint32_t dims3[3] = {2, 3, 4}, huge[3] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, claim[3] = {60000, 28, 28};
    for (int gz = 0; gz < 2; gz++) {
        size_t n = make_idx(buf, 0x08, 3, dims3, 24);
        buf[0] = 0x1F;
        expect_idx_error("bad magic", buf, n, gz, "not an IDX file");
        n = make_idx(buf, 0x0D, 3, dims3, 24 * 4);
        expect_idx_error("float elements", buf, n, gz, "element type 0x0d");
        n = make_idx(buf, 0x08, 0, dims3, 0);
        expect_idx_error("0 dimensions", buf, n, gz, "declares 0 dimensions");
        n = make_idx(buf, 0x08, 3, dims3, 24);
        buf[3] = 9;
        expect_idx_error("9 dimensions", buf, n, gz, "declares 9 dimensions");
        expect_idx_error("truncated header", buf, 2, gz, "truncated IDX header");
        n = make_idx(buf, 0x08, 3, dims3, 0);
        expect_idx_error("sizes cut off", buf, n - 3, gz, "dimension sizes missing");
        n = make_idx(buf, 0x08, 3, dims3, 23);
        expect_idx_error("truncated data", buf, n, gz, "truncated IDX data (23 of 24 bytes)");
        n = make_idx(buf, 0x08, 3, dims3, 25);
        expect_idx_error("trailing bytes", buf, n, gz, "unexpected bytes after");
        n = make_idx(buf, 0x08, 3, (const uint32_t[]){2, 0, 4}, 0);
        expect_idx_error("zero size", buf, n, gz, "dimension 1 has size 0");
        n = make_idx(buf, 0x08, 3, huge, 100);
        expect_idx_error("huge dimensions", buf, n, gz, "too large");
        n = make_idx(buf, 0x08, 3, claim, 1000); // plausible dims, tiny file: fails without reading 47 MB
        expect_idx_error("claims 60000 images", buf, n, gz, "truncated IDX data (1000 of 47040000 bytes)");
    }
    // a gzip stream cut in the middle, and one with its deflate data damaged
    size_t n = make_idx(buf, 0x08, 3, (const uint32_t[]){50, 28, 28}, 50 * 784);
    for (size_t i = 16; i < n; i++) buf[i] = (uint8_t)(i * 2654435761u >> 13);
    write_bytes(tmp_path("full.gz"), buf, n, true);
    void *gzdata;
    size_t gzlen;
    CHECK(ax_read_file(tmp_path("full.gz"), 1 << 20, &gzdata, &gzlen) == AX_OK, "reading back full.gz");
    write_bytes(tmp_path("cut.gz"), gzdata, gzlen / 2, false);
    ax_idx x;
    CHECK(ax_idx_read(tmp_path("cut.gz"), &x) == AX_ERR && one_line(ax_last_error()), "cut gzip: %s", ax_last_error());
    for (size_t i = 20; i < gzlen - 8; i += 7) ((uint8_t *)gzdata)[i] ^= 0x5A;
    write_bytes(tmp_path("damaged.gz"), gzdata, gzlen, false);
    CHECK(ax_idx_read(tmp_path("damaged.gz"), &x) == AX_ERR && one_line(ax_last_error()), "damaged gzip: %s",
          ax_last_error());
    free(gzdata);
    CHECK(ax_idx_read(tmp_path("missing.gz"), &x) == AX_ERR && strstr(ax_last_error(), "cannot open"),
          "missing file: %s", ax_last_error());
}

static void test_image_set_errors(void) {
    static uint8_t buf[4096];
    size_t n = make_idx(buf, 0x08, 3, (const uint32_t[]){5, 2, 2}, 20);
    write_bytes(tmp_path("img5"), buf, n, false);
    n = make_idx(buf, 0x08, 1, (const uint32_t[]){4}, 4);
    write_bytes(tmp_path("lab4"), buf, n, false);
    ax_image_set s;
    CHECK(ax_image_set_load(tmp_path("img5"), tmp_path("lab4"), &s) == AX_ERR &&
              strstr(ax_last_error(), "4 labels for 5 images") && s.images == NULL,
          "count mismatch: %s", ax_last_error());
    CHECK(ax_image_set_load(tmp_path("lab4"), NULL, &s) == AX_ERR && strstr(ax_last_error(), "has 1"),
          "labels as images: %s", ax_last_error());
    CHECK(ax_image_set_load(tmp_path("img5"), tmp_path("img5"), &s) == AX_ERR && strstr(ax_last_error(), "has 3"),
          "images as labels: %s", ax_last_error());
    CHECK(ax_image_set_load(tmp_path("img5"), NULL, &s) == AX_OK && s.n == 5 && !s.labels && s.n_classes == 0,
          "unlabelled set: %s", ax_last_error());
    ax_image_set_free(&s);
    CHECK(ax_image_set_load_split(tmp_path("nowhere"), "train", &s) == AX_ERR &&
              strstr(ax_last_error(), "no train images in") && one_line(ax_last_error()),
          "missing split: %s", ax_last_error());
}

static void test_shuffle(void) {
    int64_t a[100], b[100], c[100];
    ax_rng r;
    ax_rng_seed(&r, 7);
    ax_permutation(&r, a, 100);
    ax_rng_seed(&r, 7);
    ax_permutation(&r, b, 100);
    ax_rng_seed(&r, 8);
    ax_permutation(&r, c, 100);
    bool seen[100] = {false}, moved = false;
    for (int i = 0; i < 100; i++) seen[a[i]] = true, moved = moved || a[i] != i;
    bool all = true;
    for (int i = 0; i < 100; i++) all = all && seen[i];
    CHECK(all && moved, "a permutation of 0..99 that moves something");
    CHECK(memcmp(a, b, sizeof a) == 0 && memcmp(a, c, sizeof a) != 0, "same seed, same order; other seed, other order");
    int64_t sum = 0;
    ax_shuffle(&r, a, 100);
    for (int i = 0; i < 100; i++) sum += a[i];
    CHECK(sum == 4950, "shuffle keeps the elements");
    // uniformity: position 0 of a 3-element shuffle takes each value about a third of the time
    int hits[3] = {0};
    for (int t = 0; t < 3000; t++) {
        int64_t v[3] = {0, 1, 2};
        ax_shuffle(&r, v, 3);
        hits[v[0]]++;
    }
    for (int k = 0; k < 3; k++) CHECK(hits[k] > 850 && hits[k] < 1150, "value %d first %d / 3000 times", k, hits[k]);
}

static void expect_pgm(const char *what, const char *text, size_t len, const char *want) {
    write_bytes(tmp_path("img.pgm"), text, len, false);
    ax_image_set s;
    int rc = ax_pgm_read(tmp_path("img.pgm"), &s);
    CHECK(rc == AX_ERR && strstr(ax_last_error(), want) && one_line(ax_last_error()), "%s: rc %d, '%s'", what, rc,
          ax_last_error());
}

static void test_pgm(void) {
    const char p2[] = "P2\n# a comment\n3 2\n15\n0 15 7\n1 2 3\n";
    write_bytes(tmp_path("a.pgm"), p2, sizeof p2 - 1, false);
    ax_image_set s;
    CHECK(ax_pgm_read(tmp_path("a.pgm"), &s) == AX_OK && s.n == 1 && s.rows == 2 && s.cols == 3 && !s.labels,
          "P2: %s", ax_last_error());
    CHECK(s.images[0] == 0 && s.images[1] == 255 && s.images[2] == 119 && s.images[5] == 51, "P2 scaled to 0..255");
    ax_image_set_free(&s);
    const char p5[] = "P5 2 1 65535\n\x80\x00\xff\xff";
    write_bytes(tmp_path("b.pgm"), p5, sizeof p5 - 1, false);
    CHECK(ax_pgm_read(tmp_path("b.pgm"), &s) == AX_OK && s.images[0] == 128 && s.images[1] == 255,
          "16-bit P5: %s", ax_last_error());
    ax_image_set_free(&s);
    expect_pgm("PNG bytes", "\x89PNG\r\n", 6, "not a PGM image");
    expect_pgm("no size", "P5\n", 3, "bad PGM size");
    expect_pgm("zero width", "P5 0 2 255\n", 11, "bad PGM size");
    expect_pgm("huge", "P5 99999999 2 255\n", 18, "bad PGM size");
    expect_pgm("no maxval", "P5 2 2\n", 7, "bad PGM maxval");
    expect_pgm("truncated", "P5 2 2 255\n\x01\x02\x03", 14, "truncated PGM data (3 of 4 bytes)");
    expect_pgm("sample above maxval", "P2 2 1 10\n3 11\n", 15, "above maxval 10");
    expect_pgm("missing sample", "P2 2 1 10\n3\n", 12, "sample 1 is missing");
}

// the full data set when Debian's dataset-fashion-mnist is installed (CI installs it); skipped otherwise
static void test_installed_dataset(void) {
    const char *dir = "/usr/share/datasets/fashion-mnist";
    FILE *probe = fopen("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", "rb");
    if (!probe) {
        printf("dataset-fashion-mnist not installed: full-data checks skipped\n");
        return;
    }
    fclose(probe);
    ax_image_set train, test;
    CHECK(ax_image_set_load_split(dir, "train", &train) == AX_OK &&
              ax_image_set_load_split(dir, "t10k", &test) == AX_OK,
          "Fashion-MNIST: %s", ax_last_error());
    CHECK(train.n == 60000 && test.n == 10000 && train.rows == 28 && test.cols == 28 && train.n_classes == 10,
          "Fashion-MNIST sizes %lld / %lld", (long long)train.n, (long long)test.n);
    int count[10] = {0};
    for (int64_t i = 0; i < test.n; i++) count[test.labels[i]]++;
    for (int c = 0; c < 10; c++) CHECK(count[c] == 1000, "test class %d: %d images", c, count[c]);
    ax_image_set_free(&train);
    ax_image_set_free(&test);
}

int main(void) {
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/axon_test_data_XXXXXX");
    if (!mkdtemp(tmp_dir)) return fprintf(stderr, "cannot create a temp dir\n"), 1;
    test_slice();
    test_idx_errors();
    test_image_set_errors();
    test_shuffle();
    test_pgm();
    test_installed_dataset();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_dir);
    CHECK(system(cmd) == 0, "removing %s", tmp_dir);
    return check_report();
}
