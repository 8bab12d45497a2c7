/* The Anki TSV pair reader: 2- and 3-column lines, CRLF, malformed lines counted, skipped and named. */
#include "check.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// reads path with stderr captured into err (cap bytes)
static int read_capturing(const char *path, ax_pairs *p, const char *err_path, char *err, size_t cap) {
    fflush(stderr);
    int saved = dup(2), fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    int rc = ax_pairs_read_tsv(path, p);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    FILE *fp = fopen(err_path, "r");
    size_t n = fp ? fread(err, 1, cap - 1, fp) : 0;
    err[n] = 0;
    if (fp) fclose(fp);
    return rc;
}

static void test_pairs(const char *path, const char *err_path) {
    FILE *fp = fopen(path, "w");
    if (!CHECK(fp != NULL, "create %s", path)) return;
    fputs("Go.\tGeh.\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM)\n" // 1: three columns
          "Hi.\tHallo!\r\n"                                                      // 2: CRLF, two columns
          "\n"                                                                   // 3: blank, ignored
          "no tab here\n"                                                        // 4: one column
          "Run!\t\tattribution\n"                                                // 5: empty target
          " \tLauf!\n"                                                           // 6: blank source
          "a\tb\tc\td\n"                                                         // 7: four columns
          "Wow!\tDonnerwetter!",                                                 // 8: no final newline
          fp);
    fclose(fp);
    ax_pairs p;
    char err[4096];
    if (!CHECK(read_capturing(path, &p, err_path, err, sizeof err) == AX_OK, "read: %s", ax_last_error())) return;
    CHECK(p.n == 3 && p.skipped == 4, "pairs %lld skipped %lld", (long long)p.n, (long long)p.skipped);
    if (p.n == 3)
        CHECK(strcmp(p.src[0], "Go.") == 0 && strcmp(p.tgt[0], "Geh.") == 0 && strcmp(p.tgt[1], "Hallo!") == 0 &&
                  strcmp(p.src[2], "Wow!") == 0 && strcmp(p.tgt[2], "Donnerwetter!") == 0,
              "pair texts");
    CHECK(strstr(err, "deu.txt:4: expected 2 or 3") && strstr(err, "deu.txt:5: empty target") &&
              strstr(err, "deu.txt:6: empty source") && strstr(err, "deu.txt:7: expected") && !strstr(err, ":3:"),
          "warnings name the lines:\n%s", err);
    ax_pairs_free(&p);
    CHECK(ax_pairs_read_tsv("/nonexistent/pairs.tsv", &p) == AX_ERR && strstr(ax_last_error(), "pairs.tsv"),
          "missing file: %s", ax_last_error());
}

int main(void) {
    char dir[] = "/tmp/axon_tsvXXXXXX";
    if (!mkdtemp(dir)) return 1;
    char path[256], err_path[256];
    snprintf(path, sizeof path, "%s/deu.txt", dir);
    snprintf(err_path, sizeof err_path, "%s/stderr.txt", dir);
    test_pairs(path, err_path);
    unlink(path);
    unlink(err_path);
    rmdir(dir);
    return check_report();
}
