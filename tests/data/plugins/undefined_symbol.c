/* A plugin that needs a symbol nobody defines: RTLD_NOW must refuse it at load time, not
 * crash at the first call. */
#include "rlpt/reward.h"

extern int rlpt_no_such_function(void);
static int init(const char *a, void **s, char *e, size_t n) {
    (void)a, (void)s, (void)e, (void)n;
    return rlpt_no_such_function();
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
    RLPT_REWARD_ABI_VERSION, sizeof(rlpt_reward_plugin), "unresolved", "", init, score, fr};
const rlpt_reward_plugin *RLPT_REWARD_ENTRY(void);
const rlpt_reward_plugin *RLPT_REWARD_ENTRY(void) {
    return &p;
}
