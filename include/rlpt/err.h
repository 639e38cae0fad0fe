/* include/rlpt/err.h: the error convention every rlpt module and plugin follows.
 *
 * Library code never prints or exits. A function that can fail on input returns 0 or a
 * negative RLPT_E* code and fills an rlpt_err with what went wrong, where (file:line, key,
 * tensor name) and how to fix it. Only the command line's main() prints ("rlpt: error: ...")
 * and turns the code into an exit status (see rlpt_exit_status()).
 * A message may hold several lines (one per problem found, e.g. every bad key of a config). */
#ifndef RLPT_ERR_H
#define RLPT_ERR_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    RLPT_OK = 0,
    RLPT_EINVAL = -1,        /* bad input data or argument (dataset line, ids, request) */
    RLPT_EUSAGE = -2,        /* bad command-line usage */
    RLPT_ECONFIG = -3,       /* invalid experiment configuration */
    RLPT_EIO = -4,           /* a file could not be read or written */
    RLPT_EFORMAT = -5,       /* a file is malformed (checkpoint, tokenizer.json, JSON) */
    RLPT_ENOMEM = -6,        /* allocation failed or a memory plan does not fit */
    RLPT_EMPI = -7,          /* an MPI call failed, or another rank reported an error */
    RLPT_ENOTBUILT = -8,     /* the feature is not built yet */
    RLPT_EPLUGIN = -9,       /* a plugin failed to load or initialise */
    RLPT_ESANDBOX = -10,     /* the sandbox cannot be set up on this machine */
    RLPT_EUNSUPPORTED = -11, /* a valid input uses something rlpt does not support */
    RLPT_EINTERNAL = -12     /* a bug in rlpt: please report it */
};

#define RLPT_ERR_MSG_MAX 4096

typedef struct rlpt_err {
    int code;                   /* 0 or a negative RLPT_E* */
    char msg[RLPT_ERR_MSG_MAX]; /* NUL-terminated; lines separated by '\n' */
} rlpt_err;

/* Sets err->code and err->msg (formatted, truncated to fit) and returns code, so that
 * `return rlpt_errf(err, RLPT_EIO, "%s: %s", path, strerror(errno));` reads naturally.
 * err may be NULL (the code is still returned). */
int rlpt_errf(rlpt_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int rlpt_verrf(rlpt_err *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Appends a line to err->msg (keeps the first code unless none was set). Used by checkers
 * that report every problem they find, not only the first. Returns err->code. */
int rlpt_err_append(rlpt_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes err->msg with "prefix: " (adds context on the way up: a file name, a rank). */
void rlpt_err_prefix(rlpt_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void rlpt_err_clear(rlpt_err *err);

/* Short stable name of a code ("EINVAL", ...), for logs and tests. */
const char *rlpt_err_name(int code);

/* The process exit status for a code; documented in `rlpt --help`:
 *   0 success, 1 runtime error (I/O, bad data, plugin, sandbox), 2 usage or not built yet,
 *   3 invalid configuration, 4 out of memory or a memory plan that does not fit,
 *   5 MPI failure, 70 internal error. */
int rlpt_exit_status(int code);

#ifdef __cplusplus
}
#endif
#endif
