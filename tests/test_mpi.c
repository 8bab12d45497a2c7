/* Data-parallel training on 2 MPI ranks (built only with AXON_MPI; `mpirun --oversubscribe -np 2`, 1 thread per
 * rank, the command from $AXON_MPIRUN):
 *   - axon/dist.h itself: this program re-run under mpirun as a worker checks the gradient all-reduce, the small
 *     collectives and ZeRO-1 over many small buckets against the plain optimizer on the summed gradients;
 *   - `axon train gpt`, 20 steps of a tiny GPT: the training and validation losses of 2 ranks equal those of one
 *     process with the same global batch (≤ 1e-5 relative), with and without --zero1; --zero1 writes the same
 *     checkpoint bit for bit; the checkpoint of 2 ranks is that of one process within the rounding of sums taken in
 *     another order (see check_close_ckpt); --resume continues on another number of ranks, and bit for bit on the
 *     same number (with dropout, whose streams are per rank);
 *   - bad input: a rank that cannot read its data, ranks started with different options, more ranks than windows
 *     in the batch: exit ≠ 0 at once with one message naming the rank, nothing written. */
#include "check.h"
#include "dist_check.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TINY                                                                                                      \
    "--n-layer 1 --n-head 2 --n-embd 16 --block-size 16 --eval-iters 2 --threads 1 --log-every 1 --eval-interval 10 " \
    "--warmup-iters 2 --lr-decay-iters 20 --quiet"
#define EXACT TINY " --batch-size 4 --grad-accum 2" // the global batch: 8 windows, 2 micro-batches on one process

static char root[64];     // temporary directory of this run
static char out[1 << 16]; // output of the last command
static char corpus[128];  // the text file every run trains on

#define path(name) check_join(root, name)

/* ---- the worker: axon/dist.h on every rank ---------------------------------------------------------------- */

static int worker(void) {
    CHECK(ax_dist_init() == AX_OK && ax_dist_size() == 2, "2 ranks");
    int r = ax_dist_rank(), n = ax_dist_size();
    CHECK(ax_dist_first_failure(r == 1) == 1 && ax_dist_first_failure(true) == 0 && ax_dist_first_failure(false) == -1,
          "first failure");
    double v[2] = {r + 0.5, 1};
    ax_dist_sum(v, 2);
    CHECK(v[0] == 2 && v[1] == 2, "sum over the ranks: %g %g", v[0], v[1]);
    ax_params *p = dist_params(), *want = dist_params();
    if (r == 1) ax_f32(p->items[2].t)[5] = 99; // rank 0's values win
    ax_dist_bcast_params(p);
    CHECK(dist_same_values(p, want), "parameters broadcast from rank 0");
    ax_grad_sync *s = ax_grad_sync_new(p, DIST_BUCKET_BYTES);
    for (int step = 0; step < 2; step++) {
        dist_set_grads(p, r, n, step, false);
        dist_set_grads(want, r, n, step, true);
        ax_grad_sync_sum(s);
        bool same = true;
        for (int i = 0; i < p->n; i++)
            same &= memcmp(p->items[i].t->grad->data, want->items[i].t->grad->data,
                           (size_t)ax_numel(p->items[i].t) * sizeof(float)) == 0;
        CHECK(same, "rank %d step %d: every gradient is the sum over the ranks", r, step);
    }
    ax_grad_sync_free(s);
    ax_params_free(p), ax_params_free(want);
    dist_check_zero();
    ax_dist_finalize();
    return check_report();
}

/* ---- running axon under mpirun ------------------------------------------------------------------------------- */

/* `$AXON_MPIRUN -np ranks <command>` (output into out); the exit code. The ranks run without LeakSanitizer (in
 * the ASan build): OpenMPI's plugins leak at exit and are unloaded before the report, so their stacks cannot be
 * suppressed by name. The same axon code runs leak-checked in one process (test_dist, test_gpt_train, and the
 * --zero1 resume below). */
static int mpirun(int ranks, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int mpirun(int ranks, const char *fmt, ...) {
    char args[2048], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "LSAN_OPTIONS=detect_leaks=0 %s -np %d %s 2>&1", getenv("AXON_MPIRUN"), ranks, args);
    return check_run(cmd, out, sizeof out);
}

#define axon_mpi(ranks, fmt, ...) mpirun(ranks, "%s " fmt, check_axon_bin(), __VA_ARGS__)
#define axon1(fmt, ...) check_axon(out, sizeof out, fmt, __VA_ARGS__)

// the "key" values of metrics.jsonl in order; their count
static int series(const char *dir, const char *key, double *v, int cap) {
    char *text = check_slurp(check_join(dir, "metrics.jsonl"));
    int n = 0;
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, key);
        if (cJSON_IsNumber(x) && n < cap) v[n++] = x->valuedouble;
        cJSON_Delete(j);
    }
    free(text);
    return n;
}

// the training and validation losses of two runs: as many, each within 1e-5 relative
static void check_same_losses(const char *a, const char *b, int steps) {
    static const char *const keys[] = {"loss", "val_loss"};
    for (int k = 0; k < 2; k++) {
        double x[64], y[64], worst = 0;
        int n = series(a, keys[k], x, 64), m = series(b, keys[k], y, 64);
        for (int i = 0; i < n && i < m; i++) worst = fmax(worst, fabs(x[i] - y[i]) / fabs(x[i]));
        CHECK(n == m && n == (k ? 3 : steps) && worst <= 1e-5, "%s vs %s: %d and %d %s values, worst relative "
              "difference %.2g", a, b, n, m, keys[k], worst);
    }
}

static bool same_file(const char *a, const char *b) {
    void *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    bool same = ax_read_file(a, 1u << 26, &x, &nx) == AX_OK && ax_read_file(b, 1u << 26, &y, &ny) == AX_OK &&
                nx == ny && nx > 0 && memcmp(x, y, nx) == 0;
    free(x), free(y);
    return same;
}

static bool same_ckpt(const char *a, const char *b) {
    return same_file(check_join(a, "last/model.safetensors"), check_join(b, "last/model.safetensors")) &&
           same_file(check_join(a, "last/optimizer.safetensors"), check_join(b, "last/optimizer.safetensors")) &&
           same_file(check_join(a, "model.safetensors"), check_join(b, "model.safetensors"));
}

// the largest |a − b| over the f32 tensors of two safetensors files whose names start with prefix, relative to
// each tensor's largest |a| (relative) or absolute; INFINITY if the files do not match
static double max_diff(const char *fa, const char *fb, const char *prefix, bool relative) {
    ax_safetensors *a = NULL, *b = NULL;
    double worst = ax_safetensors_read(fa, &a) == AX_OK && ax_safetensors_read(fb, &b) == AX_OK ? 0 : INFINITY;
    for (int i = 0; a && b && i < a->n; i++) {
        const ax_st_entry *x = &a->entries[i], *y = ax_safetensors_find(b, x->name);
        if (x->dtype != AX_F32 || strncmp(x->name, prefix, strlen(prefix))) continue;
        if (!y || y->nbytes != x->nbytes) return ax_safetensors_free(a), ax_safetensors_free(b), INFINITY;
        const float *p = x->data, *q = y->data;
        double d = 0, scale = 0;
        for (size_t k = 0; k < x->nbytes / sizeof(float); k++) d = fmax(d, fabs(p[k] - q[k])), scale = fmax(scale, fabs(p[k]));
        worst = fmax(worst, relative ? (scale > 0 ? d / scale : d) : d);
    }
    ax_safetensors_free(a), ax_safetensors_free(b);
    return worst;
}

/* Two ranks sum the gradients of their micro-batches in another order than one process, whose GEMMs accumulate
 * the second micro-batch onto the first (C += AᵀB), so the bits differ. The AdamW moments (linear in the
 * gradients: a wrong scale of the sum would show at once) agree to 1e-5 of each tensor's largest value; the weights
 * to 1e-5 absolute: Adam divides each step by √v, so an element whose gradients nearly cancel can take a rounding
 * difference to ~1e-6, while a wrong gradient moves weights by ~lr = 1e-3. */
static void check_close_ckpt(const char *a, const char *b) {
    char fa[512], fb[512];
    snprintf(fa, sizeof fa, "%s", check_join(a, "last/model.safetensors"));
    snprintf(fb, sizeof fb, "%s", check_join(b, "last/model.safetensors"));
    double w = max_diff(fa, fb, "", false);
    snprintf(fa, sizeof fa, "%s", check_join(a, "last/optimizer.safetensors"));
    snprintf(fb, sizeof fb, "%s", check_join(b, "last/optimizer.safetensors"));
    double m = max_diff(fa, fb, "exp_avg", true);
    CHECK(w <= 1e-5 && m <= 1e-5, "%s vs %s: weights within %.2g, AdamW moments within %.2g relative", a, b, w, m);
}

/* ---- the tests ---------------------------------------------------------------------------------------------- */

static void test_dist_worker(void) {
    int rc = mpirun(2, "/proc/%d/exe --worker", (int)getpid());
    CHECK(rc == 0 && strstr(out, "0 failed") && !strstr(out, " 1 failed"), "axon/dist.h on 2 ranks:\n%s", out);
}

static void test_exact(void) {
    CHECK(axon1("train gpt --data %s --out %s --max-iters 20 " EXACT, corpus, path("one")) == 0, "%s", out);
    CHECK(axon_mpi(2, "train gpt --data %s --out %s --max-iters 20 " EXACT, corpus, path("two")) == 0 &&
              strstr(out, "at step 20 of 20") && !strstr(strstr(out, "at step 20 of 20") + 1, "at step 20"),
          "2 ranks: rank 0 alone prints the result: %s", out);
    CHECK(axon_mpi(2, "train gpt --data %s --out %s --max-iters 20 --zero1 " EXACT, corpus, path("zero")) == 0, "%s",
          out);
    check_same_losses(path("one"), path("two"), 20);
    check_same_losses(path("one"), path("zero"), 20);
    check_close_ckpt(path("one"), path("two"));
    CHECK(same_ckpt(path("two"), path("zero")), "--zero1 writes the same checkpoint as the all-reduce, bit for bit");
    // a global batch of 8 that one process takes as one micro-batch and each rank as one of 4 windows
    CHECK(axon1("train gpt --data %s --out %s --max-iters 20 --batch-size 8 " TINY, corpus, path("one8")) == 0, "%s",
          out);
    CHECK(axon_mpi(2, "train gpt --data %s --out %s --max-iters 20 --batch-size 8 " TINY, corpus, path("two8")) == 0,
          "%s", out);
    check_same_losses(path("one8"), path("two8"), 20);
}

static void test_resume(void) {
    // 10 steps on 2 ranks, then 10 more on 1 (with --zero1): the run of one process
    CHECK(axon_mpi(2, "train gpt --data %s --out %s --max-iters 10 " EXACT, corpus, path("r")) == 0, "%s", out);
    CHECK(axon1("train gpt --data %s --out %s --max-iters 20 --resume --zero1 " EXACT, corpus, path("r")) == 0, "%s",
          out);
    check_same_losses(path("one"), path("r"), 20);
    check_close_ckpt(path("one"), path("r"));
    // with dropout (a stream per rank and step), 10 + 10 steps on 2 ranks, --zero1 on the second half: bit for bit
    CHECK(axon_mpi(2, "train gpt --data %s --out %s --max-iters 20 --dropout 0.1 " EXACT, corpus, path("d")) == 0,
          "%s", out);
    CHECK(axon_mpi(2, "train gpt --data %s --out %s --max-iters 10 --dropout 0.1 " EXACT, corpus, path("dr")) == 0,
          "%s", out);
    CHECK(axon_mpi(2, "train gpt --data %s --out %s --max-iters 20 --dropout 0.1 --zero1 --resume " EXACT, corpus,
                   path("dr")) == 0,
          "%s", out);
    CHECK(same_ckpt(path("d"), path("dr")), "resumed on 2 ranks with dropout and --zero1: the same checkpoint");
}

// exit ≠ 0 with one axon line naming rank `who` of 2 and containing `what`; nothing written
static void check_refused(int rc, const char *who, const char *what) {
    const char *line = strstr(out, "axon: ");
    CHECK(rc != 0 && line && strstr(line, who) == line + 6 && strstr(line, what) && !strstr(line + 1, "axon: ") &&
              access(path("bad"), F_OK) != 0,
          "refused (%s): %s", what, out);
}

static void test_bad_input(void) {
    const char *axon = check_axon_bin();
    // rank 1 alone gets another file (sh -c picks by the rank mpirun gives it)
#define BY_RANK(a, b)                                                                                             \
    mpirun(2, "sh -c 'if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then exec %s train gpt %s; else exec %s train gpt %s; fi'", \
           axon, b, axon, a)
    char good[1024], other[1100];
    snprintf(good, sizeof good, "--data %s --out %s --max-iters 4 " EXACT, corpus, path("bad"));
    snprintf(other, sizeof other, "--data %s --out %s --max-iters 4 " EXACT, path("missing.txt"), path("bad"));
    check_refused(BY_RANK(good, other), "rank 1 of 2: ", "missing.txt");
    snprintf(other, sizeof other, "%s --lr 0.002", good);
    check_refused(BY_RANK(good, other), "rank 1 of 2: ", "--lr is 0.002 here but 0.001 on rank 0");
#undef BY_RANK
    int rc = axon_mpi(3, "train gpt --data %s --out %s --max-iters 4 " TINY " --batch-size 2", corpus, path("bad"));
    check_refused(rc, "--batch-size", "number of MPI ranks");
}

static void write_corpus(void) {
    static const char *const words[] = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "far"};
    FILE *fp = fopen(corpus, "w");
    for (int i = 0; fp && i < 400; i++) fprintf(fp, "%s%s", words[(i * 7 + i / 10) % 10], i % 9 == 8 ? ".\n" : " ");
    CHECK(fp && fclose(fp) == 0, "writing the corpus");
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--worker") == 0) return worker();
    CHECK(getenv("AXON_MPIRUN") != NULL, "AXON_MPIRUN (set by ctest) names the MPI starter");
    if (!getenv("AXON_MPIRUN")) return check_report();
    snprintf(root, sizeof root, "/tmp/axon_mpi_XXXXXX");
    CHECK(mkdtemp(root) != NULL, "temporary directory");
    snprintf(corpus, sizeof corpus, "%s", path("corpus.txt"));
    write_corpus();
    test_dist_worker();
    test_exact();
    test_resume();
    test_bad_input();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    check_run(cmd, out, sizeof out);
    return check_report();
}
