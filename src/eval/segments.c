/* Reading a file of segments, one per line. */
#include "axon/base.h"
#include "axon/eval.h"
#include "axon/io.h"

#include <stdlib.h>
#include <string.h>

#define SEGMENTS_MAX_BYTES ((size_t)1 << 31) // a larger file is rejected

int ax_segments_read(const char *path, char ***lines, int64_t *n) {
    char *text;
    size_t len;
    *lines = NULL;
    *n = 0;
    if (ax_read_file(path, SEGMENTS_MAX_BYTES, (void **)&text, &len) != AX_OK) return AX_ERR;
    if (memchr(text, 0, len)) {
        free(text);
        return ax_error("%s: contains a NUL byte (not a text file)", path);
    }
    int64_t cap = 1;
    for (size_t i = 0; i < len; i++) cap += text[i] == '\n';
    char **out = malloc((size_t)cap * sizeof *out);
    int64_t m = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len, stop = end;
        if (stop > i && text[stop - 1] == '\r') stop--;
        out[m] = malloc(stop - i + 1);
        memcpy(out[m], text + i, stop - i);
        out[m++][stop - i] = 0;
        i = end + 1;
    }
    free(text);
    *lines = out;
    *n = m;
    return AX_OK;
}

void ax_segments_free(char **lines, int64_t n) {
    for (int64_t i = 0; i < n; i++) free(lines[i]);
    free(lines);
}
