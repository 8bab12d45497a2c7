/* Walking a text file held in memory line by line, cutting each line in place. */
#ifndef AX_DATA_LINES_H
#define AX_DATA_LINES_H

#include <stddef.h>
#include <stdint.h>

#define AX_TEXT_MAX_BYTES ((size_t)1 << 31) // larger text data files are rejected

typedef struct {
    char *p;    // start of the next line
    char *end;  // end of the text
    int64_t no; // 1-based number of the line last returned
} line_iter;

/* Reads path into *text (malloc'd) and starts it; AX_ERR with a message (also for a NUL byte). */
int line_iter_open(const char *path, char **text, line_iter *it);
/* The next line, NUL-terminated in place without its "\n" / "\r\n", or NULL at the end. */
char *line_next(line_iter *it);

#endif
