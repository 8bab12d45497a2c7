/* axon — the command-line tool: `axon <command> [options]`. */
#include "axon.h"

#include <stdio.h>
#include <string.h>

static void print_usage(FILE *fp) {
    fprintf(fp, "usage: axon <command> [options]\n"
                "\n"
                "commands:\n"
                "  help [command]   show help for a command\n"
                "  --version        print the version\n");
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("axon %s\n", ax_version());
        return 0;
    }
    fprintf(stderr, "axon: unknown command '%s' (see axon --help)\n", argv[1]);
    return 2;
}
