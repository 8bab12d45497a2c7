/* Whole-file reads and atomic writes (temp file + fsync + rename: readers never see half a file). A path that
 * names something other than a file or a directory (/dev/null, /dev/stdout, a pipe) is written in place: renaming
 * over it would replace the device with a file. */
#include "axon/io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ax_read_file(const char *path, size_t max_len, void **data, size_t *len) {
    *data = NULL;
    *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return ax_error("cannot open %s: %s", path, strerror(errno));
    if (fseek(fp, 0, SEEK_END) != 0) {
        fclose(fp);
        return ax_error("cannot seek %s: %s", path, strerror(errno));
    }
    long size = ftell(fp);
    if (size < 0 || (size_t)size > max_len) {
        fclose(fp);
        return size < 0 ? ax_error("cannot size %s", path)
                        : ax_error("%s is too large (%ld bytes, limit %zu)", path, size, max_len);
    }
    rewind(fp);
    void *buf = malloc((size_t)size + 1); // +1: callers may NUL-terminate text
    if (!buf) {
        fclose(fp);
        return ax_error("out of memory reading %s (%ld bytes)", path, size);
    }
    size_t got = fread(buf, 1, (size_t)size, fp);
    fclose(fp);
    if (got != (size_t)size) {
        free(buf);
        return ax_error("short read on %s", path);
    }
    ((char *)buf)[size] = '\0';
    *data = buf;
    *len = (size_t)size;
    return AX_OK;
}

// data written straight into path, a device or a pipe
static int write_in_place(const char *path, const void *data, size_t len) {
    FILE *fp = fopen(path, "wb");
    if (!fp) return ax_error("cannot open %s: %s", path, strerror(errno));
    bool ok = fwrite(data, 1, len, fp) == len;
    ok = (fclose(fp) == 0) && ok;
    return ok ? AX_OK : ax_error("cannot write %s: %s", path, strerror(errno));
}

int ax_write_file_atomic(const char *path, const void *data, size_t len) {
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) return write_in_place(path, data, len);
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) return ax_error("out of memory");
    snprintf(tmp, plen + 16, "%s.tmp%d", path, (int)getpid());
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        int rc = ax_error("cannot create %s: %s", tmp, strerror(errno));
        free(tmp);
        return rc;
    }
    bool ok = fwrite(data, 1, len, fp) == len && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
    ok = (fclose(fp) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int rc = ax_error("cannot write %s: %s", path, strerror(errno));
        remove(tmp);
        free(tmp);
        return rc;
    }
    free(tmp);
    return AX_OK;
}
