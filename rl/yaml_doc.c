/* rl/yaml_doc.c: libyaml events -> ynode trees (see yaml_doc.h).
 * Reference: libyaml's event API (yaml.h: yaml_parser_parse, yaml_event_t and its marks);
 * YAML 1.2 section 7 (aliases) for what the expansion budget guards against. */
#define _POSIX_C_SOURCE 200809L
#include "yaml_doc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "rlpt_io.h"
#include "rlpt_text.h"

struct ydoc_arena {
    ynode **nodes;
    size_t n, cap;
    char **files;
    size_t n_files;
};

ydoc_arena *ydoc_arena_new(void) {
    return calloc(1, sizeof(ydoc_arena));
}

void ydoc_arena_free(ydoc_arena *a) {
    if (!a) return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->nodes[i]->text);
        free(a->nodes[i]->keys);
        free(a->nodes[i]->vals);
        free(a->nodes[i]);
    }
    for (size_t i = 0; i < a->n_files; i++) free(a->files[i]);
    free(a->nodes);
    free(a->files);
    free(a);
}

static const char *intern_file(ydoc_arena *a, const char *file) {
    for (size_t i = 0; i < a->n_files; i++)
        if (strcmp(a->files[i], file) == 0) return a->files[i];
    char **f = realloc(a->files, (a->n_files + 1) * sizeof *f);
    if (!f) return NULL;
    a->files = f;
    if (!(f[a->n_files] = strdup(file))) return NULL;
    return f[a->n_files++];
}

static ynode *new_node(ydoc_arena *a, yn_kind kind, const char *file, int line, int col) {
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        ynode **p = realloc(a->nodes, cap * sizeof(ynode *));
        if (!p) return NULL;
        a->nodes = p;
        a->cap = cap;
    }
    ynode *node = calloc(1, sizeof *node);
    if (!node) return NULL;
    node->kind = kind;
    node->file = file;
    node->line = line;
    node->col = col;
    node->weight = 1;
    a->nodes[a->n++] = node;
    return node;
}

ynode *ydoc_new_map(ydoc_arena *a, const char *file, int line, int col) {
    const char *f = intern_file(a, file);
    return f ? new_node(a, YN_MAP, f, line, col) : NULL;
}

ynode *ydoc_new_scalar(ydoc_arena *a, const char *file, int line, int col, const char *text) {
    const char *f = intern_file(a, file);
    ynode *node = f ? new_node(a, YN_SCALAR, f, line, col) : NULL;
    if (!node) return NULL;
    node->len = strlen(text);
    if (!(node->text = strdup(text))) return NULL;
    return node;
}

/* Appends (key, val) to a map or val to a sequence (key NULL). */
static int push_child(ynode *parent, ynode *key, ynode *val) {
    if (parent->n == parent->cap) {
        int cap = parent->cap ? parent->cap * 2 : 8;
        ynode **v = realloc(parent->vals, (size_t)cap * sizeof(ynode *));
        if (!v) return -1;
        parent->vals = v;
        if (parent->kind == YN_MAP) {
            ynode **k = realloc(parent->keys, (size_t)cap * sizeof(ynode *));
            if (!k) return -1;
            parent->keys = k;
        }
        parent->cap = cap;
    }
    if (parent->kind == YN_MAP) parent->keys[parent->n] = key;
    parent->vals[parent->n++] = val;
    return 0;
}

int ydoc_map_put(ydoc_arena *a, ynode *map, ynode *key, ynode *val) {
    (void)a;
    for (int i = 0; i < map->n; i++) {
        if (strcmp(map->keys[i]->text, key->text) == 0) {
            map->vals[i] = val;
            return 0;
        }
    }
    return push_child(map, key, val);
}

ynode *ydoc_map_get(const ynode *map, const char *key) {
    if (!map || map->kind != YN_MAP) return NULL;
    for (int i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->text, key) == 0) return map->vals[i];
    return NULL;
}

int ydoc_merge(ydoc_arena *a, ynode *base, const ynode *over) {
    for (int i = 0; i < over->n; i++) {
        ynode *old = ydoc_map_get(base, over->keys[i]->text);
        if (old && old->kind == YN_MAP && over->vals[i]->kind == YN_MAP) {
            if (ydoc_merge(a, old, over->vals[i])) return -1;
        } else if (ydoc_map_put(a, base, over->keys[i], over->vals[i])) {
            return -1;
        }
    }
    return 0;
}

const char *ydoc_describe(const ynode *node, char *buf, size_t n) {
    if (!node)
        snprintf(buf, n, "nothing");
    else if (node->kind == YN_MAP)
        snprintf(buf, n, "a mapping");
    else if (node->kind == YN_SEQ)
        snprintf(buf, n, "a sequence");
    else if (node->len > 60)
        snprintf(buf, n, "'%.57s...'", node->text);
    else
        snprintf(buf, n, "'%s'", node->text);
    return buf;
}

/* ---- the event loop ------------------------------------------------------------------------
 * Each node is counted once when it starts (b->total += 1) and an alias counts the whole
 * subtree it stands for (b->total += anchored->weight), so a document of nested aliases that
 * would expand to 2^30 nodes is refused after YDOC_MAX_NODES, not materialised. */

typedef struct anchor {
    char *name;
    ynode *node;
} anchor;

typedef struct builder {
    ydoc_arena *a;
    const char *file;
    ynode *stack[YDOC_MAX_DEPTH + 1];
    ynode *pending_key[YDOC_MAX_DEPTH + 1]; /* a map's key waiting for its value */
    char *pending_anchor[YDOC_MAX_DEPTH + 1];
    int depth;
    anchor *anchors;
    int n_anchors;
    size_t total;
    ynode *root;
    int docs;
    int dropped[YDOC_MAX_DEPTH + 1]; /* the pending key was a duplicate: drop its value */
    int soft_errors;                 /* duplicates reported; parsing went on to find more */
} builder;

static int errat(rlpt_err *err, const char *file, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int errat(rlpt_err *err, const char *file, const yaml_mark_t *m, const char *fmt, ...) {
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): clang 14 misses va_start above */
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (strncmp(file, "--set ", 6) == 0) /* a command-line value: no line:col */
        return rlpt_err_append(err, RLPT_ECONFIG, "%s: %s", file, what);
    return rlpt_err_append(err, RLPT_ECONFIG, "%s:%d:%d: %s", file, (int)m->line + 1,
                           (int)m->column + 1, what);
}

static int count(builder *b, size_t weight, const yaml_mark_t *m, rlpt_err *err) {
    b->total += weight;
    if (b->total > YDOC_MAX_NODES)
        return errat(err, b->file, m,
                     "the document expands to more than %u nodes (anchors and aliases that "
                     "multiply?); a config needs far fewer",
                     YDOC_MAX_NODES);
    return 0;
}

/* Attaches a complete node to the open container, or makes it the root. */
static int attach(builder *b, ynode *node, const yaml_mark_t *m, rlpt_err *err) {
    if (b->depth == 0) {
        b->root = node;
        return 0;
    }
    ynode *parent = b->stack[b->depth - 1];
    parent->weight += node->weight;
    if (parent->kind == YN_SEQ) return push_child(parent, NULL, node) ? RLPT_ENOMEM : 0;
    ynode *key = b->pending_key[b->depth - 1];
    if (key || b->dropped[b->depth - 1]) {
        b->pending_key[b->depth - 1] = NULL;
        if (b->dropped[b->depth - 1]) {
            b->dropped[b->depth - 1] = 0;
            return 0;
        }
        return push_child(parent, key, node) ? RLPT_ENOMEM : 0;
    }
    if (node->kind != YN_SCALAR)
        return errat(err, b->file, m, "a mapping key must be a name, not a mapping or sequence");
    if (!node->quoted && strcmp(node->text, "<<") == 0)
        return errat(err, b->file, m,
                     "merge keys ('<<') are not supported; compose files with 'defaults:'");
    for (int i = 0; i < parent->n; i++) {
        if (strcmp(parent->keys[i]->text, node->text) != 0) continue;
        /* Reported, and parsing goes on so that every duplicate is listed at once. */
        rlpt_err_append(err, RLPT_ECONFIG,
                        "%s:%d:%d: key '%.200s' appears twice (first at line %d)", b->file,
                        (int)m->line + 1, (int)m->column + 1, node->text, parent->keys[i]->line);
        b->soft_errors++;
        b->dropped[b->depth - 1] = 1;
        return 0;
    }
    b->pending_key[b->depth - 1] = node;
    return 0;
}

static int remember_anchor(builder *b, const char *name, ynode *node) {
    if (!name) return 0;
    anchor *p = realloc(b->anchors, (size_t)(b->n_anchors + 1) * sizeof *p);
    if (!p) return RLPT_ENOMEM;
    b->anchors = p;
    if (!(p[b->n_anchors].name = strdup(name))) return RLPT_ENOMEM;
    p[b->n_anchors++].node = node;
    return 0;
}

static int handle_event(builder *b, yaml_event_t *ev, rlpt_err *err) {
    const yaml_mark_t *m = &ev->start_mark;
    int line = (int)m->line + 1, col = (int)m->column + 1, rc;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++b->docs > 1)
            return errat(err, b->file, m,
                         "more than one YAML document ('---'); a config file holds one");
        return 0;
    case YAML_SCALAR_EVENT: {
        if (ev->data.scalar.tag)
            return errat(err, b->file, m, "YAML tags are not supported ('%s')",
                         (const char *)ev->data.scalar.tag);
        if ((rc = count(b, 1, m, err))) return rc;
        ynode *node = new_node(b->a, YN_SCALAR, b->file, line, col);
        if (!node) return RLPT_ENOMEM;
        node->len = ev->data.scalar.length;
        if (!(node->text = malloc(node->len + 1))) return RLPT_ENOMEM;
        memcpy(node->text, ev->data.scalar.value, node->len);
        node->text[node->len] = '\0';
        node->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        if (strlen(node->text) != node->len)
            return errat(err, b->file, m, "a value holds a NUL character ('\\0')");
        if ((rc = remember_anchor(b, (const char *)ev->data.scalar.anchor, node))) return rc;
        return attach(b, node, m, err);
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int is_map = ev->type == YAML_MAPPING_START_EVENT;
        const unsigned char *tag =
            is_map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
        const unsigned char *anch =
            is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        if (tag)
            return errat(err, b->file, m, "YAML tags are not supported ('%s')", (const char *)tag);
        if (b->depth >= YDOC_MAX_DEPTH)
            return errat(err, b->file, m, "nested deeper than %d levels", YDOC_MAX_DEPTH);
        if ((rc = count(b, 1, m, err))) return rc;
        ynode *node = new_node(b->a, is_map ? YN_MAP : YN_SEQ, b->file, line, col);
        if (!node) return RLPT_ENOMEM;
        b->pending_anchor[b->depth] = NULL;
        if (anch && !(b->pending_anchor[b->depth] = strdup((const char *)anch))) return RLPT_ENOMEM;
        b->pending_key[b->depth] = NULL;
        b->dropped[b->depth] = 0;
        b->stack[b->depth++] = node;
        return 0;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
        ynode *node = b->stack[--b->depth];
        char *anch = b->pending_anchor[b->depth];
        b->pending_anchor[b->depth] = NULL;
        rc = remember_anchor(b, anch, node);
        free(anch);
        return rc ? rc : attach(b, node, m, err);
    }
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        for (int i = b->n_anchors - 1; i >= 0; i--) {
            if (strcmp(b->anchors[i].name, name) != 0) continue;
            if ((rc = count(b, b->anchors[i].node->weight, m, err))) return rc;
            return attach(b, b->anchors[i].node, m, err);
        }
        return errat(err, b->file, m, "alias '*%s' names no anchor defined before it", name);
    }
    default:
        return 0;
    }
}

int ydoc_parse(ydoc_arena *a, const char *file, const char *buf, size_t len, ynode **out,
               rlpt_err *err) {
    *out = NULL;
    const char *f = intern_file(a, file);
    if (!f) return rlpt_errf(err, RLPT_ENOMEM, "%s: out of memory", file);
    if (len > YDOC_MAX_BYTES)
        return rlpt_errf(err, RLPT_ECONFIG, "%s: %zu bytes; a config file is at most %u", file, len,
                         YDOC_MAX_BYTES);
    size_t bad = rlpt_utf8_check(buf, len);
    if (bad < len) {
        int line, col;
        rlpt_line_col(buf, bad, &line, &col);
        return rlpt_errf(err, RLPT_ECONFIG,
                         "%s:%d:%d: not valid UTF-8 (byte 0x%02x); config files must be UTF-8",
                         file, line, col, (unsigned char)buf[bad]);
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return rlpt_errf(err, RLPT_ENOMEM, "%s: cannot initialise the YAML parser", file);
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    builder b;
    memset(&b, 0, sizeof b);
    rlpt_err_clear(err);
    b.a = a;
    b.file = f;
    int rc = 0, done = 0;
    while (!done && rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = errat(err, file, &parser.problem_mark, "YAML syntax error: %s%s%s",
                       parser.problem ? parser.problem : "unknown", parser.context ? " " : "",
                       parser.context ? parser.context : "");
            break;
        }
        rc = handle_event(&b, &ev, err);
        if (rc == RLPT_ENOMEM) rlpt_errf(err, rc, "%s: out of memory while parsing", file);
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    /* With only duplicate keys wrong, the tree is still whole (the duplicates dropped): hand
     * it back so that the caller can report the document's other errors too. */
    int soft_only = rc == 0 && b.soft_errors;
    if (soft_only) rc = RLPT_ECONFIG;
    for (int i = 0; i < b.n_anchors; i++) free(b.anchors[i].name);
    free(b.anchors);
    for (int i = 0; i < YDOC_MAX_DEPTH + 1; i++) free(b.pending_anchor[i]);
    if (rc == 0 || soft_only) *out = b.root;
    return rc;
}

int ydoc_load_file(ydoc_arena *a, const char *path, ynode **out, rlpt_err *err) {
    char *buf = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = rlpt_read_file(path, YDOC_MAX_BYTES, &buf, &len, err);
    if (rc) return rc == RLPT_EIO ? (err ? (err->code = RLPT_ECONFIG) : RLPT_ECONFIG) : rc;
    rc = ydoc_parse(a, path, buf, len, out, err);
    free(buf);
    return rc;
}
