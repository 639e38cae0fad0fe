/* rl/plot.c: `rlpt plot`: six panels from a run's JSONL logs, drawn by gnuplot. The data go to
 * a temporary file as "series step value" lines (gnuplot merges empty index blocks, so series
 * are told apart by their first column), the script to another; gnuplot is
 * started with posix_spawnp and writes the PNG to a temporary name that is renamed into place,
 * so a reader never sees half a picture. A panel without data says so. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rl.h"

extern char **environ;

typedef struct series {
    const char *file, *key, *stage; /* stage NULL: any */
    const char *title;
} series;

/* Panel i draws series with panel == i. */
static const struct {
    int panel;
    series s;
} plots[] = {
    {0, {"metrics.jsonl", "reward", "grpo", "reward (mean)"}},
    {1, {"metrics.jsonl", "accuracy", "grpo", "train accuracy"}},
    {1, {"eval.jsonl", "accuracy", NULL, "held-out accuracy (pass@1)"}},
    {2, {"metrics.jsonl", "response_length", "grpo", "response length (tokens)"}},
    {3, {"metrics.jsonl", "kl", "grpo", "KL to reference"}},
    {4, {"metrics.jsonl", "entropy", "grpo", "entropy (nats/token)"}},
    {5, {"metrics.jsonl", "loss", "sft", "SFT loss"}},
};
#define N_PLOTS (int)(sizeof plots / sizeof plots[0])
static const char *const panel_titles[6] = {"Reward", "Accuracy", "Response length",
                                            "KL",     "Entropy",  "SFT loss"};

/* Writes "id step value" lines of one series; returns how many points, and widens [*lo, *hi] to
 * their values. */
static long write_series(FILE *out, const char *dir, const series *s, int id, double *lo,
                         double *hi) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, s->file);
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char *line = NULL;
    size_t cap = 0;
    long n = 0;
    while (getline(&line, &cap, f) > 0) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *step = cJSON_GetObjectItem(j, "step"), *v = cJSON_GetObjectItem(j, s->key);
        const cJSON *stage = cJSON_GetObjectItem(j, "stage");
        int stage_ok =
            !s->stage || (cJSON_IsString(stage) && !strcmp(stage->valuestring, s->stage));
        if (cJSON_IsNumber(step) && cJSON_IsNumber(v) && stage_ok) {
            fprintf(out, "%d %g %.9g\n", id, step->valuedouble, v->valuedouble);
            n++;
            if (v->valuedouble < *lo) *lo = v->valuedouble;
            if (v->valuedouble > *hi) *hi = v->valuedouble;
        }
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
    return n;
}

int rl_plot(const char *run_dir, const char *out, rlpt_err *err) {
    char png[4200], tmp_png[4300], data[] = "/tmp/rlpt-plot-data-XXXXXX",
                                   script[] = "/tmp/rlpt-plot-gp-XXXXXX";
    if (out)
        snprintf(png, sizeof png, "%s", out);
    else
        snprintf(png, sizeof png, "%s/curves.png", run_dir);
    snprintf(tmp_png, sizeof tmp_png, "%s.tmp.%ld", png, (long)getpid());
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/metrics.jsonl", run_dir);
    if (access(probe, R_OK) != 0)
        return rlpt_errf(err, RLPT_EIO, "%s: %s (is %s a run directory?)", probe, strerror(errno),
                         run_dir);
    int dfd = mkstemp(data), sfd = dfd >= 0 ? mkstemp(script) : -1;
    FILE *df = dfd >= 0 ? fdopen(dfd, "w") : NULL, *sf = sfd >= 0 ? fdopen(sfd, "w") : NULL;
    int rc = 0;
    if (!df || !sf) {
        rc = rlpt_errf(err, RLPT_EIO, "plot: cannot create temporary files: %s", strerror(errno));
        goto done;
    }
    long points[N_PLOTS], total = 0;
    double lo[6], hi[6]; /* each panel's value range */
    for (int p = 0; p < 6; p++) lo[p] = HUGE_VAL, hi[p] = -HUGE_VAL;
    for (int i = 0; i < N_PLOTS; i++) {
        int p = plots[i].panel;
        points[i] = write_series(df, run_dir, &plots[i].s, i, &lo[p], &hi[p]);
        total += points[i];
    }
    if (total == 0) {
        rc = rlpt_errf(err, RLPT_EINVAL, "%s: no metrics to plot yet", run_dir);
        goto done;
    }
    fprintf(sf, "set terminal pngcairo size 1500,900 font ',10'\nset output '%s'\n", tmp_png);
    fprintf(sf,
            "set multiplot layout 2,3 title '%s'\nset grid\nset key top left\n"
            "set xlabel 'step'\n",
            run_dir);
    for (int p = 0; p < 6; p++) {
        int any = 0;
        fprintf(sf, "set title '%s'\n", panel_titles[p]);
        if (lo[p] == hi[p]) fprintf(sf, "set yrange [%.9g:%.9g]\n", lo[p] - 1.0, hi[p] + 1.0);
        for (int i = 0; i < N_PLOTS; i++) {
            if (plots[i].panel != p || points[i] == 0) continue;
            fprintf(sf,
                    "%s '%s' using 2:($1 == %d ? $3 : NaN) with linespoints pt 7 ps 0.4 "
                    "title '%s'",
                    any ? ", \\\n    " : "plot", data, i, plots[i].s.title);
            any = 1;
        }
        if (!any)
            fprintf(sf, "unset xlabel\nset label 1 'no data' at graph 0.45,0.5\n"
                        "plot [0:1][0:1] NaN notitle\nunset label 1\nset xlabel 'step'");
        fprintf(sf, "\n");
        if (any && lo[p] == hi[p]) /* one value throughout (KL without a KL term): gnuplot warns
                                      of an empty range unless given one */
            fprintf(sf, "set autoscale y\n");
    }
    fprintf(sf, "unset multiplot\n");
    if (fflush(df) || fflush(sf)) {
        rc = rlpt_errf(err, RLPT_EIO, "plot: writing temporary files failed");
        goto done;
    }
    char *argv[] = {"gnuplot", script, NULL};
    pid_t pid;
    int status = 0, e = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
    if (e != 0) {
        rc = rlpt_errf(err, RLPT_EIO,
                       "plot: cannot run gnuplot (%s); install Debian's gnuplot-nox "
                       "(scripts/install-deps.sh does)",
                       strerror(e));
        goto done;
    }
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        unlink(tmp_png);
        rc = rlpt_errf(err, RLPT_EIO, "plot: gnuplot failed (status %d)", status);
        goto done;
    }
    if (rename(tmp_png, png) != 0) {
        rc = rlpt_errf(err, RLPT_EIO, "plot: %s: %s", png, strerror(errno));
        unlink(tmp_png);
    }
done:
    if (df)
        fclose(df);
    else if (dfd >= 0)
        close(dfd);
    if (sf)
        fclose(sf);
    else if (sfd >= 0)
        close(sfd);
    if (dfd >= 0) unlink(data);
    if (sfd >= 0) unlink(script);
    return rc;
}
