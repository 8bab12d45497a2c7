/* axon/io.h — files: safetensors (https://github.com/huggingface/safetensors format) and atomic writes.
 *
 * Layout: 8-byte little-endian header length N, N bytes of JSON
 * {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {"k": "v"}},
 * then the data buffer; offsets are relative to the buffer start. */
#ifndef AXON_IO_H
#define AXON_IO_H

#include "nn.h"

#define AX_ST_MAX_DIMS 8                    // most dimensions a safetensors entry may have
#define AX_ST_MAX_HEADER (100u * 1024 * 1024) // a larger header is rejected as corrupt

typedef struct {
    char *name;                     // tensor name
    ax_dtype dtype;                 // F32, F16, BF16, I32 or I64
    int ndim;                       // 0 .. AX_ST_MAX_DIMS
    int64_t shape[AX_ST_MAX_DIMS];  // sizes
    const void *data;               // little-endian bytes (points into the file buffer when read)
    size_t nbytes;                  // = numel · dtype size
} ax_st_entry;

typedef struct {
    ax_st_entry *entries; // (n) sorted by data offset
    int n;                // number of tensors
    char **meta_keys;     // (n_meta) __metadata__ keys
    char **meta_values;   // (n_meta) __metadata__ values (strings, as the format requires)
    int n_meta;           // number of metadata pairs
    void *buffer;         // the whole file (owned)
} ax_safetensors;

int ax_safetensors_read(const char *path, ax_safetensors **out);                  // AX_OK or AX_ERR (one-line message)
int ax_safetensors_parse(void *buf, size_t len, ax_safetensors **out);          // takes ownership of buf (malloc'd) on success and on failure
const ax_st_entry *ax_safetensors_find(const ax_safetensors *st, const char *name); // NULL if absent
const char *ax_safetensors_meta(const ax_safetensors *st, const char *key);     // NULL if absent
void ax_safetensors_free(ax_safetensors *st);

int ax_safetensors_write(const char *path, const ax_st_entry *entries, int n, const char *const *meta_keys,
                         const char *const *meta_values, int n_meta); // atomic: temp file + rename

int ax_params_save(const ax_params *p, const char *path);   // every parameter as F32
int ax_params_load(ax_params *p, const char *path);         // fills existing parameters; names and shapes must match
void ax_st_entry_to_f32(const ax_st_entry *e, float *dst);  // an F32 / F16 / BF16 entry's values as numel floats (exact)

int ax_write_file_atomic(const char *path, const void *data, size_t len); // write path.tmp, fsync, rename
int ax_read_file(const char *path, size_t max_len, void **data, size_t *len); // whole file into malloc'd memory

/* ---- checkpoints: a directory with config.json ({"axon_model": "<model>", …architecture}) and
 * model.safetensors. Saving writes both files in full under temporary names before either replaces the old
 * one, so a failed save leaves the previous checkpoint intact. */
#define AX_CKPT_CONFIG "config.json"         // the architecture file of a checkpoint directory
#define AX_CKPT_WEIGHTS "model.safetensors"  // the parameter file of a checkpoint directory
#define AX_MODEL_NAME_MAX 32                 // longest "axon_model" value, plus one
int ax_mkdir_p(const char *dir); // creates dir and its parents if missing
int ax_checkpoint_save(const char *dir, const char *config_json, const ax_params *p); // config_json: an object with "axon_model"
int ax_checkpoint_read_config(const char *dir, char **config_json, char model[AX_MODEL_NAME_MAX]); // malloc'd text + its "axon_model"
int ax_checkpoint_load_params(const char *dir, ax_params *p); // model.safetensors into p; names and shapes must match

/* ---- metrics logs: JSON Lines, one object per log step, flushed per line ---------------------------------- */
typedef struct ax_metrics_log ax_metrics_log;
typedef struct {
    const char *key; // a plain identifier ("step", "loss", "val_accuracy", ...)
    double value;    // whole numbers are written as integers; NaN and infinities as null
} ax_metric;
ax_metrics_log *ax_metrics_open(const char *path);                          // creates or truncates; NULL after ax_error
int ax_metrics_write(ax_metrics_log *log, const ax_metric *fields, int n); // one {"key": value, …} line
void ax_metrics_close(ax_metrics_log *log);                                 // NULL is a no-op

/* ---- SVG plots (written atomically) -------------------------------------------------------------------- */
typedef struct {
    const char *title;   // above the plot
    const char *x_label; // under the x axis
    const char *y_label; // beside the y axis
} ax_svg_labels;
typedef struct {
    const char *name;   // legend entry
    const double *x;    // (n) abscissae
    const double *y;    // (n) ordinates; a non-finite point breaks the line
    int n;              // number of points
} ax_svg_series;
int ax_svg_line_chart(const char *path, const ax_svg_labels *labels, const ax_svg_series *series, int n_series);
/* values (rows, cols) row-major, coloured white (min(0, lowest)) → dark blue (highest); names may be NULL (0, 1,
 * … shown); annotate writes each value in its cell when cells are large enough. Rows go down, columns across. */
int ax_svg_heatmap(const char *path, const ax_svg_labels *labels, const double *values, int rows, int cols,
                   const char *const *row_names, const char *const *col_names, bool annotate);

#endif
