/* SVG plots a browser opens: a line chart with several series (training curves) and a labelled heatmap
 * (confusion matrices, attention maps). Plain SVG 1.1 text, built in memory and written atomically. */
#include "axon/io.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a growing text buffer ---- */

typedef struct {
    char *s;    // the text so far, NUL-terminated
    size_t len; // its length
    size_t cap; // allocated bytes
    bool oom;   // an allocation failed: the text is incomplete
} strbuf;

__attribute__((format(printf, 2, 3))) static void sb_printf(strbuf *b, const char *fmt, ...) {
    for (int tries = 0; tries < 2 && !b->oom; tries++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) b->oom = true;
        if (n < 0 || (b->s && b->len + (size_t)n < b->cap)) {
            b->len += n < 0 ? 0 : (size_t)n;
            return;
        }
        size_t cap = 2 * b->cap + (size_t)n + 4096;
        char *s = realloc(b->s, cap);
        if (!s) b->oom = true;
        else b->s = s, b->cap = cap;
    }
}

static void sb_text(strbuf *b, const char *text) { // XML-escaped
    for (const char *p = text ? text : ""; *p; p++) {
        switch (*p) {
        case '&': sb_printf(b, "&amp;"); break;
        case '<': sb_printf(b, "&lt;"); break;
        case '>': sb_printf(b, "&gt;"); break;
        case '"': sb_printf(b, "&quot;"); break;
        default: sb_printf(b, "%c", *p);
        }
    }
}

static int sb_finish(strbuf *b, const char *path) {
    sb_printf(b, "</svg>\n");
    int rc = b->oom ? ax_error("out of memory writing %s", path) : ax_write_file_atomic(path, b->s, b->len);
    free(b->s);
    return rc;
}

static void svg_begin(strbuf *b, int w, int h, const char *title) {
    sb_printf(b,
              "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
              "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
              "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">",
              w, h, w, h, w / 2);
    sb_text(b, title);
    sb_printf(b, "</text>\n");
}

// text at (x, y), rotated by deg around that point, anchored "start" / "middle" / "end"
static void svg_label(strbuf *b, double x, double y, double deg, const char *anchor, const char *text) {
    sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"", x, y, anchor);
    if (deg != 0) sb_printf(b, " transform=\"rotate(%g %.1f %.1f)\"", deg, x, y);
    sb_printf(b, ">");
    sb_text(b, text);
    sb_printf(b, "</text>\n");
}

/* ---- line chart ---- */

#define CHART_W 760
#define CHART_H 440
#define PLOT_L 80.0  // plot area left edge
#define PLOT_R 580.0 // right edge (the legend is beyond)
#define PLOT_T 48.0  // top edge
#define PLOT_B 384.0 // bottom edge
#define N_TICKS 5    // about this many ticks per axis
#define MAX_MARKERS 60 // series with more points get no point markers

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

typedef struct {
    double lo, hi, step; // axis range and tick spacing (lo, hi are multiples of step)
    int decimals;        // digits after the point in tick labels
} axis;

// a 1, 2 or 5 × 10^k step giving about N_TICKS ticks over [lo, hi]
static axis nice_axis(double lo, double hi) {
    if (!(hi > lo)) lo -= fabs(lo) * 0.1 + 0.5, hi += fabs(hi) * 0.1 + 0.5;
    double raw = (hi - lo) / N_TICKS, mag = pow(10, floor(log10(raw))), f = raw / mag;
    double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    int dec = (int)fmax(0.0, -floor(log10(step) + 1e-9));
    return (axis){floor(lo / step + 1e-9) * step, ceil(hi / step - 1e-9) * step, step, dec};
}

static double map(const axis *a, double v, double from, double to) {
    return from + (v - a->lo) / (a->hi - a->lo) * (to - from);
}

static void data_range(const ax_svg_series *s, int n, bool want_y, double *lo, double *hi) {
    *lo = INFINITY, *hi = -INFINITY;
    for (int k = 0; k < n; k++)
        for (int i = 0; i < s[k].n; i++) {
            double v = want_y ? s[k].y[i] : s[k].x[i];
            if (isfinite(v) && isfinite(want_y ? s[k].x[i] : s[k].y[i])) *lo = fmin(*lo, v), *hi = fmax(*hi, v);
        }
    if (!(*lo <= *hi)) *lo = 0, *hi = 1; // no finite point at all
}

static void draw_axes(strbuf *b, const axis *ax, const axis *ay, const ax_svg_labels *l) {
    char txt[64];
    for (double v = ax->lo; v <= ax->hi + ax->step * 1e-6; v += ax->step) {
        double x = map(ax, v, PLOT_L, PLOT_R);
        sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n", x, PLOT_T, x,
                  PLOT_B);
        snprintf(txt, sizeof txt, "%.*f", ax->decimals, v);
        svg_label(b, x, PLOT_B + 16, 0, "middle", txt);
    }
    for (double v = ay->lo; v <= ay->hi + ay->step * 1e-6; v += ay->step) {
        double y = map(ay, v, PLOT_B, PLOT_T);
        sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n", PLOT_L, y, PLOT_R,
                  y);
        snprintf(txt, sizeof txt, "%.*f", ay->decimals, v);
        svg_label(b, PLOT_L - 6, y + 4, 0, "end", txt);
    }
    sb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n", PLOT_L,
              PLOT_T, PLOT_R - PLOT_L, PLOT_B - PLOT_T);
    svg_label(b, (PLOT_L + PLOT_R) / 2, PLOT_B + 40, 0, "middle", l->x_label);
    svg_label(b, 22, (PLOT_T + PLOT_B) / 2, -90, "middle", l->y_label);
}

static void draw_series(strbuf *b, const ax_svg_series *s, const char *color, const axis *ax, const axis *ay) {
    bool open = false; // inside a <polyline> (NaN points break the line)
    for (int i = 0; i < s->n; i++) {
        bool ok = isfinite(s->x[i]) && isfinite(s->y[i]);
        if (ok && !open) sb_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
        if (!ok && open) sb_printf(b, "\"/>\n");
        open = ok;
        if (ok) sb_printf(b, "%.1f,%.1f ", map(ax, s->x[i], PLOT_L, PLOT_R), map(ay, s->y[i], PLOT_B, PLOT_T));
    }
    if (open) sb_printf(b, "\"/>\n");
    for (int i = 0; s->n <= MAX_MARKERS && i < s->n; i++)
        if (isfinite(s->x[i]) && isfinite(s->y[i]))
            sb_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%g, %g</title></circle>\n",
                      map(ax, s->x[i], PLOT_L, PLOT_R), map(ay, s->y[i], PLOT_B, PLOT_T), color, s->x[i], s->y[i]);
}

int ax_svg_line_chart(const char *path, const ax_svg_labels *labels, const ax_svg_series *series, int n_series) {
    double xlo, xhi, ylo, yhi;
    data_range(series, n_series, false, &xlo, &xhi);
    data_range(series, n_series, true, &ylo, &yhi);
    axis ax = nice_axis(xlo, xhi), ay = nice_axis(ylo, yhi);
    strbuf b = {0};
    svg_begin(&b, CHART_W, CHART_H, labels->title);
    draw_axes(&b, &ax, &ay, labels);
    for (int k = 0; k < n_series; k++) {
        const char *color = palette[k % (int)(sizeof palette / sizeof *palette)];
        draw_series(&b, &series[k], color, &ax, &ay);
        double y = PLOT_T + 10 + 20 * k;
        sb_printf(&b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>\n",
                  PLOT_R + 16, y, PLOT_R + 40, y, color);
        svg_label(&b, PLOT_R + 46, y + 4, 0, "start", series[k].name);
    }
    return sb_finish(&b, path);
}

/* ---- heatmap ---- */

#define HEAT_SIZE 480.0 // the longer side of the cell grid, in pixels
#define CHAR_W 7.0      // approximate width of one label character

// white → dark blue for t ∈ [0, 1]
static void heat_color(double t, char out[8]) {
    static const double lo[3] = {255, 255, 255}, hi[3] = {8, 48, 107};
    int c[3];
    for (int i = 0; i < 3; i++) c[i] = (int)lround(lo[i] + t * (hi[i] - lo[i]));
    snprintf(out, 8, "#%02x%02x%02x", c[0] & 255, c[1] & 255, c[2] & 255);
}

static const char *name_or_index(const char *const *names, int i, char buf[16]) {
    if (names) return names[i];
    snprintf(buf, 16, "%d", i);
    return buf;
}

static double longest_label(const char *const *names, int n) {
    size_t m = n > 9 ? 3 : 2;
    for (int i = 0; names && i < n; i++) m = strlen(names[i]) > m ? strlen(names[i]) : m;
    return (double)m * CHAR_W;
}

// the value written in a cell: whole numbers as integers, others with 2 decimals
static void cell_text(double v, char out[32]) {
    if (v == floor(v) && fabs(v) < 1e9) snprintf(out, 32, "%.0f", v);
    else snprintf(out, 32, "%.2f", v);
}

int ax_svg_heatmap(const char *path, const ax_svg_labels *labels, const double *values, int rows, int cols,
                   const char *const *row_names, const char *const *col_names, bool annotate) {
    AX_ASSERT(rows > 0 && cols > 0, "ax_svg_heatmap: %d × %d cells", rows, cols);
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < rows * cols; i++)
        if (isfinite(values[i])) lo = fmin(lo, values[i]), hi = fmax(hi, values[i]);
    lo = fmin(lo, 0.0);
    double cell = fmin(56.0, fmax(4.0, HEAT_SIZE / (rows > cols ? rows : cols)));
    double left = 40 + longest_label(row_names, rows), top = 48, col_lab = longest_label(col_names, cols) * 0.75;
    int w = (int)(left + cols * cell + 110), h = (int)(top + rows * cell + col_lab + 50);
    strbuf b = {0};
    char color[8], txt[32], rn[16], cn[16];
    svg_begin(&b, w, h, labels->title);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            double v = values[r * cols + c], t = hi > lo ? (v - lo) / (hi - lo) : 0;
            if (isfinite(v)) heat_color(t, color);
            else snprintf(color, sizeof color, "#cccccc");
            double x = left + c * cell, y = top + r * cell;
            sb_printf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>", x, y, cell,
                      cell, color);
            sb_text(&b, name_or_index(row_names, r, rn));
            sb_printf(&b, " → ");
            sb_text(&b, name_or_index(col_names, c, cn));
            sb_printf(&b, ": %g</title></rect>\n", v);
            if (annotate && cell >= 18 && isfinite(v)) {
                cell_text(v, txt);
                sb_printf(
                    &b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"%.0f\" fill=\"%s\">%s</text>\n",
                    x + cell / 2, y + cell / 2 + 4, fmin(12, cell * 0.3), t > 0.5 ? "white" : "black", txt);
            }
        }
    sb_printf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n", left,
              top, cols * cell, rows * cell);
    double fs = fmin(12, fmax(6, cell * 0.6)), bottom = top + rows * cell;
    for (int r = 0; r < rows; r++)
        svg_label(&b, left - 6, top + (r + 0.5) * cell + fs / 3, 0, "end", name_or_index(row_names, r, rn));
    for (int c = 0; c < cols; c++)
        svg_label(&b, left + (c + 0.5) * cell, bottom + 10, -45, "end", name_or_index(col_names, c, cn));
    svg_label(&b, left + cols * cell / 2, h - 8, 0, "middle", labels->x_label);
    svg_label(&b, 16, top + rows * cell / 2, -90, "middle", labels->y_label);
    // the colour scale: a vertical gradient from hi (top) to lo
    double sx = left + cols * cell + 24;
    heat_color(1, color);
    sb_printf(&b,
              "<defs><linearGradient id=\"scale\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\"><stop offset=\"0\" "
              "stop-color=\"%s\"/><stop offset=\"1\" stop-color=\"#ffffff\"/></linearGradient></defs>\n"
              "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"%.1f\" fill=\"url(#scale)\" stroke=\"#333\"/>\n",
              color, sx, top, rows * cell);
    snprintf(txt, sizeof txt, "%g", hi > lo ? hi : lo);
    svg_label(&b, sx + 20, top + 10, 0, "start", txt);
    snprintf(txt, sizeof txt, "%g", lo);
    svg_label(&b, sx + 20, bottom, 0, "start", txt);
    return sb_finish(&b, path);
}
