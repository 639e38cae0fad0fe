/* A shared object that is not a reward plugin: it lacks the entry symbol. */
int rlpt_reward_plugin_v0(void);
int rlpt_reward_plugin_v0(void) {
    return 0;
}
