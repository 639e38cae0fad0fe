/* rl/reward_exec.c: runs a run's reward functions with deadlines (see rl.h). A worker is a
 * fork of this process that initialises the function itself and then scores one sample per
 * request over a pair of pipes:
 *   request  u32 completion_len, completion bytes, i32 completion_tokens, u32 fields_len,
 *            fields bytes
 *   response f64 reward (or NaN with the function's error: the step fails with it)
 * After init the worker sends u32 length + its init error message (length 0: ready), so a bad
 * argument fails the run at start-up with the function's own words. The parent waits for each
 * response with poll() until the sample's deadline. A worker never
 * touches MPI; it exits when its request pipe closes. Reference: POSIX poll, fork, waitpid. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "plugin.h"
#include "rewards.h"
#include "rl.h"
#include "rlpt_io.h"

typedef struct worker {
    pid_t pid;
    int req, resp; /* write end of requests, read end of responses */
} worker;

typedef struct fn_slot {
    const reward_fn *fn;
    const rl_reward_cfg *cfg;
    char *args;  /* the arguments init gets (the entry's, or the code reward's merged ones) */
    void *state; /* in-process functions */
    worker w;    /* isolated functions; pid 0 when not running */
} fn_slot;

struct rl_rewards {
    reward_registry *reg;
    reward_plugin **plugins;
    int n_plugins;
    fn_slot *fns;
    int n;
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The worker's loop: never returns. */
static void worker_main(const fn_slot *s, int req, int resp) {
    /* the parent's handlers (MPI's, a test framework's) must not run in a worker: a crash here
     * has to end this process, which the parent then sees */
    const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGPIPE, SIGTERM, SIGINT};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) signal(fatal[i], SIG_DFL);
    void *state = NULL;
    rlpt_err err;
    double bad = NAN;
    rlpt_err_clear(&err);
    int rc = s->fn->init(s->fn, s->args, &state, &err);
    uint32_t len = rc ? (uint32_t)strlen(err.msg) + 1 : 0;
    if (rlpt_write_all(resp, &len, 4) || (len && rlpt_write_all(resp, err.msg, len)) || rc)
        _exit(3);
    for (;;) {
        uint32_t clen, flen;
        int32_t tokens;
        if (rlpt_read_all(req, &clen, 4)) _exit(0);
        char *c = malloc((size_t)clen + 1);
        if (!c || rlpt_read_all(req, c, clen) || rlpt_read_all(req, &tokens, 4) ||
            rlpt_read_all(req, &flen, 4))
            _exit(4);
        char *f = malloc((size_t)flen + 1);
        if (!f || rlpt_read_all(req, f, flen)) _exit(4);
        c[clen] = f[flen] = '\0';
        reward_sample smp = {c, clen, tokens, f};
        double r;
        if (s->fn->score_batch(state, &smp, 1, &r, NULL, &err) != 0) r = bad;
        free(c);
        free(f);
        if (rlpt_write_all(resp, &r, sizeof r)) _exit(0);
    }
}

static void worker_stop(worker *w) {
    if (w->pid <= 0) return;
    close(w->req);
    close(w->resp);
    kill(w->pid, SIGKILL);
    while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR) {
    }
    w->pid = 0;
}

static int worker_start(fn_slot *s, rlpt_err *err) {
    int a[2], b[2];
    if (pipe(a) != 0)
        return rlpt_errf(err, RLPT_EIO, "reward %s: pipe: %s", s->fn->name, strerror(errno));
    if (pipe(b) != 0) {
        close(a[0]);
        close(a[1]);
        return rlpt_errf(err, RLPT_EIO, "reward %s: pipe: %s", s->fn->name, strerror(errno));
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(a[0]), close(a[1]), close(b[0]), close(b[1]);
        return rlpt_errf(err, RLPT_EIO, "reward %s: fork: %s", s->fn->name, strerror(e));
    }
    if (pid == 0) {
        close(a[1]);
        close(b[0]);
        worker_main(s, a[0], b[1]);
    }
    close(a[0]);
    close(b[1]);
    s->w = (worker){pid, a[1], b[0]};
    /* wait for the worker's init, as long as one sample may take */
    struct pollfd p = {s->w.resp, POLLIN, 0};
    int k;
    do k = poll(&p, 1, (int)(s->cfg->timeout_s * 1000.0) + 1);
    while (k < 0 && errno == EINTR);
    uint32_t len = 0;
    if (k <= 0 || rlpt_read_all(s->w.resp, &len, 4) != 0) {
        worker_stop(&s->w);
        return rlpt_errf(err, RLPT_EPLUGIN, "reward %s: its worker did not start (%s)", s->fn->name,
                         k == 0 ? "init took longer than timeout_s" : "it died");
    }
    if (len) {
        char msg[RLPT_ERR_MSG_MAX] = "";
        if (len > sizeof msg || rlpt_read_all(s->w.resp, msg, len) != 0) len = 1, msg[0] = '\0';
        msg[sizeof msg - 1] = '\0';
        worker_stop(&s->w);
        return rlpt_errf(err, RLPT_EPLUGIN, "reward %s (in its worker): %s", s->fn->name, msg);
    }
    return 0;
}

/* Scores one sample in the worker within timeout_s. Returns 0 with *r, 1 when the sample
 * timed out or the worker died (the worker is then stopped), or a negative error. */
static int worker_score(fn_slot *s, const reward_sample *smp, double *r, rlpt_err *err) {
    int rc;
    if (s->w.pid <= 0 && (rc = worker_start(s, err))) return rc;
    uint32_t clen = (uint32_t)smp->completion_len, flen = (uint32_t)strlen(smp->fields_json);
    int32_t tokens = smp->completion_tokens;
    if (rlpt_write_all(s->w.req, &clen, 4) || rlpt_write_all(s->w.req, smp->completion, clen) ||
        rlpt_write_all(s->w.req, &tokens, 4) || rlpt_write_all(s->w.req, &flen, 4) ||
        rlpt_write_all(s->w.req, smp->fields_json, flen)) {
        worker_stop(&s->w); /* it died (e.g. init failed): contained */
        return 1;
    }
    double deadline = now_s() + s->cfg->timeout_s;
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0) break;
        struct pollfd p = {s->w.resp, POLLIN, 0};
        int ms = (int)(left * 1000.0) + 1;
        int k = poll(&p, 1, ms);
        if (k < 0 && errno == EINTR) continue;
        if (k > 0) {
            if (rlpt_read_all(s->w.resp, r, sizeof *r) != 0) break; /* crashed */
            if (isnan(*r))
                return rlpt_errf(err, RLPT_EINVAL, "reward %s: could not score a sample",
                                 s->fn->name);
            return 0;
        }
        if (k == 0) break;
    }
    worker_stop(&s->w);
    return 1;
}

/* The code reward's arguments: the YAML `sandbox:` section as its defaults, the entry's own
 * `args` on top, and slot uids that do not collide between the ranks of one node. *out is
 * malloc'd JSON text. */
static int code_args(const rl_config *cfg, const char *entry_args, char **out, rlpt_err *err) {
    cJSON *a = cJSON_Parse(entry_args ? entry_args : "{}");
    if (!a || !cJSON_IsObject(a)) {
        cJSON_Delete(a);
        return rlpt_errf(err, RLPT_ECONFIG, "rewards (code): args are not a mapping");
    }
    const rl_mpi *m = rl_mpi_get();
    int workers = cfg->sandbox.workers;
    if (workers <= 0) { /* cores per rank */
        int local = m->initialized && m->local_size > 0 ? m->local_size : 1;
        int cores = m->initialized && m->cores > 0 ? m->cores : 1;
        workers = cores / local > 0 ? cores / local : 1;
    }
    if (!cJSON_GetObjectItem(a, "sandbox"))
        cJSON_AddStringToObject(a, "sandbox",
                                cfg->sandbox.mode == RL_SANDBOX_NONE ? "none" : "namespaces");
    if (!cJSON_GetObjectItem(a, "workers")) cJSON_AddNumberToObject(a, "workers", workers);
    /* a worker holds two uids (its solution's box and its tester's), at most 256 workers: 512
     * uids per rank of this node */
    if (!cJSON_GetObjectItem(a, "uid_base"))
        cJSON_AddNumberToObject(a, "uid_base",
                                60000.0 + 512.0 * (m->initialized ? m->local_rank : 0));
    if (!cJSON_GetObjectItem(a, "scoring"))
        cJSON_AddStringToObject(a, "scoring",
                                cfg->sandbox.reward == RL_CODE_REWARD_ALL ? "all" : "fraction");
    cJSON *lim = cJSON_GetObjectItem(a, "limits");
    if (!lim) lim = cJSON_AddObjectToObject(a, "limits");
    struct {
        const char *key;
        double value;
    } defaults[] = {{"cpu_s", cfg->sandbox.cpu_seconds},   {"wall_s", cfg->sandbox.wall_seconds},
                    {"mem_mb", cfg->sandbox.memory_mib},   {"nproc", cfg->sandbox.processes},
                    {"nofile", cfg->sandbox.files},        {"box_mb", cfg->sandbox.disk_mib},
                    {"stdout_kb", cfg->sandbox.output_kib}};
    for (size_t i = 0; lim && cJSON_IsObject(lim) && i < sizeof defaults / sizeof defaults[0]; i++)
        if (!cJSON_GetObjectItem(lim, defaults[i].key))
            cJSON_AddNumberToObject(lim, defaults[i].key, defaults[i].value);
    *out = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    return *out ? 0 : rlpt_errf(err, RLPT_ENOMEM, "rewards (code): out of memory");
}

void rl_rewards_free(rl_rewards *r) {
    if (!r) return;
    for (int i = 0; i < r->n; i++) {
        worker_stop(&r->fns[i].w);
        if (r->fns[i].state) r->fns[i].fn->free(r->fns[i].state);
        free(r->fns[i].args);
    }
    free(r->fns);
    reward_registry_free(r->reg);
    for (int i = 0; i < r->n_plugins; i++) reward_plugin_free(r->plugins[i]);
    free(r->plugins);
    free(r);
}

int rl_rewards_init(rl_rewards **out, const rl_config *cfg, rlpt_err *err) {
    *out = NULL;
    rl_rewards *r = calloc(1, sizeof *r);
    int n = cfg->rewards.n, rc = 0;
    if (!r || !(r->fns = calloc((size_t)(n ? n : 1), sizeof *r->fns)) ||
        !(r->plugins = calloc((size_t)(n ? n : 1), sizeof *r->plugins))) {
        rl_rewards_free(r);
        return rlpt_errf(err, RLPT_ENOMEM, "rewards: out of memory");
    }
    signal(SIGPIPE, SIG_IGN); /* a dead worker is a write error, not our death */
    rc = reward_registry_init(&r->reg, err);
    for (int i = 0; rc == 0 && i < n; i++) {
        const rl_reward_cfg *rc_i = &cfg->rewards.v[i];
        if (rc_i->plugin[0]) {
            reward_plugin *p = NULL;
            rc = reward_plugin_load(&p, rc_i->plugin, err);
            if (rc) break;
            r->plugins[r->n_plugins++] = p;
            if (strcmp(reward_plugin_table(p)->name, rc_i->fn) != 0) {
                rc = rlpt_errf(err, RLPT_ECONFIG,
                               "rewards[%d]: plugin %s provides '%s', not '%s' (fn: names it)", i,
                               rc_i->plugin, reward_plugin_table(p)->name, rc_i->fn);
                break;
            }
            if (!reward_registry_find(r->reg, rc_i->fn))
                rc = reward_registry_add(r->reg, reward_plugin_fn(p), err);
        }
        const reward_fn *fn = rc ? NULL : reward_registry_find(r->reg, rc_i->fn);
        if (!rc && !fn)
            rc = rlpt_errf(err, RLPT_ENOTBUILT, "rewards[%d]: reward function '%s' is not built", i,
                           rc_i->fn);
        if (rc) break;
        fn_slot *s = &r->fns[r->n++];
        s->fn = fn;
        s->cfg = rc_i;
        if (strcmp(rc_i->fn, "code") == 0 && !rc_i->plugin[0])
            rc = code_args(cfg, rc_i->args_json, &s->args, err);
        else if (!(s->args = strdup(rc_i->args_json ? rc_i->args_json : "{}")))
            rc = rlpt_errf(err, RLPT_ENOMEM, "rewards: out of memory");
        if (rc) break;
        /* in-process functions start now, so that bad arguments fail before the run does;
         * isolated ones start their worker at their first sample (and again after a kill) */
        if (!rc_i->isolate)
            rc = fn->init(fn, s->args, &s->state, err);
        else
            rc = worker_start(s, err);
        if (rc) rlpt_err_prefix(err, "rewards[%d] (%s)", i, rc_i->fn);
    }
    if (rc) {
        rl_rewards_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int rl_rewards_count(const rl_rewards *r) {
    return r->n;
}

const char *rl_rewards_name(const rl_rewards *r, int i) {
    return r->fns[i].fn->name;
}

int rl_rewards_score(rl_rewards *r, const reward_sample *samples, int n, double *total,
                     double *per_fn, int *timeouts, rlpt_err *err) {
    for (int j = 0; j < n; j++) total[j] = 0.0;
    for (int i = 0; i < r->n; i++) {
        fn_slot *s = &r->fns[i];
        if (timeouts) timeouts[i] = 0;
        for (int j = 0; j < n; j++) {
            double v = 0.0;
            int late = 0, rc;
            if (s->cfg->isolate) {
                rc = worker_score(s, &samples[j], &v, err);
                if (rc < 0) return rc;
                late = rc == 1;
            } else {
                double t0 = now_s();
                rc = s->fn->score_batch(s->state, &samples[j], 1, &v, NULL, err);
                if (rc) {
                    rlpt_err_prefix(err, "reward %s", s->fn->name);
                    return rc;
                }
                late = now_s() - t0 > s->cfg->timeout_s;
            }
            if (late) {
                v = s->cfg->timeout_score;
                if (timeouts) timeouts[i]++;
            }
            if (per_fn) per_fn[(size_t)i * n + j] = v;
            total[j] += s->cfg->weight * v;
        }
    }
    return 0;
}
