/* common/io.c: whole-file reads and atomic writes (see rlpt_io.h). */
#define _POSIX_C_SOURCE 200809L
#include "rlpt_io.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rlpt_read_file(const char *path, size_t max_bytes, char **out, size_t *len, rlpt_err *err) {
    *out = NULL;
    if (len) *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return rlpt_errf(err, RLPT_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return rlpt_errf(err, RLPT_EIO, "%s: not a regular file", path);
    }
    if ((unsigned long long)st.st_size > max_bytes) {
        fclose(f);
        return rlpt_errf(err, RLPT_EIO, "%s: %lld bytes, more than the %zu this reader accepts",
                         path, (long long)st.st_size, max_bytes);
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        fclose(f);
        return rlpt_errf(err, RLPT_ENOMEM, "%s: out of memory for %zu bytes", path, n);
    }
    size_t got = fread(buf, 1, n, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr || got != n) {
        free(buf);
        return rlpt_errf(err, RLPT_EIO, "%s: read %zu of %zu bytes", path, got, n);
    }
    buf[n] = '\0';
    *out = buf;
    if (len) *len = n;
    return 0;
}

int rlpt_fsync_parent_dir(const char *path, rlpt_err *err) {
    char copy[4096];
    size_t n = strlen(path);
    if (n >= sizeof copy) return rlpt_errf(err, RLPT_EIO, "%s: path too long", path);
    memcpy(copy, path, n + 1);
    const char *dir = dirname(copy);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return rlpt_errf(err, RLPT_EIO, "%s: cannot open: %s", dir, strerror(errno));
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc != 0) return rlpt_errf(err, RLPT_EIO, "%s: fsync: %s", dir, strerror(e));
    return 0;
}

int rlpt_atomic_open(rlpt_atomic_file *af, const char *path, rlpt_err *err) {
    memset(af, 0, sizeof *af);
    size_t n = strlen(path);
    if (n >= sizeof af->path) return rlpt_errf(err, RLPT_EIO, "%s: path too long", path);
    memcpy(af->path, path, n + 1);
    snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(af->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return rlpt_errf(err, RLPT_EIO, "%s: cannot create: %s", af->tmp, strerror(errno));
    af->f = fdopen(fd, "wb");
    if (!af->f) {
        int e = errno;
        close(fd);
        unlink(af->tmp);
        return rlpt_errf(err, RLPT_EIO, "%s: fdopen: %s", af->tmp, strerror(e));
    }
    return 0;
}

void rlpt_atomic_abort(rlpt_atomic_file *af) {
    if (af->f) fclose(af->f);
    af->f = NULL;
    if (af->tmp[0]) unlink(af->tmp);
    af->tmp[0] = '\0';
}

int rlpt_atomic_commit(rlpt_atomic_file *af, rlpt_err *err) {
    if (!af->f) return rlpt_errf(err, RLPT_EINTERNAL, "atomic commit without open");
    int bad = fflush(af->f) != 0 || ferror(af->f) || fsync(fileno(af->f)) != 0;
    int e = errno;
    if (fclose(af->f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    af->f = NULL;
    if (bad) {
        unlink(af->tmp);
        return rlpt_errf(err, RLPT_EIO, "%s: write failed: %s", af->path, strerror(e));
    }
    if (rename(af->tmp, af->path) != 0) {
        e = errno;
        unlink(af->tmp);
        return rlpt_errf(err, RLPT_EIO, "%s: rename from %s: %s", af->path, af->tmp, strerror(e));
    }
    af->tmp[0] = '\0';
    return rlpt_fsync_parent_dir(af->path, err);
}

int rlpt_write_file_atomic(const char *path, const void *data, size_t len, rlpt_err *err) {
    rlpt_atomic_file af;
    int rc = rlpt_atomic_open(&af, path, err);
    if (rc) return rc;
    if (len && fwrite(data, 1, len, af.f) != len) {
        int e = errno;
        rlpt_atomic_abort(&af);
        return rlpt_errf(err, RLPT_EIO, "%s: write: %s", path, strerror(e));
    }
    return rlpt_atomic_commit(&af, err);
}

int rlpt_mkdir_p(const char *path, rlpt_err *err) {
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) return rlpt_errf(err, RLPT_EIO, "bad directory path '%s'", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return rlpt_errf(err, RLPT_EIO, "%s: mkdir: %s", buf, strerror(errno));
        buf[i] = c;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return rlpt_errf(err, RLPT_EIO, "%s: exists and is not a directory", path);
    return 0;
}

int rlpt_write_all(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int rlpt_read_all(int fd, void *buf, size_t n) {
    char *p = buf;
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}
