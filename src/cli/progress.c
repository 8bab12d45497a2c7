/* Progress bars (see progress.h). On a terminal the line is redrawn at most REDRAW_HZ times a second and cut
 * to the terminal width (a wrapped line could not be redrawn); the final line replaces it in full. Elsewhere a
 * plain line every plain_every seconds keeps logs short. Both show the rate and the time left (or, at the end,
 * the time taken). */
#include "cli/progress.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define REDRAW_HZ 10.0    // most terminal redraws per second
#define PLAIN_EVERY 10.0  // seconds between plain lines
#define BAR_MIN 10        // narrowest bar worth drawing
#define BAR_MAX 30        // widest bar

double cli_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void cli_format_duration(double s, char *buf, size_t cap) {
    if (!(s >= 0) || s > 1e8) {
        snprintf(buf, cap, "?");
        return;
    }
    long t = lround(s);
    if (s < 9.95) snprintf(buf, cap, "%.1fs", s);
    else if (t < 60) snprintf(buf, cap, "%lds", t);
    else if (t < 3600) snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
    else snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

static void format_rate(double rate, char *buf, size_t cap) {
    if (rate >= 1e6) snprintf(buf, cap, "%.2fM", rate / 1e6);
    else if (rate >= 1e4) snprintf(buf, cap, "%.1fk", rate / 1e3);
    else snprintf(buf, cap, "%.0f", rate);
}

static int terminal_columns(FILE *fp) {
    struct winsize ws;
    if (ioctl(fileno(fp), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    const char *env = getenv("COLUMNS");
    int c = env ? atoi(env) : 0;
    return c > 0 ? c : 80;
}

void cli_progress_begin(cli_progress *p, FILE *fp, const char *label, int64_t total, const char *unit, bool quiet) {
    const char *term = getenv("TERM");
    *p = (cli_progress){.fp = fp, .quiet = quiet, .unit = unit, .total = total, .plain_every = PLAIN_EVERY};
    p->tty = isatty(fileno(fp)) && !(term && strcmp(term, "dumb") == 0);
    p->columns = p->tty ? terminal_columns(fp) : 0;
    snprintf(p->label, sizeof p->label, "%s", label);
    p->start = p->last_draw = cli_now();
}

// "[=====>    ] 54%" of width w into buf
static void format_bar(char *buf, int w, int64_t done, int64_t total) {
    int fill = total > 0 ? (int)((double)w * (double)done / (double)total) : w;
    buf[0] = '[';
    for (int i = 0; i < w; i++) buf[1 + i] = i < fill ? '=' : i == fill ? '>' : ' ';
    snprintf(buf + 1 + w, 16, "] %3d%%", total > 0 ? (int)(100 * done / total) : 100);
}

static void draw(cli_progress *p, int64_t done, const char *stats, bool final) {
    double now = cli_now(), elapsed = now - p->start, rate = elapsed > 0 ? (double)done / elapsed : 0;
    char rate_s[32], time_s[32], tail[384], line[512];
    format_rate(rate, rate_s, sizeof rate_s);
    cli_format_duration(final ? elapsed : rate > 0 ? (double)(p->total - done) / rate : NAN, time_s, sizeof time_s);
    snprintf(tail, sizeof tail, "  %s  %s %s/s  %s%s", stats ? stats : "", rate_s, p->unit, final ? "" : "ETA ",
             time_s);
    if (p->tty) {
        int room = p->columns - 1 - (int)strlen(p->label) - (int)strlen(tail) - 8; // 8: " [", "] ", "100%"
        char bar[BAR_MAX + 16] = "";
        if (room >= BAR_MIN) format_bar(bar, room > BAR_MAX ? BAR_MAX : room, done, p->total);
        int n = snprintf(line, sizeof line, "%s %s%s", p->label, final ? "" : bar, tail);
        int cut = !final && p->columns - 1 < n ? p->columns - 1 : n; // a wrapped line could not be redrawn
        fprintf(p->fp, "\r%.*s\x1b[K%s", cut, line, final ? "\n" : "");
    } else {
        fprintf(p->fp, "%s %lld/%lld%s\n", p->label, (long long)done, (long long)p->total, tail);
    }
    fflush(p->fp);
    p->last_draw = now;
}

void cli_progress_update(cli_progress *p, int64_t done, const char *stats) {
    if (p->quiet) return;
    double since = cli_now() - p->last_draw;
    if (p->tty ? since >= 1.0 / REDRAW_HZ : since >= p->plain_every) draw(p, done, stats, false);
}

void cli_progress_end(cli_progress *p, int64_t done, const char *stats) {
    if (!p->quiet) draw(p, done, stats, true);
}

void cli_note(const cli_progress *p, bool quiet, const char *fmt, ...) {
    if (quiet) return;
    if (p->tty) fputs("\r\x1b[K", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
}
