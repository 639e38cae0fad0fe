/* common/rlpt_io.h: file helpers every module shares: whole-file reads with a size cap and
 * atomic writes (temp file in the same directory, fsync, rename, fsync of the directory), so a
 * crash leaves either the old file or the new one, never a torn one. */
#ifndef RLPT_IO_H
#define RLPT_IO_H

#include <stdio.h>
#include <stddef.h>

#include "rlpt/err.h"

/* Reads all of path into a NUL-terminated malloc'd buffer (caller frees *out); *len excludes
 * the NUL. Files over max_bytes are refused with the size in the message. */
int rlpt_read_file(const char *path, size_t max_bytes, char **out, size_t *len, rlpt_err *err);

/* A file being written atomically. rlpt_atomic_open creates "<path>.tmp.<pid>" and returns a
 * stdio stream on it; rlpt_atomic_commit flushes, fsyncs, renames over path and fsyncs the
 * directory; rlpt_atomic_abort removes the temp file. Exactly one of commit/abort per open. */
typedef struct rlpt_atomic_file {
    FILE *f;
    char path[4096];
    char tmp[4160];
} rlpt_atomic_file;

int rlpt_atomic_open(rlpt_atomic_file *af, const char *path, rlpt_err *err);
int rlpt_atomic_commit(rlpt_atomic_file *af, rlpt_err *err);
void rlpt_atomic_abort(rlpt_atomic_file *af);

/* Writes len bytes to path atomically (the three calls above). */
int rlpt_write_file_atomic(const char *path, const void *data, size_t len, rlpt_err *err);

/* fsyncs the directory that holds path (after a rename into it). */
int rlpt_fsync_parent_dir(const char *path, rlpt_err *err);

/* write(2) / read(2) of exactly n bytes, retrying short transfers and EINTR. 0 on success,
 * -1 on an error or (read) end of file before n bytes. For pipes between processes. */
int rlpt_write_all(int fd, const void *buf, size_t n);
int rlpt_read_all(int fd, void *buf, size_t n);

/* mkdir -p with mode 0755; existing directories are fine. */
int rlpt_mkdir_p(const char *path, rlpt_err *err);

#endif
