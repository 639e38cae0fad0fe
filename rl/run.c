/* rl/run.c: the run directory (see rl.h). Written by rank 0 only: a line of metrics is one
 * fwrite + fflush, a checkpoint becomes visible only when `latest` is renamed onto it, and
 * the effective config is written atomically. Resuming truncates the JSONL files to the lines
 * whose "step" is at most the checkpoint's, so a resumed run's files equal an uninterrupted
 * run's. A checkpoint's step is the next step to run: resuming keeps the lines below it. */
#define _DEFAULT_SOURCE /* symlink, readlink */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "rl.h"
#include "rlpt_io.h"

static const char *const log_names[] = {"metrics.jsonl", "eval.jsonl", "samples.jsonl"};

/* "step": N of a JSONL line, or -1. */
static long line_step(const char *line) {
    const char *p = strstr(line, "\"step\":");
    return p ? strtol(p + 7, NULL, 10) : -1;
}

/* Keeps the lines of path whose step is below `step` (the next step to run) and lines with
 * none; atomic rewrite. */
static int truncate_log(const char *path, long step, rlpt_err *err) {
    FILE *in = fopen(path, "rb");
    if (!in) return errno == ENOENT ? 0 : rlpt_errf(err, RLPT_EIO, "%s: %s", path, strerror(errno));
    rlpt_atomic_file af;
    int rc = rlpt_atomic_open(&af, path, err);
    if (rc) {
        fclose(in);
        return rc;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) > 0) {
        if (line[n - 1] != '\n') break; /* a torn last line from a crash: drop it */
        if (line_step(line) < step) fwrite(line, 1, (size_t)n, af.f);
    }
    free(line);
    fclose(in);
    return rlpt_atomic_commit(&af, err);
}

int rl_run_open(rl_run *run, const rl_config *cfg, int resume, long resume_step, rlpt_err *err) {
    memset(run, 0, sizeof *run);
    char name[256];
    if (cfg->run.name[0]) {
        snprintf(name, sizeof name, "%s", cfg->run.name);
    } else {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(name, sizeof name, "%Y%m%d-%H%M%S", &tm);
    }
    if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return rlpt_errf(err, RLPT_ECONFIG, "run.name '%s': a name, not a path", name);
    int n = snprintf(run->dir, sizeof run->dir, "%s/%s", cfg->run.dir, name);
    if (n < 0 || (size_t)n >= sizeof run->dir)
        return rlpt_errf(err, RLPT_ECONFIG, "run directory path too long");
    const rl_mpi *m = rl_mpi_get();
    run->writer = !m->initialized || m->rank == 0;
    if (!run->writer) return 0;
    char path[4200];
    if (!resume && rl_run_latest_step(run->dir) >= 0)
        return rlpt_errf(err, RLPT_EIO,
                         "%s already holds a run with checkpoints; continue it with --resume %s, "
                         "or give this run another run.name",
                         run->dir, run->dir);
    snprintf(path, sizeof path, "%s/checkpoints", run->dir);
    int rc = rlpt_mkdir_p(path, err);
    if (rc) return rc;
    if (!resume) {
        snprintf(path, sizeof path, "%s/config.yaml", run->dir);
        rlpt_atomic_file af;
        if ((rc = rlpt_atomic_open(&af, path, err))) return rc;
        if (rl_config_write_yaml(cfg, af.f) != 0) {
            rlpt_atomic_abort(&af);
            return rlpt_errf(err, RLPT_EIO, "%s: write failed", path);
        }
        if ((rc = rlpt_atomic_commit(&af, err))) return rc;
    }
    void **files[3] = {&run->metrics, &run->evals, &run->samples};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", run->dir, log_names[i]);
        if (resume && (rc = truncate_log(path, resume_step, err))) return rc;
        FILE *f = fopen(path, resume ? "ab" : "wb");
        if (!f) {
            rl_run_close(run);
            return rlpt_errf(err, RLPT_EIO, "%s: %s", path, strerror(errno));
        }
        *files[i] = f;
    }
    return 0;
}

void rl_run_close(rl_run *run) {
    void **logs[3] = {&run->metrics, &run->evals, &run->samples};
    for (int i = 0; i < 3; i++) {
        if (*logs[i]) fclose(*logs[i]);
        *logs[i] = NULL;
    }
}

int rl_run_log(rl_run *run, int which, const char *json_line, rlpt_err *err) {
    if (!run->writer) return 0;
    FILE *f = which == RL_LOG_METRICS ? run->metrics
              : which == RL_LOG_EVAL  ? run->evals
                                      : run->samples;
    if (!f) return rlpt_errf(err, RLPT_EINTERNAL, "run log %d is not open", which);
    if (fprintf(f, "%s\n", json_line) < 0 || fflush(f) != 0)
        return rlpt_errf(err, RLPT_EIO, "%s/%s: write failed: %s", run->dir, log_names[which],
                         strerror(errno));
    return 0;
}

void rl_run_checkpoint_dir(const rl_run *run, long step, char *buf, size_t n) {
    snprintf(buf, n, "%s/checkpoints/step-%ld", run->dir, step);
}

long rl_run_latest_step(const char *dir) {
    char path[4200], target[256];
    snprintf(path, sizeof path, "%s/latest", dir);
    ssize_t len = readlink(path, target, sizeof target - 1);
    if (len <= 0) return -1;
    target[len] = '\0';
    const char *s = strstr(target, "step-");
    return s ? strtol(s + 5, NULL, 10) : -1;
}

/* Removes a checkpoint directory (files only, one level: what a checkpoint holds). */
static void remove_checkpoint(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4700];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        int n = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (n > 0 && (size_t)n < sizeof path) unlink(path);
    }
    if (d) closedir(d);
    rmdir(dir);
}

int rl_run_set_latest(rl_run *run, long step, int keep, rlpt_err *err) {
    if (!run->writer) return 0;
    char link[4200], tmp[4300], target[64];
    snprintf(link, sizeof link, "%s/latest", run->dir);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", link, (long)getpid());
    snprintf(target, sizeof target, "checkpoints/step-%ld", step);
    unlink(tmp);
    if (symlink(target, tmp) != 0 || rename(tmp, link) != 0) {
        int e = errno;
        unlink(tmp);
        return rlpt_errf(err, RLPT_EIO, "%s: cannot point at %s: %s", link, target, strerror(e));
    }
    int rc = rlpt_fsync_parent_dir(link, err);
    if (rc) return rc;
    /* keep the newest `keep` checkpoints, never the one latest names */
    char cdir[4200];
    snprintf(cdir, sizeof cdir, "%s/checkpoints", run->dir);
    DIR *d = opendir(cdir);
    if (!d) return 0;
    long steps[4096];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 4096)
        if (strncmp(e->d_name, "step-", 5) == 0) steps[n++] = strtol(e->d_name + 5, NULL, 10);
    closedir(d);
    for (int i = 0; i < n; i++) {
        int newer = 0;
        for (int j = 0; j < n; j++) newer += steps[j] > steps[i];
        if (newer >= keep && steps[i] != step) {
            char dir[4400];
            rl_run_checkpoint_dir(run, steps[i], dir, sizeof dir);
            remove_checkpoint(dir);
        }
    }
    return 0;
}
