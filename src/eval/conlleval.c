/* Entity (chunk) scoring exactly as the CoNLL script conlleval (version 2004-01-26) does it: a chunk starts and
 * ends where its startOfChunk / endOfChunk rules say, from the previous and current tag prefix (the text before
 * the first '-') and type (the text after it). A guessed chunk is correct when it starts and ends with a gold
 * chunk of the same type. These are the script's rules, not a reading of the tagging schemes: IOB1 chunks start
 * at O→I, IOB2 at B, IOE chunks end at E, and BIOES's S- behaves like a typed tag without a prefix rule (so
 * S-X S-X is read as one chunk, as the script does). */
#include "axon/eval.h"

#include <stdlib.h>
#include <string.h>

// the one-character code of a tag prefix the rules name; '?' for any other prefix
static char prefix_code(const char *p, size_t n) {
    return n == 1 && strchr("BIOE[].", p[0]) ? p[0] : '?';
}

static int intern_type(ax_conlleval *ev, const char *name, size_t n) {
    if (n == 1 && name[0] == '0') n = 0; // Perl: the type "0" is false and becomes ""
    for (int i = 0; i < ev->n_types; i++)
        if (strlen(ev->types[i].name) == n && memcmp(ev->types[i].name, name, n) == 0) return i;
    ev->types = realloc(ev->types, (size_t)(ev->n_types + 1) * sizeof *ev->types);
    ax_chunk_counts *t = &ev->types[ev->n_types];
    *t = (ax_chunk_counts){.name = malloc(n + 1)};
    memcpy(t->name, name, n);
    t->name[n] = 0;
    return ev->n_types++;
}

void ax_conlleval_init(ax_conlleval *ev) {
    *ev = (ax_conlleval){.last_correct = 'O', .last_guessed = 'O'};
    ev->last_correct_type = ev->last_guessed_type = intern_type(ev, "", 0);
}

static bool is(char a, char b, char x, char y) { return a == x && b == y; }

static bool end_of_chunk(char prev, char tag, int prev_type, int type) {
    return is(prev, tag, 'B', 'B') || is(prev, tag, 'B', 'O') || is(prev, tag, 'I', 'B') || is(prev, tag, 'I', 'O') ||
           is(prev, tag, 'E', 'E') || is(prev, tag, 'E', 'I') || is(prev, tag, 'E', 'O') ||
           (prev != 'O' && prev != '.' && prev_type != type) || prev == ']' || prev == '[';
}

static bool start_of_chunk(char prev, char tag, int prev_type, int type) {
    return is(prev, tag, 'B', 'B') || is(prev, tag, 'I', 'B') || is(prev, tag, 'O', 'B') || is(prev, tag, 'O', 'I') ||
           is(prev, tag, 'E', 'E') || is(prev, tag, 'E', 'I') || is(prev, tag, 'O', 'E') ||
           (tag != 'O' && tag != '.' && prev_type != type) || tag == '[' || tag == ']';
}

// one line of the script's main loop; boundary = a sentence break (read as O O and not counted)
static void step(ax_conlleval *ev, const char *gold, const char *guess, bool boundary) {
    const char *gd = strchr(gold, '-'), *gs = strchr(guess, '-');
    size_t gdn = gd ? (size_t)(gd - gold) : strlen(gold), gsn = gs ? (size_t)(gs - guess) : strlen(guess);
    char c = prefix_code(gold, gdn), g = prefix_code(guess, gsn);
    int ct = gd ? intern_type(ev, gd + 1, strlen(gd + 1)) : intern_type(ev, "", 0);
    int gt = gs ? intern_type(ev, gs + 1, strlen(gs + 1)) : intern_type(ev, "", 0);
    if (ev->in_correct) {
        bool ec = end_of_chunk(ev->last_correct, c, ev->last_correct_type, ct);
        bool eg = end_of_chunk(ev->last_guessed, g, ev->last_guessed_type, gt);
        if (ec && eg && ev->last_guessed_type == ev->last_correct_type) {
            ev->in_correct = false;
            ev->correct++;
            ev->types[ev->last_correct_type].correct++;
        } else if (ec != eg || gt != ct) {
            ev->in_correct = false;
        }
    }
    bool sc = start_of_chunk(ev->last_correct, c, ev->last_correct_type, ct);
    bool sg = start_of_chunk(ev->last_guessed, g, ev->last_guessed_type, gt);
    if (sc && sg && gt == ct) ev->in_correct = true;
    if (sc) ev->found_correct++, ev->types[ct].found_correct++;
    if (sg) ev->found_guessed++, ev->types[gt].found_guessed++;
    if (!boundary) {
        ev->correct_tags += gdn == gsn && memcmp(gold, guess, gdn) == 0 && gt == ct;
        ev->tokens++;
    }
    ev->last_correct = c, ev->last_guessed = g;
    ev->last_correct_type = ct, ev->last_guessed_type = gt;
}

void ax_conlleval_token(ax_conlleval *ev, const char *gold, const char *guess) { step(ev, gold, guess, false); }
void ax_conlleval_boundary(ax_conlleval *ev) { step(ev, "O", "O", true); }

static int type_cmp(const void *a, const void *b) {
    return strcmp(((const ax_chunk_counts *)a)->name, ((const ax_chunk_counts *)b)->name);
}

void ax_conlleval_finish(ax_conlleval *ev) {
    if (ev->in_correct) {
        ev->in_correct = false;
        ev->correct++;
        ev->types[ev->last_correct_type].correct++;
    }
    qsort(ev->types, (size_t)ev->n_types, sizeof *ev->types, type_cmp);
    ev->last_correct_type = ev->last_guessed_type = -1; // indices are void after sorting
}

void ax_conlleval_free(ax_conlleval *ev) {
    for (int i = 0; i < ev->n_types; i++) free(ev->types[i].name);
    free(ev->types);
    *ev = (ax_conlleval){0};
}

void ax_conlleval_prf(int64_t correct, int64_t guessed, int64_t gold, double *precision, double *recall,
                      double *f1) {
    *precision = guessed > 0 ? 100.0 * (double)correct / (double)guessed : 0.0;
    *recall = gold > 0 ? 100.0 * (double)correct / (double)gold : 0.0;
    *f1 = *precision + *recall > 0 ? 2 * *precision * *recall / (*precision + *recall) : 0.0;
}

char *ax_conlleval_report(const ax_conlleval *ev) {
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp) return NULL;
    double p, r, f;
    fprintf(fp, "processed %lld tokens with %lld phrases; found: %lld phrases; correct: %lld.\n",
            (long long)ev->tokens, (long long)ev->found_correct, (long long)ev->found_guessed,
            (long long)ev->correct);
    if (ev->tokens > 0) {
        ax_conlleval_prf(ev->correct, ev->found_guessed, ev->found_correct, &p, &r, &f);
        fprintf(fp, "accuracy: %6.2f%%; precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f\n",
                100.0 * (double)ev->correct_tags / (double)ev->tokens, p, r, f);
    }
    for (int i = 0; i < ev->n_types; i++) {
        const ax_chunk_counts *t = &ev->types[i];
        // the script lists the names of both count tables; a false name ("") is not recognised as a repeat
        int rows = t->name[0] ? (t->found_correct || t->found_guessed)
                              : (t->found_correct > 0) + (t->found_guessed > 0);
        ax_conlleval_prf(t->correct, t->found_guessed, t->found_correct, &p, &r, &f);
        for (int k = 0; k < rows; k++)
            fprintf(fp, "%17s: precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f  %lld\n", t->name, p, r, f,
                    (long long)t->found_guessed);
    }
    fclose(fp);
    return buf;
}
