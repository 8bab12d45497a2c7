/* Training outputs: checkpoint directories (round trip, model detection, shape mismatch, failed saves that
 * keep the old checkpoint), JSON Lines metrics logs and SVG plots (structure, escaping, gaps, scales). */
#include "check.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp_dir[64]; // scratch directory for this run

static const char *tmp_path(const char *name) {
    static char path[8][200];
    static int next;
    char *p = path[next++ & 7];
    snprintf(p, 200, "%s/%s", tmp_dir, name);
    return p;
}

static char *slurp(const char *path) {
    void *buf = NULL;
    size_t len;
    return ax_read_file(path, 1u << 24, &buf, &len) == AX_OK ? buf : NULL;
}

static int count(const char *text, const char *needle) {
    int n = 0;
    for (const char *p = text; p && (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

static bool only_final_files(const char *dir) { // no *.new / *.tmp* left behind
    DIR *d = opendir(dir);
    bool clean = d != NULL;
    for (struct dirent *e; d && (e = readdir(d));)
        clean = clean && !strstr(e->d_name, ".new") && !strstr(e->d_name, ".tmp");
    if (d) closedir(d);
    return clean;
}

static ax_mlp *small_mlp(int64_t hidden, uint64_t seed) {
    ax_manual_seed(seed);
    ax_mlp_config c = ax_mlp_defaults();
    c.in = 12, c.classes = 3, c.n_hidden = 1, c.hidden[0] = hidden;
    return ax_mlp_new(&c);
}

static void test_checkpoint(void) {
    const char *dir = tmp_path("runs/a/ckpt"); // parents are created
    ax_mlp *m = small_mlp(8, 1);
    char *json = ax_mlp_config_to_json(&m->cfg);
    CHECK(ax_checkpoint_save(dir, json, m->params) == AX_OK, "save: %s", ax_last_error());
    CHECK(only_final_files(dir), "no temporary files left in %s", dir);
    char *text, model[AX_MODEL_NAME_MAX];
    CHECK(ax_checkpoint_read_config(dir, &text, model) == AX_OK && strcmp(model, "mlp") == 0 && strcmp(text, json) == 0,
          "read config: %s", ax_last_error());
    free(text);
    ax_mlp *back = small_mlp(8, 2);
    CHECK(ax_checkpoint_load_params(dir, back->params) == AX_OK, "load: %s", ax_last_error());
    for (int i = 0; i < m->params->n; i++) CHECK_CLOSE(back->params->items[i].t, m->params->items[i].t, 0, 0);

    // weights of another shape: one clear line, the model untouched
    ax_mlp *wide = small_mlp(16, 3);
    float before = ax_f32(wide->params->items[0].t)[0];
    CHECK(ax_checkpoint_load_params(dir, wide->params) == AX_ERR &&
              strstr(ax_last_error(), "'fc1.weight' has shape (8, 12) in the file but the model expects (16, 12)") &&
              ax_f32(wide->params->items[0].t)[0] == before,
          "shape mismatch: %s", ax_last_error());

    // a failed save (the weights path is a directory) leaves the old checkpoint as it was
    char *old_cfg = slurp(tmp_path("runs/a/ckpt/config.json"));
    CHECK(mkdir(tmp_path("runs/a/ckpt/model.safetensors.new"), 0755) == 0, "blocking the temp name");
    char *json2 = ax_mlp_config_to_json(&wide->cfg);
    CHECK(ax_checkpoint_save(dir, json2, wide->params) == AX_ERR, "save onto a blocked temp name fails");
    char *now_cfg = slurp(tmp_path("runs/a/ckpt/config.json"));
    CHECK(old_cfg && now_cfg && strcmp(old_cfg, now_cfg) == 0, "config.json unchanged after a failed save");
    CHECK(ax_checkpoint_load_params(dir, back->params) == AX_OK, "old weights still load: %s", ax_last_error());
    rmdir(tmp_path("runs/a/ckpt/model.safetensors.new"));
    free(old_cfg), free(now_cfg), free(json2);

    // configs that are not axon checkpoints
    CHECK(ax_checkpoint_save(dir, "{\"in\": 3}", m->params) == AX_ERR && strstr(ax_last_error(), "axon_model"),
          "save needs axon_model: %s", ax_last_error());
    CHECK(ax_checkpoint_read_config(tmp_path("nowhere"), &text, model) == AX_ERR &&
              strstr(ax_last_error(), "no checkpoint directory"),
          "missing dir: %s", ax_last_error());
    CHECK(ax_mkdir_p(tmp_path("hf")) == AX_OK, "mkdir");
    FILE *fp = fopen(tmp_path("hf/config.json"), "w");
    fputs("{\"model_type\": \"gpt2\"}", fp);
    fclose(fp);
    CHECK(ax_checkpoint_read_config(tmp_path("hf"), &text, model) == AX_ERR &&
              strstr(ax_last_error(), "no \"axon_model\""),
          "foreign config: %s", ax_last_error());
    fp = fopen(tmp_path("hf/config.json"), "w");
    fputs("{\"axon_model\": ", fp);
    fclose(fp);
    CHECK(ax_checkpoint_read_config(tmp_path("hf"), &text, model) == AX_ERR &&
              strstr(ax_last_error(), "not valid JSON"),
          "truncated config: %s", ax_last_error());
    CHECK(ax_mkdir_p(tmp_path("hf/config.json")) == AX_ERR && strstr(ax_last_error(), "not a directory"),
          "mkdir over a file: %s", ax_last_error());
    free(json);
    ax_mlp_free(m), ax_mlp_free(back), ax_mlp_free(wide);
}

static void test_metrics(void) {
    ax_metrics_log *log = ax_metrics_open(tmp_path("metrics.jsonl"));
    CHECK(log != NULL, "open: %s", ax_last_error());
    ax_metric a[] = {{"step", 50}, {"loss", 0.4123456789}, {"lr", 1e-3}, {"bad", NAN}, {"big", 1e20}};
    ax_metric b[] = {{"step", 100}, {"val_accuracy", 0.875}};
    CHECK(ax_metrics_write(log, a, 5) == AX_OK && ax_metrics_write(log, b, 2) == AX_OK, "write");
    ax_metrics_close(log);
    char *text = slurp(tmp_path("metrics.jsonl"));
    CHECK(text && count(text, "\n") == 2 && strstr(text, "{\"step\": 50, \"loss\": 0.41234568, \"lr\": 0.001, "
                                                           "\"bad\": null, \"big\": 1e+20}\n"),
          "metrics text: %s", text ? text : "(unreadable)");
    char *second = text ? strchr(text, '\n') + 1 : NULL;
    cJSON *j = second ? cJSON_Parse(second) : NULL;
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "val_accuracy")) == 0.875, "line 2 parses as JSON");
    cJSON_Delete(j);
    free(text);
    CHECK(ax_metrics_open(tmp_path("no/such/dir/m.jsonl")) == NULL && strstr(ax_last_error(), "cannot create"),
          "open in a missing dir: %s", ax_last_error());
    ax_metrics_close(NULL);
}

static void test_line_chart(void) {
    double x[5] = {1, 2, 3, 4, 5}, y1[5] = {2.3, 1.1, NAN, 0.6, 0.5}, y2[2] = {0.9, 0.7}, x2[2] = {1, 5};
    ax_svg_series s[2] = {{"train <loss>", x, y1, 5}, {"val & co", x2, y2, 2}};
    const char *path = tmp_path("chart.svg");
    CHECK(ax_svg_line_chart(path, &(ax_svg_labels){"Loss \"curve\"", "epoch", "loss"}, s, 2) == AX_OK, "chart: %s",
          ax_last_error());
    char *svg = slurp(path);
    CHECK(svg && strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0 && strstr(svg, "</svg>\n"),
          "an SVG document");
    CHECK(strstr(svg, "train &lt;loss&gt;") && strstr(svg, "val &amp; co") && strstr(svg, "Loss &quot;curve&quot;") &&
              !strstr(svg, "<loss>"),
          "labels are escaped");
    CHECK(count(svg, "<polyline") == 3, "NaN splits series 1: %d polylines", count(svg, "<polyline"));
    CHECK(count(svg, "<circle") == 6, "markers on the finite points: %d", count(svg, "<circle"));
    CHECK(strstr(svg, ">0.5</text>") && strstr(svg, ">2.5</text>") && strstr(svg, ">epoch</text>"),
          "nice y ticks 0.5 .. 2.5 and the axis label");
    CHECK(count(svg, "<text") == count(svg, "</text>") && count(svg, "<g") == count(svg, "</g>"), "balanced tags");
    free(svg);
    // no finite points at all still gives a valid empty chart
    double nan1[1] = {NAN};
    ax_svg_series e = {"empty", nan1, nan1, 1};
    CHECK(ax_svg_line_chart(path, &(ax_svg_labels){"t", "x", "y"}, &e, 1) == AX_OK, "empty chart");
    CHECK(ax_svg_line_chart(tmp_path("no/dir/c.svg"), &(ax_svg_labels){"t", "x", "y"}, &e, 1) == AX_ERR,
          "unwritable path fails");
}

static void test_heatmap(void) {
    double v[6] = {10, 0, 2, 3, 7.5, NAN};
    const char *rows[2] = {"cat", "T-shirt/top"}, *cols[3] = {"a", "b", "c"};
    const char *path = tmp_path("heat.svg");
    CHECK(ax_svg_heatmap(path, &(ax_svg_labels){"Confusion", "predicted", "true"}, v, 2, 3, rows, cols, true) == AX_OK,
          "heatmap: %s", ax_last_error());
    char *svg = slurp(path);
    CHECK(svg && count(svg, "<rect x=") >= 6 && strstr(svg, ">T-shirt/top</text>") && strstr(svg, ">7.50</text>") &&
              strstr(svg, ">10</text>"),
          "cells, labels and values");
    CHECK(strstr(svg, "fill=\"#08306b\"") && strstr(svg, "fill=\"#ffffff\"") && strstr(svg, "fill=\"#cccccc\""),
          "largest value darkest, zero white, NaN grey");
    CHECK(count(svg, "<title>") == 6 && strstr(svg, "cat → b: 0"), "hover titles name row and column");
    free(svg);
    double big[64 * 64];
    for (int i = 0; i < 64 * 64; i++) big[i] = (double)(i % 64) / 64.0;
    CHECK(ax_svg_heatmap(path, &(ax_svg_labels){"attention", "key", "query"}, big, 64, 64, NULL, NULL, true) == AX_OK,
          "64 × 64 unnamed heatmap");
    svg = slurp(path);
    CHECK(svg && count(svg, "<rect x=") >= 64 * 64 && strstr(svg, ">63</text>") && !strstr(svg, ">0.50</text>"),
          "index labels, no values in small cells");
    free(svg);
}

int main(void) {
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/axon_test_train_io_XXXXXX");
    if (!mkdtemp(tmp_dir)) return fprintf(stderr, "cannot create a temp dir\n"), 1;
    test_checkpoint();
    test_metrics();
    test_line_chart();
    test_heatmap();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_dir);
    CHECK(system(cmd) == 0, "removing %s", tmp_dir);
    return check_report();
}
