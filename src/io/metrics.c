/* Training metrics as JSON Lines: one object per log step, flushed as written so a crash loses at most the
 * line being written and `tail -f` shows progress. Whole numbers print as integers, others with 8
 * significant digits; NaN and infinities (which JSON lacks) as null. */
#include "axon/io.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ax_metrics_log {
    FILE *fp;   // the open log
    char *path; // for messages
};

ax_metrics_log *ax_metrics_open(const char *path) {
    ax_metrics_log *log = calloc(1, sizeof *log);
    if (!log || !(log->path = strdup(path))) {
        free(log);
        ax_error("out of memory opening %s", path);
        return NULL;
    }
    if (!(log->fp = fopen(path, "w"))) {
        ax_error("cannot create %s: %s", path, strerror(errno));
        free(log->path);
        free(log);
        return NULL;
    }
    return log;
}

static void write_number(FILE *fp, double v) {
    if (!isfinite(v)) fputs("null", fp);
    else if (v == floor(v) && fabs(v) < 9007199254740992.0) fprintf(fp, "%.0f", v);
    else fprintf(fp, "%.8g", v);
}

int ax_metrics_write(ax_metrics_log *log, const ax_metric *fields, int n) {
    fputc('{', log->fp);
    for (int i = 0; i < n; i++) {
        fprintf(log->fp, "%s\"%s\": ", i ? ", " : "", fields[i].key);
        write_number(log->fp, fields[i].value);
    }
    fputs("}\n", log->fp);
    if (fflush(log->fp) != 0 || ferror(log->fp)) return ax_error("cannot write %s: %s", log->path, strerror(errno));
    return AX_OK;
}

void ax_metrics_close(ax_metrics_log *log) {
    if (!log) return;
    fclose(log->fp);
    free(log->path);
    free(log);
}
