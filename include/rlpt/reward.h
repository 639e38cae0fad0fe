/* include/rlpt/reward.h: the reward plugin ABI, version 1. A plugin is a shared object that
 * scores completions with rules of its own; rlpt loads it with dlopen(RTLD_NOW | RTLD_LOCAL)
 * when an experiment file names it:
 *
 *   rewards:
 *     - fn: short_answer                   # the name the plugin declares
 *       plugin: path/to/short_answer.so
 *       weight: 0.1
 *       args: {max_chars: 200}             # handed to init as a JSON object text
 *
 * A plugin includes only this header (C11, no rlpt library to link) and exports one function,
 * RLPT_REWARD_ENTRY, returning a pointer to a static rlpt_reward_plugin whose abi_version is
 * RLPT_REWARD_ABI_VERSION and whose struct_size is sizeof(rlpt_reward_plugin). rlpt refuses a
 * plugin with a missing entry symbol, another ABI version, a smaller struct, or a failing init,
 * with the path and dlerror() in the message, and unloads it.
 *
 * Threading: rlpt calls init once per reward entry and rank, then score from one thread at a
 * time for that state. Errors: return non-zero and write a one-line reason into errbuf (always
 * NUL-terminated by rlpt before the call; at most errlen bytes). Memory: `details` strings are
 * allocated with malloc by the plugin and freed by rlpt with free.
 *
 * Build: cc -shared -fPIC -O2 -I include -o short_answer.so examples/reward-plugin/short_answer.c
 * (see examples/reward-plugin/). */
#ifndef RLPT_REWARD_H
#define RLPT_REWARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RLPT_REWARD_ABI_VERSION 1u

/* The exported entry point's name, as a string for dlsym and as a token for definitions. */
#define RLPT_REWARD_ENTRY      rlpt_reward_plugin_v1
#define RLPT_REWARD_ENTRY_NAME "rlpt_reward_plugin_v1"

/* One completion to score. fields_json is the dataset record as a JSON object text ("{}" when
 * there is none): a reference answer, tests, anything the dataset carries. */
typedef struct rlpt_reward_sample {
    const char *completion; /* UTF-8, completion_len bytes, NUL-terminated */
    size_t completion_len;
    int completion_tokens; /* its length in the policy's tokens; -1 when unknown */
    const char *fields_json;
} rlpt_reward_sample;

typedef struct rlpt_reward_plugin {
    uint32_t abi_version; /* RLPT_REWARD_ABI_VERSION */
    uint32_t struct_size; /* sizeof(rlpt_reward_plugin) */
    const char *name;     /* what `fn:` names; [a-z0-9_]+ */
    const char *doc;      /* one line: what it scores and its arguments */

    /* args_json: the entry's `args:` as a JSON object text ("{}" when absent). Sets *state
     * (may stay NULL). Unknown or bad arguments should be refused here, naming the key. */
    int (*init)(const char *args_json, void **state, char *errbuf, size_t errlen);

    /* rewards[i] for samples[i], i < n. details may be NULL; otherwise details[i] receives a
     * malloc'd JSON object text (or NULL) explaining the score, freed by rlpt. A sample the
     * function cannot score (e.g. a missing field) is an error, not a zero. */
    int (*score)(void *state, const rlpt_reward_sample *samples, int n, double *rewards,
                 char **details, char *errbuf, size_t errlen);

    /* Releases state; called once per successful init. */
    void (*free)(void *state);
} rlpt_reward_plugin;

/* What a plugin exports: `const rlpt_reward_plugin *RLPT_REWARD_ENTRY(void) { return &p; }` */
typedef const rlpt_reward_plugin *(*rlpt_reward_entry_fn)(void);

#ifdef __cplusplus
}
#endif
#endif
