/* The test harness (see tests/check.h). */
#include "check.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static int passed, failed;

bool check_true(bool ok, const char *file, int line, const char *fmt, ...) {
    if (ok) {
        passed++;
        return true;
    }
    failed++;
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return false;
}

bool check_close(const ax_tensor *actual, const ax_tensor *expected, double rtol, double atol, const char *file,
                 int line, const char *what) {
    int64_t n = ax_numel(actual);
    if (n != ax_numel(expected))
        return check_true(false, file, line, "%s: shape %s vs expected %s", what, ax_shape_str(actual),
                          ax_shape_str(expected));
    float *a = malloc((size_t)n * sizeof *a), *e = malloc((size_t)n * sizeof *e);
    ax_copy_to_f32(actual, a);
    ax_copy_to_f32(expected, e);
    int64_t bad = 0, worst_i = 0;
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double err = fabs((double)a[i] - e[i]), allowed = atol + rtol * fabs((double)e[i]);
        if (!(err <= allowed)) bad++; // NaN counts as bad
        double ratio = isnan(err) ? INFINITY : err / allowed;
        if (ratio > worst) worst = ratio, worst_i = i;
    }
    bool ok = check_true(bad == 0, file, line, "%s: %lld of %lld elements off; worst [%lld] %.9g vs %.9g", what,
                         (long long)bad, (long long)n, (long long)worst_i, n ? a[worst_i] : 0.0,
                         n ? e[worst_i] : 0.0);
    free(a);
    free(e);
    return ok;
}

bool check_near(double actual, double expected, double tol, const char *file, int line, const char *what) {
    return check_true(fabs(actual - expected) <= tol, file, line, "%s = %.9g, expected %.9g ± %g", what, actual,
                      expected, tol);
}

int check_report(void) {
    printf("%d passed, %d failed\n", passed, failed);
    ax_arena_release();
    return failed ? 1 : 0;
}

int check_run(const char *cmd, char *out, size_t cap) {
    char full[4096];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    if (!p) return -1;
    size_t len = 0;
    if (cap) {
        len = fread(out, 1, cap - 1, p);
        out[len] = '\0';
    }
    char sink[4096];
    while (fread(sink, 1, sizeof sink, p) > 0) {}
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const char *check_axon_bin(void) {
    const char *bin = getenv("AXON_BIN");
    return bin ? bin : "./axon";
}

int check_axon(char *out, size_t cap, const char *fmt, ...) {
    char cmd[4096];
    int n = snprintf(cmd, sizeof cmd, "%s ", check_axon_bin());
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd + n, sizeof cmd - (size_t)n, fmt, ap);
    va_end(ap);
    return check_run(cmd, out, cap);
}

const char *check_join(const char *dir, const char *name) {
    static char paths[8][256];
    static int next;
    char *p = paths[next++ & 7];
    snprintf(p, sizeof paths[0], "%s/%s", dir, name);
    return p;
}

char *check_slurp(const char *path) {
    void *buf = NULL;
    size_t len;
    return ax_read_file(path, 1u << 24, &buf, &len) == AX_OK ? buf : NULL;
}
