/* common/err.c: rlpt_err formatting (see include/rlpt/err.h). No allocation, so it works when
 * memory has run out; messages longer than RLPT_ERR_MSG_MAX are cut with a "..." mark. */
#include "rlpt/err.h"

#include <stdio.h>
#include <string.h>

static void mark_truncated(char *msg, int n) {
    if (n >= RLPT_ERR_MSG_MAX) memcpy(msg + RLPT_ERR_MSG_MAX - 4, "...", 4);
}

int rlpt_verrf(rlpt_err *err, int code, const char *fmt, va_list ap) {
    if (!err) return code;
    err->code = code;
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    if (n < 0) snprintf(err->msg, sizeof err->msg, "(unformattable error message)");
    mark_truncated(err->msg, n);
    return code;
}

int rlpt_errf(rlpt_err *err, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    rlpt_verrf(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int rlpt_err_append(rlpt_err *err, int code, const char *fmt, ...) {
    if (!err) return code;
    if (err->code == 0) {
        err->code = code;
        err->msg[0] = '\0';
    }
    size_t len = strlen(err->msg);
    if (len + 1 >= sizeof err->msg) return err->code;
    if (len > 0) err->msg[len++] = '\n';
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg + len, sizeof err->msg - len, fmt, ap);
    va_end(ap);
    if (n >= 0 && len + (size_t)n >= sizeof err->msg) mark_truncated(err->msg, RLPT_ERR_MSG_MAX);
    return err->code;
}

void rlpt_err_prefix(rlpt_err *err, const char *fmt, ...) {
    if (!err) return;
    char prefix[512], old[RLPT_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    int n = snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
    mark_truncated(err->msg, n);
}

void rlpt_err_clear(rlpt_err *err) {
    if (!err) return;
    err->code = 0;
    err->msg[0] = '\0';
}

const char *rlpt_err_name(int code) {
    switch (code) {
    case RLPT_OK:
        return "OK";
    case RLPT_EINVAL:
        return "EINVAL";
    case RLPT_EUSAGE:
        return "EUSAGE";
    case RLPT_ECONFIG:
        return "ECONFIG";
    case RLPT_EIO:
        return "EIO";
    case RLPT_EFORMAT:
        return "EFORMAT";
    case RLPT_ENOMEM:
        return "ENOMEM";
    case RLPT_EMPI:
        return "EMPI";
    case RLPT_ENOTBUILT:
        return "ENOTBUILT";
    case RLPT_EPLUGIN:
        return "EPLUGIN";
    case RLPT_ESANDBOX:
        return "ESANDBOX";
    case RLPT_EUNSUPPORTED:
        return "EUNSUPPORTED";
    case RLPT_EINTERNAL:
        return "EINTERNAL";
    default:
        return "E?";
    }
}

int rlpt_exit_status(int code) {
    switch (code) {
    case RLPT_OK:
        return 0;
    case RLPT_EUSAGE:
    case RLPT_ENOTBUILT:
        return 2;
    case RLPT_ECONFIG:
        return 3;
    case RLPT_ENOMEM:
        return 4;
    case RLPT_EMPI:
        return 5;
    case RLPT_EINTERNAL:
        return 70;
    default:
        return 1;
    }
}
