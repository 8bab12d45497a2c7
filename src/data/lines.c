/* Line iteration over an in-memory text file. */
#include "data/lines.h"
#include "axon/base.h"
#include "axon/io.h"

#include <stdlib.h>
#include <string.h>

int line_iter_open(const char *path, char **text, line_iter *it) {
    size_t len;
    if (ax_read_file(path, AX_TEXT_MAX_BYTES, (void **)text, &len) != AX_OK) return AX_ERR;
    if (memchr(*text, 0, len)) {
        free(*text);
        *text = NULL;
        return ax_error("%s: contains a NUL byte (not a text file)", path);
    }
    *it = (line_iter){*text, *text + len, 0};
    return AX_OK;
}

char *line_next(line_iter *it) {
    if (it->p >= it->end) return NULL;
    char *line = it->p, *nl = memchr(line, '\n', (size_t)(it->end - line)), *stop = nl ? nl : it->end;
    it->p = nl ? nl + 1 : it->end;
    if (stop > line && stop[-1] == '\r') stop--;
    *stop = 0; // a "\n", a "\r" or the NUL after the text (ax_read_file terminates it)
    it->no++;
    return line;
}
