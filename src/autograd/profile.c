/* The op profiler: with AX_PROFILE=1 in the environment (or ax_profile_enable), every recorded op's
 * forward and backward time is summed by op name and printed as a table to stderr at exit.
 * Forward time is the wall time since the previous recorded op (so it includes the untaped work in
 * between, e.g. building a batch); backward time is exactly the op's backward function. */
#include "autograd/profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_OPS 64

typedef struct {
    const char *name; // op name as recorded (a string literal)
    double fwd, bwd;  // seconds summed
    int64_t calls;    // forward calls
} op_stat;

static struct {
    bool on;           // profiling enabled
    bool checked_env;  // AX_PROFILE read
    double last;       // time of the previous record
    op_stat ops[MAX_OPS];
    int n_ops;
} prof;

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static op_stat *stat_of(const char *name) {
    for (int i = 0; i < prof.n_ops; i++)
        if (prof.ops[i].name == name || strcmp(prof.ops[i].name, name) == 0) return &prof.ops[i];
    if (prof.n_ops == MAX_OPS) return NULL;
    prof.ops[prof.n_ops] = (op_stat){.name = name};
    return &prof.ops[prof.n_ops++];
}

static int by_total(const void *a, const void *b) {
    const op_stat *x = a, *y = b;
    double tx = x->fwd + x->bwd, ty = y->fwd + y->bwd;
    return (tx < ty) - (tx > ty);
}

static void report(void) {
    qsort(prof.ops, (size_t)prof.n_ops, sizeof *prof.ops, by_total);
    double total = 0;
    for (int i = 0; i < prof.n_ops; i++) total += prof.ops[i].fwd + prof.ops[i].bwd;
    fprintf(stderr, "axon profile (AX_PROFILE): %-14s %10s %10s %10s %6s\n", "op", "calls", "fwd ms", "bwd ms", "%");
    for (int i = 0; i < prof.n_ops; i++) {
        const op_stat *s = &prof.ops[i];
        fprintf(stderr, "axon profile (AX_PROFILE): %-14s %10lld %10.1f %10.1f %6.1f\n", s->name, (long long)s->calls,
                1e3 * s->fwd, 1e3 * s->bwd, total > 0 ? 100 * (s->fwd + s->bwd) / total : 0.0);
    }
}

void ax_profile_enable(bool on) {
    if (on && !prof.on) atexit(report);
    prof.checked_env = true;
    prof.on = on;
    prof.last = seconds();
}

bool ax_profile_on(void) {
    if (!prof.checked_env) {
        const char *e = getenv("AX_PROFILE");
        ax_profile_enable(e && *e && strcmp(e, "0") != 0);
    }
    return prof.on;
}

void ax_profile_forward(const char *op) {
    double t = seconds();
    op_stat *s = stat_of(op);
    if (s) s->fwd += t - prof.last, s->calls++;
    prof.last = t;
}

void ax_profile_backward(const char *op, double seconds_spent) {
    op_stat *s = stat_of(op);
    if (s) s->bwd += seconds_spent;
    prof.last = seconds();
}

double ax_profile_now(void) { return seconds(); }
