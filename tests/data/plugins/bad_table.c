/* A plugin with a bad name and a missing function, and an entry that can return NULL
 * (selected by the environment variable RLPT_TEST_NULL_TABLE). */
#include <stdlib.h>

#include "rlpt/reward.h"

static void fr(void *s) {
    (void)s;
}
static const rlpt_reward_plugin p = {
    RLPT_REWARD_ABI_VERSION, sizeof(rlpt_reward_plugin), "Bad Name!", "", NULL, NULL, fr};
const rlpt_reward_plugin *RLPT_REWARD_ENTRY(void);
const rlpt_reward_plugin *RLPT_REWARD_ENTRY(void) {
    return getenv("RLPT_TEST_NULL_TABLE") ? NULL : &p;
}
