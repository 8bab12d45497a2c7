/* What the image-classifier commands share: class names, the data directory default, and a checkpoint loaded
 * with everything eval and predict need. */
#ifndef AX_CLI_CLASSIFIER_H
#define AX_CLI_CLASSIFIER_H

#include "axon.h"

#define CLI_DEFAULT_IMAGE_DATA "/usr/share/datasets/fashion-mnist" // Debian's dataset-fashion-mnist

typedef struct {
    ax_mlp *mlp;         // the model, weights loaded
    int64_t rows, cols;  // image size it was trained on (0 if the checkpoint does not say)
    char **class_names;  // (mlp->cfg.classes) display names, owned
    char *data;          // the training data directory recorded at training time ("" if none), owned
    char model[AX_MODEL_NAME_MAX]; // "axon_model" of the checkpoint
} cli_classifier;

/* Loads the checkpoint in dir; AX_ERR with one line for a missing/corrupt checkpoint, a model other than mlp,
 * or weights whose names or shapes disagree with config.json. */
int cli_classifier_load(const char *dir, cli_classifier *c);
void cli_classifier_free(cli_classifier *c);
/* Display names for `classes` classes: spec "auto" gives the Fashion-MNIST names when the data path mentions
 * "fashion" and there are 10 classes, else "0", "1", …; otherwise spec is a comma-separated list of exactly
 * `classes` names. NULL after ax_error. Free with cli_class_names_free. */
char **cli_class_names(const char *spec, const char *data_dir, int64_t classes);
void cli_class_names_free(char **names, int64_t classes);
/* The image set of a split ("train", "test" = the t10k files) in dir; AX_ERR with one line. */
int cli_load_split(const char *dir, const char *split, ax_image_set *out);
void cli_mlp_describe(const ax_mlp_config *c, char *buf, size_t cap); // "784-256-128-10 relu"
/* AX_ERR with one line unless the images have the model's input size and labels below its class count. */
int cli_check_images(const ax_mlp *m, const ax_image_set *s, const char *what);

#endif
