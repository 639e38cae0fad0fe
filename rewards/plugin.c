/* rewards/plugin.c: the dlopen loader for reward plugins (include/rlpt/reward.h).
 * Everything a plugin hands back is checked before use (ABI version, struct size, non-NULL
 * functions, a sane name), and a failed load leaves nothing behind: the handle is closed and
 * *out stays NULL. Reference: POSIX dlopen/dlsym/dlerror; Redis's module loader for the shape
 * (versioned entry point, full undo). */
#define _POSIX_C_SOURCE 200809L
#include "plugin.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reward_plugin {
    void *handle;
    const rlpt_reward_plugin *table;
    reward_fn fn; /* the registry's view: adapters below, ctx = this plugin */
    char path[4096];
};

/* ---- the reward_fn adapters ------------------------------------------------------------- */

typedef struct adapter_state {
    const reward_plugin *p;
    void *inner; /* the plugin's own state */
} adapter_state;

static int adapter_init(const reward_fn *self, const char *args_json, void **state, rlpt_err *err) {
    const reward_plugin *p = self->ctx;
    adapter_state *s = malloc(sizeof *s);
    *state = NULL;
    if (!s) return rlpt_errf(err, RLPT_ENOMEM, "plugin %s: out of memory", p->table->name);
    s->p = p;
    int rc = reward_plugin_init_state(p, args_json, &s->inner, err);
    if (rc) {
        free(s);
        return rc;
    }
    *state = s;
    return 0;
}

static int adapter_score(void *state, const reward_sample *samples, int n, double *rewards,
                         char **details, rlpt_err *err) {
    adapter_state *s = state;
    rlpt_reward_sample *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v) return rlpt_errf(err, RLPT_ENOMEM, "plugin %s: out of memory", s->p->table->name);
    for (int i = 0; i < n; i++)
        v[i] = (rlpt_reward_sample){samples[i].completion, samples[i].completion_len,
                                    samples[i].completion_tokens, samples[i].fields_json};
    int rc = reward_plugin_score(s->p, s->inner, v, n, rewards, details, err);
    free(v);
    return rc;
}

static void adapter_free(void *state) {
    adapter_state *s = state;
    if (!s) return;
    reward_plugin_free_state(s->p, s->inner);
    free(s);
}

const reward_fn *reward_plugin_fn(const reward_plugin *p) {
    return &p->fn;
}

static int name_ok(const char *name) {
    if (!name || !*name || strlen(name) > 64) return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) return 0;
    return 1;
}

int reward_plugin_load(reward_plugin **out, const char *path, rlpt_err *err) {
    *out = NULL;
    reward_plugin *p = calloc(1, sizeof *p);
    if (!p) return rlpt_errf(err, RLPT_ENOMEM, "plugin %s: out of memory", path);
    /* dlopen searches the library path for a bare name; a plugin is always a file we name. */
    int n = snprintf(p->path, sizeof p->path, "%s%s", strchr(path, '/') ? "" : "./", path);
    if (n < 0 || (size_t)n >= sizeof p->path) {
        free(p);
        return rlpt_errf(err, RLPT_EPLUGIN, "plugin %s: path too long", path);
    }
    dlerror();
    p->handle = dlopen(p->path, RTLD_NOW | RTLD_LOCAL);
    if (!p->handle) {
        const char *why = dlerror();
        rlpt_errf(err, RLPT_EPLUGIN, "plugin %s: cannot load: %s", path, why ? why : "?");
        free(p);
        return RLPT_EPLUGIN;
    }
    dlerror();
    void *sym = dlsym(p->handle, RLPT_REWARD_ENTRY_NAME);
    const char *why = dlerror();
    int rc;
    if (why || !sym) {
        rc = rlpt_errf(err, RLPT_EPLUGIN,
                       "plugin %s: no entry symbol '%s' (%s); a plugin defines "
                       "RLPT_REWARD_ENTRY from include/rlpt/reward.h",
                       path, RLPT_REWARD_ENTRY_NAME, why ? why : "NULL");
        goto fail;
    }
    /* POSIX guarantees a function pointer round-trips through void *. */
    rlpt_reward_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry);
    const rlpt_reward_plugin *t = entry();
    if (!t) {
        rc = rlpt_errf(err, RLPT_EPLUGIN, "plugin %s: %s() returned NULL", path,
                       RLPT_REWARD_ENTRY_NAME);
        goto fail;
    }
    if (t->abi_version != RLPT_REWARD_ABI_VERSION) {
        rc = rlpt_errf(err, RLPT_EPLUGIN,
                       "plugin %s: built for reward ABI version %u, this rlpt speaks version %u; "
                       "rebuild it against this include/rlpt/reward.h",
                       path, t->abi_version, RLPT_REWARD_ABI_VERSION);
        goto fail;
    }
    if (t->struct_size < sizeof(rlpt_reward_plugin)) {
        rc = rlpt_errf(err, RLPT_EPLUGIN,
                       "plugin %s: its rlpt_reward_plugin is %u bytes, expected %zu; rebuild it "
                       "against this include/rlpt/reward.h",
                       path, t->struct_size, sizeof(rlpt_reward_plugin));
        goto fail;
    }
    if (!name_ok(t->name)) {
        rc = rlpt_errf(err, RLPT_EPLUGIN,
                       "plugin %s: bad name '%s' (1 to 64 characters of a-z, 0-9, _)", path,
                       t->name ? t->name : "(null)");
        goto fail;
    }
    if (!t->init || !t->score || !t->free) {
        rc = rlpt_errf(err, RLPT_EPLUGIN, "plugin %s (%s): init, score and free must all be set",
                       path, t->name);
        goto fail;
    }
    p->table = t;
    p->fn =
        (reward_fn){t->name, t->doc ? t->doc : "", adapter_init, adapter_score, adapter_free, p};
    *out = p;
    return 0;
fail:
    dlclose(p->handle);
    free(p);
    return rc;
}

const rlpt_reward_plugin *reward_plugin_table(const reward_plugin *p) {
    return p->table;
}

const char *reward_plugin_path(const reward_plugin *p) {
    return p->path;
}

int reward_plugin_init_state(const reward_plugin *p, const char *args_json, void **state,
                             rlpt_err *err) {
    char why[512] = "";
    *state = NULL;
    if (p->table->init(args_json ? args_json : "{}", state, why, sizeof why) != 0) {
        why[sizeof why - 1] = '\0';
        return rlpt_errf(err, RLPT_EPLUGIN, "plugin %s (%s): init failed: %s", p->table->name,
                         p->path, why[0] ? why : "(no reason given)");
    }
    return 0;
}

int reward_plugin_score(const reward_plugin *p, void *state, const rlpt_reward_sample *samples,
                        int n, double *rewards, char **details, rlpt_err *err) {
    char why[512] = "";
    if (details) memset(details, 0, (size_t)n * sizeof *details);
    if (p->table->score(state, samples, n, rewards, details, why, sizeof why) != 0) {
        why[sizeof why - 1] = '\0';
        return rlpt_errf(err, RLPT_EPLUGIN, "plugin %s (%s): score failed: %s", p->table->name,
                         p->path, why[0] ? why : "(no reason given)");
    }
    return 0;
}

void reward_plugin_free_state(const reward_plugin *p, void *state) {
    p->table->free(state);
}

void reward_plugin_free(reward_plugin *p) {
    if (!p) return;
    dlclose(p->handle);
    free(p);
}
