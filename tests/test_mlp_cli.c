/* `axon train mlp` → `axon eval` → `axon predict` end to end on the committed Fashion-MNIST slice (seconds), then
 * every kind of bad input: missing, corrupt or mismatched data, unknown names, bad option values, bad config
 * files, checkpoints of another shape or model — each one line, a non-zero exit, and no file changed. */
#include "check.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define SLICE AX_FIXTURE_DIR "/fashion-mnist-slice"
#define TRAIN_ARGS "--data " SLICE " --hidden 64 --batch-size 20 --lr 3e-3 --threads 1"

static char tmp_dir[64];   // scratch directory for this run
static char out[1 << 16];  // the last command's output

#define tmp_path(name) check_join(tmp_dir, name)

#define run(...) check_axon(out, sizeof out, __VA_ARGS__)

#define slurp check_slurp

static bool one_line_error(void) {
    return strncmp(out, "axon: ", 6) == 0 && strchr(out, '\n') == out + strlen(out) - 1;
}

static double number_after(const char *text, const char *key) {
    const char *p = strstr(text, key);
    return p ? atof(p + strlen(key)) : -1;
}

static void write_gz(const char *path, const void *data, size_t len) {
    gzFile f = gzopen(path, "wb");
    CHECK(f && gzwrite(f, data, (unsigned)len) == (int)len && gzclose(f) == Z_OK, "writing %s", path);
}

static void write_text(const char *path, const char *text) {
    FILE *fp = fopen(path, "w");
    CHECK(fp && fputs(text, fp) >= 0 && fclose(fp) == 0, "writing %s", path);
}

static void test_train_eval_predict(void) {
    char cmd[1024]; // stderr to a file, stdout (the JSON result) captured
    snprintf(cmd, sizeof cmd, "{ %s train mlp " TRAIN_ARGS " --epochs 2 --out %s --json 2>%s; }", check_axon_bin(),
             tmp_path("run"), tmp_path("train.err"));
    int rc = check_run(cmd, out, sizeof out);
    CHECK(rc == 0 && strstr(out, "\"best_epoch\""), "train: rc %d, %s", rc, out);
    double val = number_after(out, "\"val_accuracy\": ");
    CHECK(val > 0.5, "validation accuracy after 2 epochs on 450 images: %.3f (chance 0.1)", val);
    char *err = slurp(tmp_path("train.err"));
    CHECK(err && strstr(err, "epoch 1/2 450/450") && strstr(err, "epoch 2/2") && !strchr(err, '\r') &&
              strstr(err, "samples/s"),
          "plain progress lines on a pipe: %s", err ? err : "");
    free(err);
    static const char *const files[] = {"config.json", "model.safetensors", "metrics.jsonl", "loss.svg", "accuracy.svg",
                                        "confusion.svg"};
    for (int i = 0; i < 6; i++) {
        char name[64];
        snprintf(name, sizeof name, "run/%s", files[i]);
        char *f = slurp(tmp_path(name));
        CHECK(f && *f, "%s written", name);
        free(f);
    }
    char *metrics = slurp(tmp_path("run/metrics.jsonl"));
    int lines = 0, epochs = 0;
    for (char *line = metrics; line && *line; line = strchr(line, '\n') + 1, lines++) {
        cJSON *j = cJSON_Parse(line); // parses up to the first newline's object
        CHECK(j != NULL, "metrics line %d is JSON", lines);
        epochs += cJSON_GetObjectItem(j, "val_accuracy") != NULL;
        cJSON_Delete(j);
        if (!strchr(line, '\n')) break;
    }
    CHECK(epochs == 2 && lines >= 4, "metrics.jsonl: %d lines, %d with val_accuracy", lines, epochs);
    free(metrics);
    char *cfg = slurp(tmp_path("run/config.json"));
    CHECK(cfg && strstr(cfg, "\"axon_model\":\t\"mlp\"") && strstr(cfg, "\"hidden\":\t[64]") &&
              strstr(cfg, "Ankle boot") && strstr(cfg, "\"input_std\""),
          "config.json: %s", cfg ? cfg : "");
    free(cfg);

    rc = run("eval --ckpt %s --threads 1 --svg %s", tmp_path("run"), tmp_path("test-confusion.svg"));
    double acc = number_after(out, "\naccuracy: ");
    CHECK(rc == 0 && acc > 0.5 && strstr(out, "Ankle boot") && strstr(out, "most confused"),
          "eval: rc %d acc %.3f: %s", rc, acc, out);
    char *svg = slurp(tmp_path("test-confusion.svg"));
    CHECK(svg && strstr(svg, "<svg") && strstr(svg, "Sneaker"), "eval --svg writes the confusion matrix");
    free(svg);
    rc = run("eval --ckpt %s --threads 1 --json --limit 100", tmp_path("run"));
    cJSON *j = cJSON_Parse(out);
    CHECK(rc == 0 && cJSON_GetNumberValue(cJSON_GetObjectItem(j, "images")) == 100 &&
              cJSON_GetArraySize(cJSON_GetObjectItem(j, "per_class_accuracy")) == 10,
          "eval --json: %s", out);
    cJSON_Delete(j);

    rc = run("predict --ckpt %s --count 3 --threads 1", tmp_path("run"));
    CHECK(rc == 0 && strstr(out, "image 0: ") && strstr(out, "image 2: ") && !strstr(out, "image 3: ") &&
              strstr(out, "  3. ") && strstr(out, "(label: "),
          "predict on the test split: %s", out);
    rc = run("predict --ckpt %s %s/t10k-images-idx3-ubyte.gz --index 148 --count 5 --json", tmp_path("run"), SLICE);
    j = cJSON_Parse(out);
    cJSON *preds = cJSON_GetObjectItem(j, "predictions"), *first = cJSON_GetArrayItem(preds, 0);
    double p1 = cJSON_GetNumberValue(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(first, "top"), 0), "probability"));
    double p2 = cJSON_GetNumberValue(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(first, "top"), 1), "probability"));
    CHECK(rc == 0 && cJSON_GetArraySize(preds) == 2 &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(first, "index")) == 148 && p1 >= p2 && p1 <= 1 &&
              !cJSON_GetObjectItem(first, "label"),
          "predict --json on an IDX file: %s", out);
    cJSON_Delete(j);
}

// image 0 of the slice's test set as a PGM: the same prediction as from the IDX file
static void test_predict_pgm(void) {
    ax_image_set s;
    if (!CHECK(ax_image_set_load_split(SLICE, "t10k", &s) == AX_OK, "slice: %s", ax_last_error())) return;
    FILE *fp = fopen(tmp_path("item.pgm"), "wb");
    fprintf(fp, "P5\n# test image 0\n28 28\n255\n");
    fwrite(s.images, 1, 784, fp);
    fclose(fp);
    ax_image_set_free(&s);
    run("predict --ckpt %s --count 1 --threads 1", tmp_path("run"));
    char from_idx[128] = "", *nl = strstr(out, "   (label"); // "image 0: <class>"
    if (nl) *nl = '\0';
    snprintf(from_idx, sizeof from_idx, "%.100s", out);
    int rc = run("predict --ckpt %s %s --show", tmp_path("run"), tmp_path("item.pgm"));
    CHECK(rc == 0 && strstr(out, from_idx) && strstr(out, "@") && strstr(out, "  1. "), "PGM '%s' vs IDX '%s'", out,
          from_idx);
    write_text(tmp_path("small.pgm"), "P2 2 2 255\n0 1 2 3\n");
    rc = run("predict --ckpt %s %s", tmp_path("run"), tmp_path("small.pgm"));
    CHECK(rc == 1 && one_line_error() && strstr(out, "images are 2x2"), "PGM of the wrong size: %s", out);
    rc = run("predict --ckpt %s %s --labels x.gz", tmp_path("run"), tmp_path("small.pgm"));
    CHECK(rc == 1 && one_line_error(), "--labels with a PGM: %s", out);
    rc = run("predict --ckpt %s --index 150", tmp_path("run"));
    CHECK(rc == 1 && one_line_error() && strstr(out, "past the last image"), "index past the end: %s", out);
    rc = run("predict --ckpt %s --count 0", tmp_path("run"));
    CHECK(rc == 2, "--count 0: %s", out);
}

// a data directory whose train files are (images, labels) as given
static const char *make_data_dir(const char *name, const void *img, size_t img_len, const void *lab, size_t lab_len) {
    char path[300];
    const char *dir = tmp_path(name);
    CHECK(ax_mkdir_p(dir) == AX_OK, "mkdir %s", dir);
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
    write_gz(path, img, img_len);
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte.gz", dir);
    write_gz(path, lab, lab_len);
    return dir;
}

static void test_bad_training_input(void) {
    char *cfg = slurp(tmp_path("run/config.json")), *wts = slurp(tmp_path("run/model.safetensors")),
         *log = slurp(tmp_path("run/metrics.jsonl"));
    static uint8_t img[16 + 500 * 784], lab[8 + 150];
    gzFile f = gzopen(SLICE "/train-images-idx3-ubyte.gz", "rb");
    int n_img = gzread(f, img, sizeof img);
    gzclose(f);
    f = gzopen(SLICE "/t10k-labels-idx1-ubyte.gz", "rb");
    int n_lab = gzread(f, lab, sizeof lab);
    gzclose(f);
    const char *corrupt = make_data_dir("corrupt", img, (size_t)n_img / 2, lab, (size_t)n_lab);
    const char *mismatch = make_data_dir("mismatch", img, (size_t)n_img, lab, (size_t)n_lab);
    static const struct {
        const char *args, *want; // arguments after `--out DIR` and a piece of the message
        int rc;                  // expected exit code
    } cases[] = {
        {"--data /nonexistent/dir", "no train images in /nonexistent/dir", 1},
        {"--data CORRUPT", "truncated IDX data", 1},
        {"--data MISMATCH", "150 labels for 500 images", 1},
        {"--activation swish", "unknown activation 'swish'", 2},
        {"--optimizer lbfgs", "unknown optimizer 'lbfgs'", 2},
        {"--schedule linear", "unknown schedule 'linear'", 2},
        {"--hidden 64,,32", "bad hidden layer list", 2},
        {"--normalize minmax", "unknown --normalize", 2},
        {"--epochs 0", "--epochs", 2},
        {"--dropout 1", "--dropout", 2},
        {"--val-fraction 0.999", "cannot be split", 1},
        {"--class-names a,b,c", "needs 10 comma-separated names", 1},
        {"--warmup-steps 999", "not below the", 1},
        {"--lr abc", "--lr expects a number", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char args[512]; // the placeholders CORRUPT and MISMATCH stand for the crafted directories
        const char *a = cases[i].args, *dir = strstr(a, "CORRUPT") ? corrupt : strstr(a, "MISMATCH") ? mismatch : NULL;
        if (dir) snprintf(args, sizeof args, "--data %s", dir);
        else snprintf(args, sizeof args, "%s", a);
        int rc = run("train mlp " TRAIN_ARGS " --epochs 1 --quiet --out %s %s", tmp_path("run"), args);
        CHECK(rc == cases[i].rc && one_line_error() && strstr(out, cases[i].want), "train %s: rc %d, '%s', want '%s'",
              args, rc, out, cases[i].want);
    }
    char *cfg2 = slurp(tmp_path("run/config.json")), *wts2 = slurp(tmp_path("run/model.safetensors")),
         *log2 = slurp(tmp_path("run/metrics.jsonl"));
    CHECK(cfg && cfg2 && !strcmp(cfg, cfg2) && wts && wts2 && !memcmp(wts, wts2, 1000) && log && log2 &&
              !strcmp(log, log2),
          "bad input changed no file in the output directory");
    free(cfg), free(wts), free(log), free(cfg2), free(wts2), free(log2);
    int rc = run("train mlp --data /nonexistent --out %s --quiet", tmp_path("never"));
    char *never = slurp(tmp_path("never/metrics.jsonl"));
    CHECK(rc == 1 && !never, "no output directory for bad data");
    CHECK(run("train") == 2 && run("train gpt9") == 2 && strstr(out, "unknown model 'gpt9'"), "train without a model");
    CHECK(run("help train") == 0 && strstr(out, "mlp"), "help train lists mlp: %s", out);
    CHECK(run("train mlp --help") == 0 && strstr(out, "--activation S") && strstr(out, "(default relu)") &&
              strstr(out, "--config FILE"),
          "train mlp --help: %s", out);
}

static void test_bad_checkpoints(void) {
    char *cfg = slurp(tmp_path("run/config.json"));
    if (!CHECK(cfg != NULL, "checkpoint from the first test")) return;
    CHECK(ax_mkdir_p(tmp_path("shapes")) == AX_OK && ax_mkdir_p(tmp_path("gpt")) == AX_OK, "mkdir");
    char *hidden = strstr(cfg, "[64]");
    if (hidden) memcpy(hidden, "[32]", 4);
    write_text(tmp_path("shapes/config.json"), cfg);
    size_t len = 0;
    void *buf;
    CHECK(ax_read_file(tmp_path("run/model.safetensors"), 1 << 24, &buf, &len) == AX_OK &&
              ax_write_file_atomic(tmp_path("shapes/model.safetensors"), buf, len) == AX_OK,
          "copying the weights");
    free(buf);
    int rc = run("eval --ckpt %s", tmp_path("shapes"));
    CHECK(rc == 1 && one_line_error() &&
              strstr(out, "'fc1.weight' has shape (64, 784) in the file but the model expects (32, 784)"),
          "weights of another shape: %s", out);
    rc = run("predict --ckpt %s", tmp_path("shapes"));
    CHECK(rc == 1 && one_line_error() && strstr(out, "has shape"), "predict, weights of another shape: %s", out);
    write_text(tmp_path("gpt/config.json"), "{\"axon_model\": \"gpt\", \"n_layer\": 2}");
    rc = run("eval --ckpt %s", tmp_path("gpt"));
    CHECK(rc == 1 && one_line_error() && strstr(out, "holds a 'gpt' model"), "a GPT checkpoint: %s", out);
    rc = run("eval --ckpt %s", tmp_path("nowhere"));
    CHECK(rc == 1 && one_line_error() && strstr(out, "no checkpoint directory"), "missing checkpoint: %s", out);
    rc = run("eval --ckpt %s --split valid", tmp_path("run"));
    CHECK(rc == 1 && one_line_error() && strstr(out, "unknown split 'valid'"), "unknown split: %s", out);
    // 10×10 test images for a 784-input model
    static uint8_t img[16 + 3 * 100] = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 10, 0, 0, 0, 10},
                   lab[8 + 3] = {0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3};
    CHECK(ax_mkdir_p(tmp_path("tiny")) == AX_OK, "mkdir");
    write_gz(tmp_path("tiny/t10k-images-idx3-ubyte.gz"), img, sizeof img);
    write_gz(tmp_path("tiny/t10k-labels-idx1-ubyte.gz"), lab, sizeof lab);
    rc = run("eval --ckpt %s --data %s", tmp_path("run"), tmp_path("tiny"));
    CHECK(rc == 1 && one_line_error() && strstr(out, "images are 10x10 (100 pixels) but the model takes 784 inputs"),
          "images of the wrong size: %s", out);
    free(cfg);
}

static void test_config_file(void) {
    char json[1024];
    snprintf(json, sizeof json,
             "{\"data\": \"%s\", \"out\": \"%s\", \"epochs\": 1, \"hidden\": \"32\", \"batch_size\": 50, "
             "\"threads\": 1, \"quiet\": true, \"lr\": 0.003}",
             SLICE, tmp_path("cfgrun"));
    write_text(tmp_path("opts.json"), json);
    int rc = run("train mlp --config %s", tmp_path("opts.json"));
    char *cfg = slurp(tmp_path("cfgrun/config.json"));
    CHECK(rc == 0 && cfg && strstr(cfg, "\"hidden\":\t[32]") && strstr(cfg, "\"batch_size\":\t50") &&
              strstr(cfg, "\"lr\":\t0.003"),
          "options from --config: rc %d %s", rc, out);
    free(cfg);
    rc = run("train mlp --hidden 16 --config=%s", tmp_path("opts.json"));
    cfg = slurp(tmp_path("cfgrun/config.json"));
    CHECK(rc == 0 && cfg && strstr(cfg, "\"hidden\":\t[16]"), "the command line wins over --config: %s", out);
    free(cfg);
    write_text(tmp_path("bogus.json"), "{\"epochs\": 1, \"bogus\": 3}");
    rc = run("train mlp --config %s", tmp_path("bogus.json"));
    CHECK(rc == 2 && one_line_error() && strstr(out, "unknown option \"bogus\""), "unknown key: %s", out);
    write_text(tmp_path("type.json"), "{\"epochs\": 1.5}");
    rc = run("train mlp --config %s", tmp_path("type.json"));
    CHECK(rc == 2 && one_line_error() && strstr(out, "\"epochs\" must be an integer"), "wrong type: %s", out);
    write_text(tmp_path("flag.json"), "{\"quiet\": 1}");
    rc = run("train mlp --config %s", tmp_path("flag.json"));
    CHECK(rc == 2 && one_line_error() && strstr(out, "true or false"), "flag type: %s", out);
    write_text(tmp_path("broken.json"), "{\"epochs\": ");
    rc = run("train mlp --config %s", tmp_path("broken.json"));
    CHECK(rc == 1 && one_line_error() && strstr(out, "not a JSON object"), "broken JSON: %s", out);
    rc = run("train mlp --config %s", tmp_path("missing.json"));
    CHECK(rc == 1 && one_line_error() && strstr(out, "cannot open"), "missing config: %s", out);
    rc = run("train mlp --config");
    CHECK(rc == 2 && one_line_error(), "--config without a file: %s", out);
    write_text(tmp_path("xor.json"), "{\"epochs\": 7, \"quiet\": false}");
    rc = run("demo xor --config %s", tmp_path("xor.json"));
    CHECK(rc == 0 && strstr(out, "epoch     7") && !strstr(out, "epoch     8"), "--config works for every command: %s",
          out);
}

int main(void) {
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/axon_test_mlp_cli_XXXXXX");
    if (!mkdtemp(tmp_dir)) return fprintf(stderr, "cannot create a temp dir\n"), 1;
    test_train_eval_predict();
    test_predict_pgm();
    test_bad_training_input();
    test_bad_checkpoints();
    test_config_file();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_dir);
    CHECK(system(cmd) == 0, "removing %s", tmp_dir);
    return check_report();
}
