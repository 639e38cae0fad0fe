/* rewards/internal.h: private sharing inside rewards/ for the math checker: the parsed answer
 * tree (latex.c builds it), its evaluation with exact GMP rationals (mathexpr.c) and the
 * structural comparison (math_verify.c). Nothing here is part of the public API.
 *
 * Bounds: every tree has fixed capacities (nodes, children, numbers, symbols, recursion depth)
 * and every evaluation a step budget, so hostile answers (1 MB of braces, a 10^6-digit number,
 * 10^{10^{10}}) fail fast with a reason instead of using unbounded time or memory. */
#ifndef REWARDS_INTERNAL_H
#define REWARDS_INTERNAL_H

#include <gmp.h>
#include <stddef.h>
#include <stdint.h>

#define MATH_MAX_ANSWER 8192   /* bytes of one extracted answer that we parse */
#define MATH_MAX_NODES  4096   /* nodes per tree */
#define MATH_MAX_KIDS   8192   /* children of collections, per tree */
#define MATH_MAX_NUMS   1024   /* numeric literals per tree */
#define MATH_MAX_DIGITS 400    /* digits of one literal (more is refused, not truncated) */
#define MATH_MAX_DEPTH  96     /* parser recursion depth */
#define MATH_MAX_SYMS   32     /* distinct symbols of a gold/pred pair */
#define MATH_MAX_BITS   65536  /* exact results larger than this fall back to double */
#define MATH_MAX_STEPS  200000 /* evaluation steps per check (all trials, both sides) */

enum mkind {
    MK_NUM, /* val: index into nums */
    MK_SYM, /* val: symbol id */
    MK_PI,
    MK_INF, /* +infinity; -\infty is NEG(INF) */
    MK_ADD, /* a + b */
    MK_SUB, /* a - b */
    MK_MUL,
    MK_DIV,
    MK_POW,
    MK_NEG,     /* -a */
    MK_PM,      /* a ± b (a = -1: ± b) */
    MK_FUNC,    /* op: enum mfunc, a: argument */
    MK_ROOT,    /* a: radicand, b: index node or -1 (square root) */
    MK_FACT,    /* a! */
    MK_BINOM,   /* binom(a, b) */
    MK_PERCENT, /* a% (compared as a and as a/100) */
    /* structures: children are kids[a .. a+n) */
    MK_LIST,    /* bare list "1, 2" or "{1, 2}" */
    MK_SET,     /* \{1, 2\} */
    MK_BRACKET, /* (a, b), [a, b), ...: tuple or interval; open/close hold the brackets */
    MK_UNION,   /* A \cup B */
    MK_MATRIX,  /* n = rows*cols cells, b = cols */
    MK_REL,     /* parts; ops[a+i] is the relation before part i (i >= 1) */
    MK_RATIO,   /* a:b:... */
    MK_TEXT     /* val: offset in text, n: length */
};

enum mfunc {
    MF_SIN,
    MF_COS,
    MF_TAN,
    MF_SEC,
    MF_CSC,
    MF_COT,
    MF_ASIN,
    MF_ACOS,
    MF_ATAN,
    MF_SINH,
    MF_COSH,
    MF_TANH,
    MF_LN,
    MF_LOG10,
    MF_EXP,
    MF_ABS,
    MF_FLOOR,
    MF_CEIL
};

enum mrel { MR_EQ = 1, MR_LT, MR_LE, MR_GT, MR_GE, MR_NE, MR_APPROX, MR_IN };

enum { MF_APPROX = 1, MF_HASPM = 2, MF_HASSYM = 4, MF_HASMAT = 8 }; /* mnode.flags, propagated up */

typedef struct mnode {
    uint8_t kind, op, open, close, flags;
    int32_t a, b, n, val;
} mnode;

typedef struct math_syms {
    int n;
    char name[MATH_MAX_SYMS][64]; /* longer names are cut: parse_symbol keeps them under 64 */
} math_syms;

typedef struct math_tree {
    mnode *nodes;
    int n_nodes;
    int32_t *kids;
    uint8_t *ops; /* relation ops, parallel to kids */
    int n_kids;
    mpq_t *nums;
    int n_nums;
    char *text; /* TEXT node contents */
    char *norm; /* the normalised answer being parsed (MATH_MAX_ANSWER + 1 bytes) */
    int n_text;
    int root;        /* -1 when parsing failed */
    const char *why; /* why parsing failed (static string) */
    math_syms *syms; /* shared by the gold and the predicted tree */
} math_tree;

/* The options the comparison reads (a copy of the public reward_math_opts). */
typedef struct math_cmp_opts {
    double rel_tol;     /* relative tolerance for irrational values */
    int decimal_places; /* < 0: exact; else round both sides when a decimal literal is present */
    int ordered_lists;  /* bare lists compared in order */
    int strict_symbols; /* 0: symbols may be renamed (matched by sorted order) */
    int set_relation;   /* a gold interval also accepts an inequality */
} math_cmp_opts;

/* latex.c */
int math_tree_init(math_tree *t, math_syms *syms);
void math_tree_free(math_tree *t);
/* Normalises and parses s[0..len) into t (t->root, or -1 with t->why). */
void math_parse(math_tree *t, const char *s, size_t len);
int math_new_node(math_tree *t, int kind);
int math_new_coll(math_tree *t, int kind, const int32_t *items, int n);
/* normalise.c */
/* Writes the normalised form of s[0..len) to out (room for len+1); never longer than s. */
size_t math_normalise(char *out, const char *s, size_t len);
int math_in_list(const char *const *list, const char *s, size_t n); /* s[0..n) in list */
size_t math_cmd_len(const char *s, size_t i, size_t len);           /* letters from s[i] */
int math_known_cmd(const char *name, size_t n); /* a command the parser understands */
/* Canonical text used for the plain string comparison: spaces, $, \left/\right, \text{}
 * wrappers, \!, \, and a trailing period removed. out and scratch have room for len+1 bytes. */
size_t math_canon(char *out, const char *s, size_t len, char *scratch);

/* mathexpr.c: scalar expressions */
typedef struct math_eval_budget {
    long steps;
} math_eval_budget;
/* 1 when the scalar expressions ga (in gt) and pa (in pt) are equal; pm_g/pm_p pick the sign of
 * ± nodes (+1 or -1, 0 when none). */
int math_scalar_equiv(const math_tree *gt, int ga, int pm_g, const math_tree *pt, int pa, int pm_p,
                      const math_cmp_opts *o, math_eval_budget *bud);
/* Relations f = lhs - rhs: 1 when f_g = k f_p for a constant k (k > 0 when positive_k). */
int math_diff_proportional(const math_tree *gt, int gl, int gr, const math_tree *pt, int pl, int pr,
                           int positive_k, const math_cmp_opts *o, math_eval_budget *bud);
/* 1 when node x is a constant whose value is +-infinity: sign in *sign. */
int math_is_infinity(const math_tree *t, int x, int *sign);

/* math_verify.c */
int math_nodes_equiv(math_tree *gt, int g, math_tree *pt, int p, const math_cmp_opts *o,
                     math_eval_budget *bud);

#endif

/* ---- reward functions (args.c) ----------------------------------------------------------- */

#include "rlpt/err.h"

/* One argument of a reward function: its key, its type and where it goes in the options
 * struct. Types: 'n' number (double), 'i' integer (int), 'b' boolean (int), 's' string
 * (char[REWARD_ARG_STR]). Numbers and integers are checked against [min, max]. */
#define REWARD_ARG_STR 64
typedef struct reward_arg {
    const char *key;
    char type;
    size_t offset;
    double min, max;
    const char *doc;
} reward_arg;

/* Reads args_json (NULL or a JSON object text) into out by spec (n_spec rows). Unknown keys,
 * wrong types and out-of-range values are refused with the function's and key's names and what
 * was expected. Keys not given keep the values already in out (the defaults). */
int reward_args_load(const char *fn, const char *args_json, const reward_arg *spec, int n_spec,
                     void *out, rlpt_err *err);

/* The dataset field key of fields_json as a string (a number is printed as text); NULL when
 * absent or of another type. Returns a malloc'd copy. */
char *reward_field_string(const char *fields_json, const char *key);
