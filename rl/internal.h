/* rl/internal.h: what the rl module's files share privately: the config schema's row types
 * (rl/config.c is the engine, rl/config_schema.c the table). */
#ifndef RL_INTERNAL_H
#define RL_INTERNAL_H

#include <stddef.h>

typedef enum {
    CT_BOOL,     /* int 0/1 */
    CT_INT,      /* int */
    CT_I64,      /* int64_t */
    CT_FLOAT,    /* double */
    CT_STR,      /* char *, may be "" */
    CT_PATH,     /* char *, a file or directory path, may be "" (unset) */
    CT_ENUM,     /* int, index into names */
    CT_STRLIST,  /* rl_strlist */
    CT_ENUMLIST, /* rl_strlist whose items are among names */
    CT_JSON,     /* char *, any YAML value converted to JSON text ("{}" when unset) */
    CT_LIST      /* a list of mappings, each filled from the sub-table */
} cfg_type;

enum {
    CF_LO_OPEN = 1,  /* lower bound excluded */
    CF_HI_OPEN = 2,  /* upper bound excluded */
    CF_REQUIRED = 4, /* must be given (no default) */
    CF_NONEMPTY = 8  /* strings/lists: "" or [] is refused */
};

typedef struct cfg_table cfg_table;

typedef struct cfg_row {
    const char *key; /* dotted: "rollout.temperature"; relative inside a sub-table */
    cfg_type type;
    size_t off;           /* offsetof the field in rl_config (or in the list element) */
    double lo, hi;        /* bounds for CT_INT/CT_I64/CT_FLOAT */
    unsigned flags;       /* CF_* */
    const char *names;    /* CT_ENUM/CT_ENUMLIST: "a|b|c" in enum order */
    const char *def;      /* the default as YAML text; NULL = none (required or "") */
    const char *doc;      /* one or two sentences for `check-config --doc` */
    const cfg_table *sub; /* CT_LIST: the element's rows */
} cfg_row;

struct cfg_table {
    const cfg_row *rows;
    int n;
    size_t elem_size; /* CT_LIST elements */
};

/* The whole schema, and the rows of one `rewards:` entry. */
extern const cfg_table rl_config_schema;
extern const cfg_table rl_reward_schema;

/* Built-in reward function names accepted in `rewards[].fn` without a plugin. */
extern const char *const rl_builtin_rewards[];

/* A generic view of rl_reward_list and of any future list field. */
typedef struct cfg_list {
    void *v;
    int n;
} cfg_list;

#endif
