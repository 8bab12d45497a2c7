/* Option parsing for the CLI (see options.h). `--config FILE.json` sets options from a JSON object first;
 * the command line then overrides them. */
#include "cli/options.h"
#include "axon/io.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static const cli_option *find_option(const cli_command_spec *spec, const char *name, size_t len) {
    for (int k = 0; k < spec->n_opts; k++)
        if (strlen(spec->opts[k].name) == len && strncmp(spec->opts[k].name, name, len) == 0) return &spec->opts[k];
    return NULL;
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
    if (!find_option(spec, "config", 6))
        printf("  %-22s %s\n", "--config FILE",
               "options from a JSON object ({\"option\": value, ...}); the command line wins");
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

/* ---- --config FILE.json ---- */

static cJSON *kept[8]; // parsed config files: string options point into them until exit
static int n_kept;

static void free_kept(void) {
    for (int i = 0; i < n_kept; i++) cJSON_Delete(kept[i]);
    n_kept = 0;
}

// the option a config key names: its exact name, or with '_' for '-' ("batch_size")
static const cli_option *option_for_key(const cli_command_spec *spec, const char *key) {
    char name[64];
    size_t len = strlen(key);
    if (len >= sizeof name) return NULL;
    for (size_t i = 0; i <= len; i++) name[i] = key[i] == '_' ? '-' : key[i];
    return strcmp(name, "config") == 0 ? NULL : find_option(spec, name, len);
}

static int apply_json_value(const cli_command_spec *spec, const cli_option *o, const cJSON *v, const char *path) {
    if (cJSON_IsString(v) && o->kind != OPT_FLAG) return set_value(spec, o, v->valuestring);
    bool integral = cJSON_IsNumber(v) && v->valuedouble == (double)(int64_t)v->valuedouble;
    switch (o->kind) {
    case OPT_INT:
        if (!integral) break;
        *(int64_t *)o->dest = (int64_t)v->valuedouble;
        return 0;
    case OPT_FLOAT:
        if (!cJSON_IsNumber(v)) break;
        *(double *)o->dest = v->valuedouble;
        return 0;
    case OPT_FLAG:
        if (!cJSON_IsBool(v)) break;
        *(bool *)o->dest = cJSON_IsTrue(v);
        return 0;
    case OPT_STRING: break;
    }
    static const char *const want[] = {"an integer", "a number", "a string", "true or false"};
    fprintf(stderr, "axon: %s: \"%s\" must be %s\n", path, v->string, want[o->kind]);
    return 2;
}

// applies every member of the JSON object in path; 1 if the file is unreadable or not an object, 2 on a bad key
static int load_config(const cli_command_spec *spec, const char *path) {
    void *text;
    size_t len;
    if (ax_read_file(path, 1u << 20, &text, &len) != AX_OK) {
        fprintf(stderr, "axon: --config: %s\n", ax_last_error());
        return 1;
    }
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(root) || n_kept == (int)(sizeof kept / sizeof *kept)) {
        fprintf(stderr, "axon: --config %s: not a JSON object of option values\n", path);
        cJSON_Delete(root);
        return 1;
    }
    if (n_kept == 0) atexit(free_kept);
    kept[n_kept++] = root;
    for (const cJSON *v = root->child; v; v = v->next) {
        const cli_option *o = option_for_key(spec, v->string);
        if (!o) {
            fprintf(stderr, "axon: %s: unknown option \"%s\" (see %s --help)\n", path, v->string, spec->usage);
            return 2;
        }
        int rc = apply_json_value(spec, o, v, path);
        if (rc) return rc;
    }
    return 0;
}

// the FILE of a "--config FILE" / "--config=FILE" in argv (NULL if none; "" if the value is missing)
static const char *config_arg(int argc, char **argv) {
    const char *path = NULL;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--config=", 9) == 0) path = argv[i] + 9;
        else if (strcmp(argv[i], "--config") == 0) path = i + 1 < argc ? argv[++i] : "";
    }
    return path;
}

/* ---- the command line ---- */

int cli_parse(const cli_command_spec *spec, int argc, char **argv, const char **positional, int max_positional,
              int *n_positional) {
    *n_positional = 0;
    bool own_config = find_option(spec, "config", 6) != NULL; // the command has its own --config option
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_print_help(spec);
            return CLI_EXIT_HELP;
        }
    const char *config = own_config ? NULL : config_arg(argc, argv);
    if (config && !*config) {
        fprintf(stderr, "axon: --config needs a JSON file (usage: %s)\n", spec->usage);
        return 2;
    }
    int rc = config ? load_config(spec, config) : 0;
    if (rc) return rc;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!own_config && (strcmp(arg, "--config") == 0 || strncmp(arg, "--config=", 9) == 0)) {
            i += arg[8] == '\0'; // skip the file name too
            continue;
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
        const cli_option *o = find_option(spec, name, len);
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
        rc = set_value(spec, o, value);
        if (rc) return rc;
    }
    return 0;
}

const char *cli_sibling_path(const char *data, const char *opt, const char *name, char *buf, size_t cap) {
    if (strcmp(opt, "none") == 0) return NULL;
    if (*opt) return opt;
    const char *slash = strrchr(data, '/');
    snprintf(buf, cap, "%.*s%s", slash ? (int)(slash - data + 1) : 0, data, name);
    return access(buf, R_OK) == 0 ? buf : NULL;
}
