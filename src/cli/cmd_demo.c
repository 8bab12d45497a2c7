/* `axon demo <name>`: small self-contained demonstrations. */
#include "axon.h"
#include "cli/cli.h"
#include "cli/options.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    int every; // print every this many epochs
    bool quiet; // print nothing per epoch
} xor_log_ctx;

static void xor_log(int epoch, float loss, void *ctx) {
    const xor_log_ctx *c = ctx;
    if (!c->quiet && (epoch == 1 || epoch % c->every == 0)) fprintf(stderr, "epoch %5d  loss %.6f\n", epoch, loss);
}

static int demo_xor(int argc, char **argv) {
    ax_xor_config cfg = ax_xor_defaults();
    int64_t hidden = cfg.hidden, epochs = cfg.epochs, seed = (int64_t)cfg.seed, threads = 1;
    double lr = cfg.lr;
    bool quiet = false, json = false;
    const cli_option opts[] = {
        {"hidden", OPT_INT, &hidden, "hidden units"},
        {"epochs", OPT_INT, &epochs, "full-batch SGD steps"},
        {"lr", OPT_FLOAT, &lr, "learning rate"},
        {"seed", OPT_INT, &seed, "random seed for the initial weights"},
        {"threads", OPT_INT, &threads, "threads (0 = all cores)"},
        {"quiet", OPT_FLAG, &quiet, "no per-epoch loss lines"},
        {"json", OPT_FLAG, &json, "print the result as JSON on stdout"},
    };
    const cli_command_spec spec = {"axon demo xor [options]",
                                   "Train a 2-layer sigmoid MLP on XOR with MSE and plain SGD; print the loss "
                                   "falling and the four outputs.",
                                   opts, (int)(sizeof opts / sizeof *opts)};
    const char *pos[1];
    int n_pos, rc = cli_parse(&spec, argc, argv, pos, 0, &n_pos);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    if (hidden < 1 || hidden > 4096 || epochs < 1 || lr <= 0) {
        fprintf(stderr, "axon: demo xor needs --hidden in 1..4096, --epochs ≥ 1 and --lr > 0\n");
        return 2;
    }
    ax_set_threads((int)threads);
    cfg.hidden = (int)hidden;
    cfg.epochs = (int)epochs;
    cfg.lr = (float)lr;
    cfg.seed = (uint64_t)seed;
    xor_log_ctx log = {.every = cfg.epochs >= 10 ? cfg.epochs / 10 : 1, .quiet = quiet};
    ax_xor_result res;
    ax_xor_train(&cfg, &res, xor_log, &log);

    static const char *inputs[4] = {"0 0", "0 1", "1 0", "1 1"};
    if (json) {
        printf("{\"loss\": %.6f, \"outputs\": [%.6f, %.6f, %.6f, %.6f]}\n", res.loss, res.output[0], res.output[1],
               res.output[2], res.output[3]);
        return 0;
    }
    printf("final loss %.6f\n x1 x2 | target | output | predicted\n", res.loss);
    for (int i = 0; i < 4; i++)
        printf("  %s  |   %d    | %.4f |    %d\n", inputs[i], (i == 1 || i == 2), res.output[i], res.output[i] > 0.5f);
    return 0;
}

int cmd_demo(int argc, char **argv) {
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        printf("usage: axon demo <name> [options]\n\ndemos:\n  xor    2-layer MLP learns XOR (MSE + SGD)\n");
        return argc < 1 ? 2 : 0;
    }
    if (strcmp(argv[0], "xor") == 0) return demo_xor(argc - 1, argv + 1);
    fprintf(stderr, "axon: unknown demo '%s' (available: xor)\n", argv[0]);
    return 2;
}
