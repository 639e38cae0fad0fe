/* A plugin whose init refuses its arguments, and whose score always fails. */
#include <stdio.h>

#include "rlpt/reward.h"

static int init(const char *a, void **s, char *e, size_t n) {
    (void)s;
    snprintf(e, n, "args.threshold: expected a number, got %s", a);
    return 1;
}
static int score(void *s, const rlpt_reward_sample *x, int n, double *r, char **d, char *e,
                 size_t en) {
    (void)s, (void)x, (void)n, (void)r, (void)d;
    snprintf(e, en, "cannot score");
    return 1;
}
static void fr(void *s) {
    (void)s;
}
static const rlpt_reward_plugin p = {
    RLPT_REWARD_ABI_VERSION, sizeof(rlpt_reward_plugin), "refuses", "", init, score, fr};
const rlpt_reward_plugin *RLPT_REWARD_ENTRY(void);
const rlpt_reward_plugin *RLPT_REWARD_ENTRY(void) {
    return &p;
}
