/* rl/cmd_reward.c: `rlpt reward --fn NAME [--set key=value]...`, a filter that scores one
 * completion per JSON line with one reward function and prints the reward with the function's
 * details (what was extracted, how, and why it matched or not).
 * --fn code runs the completion's code against the sample's tests in the sandbox. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plugin.h"
#include "rewards.h"

static const char usage[] =
    "usage: rlpt reward --fn NAME [--set key=value]... [--plugin PATH.so]\n"
    "\n"
    "A filter: reads one JSON object per line on stdin, {\"completion\": s, ...fields the\n"
    "function needs}, and writes {\"reward\": r, ...details} per line on stdout, in order.\n"
    "An optional \"completion_tokens\" gives the completion's length in tokens.\n"
    "\n"
    "Functions (arguments with --set, e.g. --set incorrect=-1 --set strict=false):\n"
    "  math        answer (last \\boxed{}, <answer>, \"the answer is\", ...) equivalent to\n"
    "              field \"answer\"; correct, incorrect, rel_tol, decimal_places,\n"
    "              ordered_lists, strict_symbols, set_relation, last_number, answer_tag\n"
    "  gsm8k       the same against \"answer\" = a GSM8K solution ending in \"#### N\", or N\n"
    "  format      <think>...</think><answer>...</answer>; strict, think_in_prompt, reward,\n"
    "              penalty, think_tag, answer_tag\n"
    "  length      DAPO soft overlong punishment on completion_tokens; max_len, cache,\n"
    "              penalty_factor\n"
    "  repetition  -penalty x share of repeated word n-grams; n, penalty\n"
    "  language    share of the reasoning's letters in a script; script, think_tag, reward\n"
    "  code        runs the completion's last fenced code block against the sample's tests\n"
    "              in the sandbox: HumanEval (prompt, test, entry_point), MBPP (test_list,\n"
    "              test_setup_code, test_imports) or stdin/stdout (language, inputs,\n"
    "              outputs); see rlpt check-config --doc, sandbox.* for the limits\n"
    "\n"
    "  --plugin PATH.so  load a reward plugin (include/rlpt/reward.h); --fn then names it\n";

/* --set values: JSON scalars as they are (1, -0.5, true, "x"), anything else as a string. */
static int add_set(cJSON *args, const char *kv, rlpt_err *err) {
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return rlpt_errf(err, RLPT_EUSAGE, "reward: --set expects key=value, got '%s'", kv);
    char key[128];
    size_t kl = (size_t)(eq - kv);
    if (kl >= sizeof key) return rlpt_errf(err, RLPT_EUSAGE, "reward: --set key too long");
    memcpy(key, kv, kl);
    key[kl] = 0;
    cJSON *v = cJSON_Parse(eq + 1);
    if (!v || cJSON_IsObject(v) || cJSON_IsArray(v) || cJSON_IsNull(v)) {
        cJSON_Delete(v);
        v = cJSON_CreateString(eq + 1);
    }
    cJSON_DeleteItemFromObject(args, key);
    cJSON_AddItemToObject(args, key, v);
    return 0;
}

/* Scores one input line; prints the output line. */
static int score_line(const reward_fn *fn, void *state, char *line, long lineno, rlpt_err *err) {
    cJSON *in = cJSON_Parse(line);
    if (!in || !cJSON_IsObject(in)) {
        cJSON_Delete(in);
        return rlpt_errf(err, RLPT_EINVAL, "stdin line %ld: not a JSON object", lineno);
    }
    const cJSON *c = cJSON_GetObjectItem(in, "completion");
    const cJSON *t = cJSON_GetObjectItem(in, "completion_tokens");
    int rc = 0;
    if (!cJSON_IsString(c)) {
        rc = rlpt_errf(err, RLPT_EINVAL, "stdin line %ld: needs \"completion\" (a string)", lineno);
    } else if (t && (!cJSON_IsNumber(t) || t->valuedouble < 0 || t->valuedouble > 1e9 ||
                     t->valuedouble != (int)t->valuedouble)) {
        rc = rlpt_errf(err, RLPT_EINVAL,
                       "stdin line %ld: \"completion_tokens\" must be a non-negative integer",
                       lineno);
    }
    if (rc) {
        cJSON_Delete(in);
        return rc;
    }
    reward_sample s = {c->valuestring, strlen(c->valuestring), t ? (int)t->valuedouble : -1, line};
    double r = 0;
    char *details = NULL;
    rc = fn->score_batch(state, &s, 1, &r, &details, err);
    cJSON_Delete(in);
    if (rc) {
        rlpt_err_prefix(err, "stdin line %ld", lineno);
        return rc;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "reward", r);
    cJSON *d = details ? cJSON_Parse(details) : NULL;
    free(details);
    if (d) {
        cJSON *kv = d->child;
        while (kv) {
            cJSON *next = kv->next;
            /* the function's own "reward", if its details repeat it, is the one printed first */
            if (strcmp(kv->string, "reward") != 0)
                cJSON_AddItemToObject(out, kv->string, cJSON_DetachItemViaPointer(d, kv));
            kv = next;
        }
        cJSON_Delete(d);
    }
    char *text = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    if (!text) return rlpt_errf(err, RLPT_ENOMEM, "reward: out of memory");
    puts(text);
    free(text);
    return 0;
}

static int run(int argc, char **argv, rlpt_err *err) {
    const char *name = NULL, *plugin_path = NULL;
    cJSON *args = cJSON_CreateObject();
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        if ((strcmp(argv[i], "--fn") == 0 || strcmp(argv[i], "--set") == 0 ||
             strcmp(argv[i], "--plugin") == 0) &&
            i + 1 >= argc)
            rc = rlpt_errf(err, RLPT_EUSAGE, "reward: %s needs a value", argv[i]);
        else if (strcmp(argv[i], "--plugin") == 0)
            plugin_path = argv[++i];
        else if (strcmp(argv[i], "--fn") == 0)
            name = argv[++i];
        else if (strncmp(argv[i], "--fn=", 5) == 0)
            name = argv[i] + 5;
        else if (strcmp(argv[i], "--set") == 0)
            rc = add_set(args, argv[++i], err);
        else if (strncmp(argv[i], "--set=", 6) == 0)
            rc = add_set(args, argv[i] + 6, err);
        else
            rc = rlpt_errf(err, RLPT_EUSAGE,
                           "reward: unknown argument '%s' (see rlpt reward --help)", argv[i]);
    }
    if (rc == 0 && !name)
        rc = rlpt_errf(err, RLPT_EUSAGE, "reward: --fn NAME is required (see rlpt reward --help)");
    reward_registry *reg = NULL;
    reward_plugin *plugin = NULL;
    if (rc == 0) rc = reward_registry_init(&reg, err);
    if (rc == 0 && plugin_path) rc = reward_plugin_load(&plugin, plugin_path, err);
    if (rc == 0 && plugin) rc = reward_registry_add(reg, reward_plugin_fn(plugin), err);
    const reward_fn *fn = rc == 0 ? reward_registry_find(reg, name) : NULL;
    if (rc == 0 && !fn) {
        char names[256];
        size_t o = 0;
        for (int i = 0; i < reward_registry_count(reg) && o < sizeof names - 32; i++)
            o += (size_t)snprintf(names + o, sizeof names - o, "%s%s", i ? ", " : "",
                                  reward_registry_at(reg, i)->name);
        rc = rlpt_errf(err, RLPT_EUSAGE, "reward: unknown function '%s' (built: %s)", name, names);
    }
    char *args_json = rc == 0 ? cJSON_PrintUnformatted(args) : NULL;
    void *state = NULL;
    if (rc == 0) rc = fn->init(fn, args_json, &state, err);
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    while (rc == 0) {
        ssize_t n = getline(&line, &cap, stdin);
        if (n < 0) break;
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (n == 0) continue;
        rc = score_line(fn, state, line, lineno, err);
        fflush(stdout);
    }
    free(line);
    if (fn) fn->free(state);
    free(args_json);
    cJSON_Delete(args);
    reward_registry_free(reg);
    reward_plugin_free(plugin);
    return rc;
}

const rl_cmd rl_cmd_reward = {"reward", "score completions with a reward function", usage, run};
