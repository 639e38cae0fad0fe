/* A reward plugin that misbehaves on request, to test containment (rl/reward_exec.c): a
 * completion containing HANG never returns, CRASH kills the process, SLOW takes 0.3 s;
 * anything else scores 1. args {"fail": true} makes init refuse. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rlpt/reward.h"

static int init(const char *args, void **state, char *err, size_t n) {
    (void)state;
    if (args && strstr(args, "\"fail\":true")) {
        snprintf(err, n, "asked to fail");
        return 1;
    }
    return 0;
}

static int score(void *state, const rlpt_reward_sample *s, int n, double *r, char **details,
                 char *err, size_t en) {
    (void)state, (void)details, (void)err, (void)en;
    for (int i = 0; i < n; i++) {
        if (strstr(s[i].completion, "HANG"))
            for (;;) pause();
        if (strstr(s[i].completion, "CRASH")) raise(SIGSEGV);
        if (strstr(s[i].completion, "SLOW")) {
            struct timespec ts = {0, 300000000};
            nanosleep(&ts, NULL);
        }
        r[i] = 1.0;
    }
    return 0;
}

static void fr(void *state) {
    (void)state;
}

static const rlpt_reward_plugin p = {RLPT_REWARD_ABI_VERSION, sizeof(rlpt_reward_plugin),
                                     "misbehave", "hangs, crashes or is slow on request", init,
                                     score, fr};
const rlpt_reward_plugin *RLPT_REWARD_ENTRY(void);
const rlpt_reward_plugin *RLPT_REWARD_ENTRY(void) {
    return &p;
}
