/* rewards/sandbox_limits.c: the sandbox's plain data: verdict and mode names, the limits'
 * defaults and bounds (the YAML config's checks use the same bounds). No system calls here;
 * running things is sandbox.c. */
#include "sandbox.h"

#include <string.h>

const char *sandbox_verdict_name(sandbox_verdict v) {
    static const char *const names[] = {"OK", "RE", "SIG", "TLE", "WALL", "OLE", "CE", "WA"};
    return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "?";
}

const char *sandbox_mode_name(sandbox_mode mode) {
    return mode == SANDBOX_NONE ? "none" : "namespaces";
}

int sandbox_mode_parse(const char *s, sandbox_mode *out, rlpt_err *err) {
    if (strcmp(s, "namespaces") == 0)
        *out = SANDBOX_NAMESPACES;
    else if (strcmp(s, "none") == 0)
        *out = SANDBOX_NONE;
    else
        return rlpt_errf(err, RLPT_ECONFIG,
                         "sandbox must be 'namespaces' or 'none' (trusted code only), got '%s'", s);
    return 0;
}

const char *sandbox_mode_warning(sandbox_mode mode) {
    if (mode != SANDBOX_NONE) return NULL;
    return "WARNING: sandbox: none -- model-written code runs WITHOUT isolation, as this user, "
           "with this machine's files and network. Use it only for code you trust.";
}

void sandbox_limits_default(sandbox_limits *l) {
    l->cpu_s = 5.0;
    l->wall_s = 10.0;
    l->mem_bytes = (size_t)512 << 20;
    l->nproc = 32;
    l->fsize_bytes = (size_t)16 << 20;
    l->nofile = 64;
    l->box_bytes = (size_t)64 << 20;
    l->stdout_max = (size_t)1 << 20;
    l->stderr_max = (size_t)64 << 10;
}

int sandbox_limits_check(const sandbox_limits *l, rlpt_err *err) {
    const double GiB = 1024.0 * 1024.0 * 1024.0, MiB = 1024.0 * 1024.0;
    struct {
        const char *key;
        double v, lo, hi;
    } f[] = {
        {"cpu_s", l->cpu_s, 0.05, 600},
        {"wall_s", l->wall_s, 0.05, 3600},
        {"mem_bytes", (double)l->mem_bytes, 32 * MiB, 64 * GiB},
        {"nproc", l->nproc, 1, 4096},
        {"fsize_bytes", (double)l->fsize_bytes, 0, 4 * GiB},
        {"nofile", l->nofile, 8, 4096},
        {"box_bytes", (double)l->box_bytes, 64 * 1024, 4 * GiB},
        {"stdout_max", (double)l->stdout_max, 1024, 256 * MiB},
        {"stderr_max", (double)l->stderr_max, 1024, 256 * MiB},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (!(f[i].v >= f[i].lo && f[i].v <= f[i].hi))
            return rlpt_errf(err, RLPT_ECONFIG, "sandbox limit %s must be in [%g, %g], got %g",
                             f[i].key, f[i].lo, f[i].hi, f[i].v);
    return 0;
}
