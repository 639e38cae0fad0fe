/* rl/config_emit.c: the effective config as YAML (what a run records, and what
 * `check-config` prints) and the option reference (`check-config --doc`). Both walk the
 * schema table in order, so they list every option, including defaults. Numbers are written
 * in the shortest form that reads back to the same double, so a written config reloads equal. */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "internal.h"

static const void *cfield(const void *base, const cfg_row *row) {
    return (const char *)base + row->off;
}

/* A YAML double-quoted string (JSON-compatible escapes). */
static void put_quoted(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p == '\r')
            fputs("\\r", f);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void put_double(FILE *f, double v) {
    char buf[40];
    if (v == (double)(long long)v && v > -1e15 && v < 1e15) {
        snprintf(buf, sizeof buf, "%.0f", v); /* 10000, not 1e+04 */
    } else {
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, v);
            if (strtod(buf, NULL) == v) break;
        }
    }
    fputs(buf, f);
}

static void put_enum(FILE *f, const char *names, int index) {
    const char *p = names;
    for (int i = 0; i < index && p; i++) {
        p = strchr(p, '|');
        if (p) p++;
    }
    if (!p) p = "?";
    fprintf(f, "%.*s", (int)strcspn(p, "|"), p);
}

static void put_value(FILE *f, const void *base, const cfg_row *row, int indent);

static void put_list(FILE *f, const void *base, const cfg_row *row, int indent) {
    cfg_list l;
    memcpy(&l, cfield(base, row), sizeof l);
    if (l.n == 0) {
        fputs(" []\n", f);
        return;
    }
    fputc('\n', f);
    for (int i = 0; i < l.n; i++) {
        const char *elem = (const char *)l.v + (size_t)i * row->sub->elem_size;
        for (int s = 0; s < row->sub->n; s++) {
            const cfg_row *sr = &row->sub->rows[s];
            fprintf(f, "%*s%s %s:", indent, "", s == 0 ? "-" : " ", sr->key);
            put_value(f, elem, sr, indent + 4);
        }
    }
}

static void put_value(FILE *f, const void *base, const cfg_row *row, int indent) {
    const void *v = cfield(base, row);
    switch (row->type) {
    case CT_BOOL:
        fputs(*(const int *)v ? " true\n" : " false\n", f);
        return;
    case CT_INT:
        fprintf(f, " %d\n", *(const int *)v);
        return;
    case CT_I64:
        fprintf(f, " %" PRId64 "\n", *(const int64_t *)v);
        return;
    case CT_FLOAT:
        fputc(' ', f);
        put_double(f, *(const double *)v);
        fputc('\n', f);
        return;
    case CT_ENUM:
        fputc(' ', f);
        put_enum(f, row->names, *(const int *)v);
        fputc('\n', f);
        return;
    case CT_STR:
    case CT_PATH:
        fputc(' ', f);
        put_quoted(f, *(char *const *)v ? *(char *const *)v : "");
        fputc('\n', f);
        return;
    case CT_JSON: /* JSON is YAML flow syntax */
        fprintf(f, " %s\n", *(char *const *)v ? *(char *const *)v : "{}");
        return;
    case CT_STRLIST:
    case CT_ENUMLIST: {
        const rl_strlist *l = v;
        fputs(" [", f);
        for (int i = 0; i < l->n; i++) {
            if (i) fputs(", ", f);
            put_quoted(f, l->v[i]);
        }
        fputs("]\n", f);
        return;
    }
    case CT_LIST:
        put_list(f, base, row, indent);
        return;
    }
}

/* Number of leading dotted components two keys share. */
static int common_depth(const char *a, const char *b) {
    int depth = 0;
    for (;;) {
        const char *da = strchr(a, '.'), *db = strchr(b, '.');
        if (!da || !db || da - a != db - b || strncmp(a, b, (size_t)(da - a)) != 0) return depth;
        depth++;
        a = da + 1;
        b = db + 1;
    }
}

int rl_config_write_yaml(const rl_config *cfg, FILE *f) {
    fprintf(f, "# rlpt effective configuration%s%s: every option, defaults included.\n",
            cfg->source && cfg->source[0] ? " of " : "", cfg->source ? cfg->source : "");
    const char *prev = "";
    for (int r = 0; r < rl_config_schema.n; r++) {
        const cfg_row *row = &rl_config_schema.rows[r];
        int keep = common_depth(prev, row->key);
        /* open the sections this key is in that the previous key was not */
        const char *p = row->key;
        int depth = 0;
        for (const char *dot; (dot = strchr(p, '.')); p = dot + 1, depth++)
            if (depth >= keep) fprintf(f, "%*s%.*s:\n", depth * 2, "", (int)(dot - p), p);
        fprintf(f, "%*s%s:", depth * 2, "", p);
        put_value(f, cfg, row, depth * 2 + 2);
        prev = row->key;
    }
    return ferror(f) ? RLPT_EIO : 0;
}

static void doc_row(FILE *f, const cfg_row *row, const char *prefix) {
    char type[256];
    char lo[32], hi[32];
    switch (row->type) {
    case CT_BOOL:
        snprintf(type, sizeof type, "bool");
        break;
    case CT_INT:
    case CT_I64:
        snprintf(lo, sizeof lo, "%.0f", row->lo);
        snprintf(hi, sizeof hi, "%.0f", row->hi);
        snprintf(type, sizeof type, "integer in %c%s, %s%c", row->flags & CF_LO_OPEN ? '(' : '[',
                 lo, hi, row->flags & CF_HI_OPEN ? ')' : ']');
        break;
    case CT_FLOAT:
        snprintf(type, sizeof type, "number in %c%g, %g%c", row->flags & CF_LO_OPEN ? '(' : '[',
                 row->lo, row->hi, row->flags & CF_HI_OPEN ? ')' : ']');
        break;
    case CT_ENUM:
        snprintf(type, sizeof type, "one of %s", row->names);
        break;
    case CT_ENUMLIST:
        snprintf(type, sizeof type, "list of %s", row->names);
        break;
    case CT_STR:
        snprintf(type, sizeof type, "string");
        break;
    case CT_PATH:
        snprintf(type, sizeof type, "path");
        break;
    case CT_STRLIST:
        snprintf(type, sizeof type, "list of strings");
        break;
    case CT_JSON:
        snprintf(type, sizeof type, "mapping");
        break;
    case CT_LIST:
        snprintf(type, sizeof type, "list of mappings");
        break;
    }
    fprintf(f, "%s%s\n    %s", prefix, row->key, type);
    if (row->flags & CF_REQUIRED)
        fputs("; required", f);
    else if (row->def)
        fprintf(f, "; default %s", row->def);
    fprintf(f, "\n    %s\n", row->doc);
}

void rl_config_print_doc(FILE *f) {
    fprintf(f,
            "rlpt experiment options (YAML). Nested keys are sections: `rollout.temperature`\n"
            "is written `rollout:` then `  temperature: 0.7`. `defaults: base.yaml` (or a list)\n"
            "composes files; `--set key=value` overrides on the command line, with the same\n"
            "checks. Paths are relative to the working directory.\n\n");
    for (int r = 0; r < rl_config_schema.n; r++) {
        const cfg_row *row = &rl_config_schema.rows[r];
        doc_row(f, row, "");
        if (row->type == CT_LIST)
            for (int s = 0; s < row->sub->n; s++) {
                cfg_row sub = row->sub->rows[s];
                char key[128];
                snprintf(key, sizeof key, "%s[].%s", row->key, sub.key);
                sub.key = key;
                doc_row(f, &sub, "");
            }
    }
}
