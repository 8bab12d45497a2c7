/* `axon eval --ckpt DIR`: accuracy, loss, per-class accuracy and the most confused classes of a classifier
 * checkpoint on a labelled split (the test set by default); --svg writes the confusion matrix. */
#include "cli/classifier.h"
#include "cli/cli.h"
#include "cli/options.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_CONFUSED 3 // most confused (true, predicted) pairs shown

typedef struct {
    const char *ckpt, *data, *split, *svg; // checkpoint dir, data dir (NULL: the checkpoint's), split, SVG path
    int64_t batch, threads, limit;         // images per forward pass, threads, first N images only (0: all)
    bool json;                             // JSON on stdout
} eval_opts;

static int parse(int argc, char **argv, eval_opts *o) {
    *o = (eval_opts){.ckpt = "runs/mlp", .split = "test", .batch = 1000};
    const cli_option opts[] = {
        {"ckpt", OPT_STRING, &o->ckpt, "checkpoint directory (config.json + model.safetensors)"},
        {"data", OPT_STRING, &o->data, "data directory (default: the one the checkpoint was trained on)"},
        {"split", OPT_STRING, &o->split, "test (t10k-* files) or train"},
        {"limit", OPT_INT, &o->limit, "evaluate only the first N images (0: all)"},
        {"batch-size", OPT_INT, &o->batch, "images per forward pass"},
        {"threads", OPT_INT, &o->threads, "threads (0: all cores)"},
        {"svg", OPT_STRING, &o->svg, "also write the confusion matrix to this SVG file"},
        {"json", OPT_FLAG, &o->json, "print the results as JSON on stdout"},
    };
    const cli_command_spec spec = {"axon eval --ckpt DIR [options]",
                                   "Evaluate a classifier checkpoint: accuracy, loss and per-class accuracy on a "
                                   "labelled split.",
                                   opts, (int)(sizeof opts / sizeof *opts)};
    const char *pos[1];
    int n_pos, rc = cli_parse(&spec, argc, argv, pos, 0, &n_pos);
    if (rc) return rc;
    if (o->batch < 1 || o->threads < 0 || o->limit < 0) {
        fprintf(stderr, "axon: eval needs --batch-size ≥ 1, --threads ≥ 0 and --limit ≥ 0\n");
        return 2;
    }
    return 0;
}

static void print_json(const cli_classifier *c, const ax_class_stats *st, const int64_t *conf) {
    int64_t C = c->mlp->cfg.classes;
    cJSON *j = cJSON_CreateObject(), *per = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "accuracy", (double)st->correct / (double)st->n);
    cJSON_AddNumberToObject(j, "loss", st->loss_sum / (double)st->n);
    cJSON_AddNumberToObject(j, "images", (double)st->n);
    for (int64_t k = 0; k < C; k++) {
        int64_t total = 0;
        for (int64_t p = 0; p < C; p++) total += conf[k * C + p];
        if (total) cJSON_AddNumberToObject(per, c->class_names[k], (double)conf[k * C + k] / (double)total);
    }
    cJSON_AddItemToObject(j, "per_class_accuracy", per);
    char *text = cJSON_PrintUnformatted(j);
    if (text) puts(text);
    free(text);
    cJSON_Delete(j);
}

// the N_CONFUSED largest off-diagonal cells
static void print_confused(const cli_classifier *c, const int64_t *conf) {
    int64_t C = c->mlp->cfg.classes, shown[N_CONFUSED];
    printf("most confused (true → predicted):\n");
    for (int k = 0; k < N_CONFUSED; k++) {
        int64_t best = -1;
        for (int64_t i = 0; i < C * C; i++) {
            bool used = false;
            for (int u = 0; u < k; u++) used = used || shown[u] == i;
            if (i / C != i % C && !used && conf[i] > 0 && (best < 0 || conf[i] > conf[best])) best = i;
        }
        if (best < 0) break;
        shown[k] = best;
        printf("  %-14s → %-14s %lld\n", c->class_names[best / C], c->class_names[best % C], (long long)conf[best]);
    }
}

static void print_text(const cli_classifier *c, const ax_class_stats *st, const int64_t *conf) {
    int64_t C = c->mlp->cfg.classes;
    printf("accuracy: %.4f\nloss: %.4f\nper-class accuracy:\n", (double)st->correct / (double)st->n,
           st->loss_sum / (double)st->n);
    for (int64_t k = 0; k < C; k++) {
        int64_t total = 0;
        for (int64_t p = 0; p < C; p++) total += conf[k * C + p];
        if (total)
            printf("  %-14s %.4f  (%lld / %lld)\n", c->class_names[k], (double)conf[k * C + k] / (double)total,
                   (long long)conf[k * C + k], (long long)total);
    }
    print_confused(c, conf);
}

static int write_svg(const cli_classifier *c, const int64_t *conf, const char *path, double acc) {
    int64_t C = c->mlp->cfg.classes;
    double *cells = malloc((size_t)(C * C) * sizeof *cells);
    if (!cells) return ax_error("out of memory");
    for (int64_t i = 0; i < C * C; i++) cells[i] = (double)conf[i];
    char title[96];
    snprintf(title, sizeof title, "Confusion matrix (accuracy %.4f)", acc);
    const char *const *names = (const char *const *)c->class_names;
    int rc = ax_svg_heatmap(path, &(ax_svg_labels){title, "predicted class", "true class"}, cells, (int)C, (int)C,
                            names, names, true);
    free(cells);
    return rc;
}

static int evaluate(const eval_opts *o, cli_classifier *c, ax_image_set *s) {
    const char *dir = o->data ? o->data : *c->data ? c->data : CLI_DEFAULT_IMAGE_DATA;
    if (cli_load_split(dir, o->split, s) != AX_OK || cli_check_images(c->mlp, s, dir) != AX_OK) return 1;
    int64_t n = o->limit > 0 && o->limit < s->n ? o->limit : s->n, C = c->mlp->cfg.classes;
    int64_t *conf = calloc((size_t)(C * C), sizeof *conf);
    if (!conf) return ax_error("out of memory"), 1;
    ax_class_stats st = ax_mlp_evaluate(c->mlp, s, NULL, n, o->batch, conf);
    int rc = o->svg ? write_svg(c, conf, o->svg, (double)st.correct / (double)st.n) : AX_OK;
    if (rc == AX_OK) {
        char arch[160];
        cli_mlp_describe(&c->mlp->cfg, arch, sizeof arch);
        if (o->json) {
            print_json(c, &st, conf);
        } else {
            printf("checkpoint %s: mlp %s\ndata %s (%s split, %lld images)\n", o->ckpt, arch, dir, o->split,
                   (long long)n);
            print_text(c, &st, conf);
        }
    }
    free(conf);
    return rc == AX_OK ? 0 : 1;
}

int cmd_eval(int argc, char **argv) {
    eval_opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc == CLI_EXIT_HELP ? 0 : rc;
    ax_set_threads((int)o.threads);
    cli_classifier c;
    ax_image_set s = {0};
    if (cli_classifier_load(o.ckpt, &c) != AX_OK) {
        fprintf(stderr, "axon: %s\n", ax_last_error());
        return 1;
    }
    rc = evaluate(&o, &c, &s);
    if (rc) fprintf(stderr, "axon: %s\n", ax_last_error());
    ax_image_set_free(&s);
    cli_classifier_free(&c);
    return rc;
}
