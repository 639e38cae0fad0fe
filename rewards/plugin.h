/* rewards/plugin.h: loading reward plugins (include/rlpt/reward.h) into the registry's
 * reward_fn shape. */
#ifndef REWARDS_PLUGIN_H
#define REWARDS_PLUGIN_H

#include "rewards.h"
#include "rlpt/err.h"
#include "rlpt/reward.h"

typedef struct reward_plugin reward_plugin;

/* dlopen(path, RTLD_NOW | RTLD_LOCAL), then the entry symbol, its ABI version and struct size,
 * and the table's fields. On any failure the library is closed again, *out is NULL, and err
 * (RLPT_EPLUGIN) names the path, the symbol and dlerror(). A path without a '/' is taken as
 * relative to the working directory (never searched in the system's library path). */
int reward_plugin_load(reward_plugin **out, const char *path, rlpt_err *err);

/* The plugin's table (valid until reward_plugin_free) and where it came from. */
const rlpt_reward_plugin *reward_plugin_table(const reward_plugin *p);
const char *reward_plugin_path(const reward_plugin *p);

/* Calls the plugin's init / score / free, turning its errbuf into err ("plugin NAME (PATH):
 * init: reason"). */
int reward_plugin_init_state(const reward_plugin *p, const char *args_json, void **state,
                             rlpt_err *err);
int reward_plugin_score(const reward_plugin *p, void *state, const rlpt_reward_sample *samples,
                        int n, double *rewards, char **details, rlpt_err *err);
void reward_plugin_free_state(const reward_plugin *p, void *state);

/* The plugin as a reward function of the registry (reward_registry_add): its init, score and
 * free go through the plugin's table; ctx is the plugin. Valid until reward_plugin_free, which
 * must come after every state made by it is freed and it is out of every registry. */
const reward_fn *reward_plugin_fn(const reward_plugin *p);

void reward_plugin_free(reward_plugin *p); /* dlclose; NULL is a no-op */

#endif
