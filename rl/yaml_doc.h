/* rl/yaml_doc.h: YAML documents as small trees whose every node knows its file:line:col, for
 * the experiment config (rl/config.c). Built from libyaml's event parser with the checks a
 * config loader needs and libyaml leaves to its caller: one document per file, mapping keys
 * unique and scalar, aliases resolved within an expansion budget (no "billion laughs"), no tags
 * or merge keys, UTF-8 only, bounded nesting. */
#ifndef RL_YAML_DOC_H
#define RL_YAML_DOC_H

#include <stddef.h>

#include "rlpt/err.h"

typedef enum { YN_SCALAR, YN_MAP, YN_SEQ } yn_kind;

typedef struct ynode ynode;
struct ynode {
    yn_kind kind;
    const char *file; /* owned by the ydoc_arena */
    int line, col;    /* 1-based position of the node's first character */
    char *text;       /* YN_SCALAR: the value, NUL-terminated (may hold NULs: see len) */
    size_t len;
    int quoted;   /* YN_SCALAR: 1 when written quoted or as a block scalar */
    int n, cap;   /* YN_MAP: n pairs keys[i] -> vals[i]; YN_SEQ: n items in vals[] */
    ynode **keys; /* YN_MAP only; scalars */
    ynode **vals;
    size_t weight; /* nodes in this subtree counting alias expansions (the budget's unit) */
};

/* Owns every node and file name of one load (several files and --set values). */
typedef struct ydoc_arena ydoc_arena;

ydoc_arena *ydoc_arena_new(void);
void ydoc_arena_free(ydoc_arena *a); /* NULL is a no-op */

/* Limits: a config is small; anything near these is abuse or a mistake. */
#define YDOC_MAX_BYTES (1u << 20) /* 1 MiB per file */
#define YDOC_MAX_NODES 10000u     /* per document, alias expansions included */
#define YDOC_MAX_DEPTH 32

/* Parses one YAML document from buf (len bytes) named `file` in messages. *out is the root
 * node, or NULL for an empty document. Errors: RLPT_ECONFIG with "FILE:LINE:COL: ...", one
 * line each. When the only errors are duplicate keys, *out is still set (each duplicate's
 * value dropped) so the caller can go on to report the rest. */
int ydoc_parse(ydoc_arena *a, const char *file, const char *buf, size_t len, ynode **out,
               rlpt_err *err);

/* Reads and parses the file at path (at most YDOC_MAX_BYTES). */
int ydoc_load_file(ydoc_arena *a, const char *path, ynode **out, rlpt_err *err);

/* New nodes owned by the arena, for building trees by hand (--set overrides, merges). */
ynode *ydoc_new_map(ydoc_arena *a, const char *file, int line, int col);
int ydoc_map_put(ydoc_arena *a, ynode *map, ynode *key, ynode *val); /* -1 on OOM */
ynode *ydoc_new_scalar(ydoc_arena *a, const char *file, int line, int col, const char *text);

/* The value under key in a mapping, or NULL. */
ynode *ydoc_map_get(const ynode *map, const char *key);

/* Merges `over` into `base` (both mappings): keys of over replace those of base, except that
 * two mappings under the same key are merged recursively. Sequences are replaced whole. */
int ydoc_merge(ydoc_arena *a, ynode *base, const ynode *over);

/* A short description of a node for "got ..." in messages: 'text' for scalars, "a mapping",
 * "a sequence". Writes into buf (size n) and returns buf. */
const char *ydoc_describe(const ynode *node, char *buf, size_t n);

#endif
