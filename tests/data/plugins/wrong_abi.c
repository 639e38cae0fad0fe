/* A plugin built for a future ABI version. */
#include "rlpt/reward.h"

static int init(const char *a, void **s, char *e, size_t n) {
    (void)a, (void)s, (void)e, (void)n;
    return 0;
}
static int score(void *s, const rlpt_reward_sample *x, int n, double *r, char **d, char *e,
                 size_t en) {
    (void)s, (void)x, (void)n, (void)r, (void)d, (void)e, (void)en;
    return 0;
}
static void fr(void *s) {
    (void)s;
}
static const rlpt_reward_plugin p = {
    RLPT_REWARD_ABI_VERSION + 1, sizeof(rlpt_reward_plugin), "future", "", init, score, fr};
const rlpt_reward_plugin *RLPT_REWARD_ENTRY(void);
const rlpt_reward_plugin *RLPT_REWARD_ENTRY(void) {
    return &p;
}
