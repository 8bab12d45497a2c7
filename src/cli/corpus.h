/* Training text for the language-model trainers: a file (plain or gzip-compressed) or the corpus compiled into
 * the tool, Jane Austen's six novels (data/austen.txt.gz, embedded at build time by cmake/embed.cmake). */
#ifndef AX_CLI_CORPUS_H
#define AX_CLI_CORPUS_H

#include <stddef.h>

#define CLI_TEXT_MAX ((size_t)1 << 31) // a longer text is refused (token positions are int32 in places)
#define CLI_AUSTEN_NAME "the built-in Jane Austen corpus" // for messages

/* The whole file at path into malloc'd memory (NUL-terminated); gzip files are inflated. AX_ERR with one line. */
int cli_read_text(const char *path, char **text, size_t *len);
/* The built-in corpus (4.0 MB of text, 81 distinct characters), inflated into malloc'd memory. */
int cli_austen_text(char **text, size_t *len);

#endif
