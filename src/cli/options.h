/* Option parsing shared by every axon command: `--name value`, `--name=value`, `--flag`, `--help`,
 * `--config FILE.json`. */
#ifndef AX_CLI_OPTIONS_H
#define AX_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { OPT_INT, OPT_FLOAT, OPT_STRING, OPT_FLAG } cli_opt_kind;

typedef struct {
    const char *name;  // without the leading "--"
    cli_opt_kind kind; // how the value is parsed
    void *dest;        // int64_t*, double*, const char**, or bool*; its initial value is the default
    const char *help;  // one line
} cli_option;

typedef struct {
    const char *usage;        // "axon demo xor [options]"
    const char *summary;      // one line on what the command does
    const cli_option *opts;   // (n_opts) accepted options
    int n_opts;
} cli_command_spec;

/* Parses argv[0..argc) (argv[0] is the first word after the command). Positional words are collected into
 * positional (up to max_positional). `--config FILE.json` (unless the command declares its own "config"
 * option) first sets options from the JSON object's members ("batch_size" may stand for "batch-size"); the
 * command line then wins. Returns 0 to go on, CLI_EXIT_HELP after printing --help (exit 0), 1 after a one-line
 * error about an unreadable config file, or 2 after printing a one-line usage error. */
#define CLI_EXIT_HELP (-1)
int cli_parse(const cli_command_spec *spec, int argc, char **argv, const char **positional, int max_positional,
              int *n_positional);
void cli_print_help(const cli_command_spec *spec);

/* The file `name` in the directory of `data` when `opt` is "" and that file is readable; `opt` itself when it names
 * a file; NULL for "none" or a missing sibling. buf (cap bytes) holds the path built. */
const char *cli_sibling_path(const char *data, const char *opt, const char *name, char *buf, size_t cap);

#endif
