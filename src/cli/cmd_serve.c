/* `axon serve --ckpt DIR [--ckpt DIR …]`: an OpenAI-compatible HTTP server with a web playground (src/serve/,
 * docs/serve.md). Built only when libmicrohttpd was found (AXON_SERVE); otherwise the command says so. */
#include "cli/cli.h"
#include "cli/options.h"

#include <stdio.h>
#include <string.h>

#ifdef AXON_SERVE
#include "serve/serve.h"

#define MAX_CKPTS 16

/* --ckpt may be repeated: cli_parse keeps the last value, so the directories are collected first and the
 * words after them are parsed as usual. */
static int collect_ckpts(int argc, char **argv, const char **ckpts, int *n, char **rest, int *n_rest) {
    *n = *n_rest = 0;
    for (int i = 0; i < argc; i++) {
        bool eq = strncmp(argv[i], "--ckpt=", 7) == 0;
        if (strcmp(argv[i], "--ckpt") != 0 && !eq) {
            rest[(*n_rest)++] = argv[i];
            continue;
        }
        if (*n == MAX_CKPTS) {
            fprintf(stderr, "axon: serve takes at most %d --ckpt\n", MAX_CKPTS);
            return 2;
        }
        if (!eq && i + 1 == argc) {
            fprintf(stderr, "axon: --ckpt needs a directory\n");
            return 2;
        }
        ckpts[(*n)++] = eq ? argv[i] + 7 : argv[++i];
    }
    return 0;
}

int cmd_serve(int argc, char **argv) {
    const char *ckpts[MAX_CKPTS], *ckpt_help = NULL, *host = "127.0.0.1";
    char *rest[argc + 1];
    int n_ckpts, n_rest;
    int rc = collect_ckpts(argc, argv, ckpts, &n_ckpts, rest, &n_rest);
    if (rc) return rc;
    int64_t port = 8080, threads = 0, max_batch = 16, max_queue = 64, max_conn = 256, max_tokens = 4096, max_n = 8;
    int64_t max_body = 1 << 20, idle = 10;
    double timeout = 120;
    bool quiet = false;
    const cli_option opts[] = {
        {"ckpt", OPT_STRING, &ckpt_help, "a checkpoint directory to serve (repeat for several; gpt, mlp or seq2seq)"},
        {"host", OPT_STRING, &host, "IPv4 address to listen on (0.0.0.0: every interface)"},
        {"port", OPT_INT, &port, "TCP port (0: any free port, printed at start)"},
        {"threads", OPT_INT, &threads, "threads of the model computations (0 = all cores)"},
        {"max-batch", OPT_INT, &max_batch, "sequences decoded together at most (continuous batching)"},
        {"max-queue", OPT_INT, &max_queue, "requests waiting at most; more are answered 503"},
        {"max-connections", OPT_INT, &max_conn, "open connections at most"},
        {"max-tokens", OPT_INT, &max_tokens, "largest max_tokens a request may ask for"},
        {"max-n", OPT_INT, &max_n, "most choices (n) per request"},
        {"max-body", OPT_INT, &max_body, "largest request body in bytes; larger ones are answered 413"},
        {"timeout", OPT_FLOAT, &timeout, "seconds a request may take, waiting included (0 = no limit)"},
        {"idle-timeout", OPT_INT, &idle, "seconds before an idle connection is closed"},
        {"quiet", OPT_FLAG, &quiet, "no request log on stderr"},
    };
    const cli_command_spec spec = {"axon serve --ckpt DIR [--ckpt DIR …] [--port N] [options]",
                                   "Serve checkpoints over HTTP: the OpenAI API (/v1/completions, "
                                   "/v1/chat/completions, /v1/classify, /v1/models), /health, /metrics, and a web "
                                   "playground at /. Stops on Ctrl-C.",
                                   opts, (int)(sizeof opts / sizeof *opts)};
    int n_pos;
    rc = cli_parse(&spec, n_rest, rest, NULL, 0, &n_pos);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    if (n_ckpts == 0) {
        fprintf(stderr, "axon: serve needs --ckpt DIR (usage: %s)\n", spec.usage);
        return 2;
    }
    if (port < 0 || port > 65535 || threads < 0 || max_batch < 1 || max_batch > 4096 || max_queue < 1 ||
        max_conn < 1 || max_tokens < 1 || max_n < 1 || max_body < 1 || !(timeout >= 0) || idle < 1) {
        fprintf(stderr, "axon: serve needs --port in 0..65535, --timeout ≥ 0 and every other limit ≥ 1\n");
        return 2;
    }
    serve_config cfg = {.ckpts = ckpts, .n_ckpts = n_ckpts, .host = host, .port = (int)port, .threads = (int)threads,
                        .max_batch = (int)max_batch, .max_queue = (int)max_queue, .max_connections = (int)max_conn,
                        .max_tokens = (int)max_tokens, .max_n = (int)max_n, .max_body = (size_t)max_body,
                        .timeout_s = timeout, .idle_timeout_s = (int)idle, .quiet = quiet};
    return serve_main(&cfg);
}

#else

int cmd_serve(int argc, char **argv) {
    fprintf(stderr, "axon: this build has no `serve`: libmicrohttpd was not found when it was configured "
                    "(apt-get install libmicrohttpd-dev, then re-run cmake)\n");
    return 1;
}

#endif
