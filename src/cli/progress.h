/* Progress feedback for long commands: a bar redrawn in place when the stream is a terminal, plain lines
 * (one every few seconds and one at the end) when it is a file or a pipe. */
#ifndef AX_CLI_PROGRESS_H
#define AX_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    FILE *fp;           // where it writes (stderr by convention)
    bool tty;           // fp is a terminal: redraw one line with '\r'
    bool quiet;         // write nothing
    int columns;        // terminal width (tty only)
    char label[64];     // what is running, e.g. "epoch 3/10"
    const char *unit;   // what is counted, e.g. "samples"
    int64_t total;      // units in the task
    double start;       // cli_now() at begin
    double last_draw;   // cli_now() at the last line drawn
    double plain_every; // seconds between plain lines (not a tty)
} cli_progress;

double cli_now(void); // monotonic seconds
void cli_progress_begin(cli_progress *p, FILE *fp, const char *label, int64_t total, const char *unit, bool quiet);
void cli_progress_update(cli_progress *p, int64_t done, const char *stats); // stats: e.g. "loss 0.41 acc 0.85"
void cli_progress_end(cli_progress *p, int64_t done, const char *stats);    // the final line of the task
/* A line on the bar's stream between redraws (clears the bar's line on a terminal); nothing when quiet. */
void cli_note(const cli_progress *p, bool quiet, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void cli_format_duration(double seconds, char *buf, size_t cap);            // "42s", "3:07", "1:02:03"

#endif
