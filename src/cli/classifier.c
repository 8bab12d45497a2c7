/* Shared pieces of the image-classifier commands (see classifier.h). */
#include "cli/classifier.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const fashion_names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

void cli_class_names_free(char **names, int64_t classes) {
    for (int64_t i = 0; names && i < classes; i++) free(names[i]);
    free(names);
}

static bool mentions_fashion(const char *s) {
    for (; s && *s; s++)
        if (strncasecmp(s, "fashion", 7) == 0) return true;
    return false;
}

// names[i] ← a copy of the i-th comma-separated field of list; false unless there are exactly n fields
static bool split_names(const char *list, char **names, int64_t n) {
    int64_t i = 0;
    for (const char *p = list;; i++) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (i < n && !(names[i] = strndup(p, len))) return false;
        if (!end) break;
        p = end + 1;
    }
    return i + 1 == n;
}

char **cli_class_names(const char *spec, const char *data_dir, int64_t classes) {
    char **names = calloc((size_t)classes, sizeof *names);
    bool ok = names != NULL;
    if (ok && strcmp(spec, "auto") == 0) {
        bool fashion = classes == 10 && mentions_fashion(data_dir);
        for (int64_t i = 0; ok && i < classes; i++) {
            char num[24];
            snprintf(num, sizeof num, "%lld", (long long)i);
            ok = (names[i] = strdup(fashion ? fashion_names[i] : num)) != NULL;
        }
    } else if (ok && !split_names(spec, names, classes)) {
        ax_error("--class-names needs %lld comma-separated names, got '%s'", (long long)classes, spec);
        cli_class_names_free(names, classes);
        return NULL;
    }
    if (!ok) {
        ax_error("out of memory for class names");
        cli_class_names_free(names, classes);
        return NULL;
    }
    return names;
}

int cli_load_split(const char *dir, const char *split, ax_image_set *out) {
    if (strcmp(split, "test") == 0) split = "t10k";
    else if (strcmp(split, "train") != 0) return ax_error("unknown split '%s' (choose train or test)", split);
    return ax_image_set_load_split(dir, split, out);
}

void cli_mlp_describe(const ax_mlp_config *c, char *buf, size_t cap) {
    int n = snprintf(buf, cap, "%lld", (long long)c->in);
    for (int i = 0; i < c->n_hidden && n > 0 && (size_t)n < cap; i++)
        n += snprintf(buf + n, cap - (size_t)n, "-%lld", (long long)c->hidden[i]);
    if (n > 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, "-%lld %s", (long long)c->classes, ax_activation_name(c->act));
}

int cli_check_images(const ax_mlp *m, const ax_image_set *s, const char *what) {
    if (s->rows * s->cols != m->cfg.in)
        return ax_error("%s: images are %lldx%lld (%lld pixels) but the model takes %lld inputs", what,
                        (long long)s->rows, (long long)s->cols, (long long)(s->rows * s->cols), (long long)m->cfg.in);
    if (s->labels && s->n_classes > m->cfg.classes)
        return ax_error("%s: labels go up to %d but the model has %lld classes", what, s->n_classes - 1,
                        (long long)m->cfg.classes);
    return AX_OK;
}

// image size, class names and data directory recorded next to the architecture in config.json
static int read_extras(const char *text, cli_classifier *c) {
    cJSON *j = cJSON_Parse(text);
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(j, "image_rows"),
                *cols = cJSON_GetObjectItemCaseSensitive(j, "image_cols"),
                *names = cJSON_GetObjectItemCaseSensitive(j, "class_names");
    const char *data = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "data"));
    int64_t classes = c->mlp->cfg.classes;
    if (cJSON_IsNumber(rows) && cJSON_IsNumber(cols) && rows->valuedouble * cols->valuedouble == (double)c->mlp->cfg.in)
        c->rows = (int64_t)rows->valuedouble, c->cols = (int64_t)cols->valuedouble;
    c->data = strdup(data ? data : "");
    c->class_names = cli_class_names("auto", "", classes);
    for (int64_t i = 0; c->class_names && cJSON_GetArraySize(names) == classes && i < classes; i++) {
        const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(names, (int)i));
        char *copy = name ? strdup(name) : NULL;
        if (copy) free(c->class_names[i]), c->class_names[i] = copy;
    }
    cJSON_Delete(j);
    return c->data && c->class_names ? AX_OK : ax_error("out of memory reading a checkpoint");
}

int cli_classifier_load(const char *dir, cli_classifier *c) {
    memset(c, 0, sizeof *c);
    char *text;
    if (ax_checkpoint_read_config(dir, &text, c->model) != AX_OK) return AX_ERR;
    ax_mlp_config cfg;
    int rc = AX_OK;
    if (strcmp(c->model, "mlp") != 0) {
        rc = ax_error("%s holds a '%s' model; this command works on image classifiers (mlp)", dir, c->model);
    } else if (ax_mlp_config_from_json(text, &cfg) != AX_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", ax_last_error());
        rc = ax_error("%s/%s: %s", dir, AX_CKPT_CONFIG, msg);
    } else {
        c->mlp = ax_mlp_new(&cfg);
        rc = read_extras(text, c);
        if (rc == AX_OK) rc = ax_checkpoint_load_params(dir, c->mlp->params);
    }
    free(text);
    if (rc != AX_OK) cli_classifier_free(c);
    return rc;
}

void cli_classifier_free(cli_classifier *c) {
    if (c->mlp) cli_class_names_free(c->class_names, c->mlp->cfg.classes);
    ax_mlp_free(c->mlp);
    free(c->data);
    memset(c, 0, sizeof *c);
}
