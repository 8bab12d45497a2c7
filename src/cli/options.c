/* Option parsing for the CLI (see options.h). */
#include "cli/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_default(const cli_option *o) {
    switch (o->kind) {
    case OPT_INT: printf(" (default %lld)", (long long)*(int64_t *)o->dest); break;
    case OPT_FLOAT: printf(" (default %g)", *(double *)o->dest); break;
    case OPT_STRING:
        if (*(const char **)o->dest) printf(" (default %s)", *(const char **)o->dest);
        break;
    case OPT_FLAG: break;
    }
}

void cli_print_help(const cli_command_spec *spec) {
    printf("usage: %s\n%s\n\noptions:\n", spec->usage, spec->summary);
    for (int i = 0; i < spec->n_opts; i++) {
        const cli_option *o = &spec->opts[i];
        char left[64];
        snprintf(left, sizeof left, "--%s%s", o->name,
                 o->kind == OPT_FLAG ? "" : o->kind == OPT_STRING ? " S" : o->kind == OPT_INT ? " N" : " X");
        printf("  %-22s %s", left, o->help);
        print_default(o);
        putchar('\n');
    }
    printf("  %-22s %s\n", "--help", "show this help");
}

static int set_value(const cli_command_spec *spec, const cli_option *o, const char *value) {
    char *end;
    errno = 0;
    switch (o->kind) {
    case OPT_INT: {
        long long v = strtoll(value, &end, 10);
        if (errno || end == value || *end) break;
        *(int64_t *)o->dest = v;
        return 0;
    }
    case OPT_FLOAT: {
        double v = strtod(value, &end);
        if (errno || end == value || *end) break;
        *(double *)o->dest = v;
        return 0;
    }
    case OPT_STRING: *(const char **)o->dest = value; return 0;
    case OPT_FLAG: break;
    }
    fprintf(stderr, "axon: --%s expects %s, got '%s' (usage: %s)\n", o->name,
            o->kind == OPT_INT ? "an integer" : "a number", value, spec->usage);
    return 2;
}

int cli_parse(const cli_command_spec *spec, int argc, char **argv, const char **positional, int max_positional,
              int *n_positional) {
    *n_positional = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cli_print_help(spec);
            return CLI_EXIT_HELP;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            if (*n_positional >= max_positional) {
                fprintf(stderr, "axon: unexpected argument '%s' (usage: %s)\n", arg, spec->usage);
                return 2;
            }
            positional[(*n_positional)++] = arg;
            continue;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const cli_option *o = NULL;
        for (int k = 0; k < spec->n_opts; k++)
            if (strlen(spec->opts[k].name) == len && strncmp(spec->opts[k].name, name, len) == 0) o = &spec->opts[k];
        if (!o) {
            fprintf(stderr, "axon: unknown option '--%.*s' (see %s --help)\n", (int)len, name, spec->usage);
            return 2;
        }
        if (o->kind == OPT_FLAG) {
            if (eq) {
                fprintf(stderr, "axon: --%s takes no value\n", o->name);
                return 2;
            }
            *(bool *)o->dest = true;
            continue;
        }
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value) {
            fprintf(stderr, "axon: --%s needs a value (usage: %s)\n", o->name, spec->usage);
            return 2;
        }
        int rc = set_value(spec, o, value);
        if (rc) return rc;
    }
    return 0;
}
