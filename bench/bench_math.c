/* bench/bench_math.c: math answer checks per second, rlpt's checker (C, GMP, one thread)
 * against a checker on Debian's python3-sympy (bench/bench_math_sympy.py: parse both answers,
 * simplify(a - b) == 0; one process), measured in the same run on the same pairs.
 * Pairs, from MATH-500 (tests/data/rewards/math500_answers.jsonl):
 *   A: each reference answer vs the last \boxed{} of its reference solution (500; most are the
 *      same text, which rlpt settles by canonical text before parsing);
 *   B: each reference answer vs the next problem's answer (499; different answers: both sides
 *      are parsed and evaluated, the expensive path).
 * rlpt repeats each set for >= 1 s; sympy makes one pass (it caches results), cut at the time
 * budget (argument 1, default 20 s per set). Prints checks/s for both and the ratio.
 * usage: bench_math [SECONDS_FOR_SYMPY]   (needs /usr/bin/python3 with python3-sympy) */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rewards.h"
#include "rlpt_io.h"

typedef struct pair {
    char *gold, *pred;
} pair;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* checks/s of rlpt over pairs, repeated for at least 1 s; *equal = matches in one pass */
static double bench_c(reward_math_checker *chk, const pair *p, int n, int *equal) {
    reward_math_opts o;
    reward_math_opts_default(&o);
    reward_math_result res;
    long checks = 0;
    double t0 = now(), t;
    *equal = 0;
    do {
        for (int i = 0; i < n; i++) {
            int eq = reward_math_equiv(chk, p[i].gold, strlen(p[i].gold), p[i].pred,
                                       strlen(p[i].pred), &o, &res);
            if (checks < n) *equal += eq;
            checks++;
        }
        t = now() - t0;
    } while (t < 1.0);
    return (double)checks / t;
}

static double bench_sympy(const pair *p, int n, double budget, char *line, size_t cap) {
    char path[] = "/tmp/rlpt-bench-math-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "gold", p[i].gold);
        cJSON_AddStringToObject(o, "pred", p[i].pred);
        char *s = cJSON_PrintUnformatted(o);
        fprintf(f, "%s\n", s);
        free(s);
        cJSON_Delete(o);
    }
    fclose(f);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/bench/bench_math_sympy.py %s %g",
             RLPT_SOURCE_DIR, path, budget);
    FILE *pp = popen(cmd, "r");
    double rate = -1;
    line[0] = 0;
    if (pp) {
        while (fgets(line, (int)cap, pp)) {
            const char *r = strstr(line, "checks_per_s=");
            if (r) rate = atof(r + 13);
            if (r) break;
        }
        pclose(pp);
    }
    line[strcspn(line, "\n")] = 0;
    unlink(path);
    return rate;
}

int main(int argc, char **argv) {
    double budget = argc > 1 ? atof(argv[1]) : 20.0;
    char *data = NULL;
    size_t len = 0;
    rlpt_err err;
    if (rlpt_read_file(RLPT_SOURCE_DIR "/tests/data/rewards/math500_answers.jsonl", 16u << 20,
                       &data, &len, &err) != 0) {
        fprintf(stderr, "bench_math: %s\n", err.msg);
        return 1;
    }
    pair a[500], b[500];
    int n = 0;
    reward_extract_opts eo;
    reward_extract_opts_default(&eo);
    for (char *l = strtok(data, "\n"); l && n < 500; l = strtok(NULL, "\n")) {
        cJSON *r = cJSON_Parse(l);
        const char *ans = cJSON_GetObjectItem(r, "answer")->valuestring;
        const char *sol = cJSON_GetObjectItem(r, "solution")->valuestring;
        char *boxed = NULL;
        if (reward_extract(sol, strlen(sol), &eo, &boxed) > 0) {
            a[n].gold = strdup(ans);
            a[n].pred = boxed;
            n++;
        }
        cJSON_Delete(r);
    }
    for (int i = 0; i + 1 < n; i++) b[i] = (pair){a[i].gold, a[i + 1].gold};
    reward_math_checker *chk;
    if (reward_math_checker_init(&chk, &err) != 0) return 1;
    struct {
        const char *name;
        pair *p;
        int n;
    } sets[2] = {{"A: answer vs boxed answer of its solution", a, n},
                 {"B: answer vs the next problem's answer", b, n - 1}};
    printf("math checks per second on MATH-500 (1 thread; rlpt %s, sympy one pass, budget %g s)\n",
           "repeated >= 1 s", budget);
    for (int s = 0; s < 2; s++) {
        int equal;
        double c = bench_c(chk, sets[s].p, sets[s].n, &equal);
        char line[256];
        double py = bench_sympy(sets[s].p, sets[s].n, budget, line, sizeof line);
        printf("%s (%d pairs)\n", sets[s].name, sets[s].n);
        printf("  rlpt : %12.0f checks/s  (equal %d/%d)\n", c, equal, sets[s].n);
        if (py > 0) {
            printf("  sympy: %12.2f checks/s  (%s)\n", py, line);
            printf("  ratio: %12.0fx\n", c / py);
        } else {
            printf("  sympy: not measured (needs /usr/bin/python3 with python3-sympy)\n");
        }
    }
    for (int i = 0; i < n; i++) free(a[i].gold), free(a[i].pred);
    reward_math_checker_free(chk);
    free(data);
    return 0;
}
