/* Checkpoint directories: config.json ({"axon_model": "<model>", …architecture}) + model.safetensors.
 *
 * Saving writes both files completely under "<name>.new" (each itself written atomically) and only then
 * renames them over the old pair, so a failure at any point leaves the previous checkpoint as it was. */
#include "axon/io.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CONFIG_MAX_BYTES (1u << 20) // a larger config.json is rejected
#define PATH_CAP 4096

int ax_mkdir_p(const char *dir) {
    char path[PATH_CAP];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) return ax_error("path too long: %s", dir);
    for (char *p = path + 1;; p++) {
        bool end = *p == '\0';
        if (*p != '/' && !end) continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) return ax_error("cannot create %s: %s", path, strerror(errno));
        if (end) break;
        *p = '/';
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return ax_error("%s is not a directory", dir);
    return AX_OK;
}

static int join(char *out, const char *dir, const char *file, const char *suffix) {
    if (snprintf(out, PATH_CAP, "%s/%s%s", dir, file, suffix) >= PATH_CAP) return ax_error("path too long: %s", dir);
    return AX_OK;
}

/* The "axon_model" string of a parsed config into model; AX_ERR naming `where` if it is missing or too long. */
static int model_name(const cJSON *root, const char *where, char model[AX_MODEL_NAME_MAX]) {
    if (!cJSON_IsObject(root)) return ax_error("%s is not a JSON object", where);
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "axon_model"));
    if (!name) return ax_error("%s has no \"axon_model\" (not an axon checkpoint?)", where);
    if (strlen(name) >= AX_MODEL_NAME_MAX || !*name) return ax_error("%s: bad \"axon_model\" '%.40s'", where, name);
    snprintf(model, AX_MODEL_NAME_MAX, "%s", name);
    return AX_OK;
}

int ax_checkpoint_save(const char *dir, const char *config_json, const ax_params *p) {
    char model[AX_MODEL_NAME_MAX], cfg_new[PATH_CAP], cfg[PATH_CAP], wts_new[PATH_CAP], wts[PATH_CAP];
    cJSON *root = cJSON_Parse(config_json);
    int rc = model_name(root, "checkpoint config", model);
    cJSON_Delete(root);
    if (rc == AX_OK) rc = ax_mkdir_p(dir);
    if (rc == AX_OK) rc = join(cfg, dir, AX_CKPT_CONFIG, "");
    if (rc == AX_OK) rc = join(cfg_new, dir, AX_CKPT_CONFIG, ".new");
    if (rc == AX_OK) rc = join(wts, dir, AX_CKPT_WEIGHTS, "");
    if (rc == AX_OK) rc = join(wts_new, dir, AX_CKPT_WEIGHTS, ".new");
    if (rc != AX_OK) return rc;
    rc = ax_params_save(p, wts_new);
    if (rc == AX_OK) rc = ax_write_file_atomic(cfg_new, config_json, strlen(config_json));
    if (rc == AX_OK && (rename(wts_new, wts) != 0 || rename(cfg_new, cfg) != 0))
        rc = ax_error("cannot rename the new checkpoint files in %s: %s", dir, strerror(errno));
    remove(wts_new); // no-ops after the renames
    remove(cfg_new);
    return rc;
}

int ax_checkpoint_read_config(const char *dir, char **config_json, char model[AX_MODEL_NAME_MAX]) {
    char path[PATH_CAP];
    *config_json = NULL;
    if (join(path, dir, AX_CKPT_CONFIG, "") != AX_OK) return AX_ERR;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return ax_error("no checkpoint directory %s", dir);
    void *text;
    size_t len;
    if (ax_read_file(path, CONFIG_MAX_BYTES, &text, &len) != AX_OK) return AX_ERR;
    cJSON *root = cJSON_Parse(text);
    int rc = root ? model_name(root, path, model) : ax_error("%s is not valid JSON", path);
    cJSON_Delete(root);
    if (rc != AX_OK) {
        free(text);
        return rc;
    }
    *config_json = text;
    return AX_OK;
}

int ax_checkpoint_load_params(const char *dir, ax_params *p) {
    char path[PATH_CAP];
    if (join(path, dir, AX_CKPT_WEIGHTS, "") != AX_OK) return AX_ERR;
    return ax_params_load(p, path);
}
