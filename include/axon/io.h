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

int ax_write_file_atomic(const char *path, const void *data, size_t len); // write path.tmp, fsync, rename
int ax_read_file(const char *path, size_t max_len, void **data, size_t *len); // whole file into malloc'd memory

#endif
