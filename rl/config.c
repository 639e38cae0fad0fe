/* rl/config.c: applies the schema table (rl/config_schema.c) to YAML trees (rl/yaml_doc.c).
 *
 * Order of a load: parse the file; compose its `defaults:` files beneath it (recursively,
 * cycles refused); apply each --set on top; fill every field with its default; walk the tree
 * and set what it gives, collecting every error (unknown key with a did-you-mean, wrong type,
 * out of range, missing required, ...); then the checks that involve several keys. Nothing is
 * clamped: a value is used as given or refused. Messages look like
 *   FILE:LINE:COL: key 'rollout.temperature': expected a number in (0, 10], got 'hot' */
#define _DEFAULT_SOURCE /* realpath */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "yaml_doc.h"

#define MAX_ERRORS         40
#define MAX_DEFAULTS_DEPTH 16

typedef struct ctx {
    ydoc_arena *a;
    rlpt_err *err;
    int n_errors;
    /* Where each top-level row was set (NULL = default), for cross-field messages. */
    const ynode *where[256];
    const ynode *root;
} ctx;

static void report(ctx *c, const ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(ctx *c, const ynode *at, const char *fmt, ...) {
    c->n_errors++;
    if (c->n_errors > MAX_ERRORS) {
        if (c->n_errors == MAX_ERRORS + 1)
            rlpt_err_append(c->err, RLPT_ECONFIG, "(more errors not shown)");
        return;
    }
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): clang 14 misses va_start above */
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (at && strncmp(at->file, "--set ", 6) == 0) /* a one-line value: no line:col */
        rlpt_err_append(c->err, RLPT_ECONFIG, "%s: %s", at->file, what);
    else if (at)
        rlpt_err_append(c->err, RLPT_ECONFIG, "%s:%d:%d: %s", at->file, at->line, at->col, what);
    else
        rlpt_err_append(c->err, RLPT_ECONFIG, "%s", what);
}

static void *field(void *base, const cfg_row *row) {
    return (char *)base + row->off;
}

/* ---- expectations and scalar parsing -------------------------------------------------------- */

static void fmt_num(char *buf, size_t n, double v, int integer) {
    if (integer)
        snprintf(buf, n, "%.0f", v);
    else
        snprintf(buf, n, "%g", v);
}

/* "a number in (0, 10]", "an integer in [1, 1000]", "one of a, b, c", ... */
static const char *expectation(const cfg_row *row, char *buf, size_t n) {
    char lo[32], hi[32];
    int integer = row->type == CT_INT || row->type == CT_I64;
    switch (row->type) {
    case CT_BOOL:
        snprintf(buf, n, "true or false");
        break;
    case CT_INT:
    case CT_I64:
    case CT_FLOAT:
        fmt_num(lo, sizeof lo, row->lo, integer);
        fmt_num(hi, sizeof hi, row->hi, integer);
        snprintf(buf, n, "%s in %c%s, %s%c", integer ? "an integer" : "a number",
                 row->flags & CF_LO_OPEN ? '(' : '[', lo, hi, row->flags & CF_HI_OPEN ? ')' : ']');
        break;
    case CT_ENUM:
    case CT_ENUMLIST: {
        char names[200];
        size_t k = 0;
        for (const char *p = row->names; *p && k + 3 < sizeof names; p++) {
            if (*p == '|') {
                names[k++] = ',';
                names[k++] = ' ';
            } else {
                names[k++] = *p;
            }
        }
        names[k] = '\0';
        snprintf(buf, n, "%s%s", row->type == CT_ENUM ? "one of " : "a list of ", names);
        break;
    }
    case CT_STR:
        snprintf(buf, n, "%s", row->flags & CF_NONEMPTY ? "a non-empty string" : "a string");
        break;
    case CT_PATH:
        snprintf(buf, n, "a path");
        break;
    case CT_STRLIST:
        snprintf(buf, n, "a list of strings");
        break;
    case CT_JSON:
        snprintf(buf, n, "a mapping");
        break;
    case CT_LIST:
        snprintf(buf, n, "a list of mappings");
        break;
    }
    return buf;
}

static const char *got(const ynode *v, char *buf, size_t n) {
    if (v && v->kind == YN_SCALAR && v->len == 0 && !v->quoted) {
        snprintf(buf, n, "nothing");
        return buf;
    }
    return ydoc_describe(v, buf, n);
}

/* Index of name in "a|b|c", or -1. */
static int enum_index(const char *names, const char *name) {
    size_t len = strlen(name);
    int i = 0;
    for (const char *p = names;; i++) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncmp(p, name, n) == 0) return i;
        if (!bar) return -1;
        p = bar + 1;
    }
}

const char *rl_config_enum_name(const char *key, int value) {
    static __thread char buf[64];
    for (int r = 0; r < rl_config_schema.n; r++) {
        const cfg_row *row = &rl_config_schema.rows[r];
        if (strcmp(row->key, key) != 0 || !row->names) continue;
        const char *p = row->names;
        for (int i = 0; i < value && p; i++) {
            p = strchr(p, '|');
            if (p) p++;
        }
        if (!p) return "?";
        size_t n = strcspn(p, "|");
        snprintf(buf, sizeof buf, "%.*s", (int)n, p);
        return buf;
    }
    return "?";
}

static int parse_bool(const char *s, int *out) {
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
        *out = 1;
    else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
        *out = 0;
    else
        return -1;
    return 0;
}

static int in_bounds(const cfg_row *row, double v) {
    if (row->flags & CF_LO_OPEN ? !(v > row->lo) : !(v >= row->lo)) return 0;
    if (row->flags & CF_HI_OPEN ? !(v < row->hi) : !(v <= row->hi)) return 0;
    return 1;
}

static int parse_integer(const char *s, long long *out) {
    const char *p = s;
    if (*p == '-' || *p == '+') p++;
    if (!*p) return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9') return -1;
    errno = 0;
    *out = strtoll(s, NULL, 10);
    return errno == ERANGE ? -1 : 0;
}

static int parse_float(const char *s, double *out) {
    /* strtod also takes hex, inf and nan; a config means none of them. */
    for (const char *q = s; *q; q++)
        if (!strchr("0123456789+-.eE", *q)) return -1;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

static int set_string(char **dst, const char *s) {
    char *copy = strdup(s);
    if (!copy) return RLPT_ENOMEM;
    free(*dst);
    *dst = copy;
    return 0;
}

static void strlist_free(rl_strlist *l) {
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* YAML value -> cJSON, with YAML 1.2 core-schema scalars (plain true/false/null/numbers). */
static cJSON *to_json(const ynode *v) {
    if (v->kind == YN_MAP) {
        cJSON *o = cJSON_CreateObject();
        for (int i = 0; o && i < v->n; i++) {
            cJSON *child = to_json(v->vals[i]);
            if (!child || !cJSON_AddItemToObject(o, v->keys[i]->text, child)) {
                cJSON_Delete(child);
                cJSON_Delete(o);
                return NULL;
            }
        }
        return o;
    }
    if (v->kind == YN_SEQ) {
        cJSON *a = cJSON_CreateArray();
        for (int i = 0; a && i < v->n; i++) {
            cJSON *child = to_json(v->vals[i]);
            if (!child || !cJSON_AddItemToArray(a, child)) {
                cJSON_Delete(child);
                cJSON_Delete(a);
                return NULL;
            }
        }
        return a;
    }
    double d;
    int b;
    if (!v->quoted) {
        if (v->len == 0 || !strcmp(v->text, "null") || !strcmp(v->text, "~"))
            return cJSON_CreateNull();
        if (parse_bool(v->text, &b) == 0) return cJSON_CreateBool(b);
        if (parse_float(v->text, &d) == 0) return cJSON_CreateNumber(d);
    }
    return cJSON_CreateString(v->text);
}

/* ---- setting one row from a node ------------------------------------------------------------ */

static int set_from_node(ctx *c, void *base, const cfg_row *row, const char *key, const ynode *v);

static int set_list(ctx *c, void *base, const cfg_row *row, const char *key, const ynode *v) {
    const cfg_table *sub = row->sub;
    cfg_list list;
    memcpy(&list, field(base, row), sizeof list);
    /* Replace the whole list (a list from a later file or --set replaces an earlier one). */
    for (int i = 0; i < list.n; i++) {
        char *elem = (char *)list.v + (size_t)i * sub->elem_size;
        for (int r = 0; r < sub->n; r++) {
            const cfg_row *sr = &sub->rows[r];
            if (sr->type == CT_STR || sr->type == CT_PATH || sr->type == CT_JSON)
                free(*(char **)field(elem, sr));
        }
    }
    free(list.v);
    list.v = NULL;
    list.n = 0;
    memcpy(field(base, row), &list, sizeof list);
    if (v->kind != YN_SEQ) {
        char e[256], g[128];
        report(c, v, "key '%s': expected %s, got %s", key, expectation(row, e, sizeof e),
               got(v, g, sizeof g));
        return 0;
    }
    if (v->n == 0) return 0;
    list.v = calloc((size_t)v->n, sub->elem_size);
    if (!list.v) return RLPT_ENOMEM;
    list.n = v->n;
    memcpy(field(base, row), &list, sizeof list);
    for (int i = 0; i < v->n; i++) {
        char *elem = (char *)list.v + (size_t)i * sub->elem_size;
        const ynode *item = v->vals[i];
        char ikey[300];
        snprintf(ikey, sizeof ikey, "%s[%d]", key, i);
        /* defaults first */
        for (int r = 0; r < sub->n; r++) {
            const cfg_row *sr = &sub->rows[r];
            if (sr->type == CT_JSON) {
                if (set_string((char **)field(elem, sr), "{}")) return RLPT_ENOMEM;
                continue;
            }
            if (!sr->def) {
                if (sr->type == CT_STR || sr->type == CT_PATH)
                    if (set_string((char **)field(elem, sr), "")) return RLPT_ENOMEM;
                continue;
            }
            ydoc_arena *tmp = ydoc_arena_new();
            ynode *dv = NULL;
            rlpt_err ignore;
            int rc = tmp ? ydoc_parse(tmp, "(default)", sr->def, strlen(sr->def), &dv, &ignore)
                         : RLPT_ENOMEM;
            if (rc == 0 && dv) rc = set_from_node(c, elem, sr, sr->key, dv);
            ydoc_arena_free(tmp);
            if (rc) return rc;
        }
        if (item->kind != YN_MAP) {
            char e[256], g[128];
            report(c, item, "key '%s': expected a mapping (%s), got %s", ikey,
                   expectation(row, e, sizeof e), got(item, g, sizeof g));
            continue;
        }
        for (int k = 0; k < item->n; k++) {
            const cfg_row *sr = NULL;
            for (int r = 0; r < sub->n; r++)
                if (strcmp(sub->rows[r].key, item->keys[k]->text) == 0) sr = &sub->rows[r];
            char fkey[400];
            snprintf(fkey, sizeof fkey, "%s.%s", ikey, item->keys[k]->text);
            if (!sr) {
                char names[512] = "";
                for (int r = 0; r < sub->n; r++) {
                    strncat(names, sub->rows[r].key, sizeof names - strlen(names) - 1);
                    if (r + 1 < sub->n) strncat(names, ", ", sizeof names - strlen(names) - 1);
                }
                report(c, item->keys[k], "unknown key '%s' (an entry of '%s' takes %s)", fkey, key,
                       names);
                continue;
            }
            int rc = set_from_node(c, elem, sr, fkey, item->vals[k]);
            if (rc) return rc;
        }
        for (int r = 0; r < sub->n; r++) {
            const cfg_row *sr = &sub->rows[r];
            if ((sr->flags & CF_REQUIRED) && !ydoc_map_get(item, sr->key))
                report(c, item, "key '%s.%s' is required in each entry of '%s'", ikey, sr->key,
                       key);
        }
    }
    return 0;
}

/* Sets one field from a YAML value; a bad value is reported (not an error return). Returns
 * non-zero only for out-of-memory. */
static int set_from_node(ctx *c, void *base, const cfg_row *row, const char *key, const ynode *v) {
    char e[256], g[128];
    void *dst = field(base, row);
    if (row->type == CT_LIST) return set_list(c, base, row, key, v);
    if (row->type == CT_JSON) {
        if (v->kind != YN_MAP) {
            report(c, v, "key '%s': expected %s, got %s", key, expectation(row, e, sizeof e),
                   got(v, g, sizeof g));
            return 0;
        }
        cJSON *j = to_json(v);
        char *text = j ? cJSON_PrintUnformatted(j) : NULL;
        cJSON_Delete(j);
        if (!text) return RLPT_ENOMEM;
        int rc = set_string((char **)dst, text);
        cJSON_free(text);
        return rc;
    }
    if (row->type == CT_STRLIST || row->type == CT_ENUMLIST) {
        rl_strlist *l = dst;
        const ynode *const *items = (const ynode *const *)v->vals;
        int n = v->n;
        const ynode *single[1] = {v};
        if (v->kind == YN_SCALAR && row->type == CT_STRLIST) {
            items = single; /* a lone string is a list of one */
            n = 1;
        } else if (v->kind != YN_SEQ) {
            report(c, v, "key '%s': expected %s, got %s", key, expectation(row, e, sizeof e),
                   got(v, g, sizeof g));
            return 0;
        }
        strlist_free(l);
        if (n == 0) {
            if (row->flags & CF_NONEMPTY)
                report(c, v, "key '%s': expected %s, got an empty list", key,
                       expectation(row, e, sizeof e));
            return 0;
        }
        if (!(l->v = calloc((size_t)n, sizeof *l->v))) return RLPT_ENOMEM;
        for (int i = 0; i < n; i++) {
            const ynode *it = items[i];
            if (it->kind != YN_SCALAR ||
                (row->type == CT_ENUMLIST && enum_index(row->names, it->text) < 0)) {
                report(c, it, "key '%s[%d]': expected %s, got %s", key, i,
                       row->type == CT_ENUMLIST ? expectation(row, e, sizeof e) + 10 : "a string",
                       got(it, g, sizeof g));
                continue;
            }
            if (!(l->v[l->n++] = strdup(it->text))) return RLPT_ENOMEM;
        }
        return 0;
    }
    if (v->kind != YN_SCALAR) {
        report(c, v, "key '%s': expected %s, got %s", key, expectation(row, e, sizeof e),
               got(v, g, sizeof g));
        return 0;
    }
    const char *s = v->text;
    switch (row->type) {
    case CT_BOOL: {
        int b;
        if (parse_bool(s, &b)) break;
        *(int *)dst = b;
        return 0;
    }
    case CT_INT:
    case CT_I64: {
        long long x;
        if (parse_integer(s, &x) || !in_bounds(row, (double)x)) break;
        if (row->type == CT_INT)
            *(int *)dst = (int)x;
        else
            *(int64_t *)dst = x;
        return 0;
    }
    case CT_FLOAT: {
        double x;
        if (parse_float(s, &x) || !in_bounds(row, x)) break;
        *(double *)dst = x;
        return 0;
    }
    case CT_ENUM: {
        int i = enum_index(row->names, s);
        if (i < 0) break;
        *(int *)dst = i;
        return 0;
    }
    case CT_STR:
    case CT_PATH:
        if ((row->flags & CF_NONEMPTY) && !*s) break;
        return set_string((char **)dst, s);
    default:
        break;
    }
    report(c, v, "key '%s': expected %s, got %s", key, expectation(row, e, sizeof e),
           got(v, g, sizeof g));
    return 0;
}

/* ---- did you mean ---------------------------------------------------------------------------- */

static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return (size_t)-1;
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++) d[i][0] = i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1; /* transposition */
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

/* The known key closest to an unknown one: a small edit distance, or the same last part in
 * another section ("temperature" -> "rollout.temperature"). NULL when nothing is close. */
static const char *suggest(const char *key, char *buf, size_t n) {
    const char *best = NULL;
    size_t best_d = (size_t)-1, limit = strlen(key) / 3 + 1;
    const char *last = strrchr(key, '.');
    last = last ? last + 1 : key;
    for (int r = 0; r < rl_config_schema.n; r++) {
        const char *cand = rl_config_schema.rows[r].key;
        size_t d = edit_distance(key, cand);
        /* compare with the section prefixes too ("rollot" -> "rollout") */
        char section[128];
        const char *dot = strchr(cand, '.');
        if (dot && (size_t)(dot - cand) < sizeof section) {
            snprintf(section, sizeof section, "%.*s", (int)(dot - cand), cand);
            size_t ds = edit_distance(key, section);
            if (ds < d) {
                d = ds;
                cand = NULL;
            }
        }
        const char *cl = strrchr(rl_config_schema.rows[r].key, '.');
        if (d > limit && cl && strcmp(cl + 1, last) == 0) d = limit; /* moved key */
        if (d <= limit && d < best_d) {
            best_d = d;
            if (cand) {
                best = cand;
            } else {
                snprintf(buf, n, "%s", section);
                best = buf;
            }
        }
    }
    if (best && best != buf) {
        snprintf(buf, n, "%s", best);
        best = buf;
    }
    return best;
}

/* ---- walking the tree ----------------------------------------------------------------------- */

static int is_section(const char *prefix) {
    size_t n = strlen(prefix);
    for (int r = 0; r < rl_config_schema.n; r++)
        if (strncmp(rl_config_schema.rows[r].key, prefix, n) == 0 &&
            rl_config_schema.rows[r].key[n] == '.')
            return 1;
    return 0;
}

static int walk(ctx *c, rl_config *cfg, const ynode *map, const char *prefix) {
    for (int i = 0; i < map->n; i++) {
        const ynode *k = map->keys[i], *v = map->vals[i];
        char key[512];
        if (prefix[0])
            snprintf(key, sizeof key, "%s.%s", prefix, k->text);
        else
            snprintf(key, sizeof key, "%s", k->text);
        if (!prefix[0] && strcmp(key, "defaults") == 0) continue; /* handled by compose */
        int found = -1;
        for (int r = 0; r < rl_config_schema.n; r++)
            if (strcmp(rl_config_schema.rows[r].key, key) == 0) found = r;
        if (found >= 0) {
            c->where[found] = v;
            int rc = set_from_node(c, cfg, &rl_config_schema.rows[found], key, v);
            if (rc) return rc;
            continue;
        }
        if (is_section(key)) {
            if (v->kind != YN_MAP) {
                char g[128];
                report(c, v, "key '%s': expected a mapping (a section), got %s", key,
                       got(v, g, sizeof g));
                continue;
            }
            int rc = walk(c, cfg, v, key);
            if (rc) return rc;
            continue;
        }
        char hint[160];
        const char *s = suggest(key, hint, sizeof hint);
        if (s)
            report(c, k, "unknown key '%s' (did you mean '%s'?)", key, s);
        else
            report(c, k, "unknown key '%s' (see rlpt check-config --doc)", key);
    }
    return 0;
}

/* ---- defaults, composition, --set ----------------------------------------------------------- */

static int fill_defaults(ctx *c, rl_config *cfg) {
    for (int r = 0; r < rl_config_schema.n; r++) {
        const cfg_row *row = &rl_config_schema.rows[r];
        if (!row->def) {
            if (row->type == CT_STR || row->type == CT_PATH)
                if (set_string((char **)field(cfg, row), "")) return RLPT_ENOMEM;
            continue;
        }
        ynode *dv = NULL;
        rlpt_err perr;
        int rc = ydoc_parse(c->a, "(default)", row->def, strlen(row->def), &dv, &perr);
        if (rc || !dv) return rlpt_errf(c->err, RLPT_EINTERNAL, "bad default for %s", row->key);
        int before = c->n_errors;
        if ((rc = set_from_node(c, cfg, row, row->key, dv))) return rc;
        if (c->n_errors != before)
            return rlpt_errf(c->err, RLPT_EINTERNAL, "default of %s is invalid", row->key);
    }
    return 0;
}

static int compose(ctx *c, const char *path, const ynode *from, char **stack, int depth,
                   ynode **out);

/* Directory part of path ("" for a bare name), joined with rel unless rel is absolute. */
static void join_relative(char *buf, size_t n, const char *path, const char *rel) {
    const char *slash = strrchr(path, '/');
    if (rel[0] == '/' || !slash)
        snprintf(buf, n, "%s", rel);
    else
        snprintf(buf, n, "%.*s/%s", (int)(slash - path), path, rel);
}

/* Loads path, then merges it over its `defaults:` files. */
static int compose_node(ctx *c, const char *path, ynode *root, char **stack, int depth,
                        ynode **out) {
    *out = root;
    if (!root) return 0;
    if (root->kind != YN_MAP) {
        char g[128];
        report(c, root, "expected a mapping of sections (run:, model:, ...), got %s",
               got(root, g, sizeof g));
        return 0;
    }
    const ynode *defs = ydoc_map_get(root, "defaults");
    if (!defs) return 0;
    const ynode *const *items = (const ynode *const *)defs->vals;
    int n = defs->n;
    const ynode *single[1] = {defs};
    if (defs->kind == YN_SCALAR) {
        items = single;
        n = 1;
    } else if (defs->kind != YN_SEQ) {
        report(c, defs, "key 'defaults': expected a file name or a list of them, got a mapping");
        return 0;
    }
    ynode *base = NULL;
    for (int i = 0; i < n; i++) {
        if (items[i]->kind != YN_SCALAR || !items[i]->len) {
            report(c, items[i], "key 'defaults': expected a file name");
            continue;
        }
        char dpath[4096];
        join_relative(dpath, sizeof dpath, path, items[i]->text);
        ynode *droot = NULL;
        int errors = c->n_errors;
        int rc = compose(c, dpath, items[i], stack, depth + 1, &droot);
        if (rc) return rc;
        if (c->n_errors != errors) continue;
        if (!droot || droot->kind != YN_MAP) continue;
        if (!base)
            base = droot;
        else if (ydoc_merge(c->a, base, droot))
            return RLPT_ENOMEM;
    }
    if (!base) return 0;
    if (ydoc_merge(c->a, base, root)) return RLPT_ENOMEM;
    *out = base;
    return 0;
}

/* Loads path and what its `defaults:` name. `from` is the `defaults:` entry that named path
 * (NULL for the top file): problems opening the file are reported there, and problems inside
 * it also say where it was included from. */
static int compose(ctx *c, const char *path, const ynode *from, char **stack, int depth,
                   ynode **out) {
    *out = NULL;
    const char *what = from ? "key 'defaults': " : "";
    if (depth >= MAX_DEFAULTS_DEPTH) {
        report(c, from, "%s'%s' nests 'defaults:' more than %d files deep", what, path,
               MAX_DEFAULTS_DEPTH);
        return 0;
    }
    char *real = realpath(path, NULL);
    if (!real) {
        if (from)
            report(c, from, "%scannot open '%s': %s", what, path, strerror(errno));
        else
            report(c, NULL, "%s: cannot open: %s", path, strerror(errno));
        return 0;
    }
    for (int i = 0; i < depth; i++) {
        if (stack[i] && strcmp(stack[i], real) == 0) {
            report(c, from, "%s'%s' includes itself (a cycle through %s)", what, path,
                   stack[depth - 1]);
            free(real);
            return 0;
        }
    }
    stack[depth] = real;
    ynode *root = NULL;
    rlpt_err perr;
    rlpt_err_clear(&perr);
    int errors = c->n_errors;
    int rc = ydoc_load_file(c->a, path, &root, &perr);
    if (rc == RLPT_ENOMEM) {
        free(real);
        stack[depth] = NULL;
        return rlpt_errf(c->err, rc, "%s", perr.msg);
    }
    if (rc) report(c, NULL, "%s", perr.msg);
    rc = root ? compose_node(c, path, root, stack, depth, out) : 0;
    if (from && c->n_errors != errors && c->n_errors <= MAX_ERRORS)
        report(c, from, "%s'%s' has the errors above; it is included from here", what, path);
    free(real);
    stack[depth] = NULL;
    return rc;
}

/* Applies "a.b=value" (value parsed as YAML: a scalar, or a flow list/mapping) to root. List
 * entries are addressed as rewards[0].weight. Errors are located at "--set a.b=value". */
static int apply_set(ctx *c, ynode **root, const char *set) {
    char where[600];
    snprintf(where, sizeof where, "--set %s", set);
    const char *eq = strchr(set, '=');
    if (!eq || eq == set) {
        report(c, NULL, "%s: expected key=value", where);
        return 0;
    }
    ynode *value = NULL;
    rlpt_err perr;
    rlpt_err_clear(&perr);
    int rc = ydoc_parse(c->a, where, eq + 1, strlen(eq + 1), &value, &perr);
    if (rc == RLPT_ENOMEM) return rlpt_errf(c->err, rc, "%s", perr.msg);
    if (rc) {
        report(c, NULL, "%s", perr.msg);
        return 0;
    }
    if (!value && !(value = ydoc_new_scalar(c->a, where, 1, 1, ""))) return RLPT_ENOMEM;
    if (!*root && !(*root = ydoc_new_map(c->a, where, 1, 1))) return RLPT_ENOMEM;
    if ((*root)->kind != YN_MAP) return 0; /* already reported */
    char key[512];
    snprintf(key, sizeof key, "%.*s", (int)(eq - set), set);
    ynode *node = *root;
    char *save = NULL;
    for (char *part = strtok_r(key, ".", &save); part; part = strtok_r(NULL, ".", &save)) {
        int last = save == NULL || *save == '\0';
        char *br = strchr(part, '[');
        int index = -1;
        if (br) {
            char *end = NULL;
            long ix = strtol(br + 1, &end, 10);
            if (end == br + 1 || *end != ']' || end[1] || ix < 0 || ix > INT_MAX) {
                report(c, NULL, "%s: bad list index in '%s'", where, part);
                return 0;
            }
            index = (int)ix;
            *br = '\0';
        }
        ynode *child = ydoc_map_get(node, part);
        if (index >= 0) {
            if (!child || child->kind != YN_SEQ || index >= child->n) {
                report(c, NULL, "%s: '%s' has no entry [%d] to set", where, part, index);
                return 0;
            }
            child = child->vals[index];
            if (last) {
                report(c, NULL, "%s: set a key of the entry, e.g. %s[%d].weight=2", where, part,
                       index);
                return 0;
            }
            if (child->kind != YN_MAP) return 0;
            node = child;
            continue;
        }
        ynode *k = ydoc_new_scalar(c->a, where, 1, 7, part);
        if (!k) return RLPT_ENOMEM;
        if (last) return ydoc_map_put(c->a, node, k, value) ? RLPT_ENOMEM : 0;
        if (!child || child->kind != YN_MAP) {
            if (!(child = ydoc_new_map(c->a, where, 1, 7))) return RLPT_ENOMEM;
            if (ydoc_map_put(c->a, node, k, child)) return RLPT_ENOMEM;
        }
        node = child;
    }
    return 0;
}

/* ---- checks across keys --------------------------------------------------------------------- */

static int row_index(const char *key) {
    for (int r = 0; r < rl_config_schema.n; r++)
        if (strcmp(rl_config_schema.rows[r].key, key) == 0) return r;
    return -1;
}

/* Where a key was set, or failing that the top of the file. */
static const ynode *at(ctx *c, const char *key) {
    int r = row_index(key);
    return r >= 0 && c->where[r] ? c->where[r] : c->root;
}

int rl_config_has_stage(const rl_config *cfg, const char *stage) {
    for (int i = 0; i < cfg->pipeline.n; i++)
        if (strcmp(cfg->pipeline.v[i], stage) == 0) return 1;
    return 0;
}

int rl_config_stage_ordinal(const rl_config *cfg, int stage) {
    int k = 0;
    if (stage < 0 || stage >= cfg->pipeline.n) return 0;
    for (int i = 0; i < stage; i++) k += strcmp(cfg->pipeline.v[i], cfg->pipeline.v[stage]) == 0;
    return k;
}

static void cross_checks(ctx *c, const rl_config *cfg) {
    int has_path = cfg->model.path[0] != '\0', has_init = cfg->model.init.arch != RL_ARCH_NONE;
    if (has_path && has_init)
        report(c, at(c, "model.init.arch"),
               "key 'model.init.arch': set model.path (load a model) or model.init.arch "
               "(create a random one), not both");
    if (!has_path && !has_init)
        report(c, at(c, "model.path"),
               "key 'model.path' is required: a Hugging Face model directory (or set "
               "model.init.arch to create a random model)");
    if (has_init) {
        int hidden = cfg->model.init.hidden, heads = cfg->model.init.heads;
        int kv_heads = cfg->model.init.kv_heads;
        if (heads % kv_heads != 0)
            report(c, at(c, "model.init.kv_heads"),
                   "key 'model.init.kv_heads': %d does not divide model.init.heads (%d)", kv_heads,
                   heads);
        if (cfg->model.init.head_dim == 0 && hidden % heads != 0)
            report(c, at(c, "model.init.heads"),
                   "key 'model.init.heads': %d does not divide model.init.hidden (%d); set "
                   "model.init.head_dim",
                   heads, hidden);
        if (!has_path && cfg->tokenizer.path[0] == '\0')
            report(c, at(c, "tokenizer.path"),
                   "key 'tokenizer.path' is required with model.init.arch: the random model "
                   "needs a tokenizer");
    }
    if (cfg->grpo.dual_clip != 0 && !(cfg->grpo.dual_clip > 1))
        report(c, at(c, "grpo.dual_clip"),
               "key 'grpo.dual_clip': expected 0 (off) or a number above 1, got %g",
               cfg->grpo.dual_clip);
    if (cfg->optim.lr_min > cfg->optim.lr)
        report(c, at(c, "optim.lr_min"),
               "key 'optim.lr_min': %g is above optim.lr (%g); the schedule decays from lr to "
               "lr_min",
               cfg->optim.lr_min, cfg->optim.lr);
    if (cfg->tokenizer.template_ == RL_TEMPLATE_CUSTOM &&
        !strstr(cfg->tokenizer.user_template, "{question}"))
        report(c, at(c, "tokenizer.user_template"),
               "key 'tokenizer.user_template': the custom template must contain {question}");
    int samples = rl_config_has_stage(cfg, "grpo") || rl_config_has_stage(cfg, "rejection") ||
                  rl_config_has_stage(cfg, "eval");
    if (samples && cfg->rewards.n == 0)
        report(c, at(c, "rewards"),
               "key 'rewards' is required by the grpo, rejection and eval stages: list at least "
               "one reward function (e.g. - fn: math)");
    for (int i = 0; i < cfg->rewards.n; i++) {
        const rl_reward_cfg *rw = &cfg->rewards.v[i];
        if (!rw->fn || rw->plugin[0]) continue;
        int known = 0;
        for (const char *const *b = rl_builtin_rewards; *b; b++) known |= !strcmp(*b, rw->fn);
        const ynode *list = at(c, "rewards"), *fn_node = list;
        if (list && list->kind == YN_SEQ && i < list->n && ydoc_map_get(list->vals[i], "fn"))
            fn_node = ydoc_map_get(list->vals[i], "fn");
        if (!known && rw->fn[0])
            report(c, fn_node,
                   "key 'rewards[%d].fn': '%s' is not a built-in reward (math, gsm8k, format, "
                   "length, repetition, language, code); a plugin needs 'plugin: path.so'",
                   i, rw->fn);
    }
    if ((rl_config_has_stage(cfg, "grpo") || rl_config_has_stage(cfg, "rejection")) &&
        cfg->data.format != RL_DATA_SYNTHETIC && !cfg->data.train[0])
        report(c, at(c, "data.train"),
               "key 'data.train' is required for the grpo and rejection stages (or set "
               "data.format: synthetic)");
    if (rl_config_has_stage(cfg, "eval") && cfg->data.format != RL_DATA_SYNTHETIC &&
        !cfg->data.eval[0])
        report(c, at(c, "data.eval"),
               "key 'data.eval' is required for the eval stage (or set data.format: synthetic)");
    int dr = cfg->system.deterministic_ranks;
    if (dr & (dr - 1))
        report(c, at(c, "system.deterministic_ranks"),
               "key 'system.deterministic_ranks': %d is not a power of two (1, 2, 4, 8, ...)", dr);
    long long batch = (long long)cfg->grpo.prompts_per_step * cfg->grpo.group_size;
    if (batch > 10000000)
        report(c, at(c, "grpo.prompts_per_step"),
               "keys 'grpo.prompts_per_step' x 'grpo.group_size' = %lld completions per step; "
               "at most 10000000",
               batch);
}

/* ---- public --------------------------------------------------------------------------------- */

void rl_config_free(rl_config *cfg) {
    if (!cfg) return;
    for (int r = 0; r < rl_config_schema.n; r++) {
        const cfg_row *row = &rl_config_schema.rows[r];
        void *f = field(cfg, row);
        switch (row->type) {
        case CT_STR:
        case CT_PATH:
        case CT_JSON:
            free(*(char **)f);
            break;
        case CT_STRLIST:
        case CT_ENUMLIST:
            strlist_free(f);
            break;
        case CT_LIST: {
            cfg_list l;
            memcpy(&l, f, sizeof l);
            for (int i = 0; i < l.n; i++) {
                char *elem = (char *)l.v + (size_t)i * row->sub->elem_size;
                for (int s = 0; s < row->sub->n; s++) {
                    const cfg_row *sr = &row->sub->rows[s];
                    if (sr->type == CT_STR || sr->type == CT_PATH || sr->type == CT_JSON)
                        free(*(char **)field(elem, sr));
                }
            }
            free(l.v);
            break;
        }
        default:
            break;
        }
    }
    free(cfg->source);
    memset(cfg, 0, sizeof *cfg);
}

static int load(rl_config *cfg, const char *path, const char *name, const char *text, size_t len,
                const char *const *sets, int n_sets, rlpt_err *err) {
    memset(cfg, 0, sizeof *cfg);
    rlpt_err_clear(err);
    ctx c;
    memset(&c, 0, sizeof c);
    c.err = err;
    if (rl_config_schema.n > (int)(sizeof c.where / sizeof c.where[0]))
        return rlpt_errf(err, RLPT_EINTERNAL, "config schema larger than its location table");
    if (!(c.a = ydoc_arena_new())) return rlpt_errf(err, RLPT_ENOMEM, "out of memory");
    char *stack[MAX_DEFAULTS_DEPTH + 1] = {0};
    ynode *root = NULL;
    int rc = 0;
    if (path) {
        rc = compose(&c, path, NULL, stack, 0, &root);
    } else if (text) {
        rlpt_err perr;
        rlpt_err_clear(&perr);
        rc = ydoc_parse(c.a, name, text, len, &root, &perr);
        if (rc == RLPT_ECONFIG) {
            report(&c, NULL, "%s", perr.msg);
            rc = 0;
        } else if (rc) {
            rlpt_errf(err, rc, "%s", perr.msg);
        }
        if (rc == 0 && root) rc = compose_node(&c, name, root, stack, 0, &root);
    }
    for (int i = 0; rc == 0 && i < n_sets; i++) rc = apply_set(&c, &root, sets[i]);
    c.root = root;
    if (rc == 0) rc = fill_defaults(&c, cfg);
    if (rc == 0 && root && root->kind == YN_MAP) rc = walk(&c, cfg, root, "");
    if (rc == 0 && c.n_errors == 0) cross_checks(&c, cfg);
    if (rc == 0 && !(cfg->source = strdup(path ? path : name ? name : "")))
        rc = rlpt_errf(err, RLPT_ENOMEM, "out of memory");
    ydoc_arena_free(c.a);
    if (rc == 0 && c.n_errors) rc = RLPT_ECONFIG;
    if (rc == RLPT_ENOMEM && !err->msg[0]) rlpt_errf(err, rc, "out of memory loading the config");
    if (rc) {
        int code = err->code ? err->code : rc;
        rl_config_free(cfg);
        err->code = code;
        return code;
    }
    return 0;
}

int rl_config_load(rl_config *cfg, const char *path, const char *const *sets, int n_sets,
                   rlpt_err *err) {
    return load(cfg, path, NULL, NULL, 0, sets, n_sets, err);
}

int rl_config_load_string(rl_config *cfg, const char *name, const char *text, size_t len,
                          const char *const *sets, int n_sets, rlpt_err *err) {
    return load(cfg, NULL, name, text, len, sets, n_sets, err);
}
