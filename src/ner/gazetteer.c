/* Gazetteers and case statistics: the weak labeller's word lists, read from data/ner/ TSV files. */
#include "data/lines.h"
#include "ner/ner_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const TYPE_NAMES[WEAK_N_TYPES] = {"PER", "LOC", "ORG", "MISC"};

// splits a tab-separated line into at most 3 fields; returns how many
static int split_tabs(char *line, char **f) {
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < 4; p++)
        if (*p == '\t') *p = 0, f[n++] = p + 1;
    return n;
}

// the value slot of key in map (added with value *next if new) or NULL when out of memory
static uint64_t *slot(strmap *map, const char *key, uint64_t next) {
    bool added;
    return strmap_add(map, key, strlen(key), next, &added);
}

// grows a counts array of rows of `row` bytes to hold n rows (capacity doubles at powers of two)
static int grow_rows(void *rows, uint32_t n, size_t row) {
    if (n & (n - 1)) return AX_OK;
    void *p = realloc(*(void **)rows, (size_t)(n ? 2 * n : 1) * row);
    if (!p) return ax_error("out of memory reading a gazetteer");
    *(void **)rows = p;
    return AX_OK;
}

// one line `entry TYPE count` into g
static int gazetteer_line(gazetteer *g, char *line) {
    char *f[4];
    if (split_tabs(line, f) != 3 || !f[0][0]) return ax_error("needs `entry<TAB>TYPE<TAB>count`");
    int t = 0;
    while (t < WEAK_N_TYPES && strcmp(f[1], TYPE_NAMES[t]) != 0) t++;
    char *end;
    long long count = strtoll(f[2], &end, 10);
    if (t == WEAK_N_TYPES || *end || count < 0) return ax_error("bad type '%.20s' or count '%.20s'", f[1], f[2]);
    uint32_t n = g->map.n;
    if (grow_rows(&g->counts, n, sizeof *g->counts) != AX_OK) return AX_ERR;
    uint64_t *v = slot(&g->map, f[0], n);
    if (!v) return ax_error("out of memory reading a gazetteer");
    if (g->map.n > n) memset(g->counts[n], 0, sizeof *g->counts);
    g->counts[*v][t] += count;
    int tokens = 1;
    for (const char *p = f[0]; *p; p++) tokens += *p == ' ';
    if (tokens > g->max_tokens) g->max_tokens = tokens;
    return AX_OK;
}

// reads every line of path through one_line(state, line)
static int read_lines(const char *path, void *state, int (*one_line)(void *, char *)) {
    char *text, *line;
    line_iter it;
    if (line_iter_open(path, &text, &it) != AX_OK) return AX_ERR;
    int rc = AX_OK;
    while (rc == AX_OK && (line = line_next(&it)))
        if (*line && one_line(state, line) != AX_OK) rc = ax_error("%s:%lld: %s", path, (long long)it.no, ax_last_error());
    free(text);
    return rc;
}

/* Writes every entry of map (its row of `width` counts in rows: the entry's value) as the lines entry_lines makes,
 * atomically to path. */
static int save_entries(const strmap *map, const int64_t *rows, int width,
                        void (*entry_lines)(text_buf *, const char *key, size_t len, const int64_t *counts),
                        const char *path) {
    text_buf b = {0};
    for (uint32_t e = 0; e < map->n; e++) {
        size_t len;
        const char *key = strmap_key(map, e, &len);
        entry_lines(&b, key, len, rows + map->entries[e].value * (uint64_t)width);
    }
    return text_write(&b, path);
}

static int gaz_line(void *g, char *line) { return gazetteer_line(g, line); }

int gazetteer_load(gazetteer *g, const char *path) {
    memset(g, 0, sizeof *g);
    int rc = read_lines(path, g, gaz_line);
    if (rc != AX_OK) gazetteer_free(g);
    return rc;
}

void gazetteer_free(gazetteer *g) {
    strmap_free(&g->map);
    free(g->counts);
    memset(g, 0, sizeof *g);
}

// the lines of one gazetteer entry: `key TYPE count` per type with evidence (an entry without any: one line)
static void gaz_entry_lines(text_buf *b, const char *key, size_t len, const int64_t *counts) {
    char line[64];
    for (int t = 0; t < WEAK_N_TYPES; t++) {
        if (!counts[t] && (t || counts[1] || counts[2] || counts[3])) continue;
        text_putn(b, key, len);
        snprintf(line, sizeof line, "\t%s\t%lld\n", TYPE_NAMES[t], (long long)counts[t]);
        text_put(b, line);
    }
}

int gazetteer_save(const gazetteer *g, const char *path) {
    return save_entries(&g->map, (const int64_t *)g->counts, WEAK_N_TYPES, gaz_entry_lines, path);
}

const int64_t *gazetteer_find(const gazetteer *g, const char *const *tokens, int n) {
    char key[512];
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        size_t m = strlen(tokens[i]);
        if (len + m + 1 > sizeof key) return NULL;
        if (i) key[len++] = ' ';
        memcpy(key + len, tokens[i], m);
        len += m;
    }
    const uint64_t *v = strmap_find(&g->map, key, len);
    return v ? g->counts[*v] : NULL;
}

int gazetteer_best_type(const int64_t *counts) {
    int best = 0;
    bool tie = false;
    for (int t = 1; t < WEAK_N_TYPES; t++) {
        tie = counts[t] == counts[best] ? true : counts[t] > counts[best] ? false : tie;
        if (counts[t] > counts[best]) best = t;
    }
    return tie ? -1 : best;
}

// one line `word capitalised lower` into c
static int case_line(void *state, char *line) {
    case_stats *c = state;
    char *f[4], *e1, *e2;
    if (split_tabs(line, f) != 3) return ax_error("needs `word<TAB>capitalised<TAB>lower`");
    long long cap = strtoll(f[1], &e1, 10), low = strtoll(f[2], &e2, 10);
    if (*e1 || *e2 || cap < 0 || low < 0) return ax_error("bad counts");
    uint32_t n = c->map.n;
    if (grow_rows(&c->counts, n, sizeof *c->counts) != AX_OK) return AX_ERR;
    uint64_t *v = slot(&c->map, f[0], n);
    if (!v) return ax_error("out of memory reading case statistics");
    c->counts[*v][0] = cap;
    c->counts[*v][1] = low;
    return AX_OK;
}

// the line of one word's case statistics: `word capitalised lower`
static void case_entry_line(text_buf *b, const char *key, size_t len, const int64_t *counts) {
    char line[64];
    text_putn(b, key, len);
    snprintf(line, sizeof line, "\t%lld\t%lld\n", (long long)counts[0], (long long)counts[1]);
    text_put(b, line);
}

int case_stats_save(const case_stats *c, const char *path) {
    return save_entries(&c->map, (const int64_t *)c->counts, 2, case_entry_line, path);
}

int case_stats_load(case_stats *c, const char *path) {
    memset(c, 0, sizeof *c);
    int rc = read_lines(path, c, case_line);
    if (rc != AX_OK) case_stats_free(c);
    return rc;
}

void case_stats_free(case_stats *c) {
    strmap_free(&c->map);
    free(c->counts);
    memset(c, 0, sizeof *c);
}

bool case_stats_common(const case_stats *c, const char *token, int factor) {
    char key[128];
    size_t n = strlen(token);
    if (n >= sizeof key) return false;
    for (size_t i = 0; i <= n; i++) key[i] = (char)tolower((unsigned char)token[i]);
    const uint64_t *v = strmap_find(&c->map, key, n);
    return v && c->counts[*v][1] * factor >= c->counts[*v][0];
}
