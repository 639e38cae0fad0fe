/* rewards/latex.c: LaTeX (and plain) answer text -> math_tree. The text is first normalised
 * (normalise.c: \left/\right, \!, \,, $, ^\circ, \dfrac -> \frac, {,} thousands separators),
 * then a recursive-descent parser builds the tree: numbers as exact rationals
 * (decimals, thousands separators, base-b subscripts like 204_5), symbols with subscripts,
 * + - * / ^ ! %, implicit products, mixed numbers (3\frac12), \frac \sqrt[n] \binom, functions,
 * |x|, floor/ceil, ± , and the structures: lists, sets, tuples/intervals, unions, matrices,
 * relation chains, ratios, \text{} (a unit after a value, a word alone).
 * Left out: calculus, sums/products, ellipses, environments other than matrices (they make the
 * parse fail, and the answer is then compared as canonical text only).
 * Reference: the normalisation lists of hendrycks/math `_strip_string` and Math-Verify's
 * latex2sympy pre-processing; grammar and precedence are the usual LaTeX math conventions. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int math_tree_init(math_tree *t, math_syms *syms) {
    memset(t, 0, sizeof *t);
    t->nodes = malloc(sizeof(mnode) * MATH_MAX_NODES);
    t->kids = malloc(sizeof(int32_t) * MATH_MAX_KIDS);
    t->ops = malloc(MATH_MAX_KIDS);
    t->nums = malloc(sizeof(mpq_t) * MATH_MAX_NUMS);
    t->text = malloc(MATH_MAX_ANSWER + 1);
    t->norm = malloc(MATH_MAX_ANSWER + 1);
    t->syms = syms;
    t->root = -1;
    if (!t->nodes || !t->kids || !t->ops || !t->nums || !t->text || !t->norm) {
        math_tree_free(t);
        return -1;
    }
    return 0;
}

static void tree_reset(math_tree *t) {
    for (int i = 0; i < t->n_nums; i++) mpq_clear(t->nums[i]);
    t->n_nodes = t->n_kids = t->n_nums = t->n_text = 0;
    t->root = -1;
    t->why = NULL;
}

void math_tree_free(math_tree *t) {
    if (!t) return;
    if (t->nums) tree_reset(t);
    free(t->nodes);
    free(t->kids);
    free(t->ops);
    free(t->nums);
    free(t->text);
    free(t->norm);
    memset(t, 0, sizeof *t);
}

int math_new_node(math_tree *t, int kind) {
    if (t->n_nodes >= MATH_MAX_NODES) {
        t->why = "answer has too many parts (node limit)";
        return -1;
    }
    mnode *m = &t->nodes[t->n_nodes];
    memset(m, 0, sizeof *m);
    m->kind = (uint8_t)kind;
    m->a = m->b = -1;
    return t->n_nodes++;
}

int math_new_coll(math_tree *t, int kind, const int32_t *items, int n) {
    if (t->n_kids + n > MATH_MAX_KIDS) {
        t->why = "answer has too many parts (child limit)";
        return -1;
    }
    int x = math_new_node(t, kind);
    if (x < 0) return -1;
    t->nodes[x].a = t->n_kids;
    t->nodes[x].n = n;
    for (int i = 0; i < n; i++) {
        t->kids[t->n_kids + i] = items[i];
        t->ops[t->n_kids + i] = 0;
        if (items[i] >= 0) t->nodes[x].flags |= t->nodes[items[i]].flags;
    }
    t->n_kids += n;
    return x;
}

/* ---- parser ----------------------------------------------------------------------------- */

typedef struct cur {
    const char *s;
    size_t n, i;
    math_tree *t;
    int depth;  /* recursion depth */
    int bdepth; /* bracket depth (thousands separators only at 0) */
    int in_abs;
    int fail;
} cur;

static int fail(cur *c, const char *why) {
    if (!c->fail) {
        c->fail = 1;
        if (!c->t->why) c->t->why = why;
    }
    return -1;
}

static void skip_sp(cur *c) {
    while (c->i < c->n && c->s[c->i] == ' ') c->i++;
}

static char peek(cur *c) {
    skip_sp(c);
    return c->i < c->n ? c->s[c->i] : 0;
}

/* Is the input at the cursor the command \name (not followed by more letters)? */
static int at_cmd(cur *c, const char *name) {
    skip_sp(c);
    size_t k = strlen(name);
    return c->i + 1 + k <= c->n && c->s[c->i] == '\\' && memcmp(c->s + c->i + 1, name, k) == 0 &&
           !(c->i + 1 + k < c->n && isalpha((unsigned char)c->s[c->i + 1 + k]));
}

static int eat_cmd(cur *c, const char *name) {
    if (!at_cmd(c, name)) return 0;
    c->i += 1 + strlen(name);
    return 1;
}

/* The name of the command at the cursor (without consuming it); length in *k. */
static const char *cmd_at(cur *c, size_t *k) {
    skip_sp(c);
    if (c->i >= c->n || c->s[c->i] != '\\') return NULL;
    *k = math_cmd_len(c->s, c->i + 1, c->n);
    return *k ? c->s + c->i + 1 : NULL;
}

static int node(cur *c, int kind, int a, int b) {
    int leaf = kind == MK_SYM || kind == MK_PI || kind == MK_INF;
    int binary = kind == MK_ADD || kind == MK_SUB || kind == MK_MUL || kind == MK_DIV ||
                 kind == MK_POW || kind == MK_PM || kind == MK_BINOM;
    if (c->fail || (!leaf && kind != MK_PM && a < 0) || (binary && b < 0))
        return fail(c, "parse error");
    int x = math_new_node(c->t, kind);
    if (x < 0) return fail(c, c->t->why);
    mnode *m = &c->t->nodes[x];
    m->a = a;
    m->b = b;
    if (a >= 0) m->flags |= c->t->nodes[a].flags;
    if (b >= 0) m->flags |= c->t->nodes[b].flags;
    if (kind == MK_PM) m->flags |= MF_HASPM;
    return x;
}

static int new_num_str(cur *c, const char *digits, size_t nd, size_t frac, int approx) {
    math_tree *t = c->t;
    if (t->n_nums >= MATH_MAX_NUMS) return fail(c, "too many numbers");
    if (nd > MATH_MAX_DIGITS) return fail(c, "number has too many digits");
    char buf[MATH_MAX_DIGITS + 1];
    memcpy(buf, digits, nd);
    buf[nd] = 0;
    int x = math_new_node(t, MK_NUM);
    if (x < 0) return fail(c, t->why);
    mpq_init(t->nums[t->n_nums]);
    mpz_set_str(mpq_numref(t->nums[t->n_nums]), nd ? buf : "0", 10);
    mpz_ui_pow_ui(mpq_denref(t->nums[t->n_nums]), 10, frac);
    mpq_canonicalize(t->nums[t->n_nums]);
    t->nodes[x].val = t->n_nums++;
    if (approx) t->nodes[x].flags |= MF_APPROX;
    return x;
}

static int parse_list(cur *c, int closer, int32_t *items, int max, int *n_out);
static int parse_sum(cur *c);
static int parse_power(cur *c);

/* A number literal: digits, '.', \x01 thousands markers, and at bracket depth 0 ",ddd" groups. */
static int parse_number(cur *c) {
    char dig[MATH_MAX_DIGITS + 2];
    size_t nd = 0, frac = 0, start = c->i;
    int dot = 0;
    size_t since_sep = 0; /* digits since the number start or the last thousands comma */
    const char *s = c->s;
    while (c->i < c->n) {
        char ch = s[c->i];
        if (isdigit((unsigned char)ch)) {
            if (nd > MATH_MAX_DIGITS) return fail(c, "number has too many digits");
            dig[nd++] = ch;
            if (dot) frac++;
            since_sep++;
            c->i++;
        } else if (ch == '.' && !dot && c->i + 1 < c->n && isdigit((unsigned char)s[c->i + 1])) {
            dot = 1;
            c->i++;
        } else if (ch == '\x01' && !dot && c->i + 1 < c->n && isdigit((unsigned char)s[c->i + 1])) {
            since_sep = 0;
            c->i++;
        } else if (ch == ',' && !dot && c->bdepth == 0 && s[start] != '0' && since_sep >= 1 &&
                   since_sep <= 3 && (since_sep == 3 || since_sep == nd) && c->i + 3 < c->n &&
                   isdigit((unsigned char)s[c->i + 1]) && isdigit((unsigned char)s[c->i + 2]) &&
                   isdigit((unsigned char)s[c->i + 3]) &&
                   (c->i + 4 >= c->n || !isdigit((unsigned char)s[c->i + 4]))) {
            /* "1,000": a thousands separator only when every group has three digits */
            since_sep = 0;
            c->i++;
        } else {
            break;
        }
    }
    int x = new_num_str(c, dig, nd, frac, dot);
    if (x < 0) return x;
    /* base-b subscript: 204_5, 1112112_{3} */
    if (c->i < c->n && s[c->i] == '_' && !dot) {
        size_t j = c->i + 1;
        int brace = j < c->n && s[j] == '{';
        if (brace) j++;
        size_t b0 = j;
        while (j < c->n && isdigit((unsigned char)s[j])) j++;
        if (j > b0 && j - b0 <= 2 && (!brace || (j < c->n && s[j] == '}'))) {
            int base = atoi(s + b0);
            if (base < 2 || base > 36) return fail(c, "bad number base");
            for (size_t k = 0; k < nd; k++)
                if (dig[k] - '0' >= base) return fail(c, "digit not valid in its base");
            dig[nd] = 0;
            mpq_t *q = &c->t->nums[c->t->nodes[x].val];
            mpz_set_str(mpq_numref(*q), nd ? dig : "0", base);
            mpz_set_ui(mpq_denref(*q), 1);
            c->i = j + (brace ? 1 : 0);
        }
    }
    return x;
}

static int sym_id(cur *c, const char *name, size_t k) {
    math_syms *sy = c->t->syms;
    if (k >= sizeof sy->name[0]) k = sizeof sy->name[0] - 1;
    for (int i = 0; i < sy->n; i++)
        if (strlen(sy->name[i]) == k && memcmp(sy->name[i], name, k) == 0) return i;
    if (sy->n >= MATH_MAX_SYMS) return fail(c, "too many symbols");
    memcpy(sy->name[sy->n], name, k);
    sy->name[sy->n][k] = 0;
    return sy->n++;
}

/* A symbol: name then an optional subscript (x_1, x_{12}, V_{1}) and primes. */
static int parse_symbol(cur *c, const char *name, size_t k) {
    char buf[64];
    size_t o = k < 40 ? k : 40;
    memcpy(buf, name, o);
    if (c->i < c->n && c->s[c->i] == '_') {
        size_t j = c->i + 1;
        buf[o++] = '_';
        if (j < c->n && c->s[j] == '{') {
            int d = 1;
            j++;
            while (j < c->n && d > 0) {
                if (c->s[j] == '{') d++;
                if (c->s[j] == '}') d--;
                if (d > 0 && c->s[j] != ' ' && o < 60) buf[o++] = c->s[j];
                j++;
            }
            if (d) return fail(c, "unbalanced subscript");
        } else if (j < c->n && c->s[j] != ' ') {
            if (c->s[j] == '\\') {
                size_t kk = math_cmd_len(c->s, j + 1, c->n);
                size_t take = 1 + kk;
                if (o + take < 60) memcpy(buf + o, c->s + j, take), o += take;
                j += take;
            } else {
                buf[o++] = c->s[j++];
            }
        }
        c->i = j;
    }
    while (c->i < c->n && c->s[c->i] == '\'' && o < 62) buf[o++] = c->s[c->i++];
    int id = sym_id(c, buf, o);
    if (id < 0) return -1;
    int x = node(c, MK_SYM, -1, -1);
    if (x < 0) return x;
    c->t->nodes[x].val = id;
    c->t->nodes[x].flags |= MF_HASSYM;
    return x;
}

/* The raw {...} group at the cursor: [*b, *e) is its content. */
static int raw_group(cur *c, size_t *b, size_t *e) {
    skip_sp(c);
    if (c->i >= c->n || c->s[c->i] != '{') return fail(c, "expected {");
    int d = 0;
    size_t j = c->i;
    for (; j < c->n; j++) {
        if (c->s[j] == '\\' && j + 1 < c->n) {
            j++;
            continue;
        }
        if (c->s[j] == '{') d++;
        if (c->s[j] == '}' && --d == 0) break;
    }
    if (j >= c->n) return fail(c, "unbalanced braces");
    *b = c->i + 1;
    *e = j;
    c->i = j + 1;
    return 0;
}

/* A TeX macro argument: {group} or a single token (digit, letter, command). */
static int parse_arg(cur *c) {
    char ch = peek(c);
    if (ch == '{') {
        c->i++;
        int32_t items[2];
        int n = 0;
        int saved = c->bdepth;
        c->bdepth++;
        if (parse_list(c, '}', items, 2, &n) < 0) return -1;
        c->bdepth = saved;
        if (n != 1) return fail(c, "argument is not one value");
        return items[0];
    }
    if (isdigit((unsigned char)ch)) return new_num_str(c, c->s + c->i++, 1, 0, 0);
    if (isalpha((unsigned char)ch)) {
        c->i++;
        return parse_symbol(c, c->s + c->i - 1, 1);
    }
    if (ch == '\\') return parse_power(c);
    return fail(c, "missing argument");
}

static int text_is(const char *s, size_t b, size_t e, const char *w) {
    while (b < e && s[b] == ' ') b++;
    while (e > b && s[e - 1] == ' ') e--;
    return e - b == strlen(w) && memcmp(s + b, w, e - b) == 0;
}

static const struct {
    const char *name;
    int fn;
} funcs[] = {{"sin", MF_SIN},     {"cos", MF_COS},   {"tan", MF_TAN},     {"sec", MF_SEC},
             {"csc", MF_CSC},     {"cot", MF_COT},   {"arcsin", MF_ASIN}, {"arccos", MF_ACOS},
             {"arctan", MF_ATAN}, {"sinh", MF_SINH}, {"cosh", MF_COSH},   {"tanh", MF_TANH},
             {"ln", MF_LN},       {"log", MF_LOG10}, {"exp", MF_EXP},     {NULL, 0}};

static int func_of(const char *name, size_t k) {
    for (int i = 0; funcs[i].name; i++)
        if (strlen(funcs[i].name) == k && memcmp(funcs[i].name, name, k) == 0) return funcs[i].fn;
    return -1;
}

static int inverse_fn(int fn) {
    switch (fn) {
    case MF_SIN:
        return MF_ASIN;
    case MF_COS:
        return MF_ACOS;
    case MF_TAN:
        return MF_ATAN;
    default:
        return -1;
    }
}

static int parse_func(cur *c, int fn) {
    int power = -1, inverse = 0, base = -1;
    if (fn == MF_LOG10 && peek(c) == '_') { /* \log_b x = ln x / ln b */
        c->i++;
        base = parse_arg(c);
        if (base < 0) return -1;
    }
    if (peek(c) == '^') {
        c->i++;
        power = parse_arg(c);
        if (power < 0) return -1;
        mnode *p = &c->t->nodes[power];
        if (p->kind == MK_NEG && c->t->nodes[p->a].kind == MK_NUM &&
            mpq_cmp_ui(c->t->nums[c->t->nodes[p->a].val], 1, 1) == 0 && inverse_fn(fn) >= 0) {
            fn = inverse_fn(fn);
            inverse = 1;
        }
    }
    int arg;
    if (peek(c) == '(') {
        arg = parse_power(c);
    } else {
        arg = parse_power(c);
        /* \sin 2x: juxtaposed plain numbers and letters belong to the argument */
        while (arg >= 0 && c->i < c->n && (isalnum((unsigned char)c->s[c->i]))) {
            int more = parse_power(c);
            arg = node(c, MK_MUL, arg, more);
        }
    }
    if (arg < 0) return -1;
    int x = node(c, MK_FUNC, arg, -1);
    if (x < 0) return x;
    c->t->nodes[x].op = (uint8_t)(base >= 0 ? MF_LN : fn);
    if (base >= 0) {
        int lb = node(c, MK_FUNC, base, -1);
        if (lb < 0) return lb;
        c->t->nodes[lb].op = MF_LN;
        x = node(c, MK_DIV, x, lb);
    }
    if (power >= 0 && !inverse) x = node(c, MK_POW, x, power);
    return x;
}

static int parse_matrix(cur *c, const char *env, size_t envlen) {
    if (envlen == 5 && memcmp(env, "array", 5) == 0) {
        size_t b, e;
        if (raw_group(c, &b, &e) < 0) return -1;
    }
    int32_t cells[256];
    int n = 0, cols = -1, row_n = 0;
    int saved = c->bdepth;
    c->bdepth++;
    for (;;) {
        skip_sp(c);
        if (at_cmd(c, "end")) break;
        int x = parse_sum(c);
        if (x < 0) return -1;
        if (n >= 256) return fail(c, "matrix too large");
        cells[n++] = x;
        row_n++;
        char ch = peek(c);
        if (ch == '&') {
            c->i++;
            continue;
        }
        if (ch == '\\' && c->i + 1 < c->n && c->s[c->i + 1] == '\\') {
            c->i += 2;
            if (cols < 0)
                cols = row_n;
            else if (cols != row_n)
                return fail(c, "matrix rows differ in length");
            row_n = 0;
            skip_sp(c);
            if (at_cmd(c, "end")) break;
            continue;
        }
        if (at_cmd(c, "end")) {
            if (cols < 0)
                cols = row_n;
            else if (cols != row_n)
                return fail(c, "matrix rows differ in length");
            row_n = 0;
            break;
        }
        return fail(c, "unexpected text in matrix");
    }
    c->bdepth = saved;
    if (row_n != 0) return fail(c, "matrix rows differ in length");
    c->i += 4; /* \end */
    size_t b, e;
    if (raw_group(c, &b, &e) < 0) return -1;
    if (n == 0 || cols <= 0) return fail(c, "empty matrix");
    int x = math_new_coll(c->t, MK_MATRIX, cells, n);
    if (x < 0) return fail(c, c->t->why);
    c->t->nodes[x].b = cols;
    c->t->nodes[x].flags |= MF_HASMAT;
    return x;
}

/* Bracketed list: ( [ { \{ |. */
static int parse_bracket(cur *c, char open) {
    int32_t items[128];
    int n = 0;
    c->bdepth++;
    int closer = open == '(' || open == '[' ? ']' + 256 : open == '{' ? '}' : 'S';
    if (parse_list(c, closer, items, 128, &n) < 0) return -1;
    c->bdepth--;
    char close = c->s[c->i - 1];
    if (open == 'S') {
        int x = math_new_coll(c->t, MK_SET, items, n);
        return x < 0 ? fail(c, c->t->why) : x;
    }
    if (n == 0) return fail(c, "empty brackets");
    if (n == 1 && (open == '{' || (open == '(' && close == ')') || (open == '[' && close == ']')))
        return items[0];
    if (n == 1) return fail(c, "half-open bracket around one value");
    int x = math_new_coll(c->t, open == '{' ? MK_LIST : MK_BRACKET, items, n);
    if (x < 0) return fail(c, c->t->why);
    c->t->nodes[x].open = (uint8_t)open;
    c->t->nodes[x].close = (uint8_t)close;
    return x;
}

static int parse_atom(cur *c) {
    if (++c->depth > MATH_MAX_DEPTH) return fail(c, "answer nested too deeply");
    int r = -1;
    char ch = peek(c);
    if (isdigit((unsigned char)ch) ||
        (ch == '.' && c->i + 1 < c->n && isdigit((unsigned char)c->s[c->i + 1]))) {
        r = parse_number(c);
    } else if (isalpha((unsigned char)ch)) {
        static const char *const words[] = {"sqrt", "sin", "cos", "tan", "ln", "log", "exp", NULL};
        size_t k = math_cmd_len(c->s, c->i, c->n);
        int done = 0;
        for (int w = 0; words[w] && !done; w++) {
            size_t wl = strlen(words[w]);
            if (k == wl && memcmp(c->s + c->i, words[w], wl) == 0 && c->i + wl < c->n &&
                c->s[c->i + wl] == '(') {
                c->i += wl;
                if (w == 0) {
                    int a = parse_power(c);
                    r = node(c, MK_ROOT, a, -1);
                } else {
                    r = parse_func(c, func_of(words[w], wl));
                }
                done = 1;
            }
        }
        if (!done) {
            c->i++;
            r = parse_symbol(c, c->s + c->i - 1, 1);
        }
    } else if (ch == '(' || ch == '[' || ch == '{') {
        c->i++;
        r = parse_bracket(c, ch);
    } else if (ch == '|' && !c->in_abs) {
        c->i++;
        c->in_abs++;
        int a = parse_sum(c);
        c->in_abs--;
        if (a >= 0 && peek(c) != '|') return fail(c, "unclosed |");
        c->i++;
        r = node(c, MK_FUNC, a, -1);
        if (r >= 0) c->t->nodes[r].op = MF_ABS;
    } else if (ch == '\\') {
        size_t k;
        const char *name = cmd_at(c, &k);
        if (!name) {
            if (c->i + 1 < c->n && c->s[c->i + 1] == '{') {
                c->i += 2;
                r = parse_bracket(c, 'S');
            } else {
                return fail(c, "unexpected \\");
            }
        } else {
            int fn = func_of(name, k);
            c->i += 1 + k;
#define IS(w) (k == sizeof(w) - 1 && memcmp(name, w, k) == 0)
            if (fn >= 0) {
                r = parse_func(c, fn);
            } else if (IS("frac")) {
                int a = parse_arg(c);
                int b = a >= 0 ? parse_arg(c) : -1;
                r = node(c, MK_DIV, a, b);
                if (r >= 0) c->t->nodes[r].op = 1; /* from \frac: may form a mixed number */
            } else if (IS("sqrt")) {
                int idx = -1;
                if (peek(c) == '[') {
                    c->i++;
                    c->bdepth++;
                    idx = parse_sum(c);
                    c->bdepth--;
                    if (idx < 0 || peek(c) != ']') return fail(c, "bad \\sqrt[n]");
                    c->i++;
                }
                int a = parse_arg(c);
                r = node(c, MK_ROOT, a, idx);
            } else if (IS("binom") || IS("dbinom") || IS("tbinom")) {
                int a = parse_arg(c);
                int b = a >= 0 ? parse_arg(c) : -1;
                r = node(c, MK_BINOM, a, b);
            } else if (IS("infty")) {
                r = node(c, MK_INF, -1, -1);
            } else if (IS("pi")) {
                r = node(c, MK_PI, -1, -1);
            } else if (IS("boxed") || IS("fbox") || IS("overline") || IS("bar") || IS("vec") ||
                       IS("hat") || IS("widehat") || IS("overrightarrow") || IS("mathbf") ||
                       IS("boldsymbol") || IS("mathit") || IS("mathsf") || IS("operatorname")) {
                r = parse_arg(c);
            } else if (IS("mathrm") || IS("text") || IS("textbf") || IS("textit") || IS("textrm") ||
                       IS("textnormal") || IS("textsf") || IS("mbox")) {
                size_t b, e;
                if (raw_group(c, &b, &e) < 0) return -1;
                while (b < e && c->s[b] == ' ') b++;
                while (e > b && c->s[e - 1] == ' ') e--;
                int letters = 1;
                for (size_t j = b; j < e; j++)
                    if (!isalpha((unsigned char)c->s[j])) letters = 0;
                if (IS("mathrm") && letters && e - b == 1) {
                    c->i = c->i; /* \mathrm{e}: the symbol e */
                    cur sub = *c;
                    sub.i = b;
                    r = parse_symbol(&sub, c->s + b, 1);
                } else {
                    if (e - b > 200) return fail(c, "text too long");
                    r = math_new_node(c->t, MK_TEXT);
                    if (r < 0) return fail(c, c->t->why);
                    char *dst = c->t->text + c->t->n_text;
                    size_t o = 0;
                    for (size_t j = b; j < e; j++)
                        if (c->s[j] != ' ') dst[o++] = c->s[j];
                    c->t->nodes[r].val = c->t->n_text;
                    c->t->nodes[r].n = (int)o;
                    c->t->n_text += (int)o;
                }
            } else if (IS("lfloor") || IS("lceil")) {
                int floor = IS("lfloor");
                int a = parse_sum(c);
                if (a >= 0 && !eat_cmd(c, floor ? "rfloor" : "rceil"))
                    return fail(c, "unclosed floor/ceil");
                r = node(c, MK_FUNC, a, -1);
                if (r >= 0) c->t->nodes[r].op = floor ? MF_FLOOR : MF_CEIL;
            } else if (IS("begin")) {
                size_t b, e;
                if (raw_group(c, &b, &e) < 0) return -1;
                static const char *const envs[] = {"pmatrix", "bmatrix",     "matrix", "Bmatrix",
                                                   "vmatrix", "smallmatrix", "array",  NULL};
                if (!math_in_list(envs, c->s + b, e - b)) return fail(c, "unsupported environment");
                r = parse_matrix(c, c->s + b, e - b);
            } else if (math_known_cmd(name, k) && k > 1 && !IS("end") && !IS("cup") && !IS("in") &&
                       !IS("rfloor") && !IS("rceil")) {
                /* Greek letters: symbols */
                static const char *const nonsym[] = {
                    "cdot", "times", "ast",      "div", "pm", "mp", "le",  "leq",    "leqslant",
                    "ge",   "geq",   "geqslant", "lt",  "gt", "ne", "neq", "approx", NULL};
                if (math_in_list(nonsym, name, k)) return fail(c, "operator without operand");
                r = parse_symbol(c, name - 1, k + 1);
            } else {
                /* other commands (\angle, \sum, \zzz) stand for themselves, as symbols */
                static const char *const refuse[] = {"dots", "ldots", "cdots", "vdots", "ddots",
                                                     "end",  "right", "int",   "lim",   NULL};
                if (math_in_list(refuse, name, k)) return fail(c, "unsupported command");
                r = parse_symbol(c, name - 1, k + 1);
            }
#undef IS
        }
    } else {
        return fail(c, "unexpected character");
    }
    c->depth--;
    return c->fail ? -1 : r;
}

/* postfix: atom then !, %, "percent" */
static int parse_postfix(cur *c) {
    int x = parse_atom(c);
    for (;;) {
        if (x < 0) return -1;
        char ch = c->i < c->n ? c->s[c->i] : 0;
        if (ch == '!' && !(c->i + 1 < c->n && c->s[c->i + 1] == '=')) {
            c->i++;
            x = node(c, MK_FACT, x, -1);
            continue;
        }
        if (peek(c) == '%') {
            c->i++;
            x = node(c, MK_PERCENT, x, -1);
            continue;
        }
        static const char *const pw[] = {"percentage", "percent", "pct", NULL};
        int hit = 0;
        skip_sp(c);
        for (int w = 0; pw[w]; w++) {
            size_t l = strlen(pw[w]);
            if (c->i + l <= c->n && memcmp(c->s + c->i, pw[w], l) == 0 &&
                !(c->i + l < c->n && isalpha((unsigned char)c->s[c->i + l]))) {
                c->i += l;
                x = node(c, MK_PERCENT, x, -1);
                hit = 1;
                break;
            }
        }
        if (!hit) return x;
    }
}

static int parse_power(cur *c) {
    if (++c->depth > MATH_MAX_DEPTH) return fail(c, "answer nested too deeply");
    int x = parse_postfix(c);
    while (x >= 0 && peek(c) == '^') {
        c->i++;
        int e;
        if (peek(c) == '-') { /* 2^-1 */
            c->i++;
            e = parse_arg(c);
            e = node(c, MK_NEG, e, -1);
        } else {
            e = parse_arg(c);
        }
        x = node(c, MK_POW, x, e);
    }
    c->depth--;
    return x;
}

/* A unit after a value: letters only (with spaces, ^2), up to a separator or the end. */
static int skip_units(cur *c) {
    size_t j = c->i, words = 0;
    while (j < c->n) {
        size_t k = math_cmd_len(c->s, j, c->n);
        if (k < 2 && !(k == 1 && words > 0)) break;
        j += k;
        words++;
        if (j < c->n && c->s[j] == '^' && j + 1 < c->n && isdigit((unsigned char)c->s[j + 1]))
            j += 2;
        while (j < c->n && c->s[j] == ' ') j++;
    }
    if (!words) return 0;
    if (j < c->n && !strchr(",;)]}", c->s[j]) && c->s[j] != '\\') return 0;
    static const char *const keep[] = {"and", "or",  "sqrt",    "sin", "cos",        "tan", "ln",
                                       "log", "exp", "percent", "pct", "percentage", NULL};
    if (math_in_list(keep, c->s + c->i, math_cmd_len(c->s, c->i, c->n))) return 0;
    c->i = j;
    return 1;
}

/* "and"/"or" as a word (also glued: "(11,7)or(7,11)", "1orW(x)") */
static int at_list_word(cur *c) {
    const char *s = c->s + c->i;
    size_t left = c->n - c->i;
    for (int w = 0; w < 2; w++) {
        const char *word = w ? "or" : "and";
        size_t l = strlen(word);
        if (left >= l && memcmp(s, word, l) == 0 && !(left > l && islower((unsigned char)s[l])))
            return (int)l;
    }
    return 0;
}

static int starts_factor(cur *c) {
    char ch = peek(c);
    if (at_list_word(c)) return 0;
    if (isdigit((unsigned char)ch) || isalpha((unsigned char)ch) || ch == '(') return 1;
    if (ch == '|' && !c->in_abs) return 1;
    if (ch == '\\') {
        size_t k;
        const char *name = cmd_at(c, &k);
        if (!name) return c->i + 1 < c->n && c->s[c->i + 1] == '{' ? 0 : 0;
        static const char *const no[] = {"cdot", "times", "ast",      "div",   "pm",     "mp",
                                         "le",   "leq",   "leqslant", "ge",    "geq",    "geqslant",
                                         "lt",   "gt",    "ne",       "neq",   "approx", "in",
                                         "cup",  "end",   "rfloor",   "rceil", NULL};
        return !math_in_list(no, name, k);
    }
    return 0;
}

static int is_int_literal(const math_tree *t, int x) {
    return x >= 0 && t->nodes[x].kind == MK_NUM && !(t->nodes[x].flags & MF_APPROX) &&
           mpz_cmp_ui(mpq_denref(t->nums[t->nodes[x].val]), 1) == 0;
}

static int parse_factor(cur *c) {
    char ch = peek(c);
    if (ch == '-') {
        c->i++;
        int a = parse_factor(c);
        return node(c, MK_NEG, a, -1);
    }
    if (ch == '+') {
        c->i++;
        return parse_factor(c);
    }
    return parse_power(c);
}

static int parse_term(cur *c) {
    if (++c->depth > MATH_MAX_DEPTH) return fail(c, "answer nested too deeply");
    int x = parse_factor(c);
    /* an integer literal (or -integer) may start a mixed number */
    int last_int = x >= 0 && (is_int_literal(c->t, x) || (c->t->nodes[x].kind == MK_NEG &&
                                                          is_int_literal(c->t, c->t->nodes[x].a)));
    while (x >= 0) {
        int op = 0;
        size_t before = c->i;
        char ch = peek(c);
        if (ch == '*')
            op = MK_MUL, c->i++;
        else if (ch == '/')
            op = MK_DIV, c->i++;
        else if (eat_cmd(c, "cdot") || eat_cmd(c, "times") || eat_cmd(c, "ast"))
            op = MK_MUL;
        else if (eat_cmd(c, "div"))
            op = MK_DIV;
        if (op) {
            int y = parse_factor(c);
            x = node(c, op, x, y);
            last_int = 0;
            continue;
        }
        /* \text{...} after a value: a unit */
        size_t k;
        const char *name = cmd_at(c, &k);
        if (name && (k == 4 && memcmp(name, "text", 4) == 0
                         ? 1
                         : (k == 4 && memcmp(name, "mbox", 4) == 0) ||
                               (k == 6 && memcmp(name, "textbf", 6) == 0) ||
                               (k == 6 && memcmp(name, "mathrm", 6) == 0) ||
                               (k == 10 && memcmp(name, "textnormal", 10) == 0) ||
                               (k == 6 && memcmp(name, "textit", 6) == 0))) {
            size_t save = c->i, b, e;
            c->i += 1 + k;
            if (raw_group(c, &b, &e) < 0) return -1;
            if (text_is(c->s, b, e, "and") || text_is(c->s, b, e, "or") ||
                (name[0] == 'm' && name[1] == 'a' && e - b <= 1)) {
                c->i = save;
                break;
            }
            if (peek(c) == '^') { /* cm^2 */
                c->i++;
                if (parse_arg(c) < 0) return -1;
            }
            continue;
        }
        if (isalpha((unsigned char)ch) && before < c->i && last_int && skip_units(c)) continue;
        if (!starts_factor(c)) {
            c->i = before;
            break;
        }
        int y = parse_factor(c);
        if (y < 0) return -1;
        mnode *yn = &c->t->nodes[y];
        if (last_int && yn->kind == MK_DIV && yn->op == 1 && is_int_literal(c->t, yn->a) &&
            is_int_literal(c->t, yn->b)) {
            if (c->t->nodes[x].kind == MK_NEG) /* -3\frac12 = -(3 + 1/2) */
                x = node(c, MK_NEG, node(c, MK_ADD, c->t->nodes[x].a, y), -1);
            else
                x = node(c, MK_ADD, x, y); /* 3\frac12: a mixed number */
        } else {
            x = node(c, MK_MUL, x, y);
        }
        last_int = 0;
    }
    c->depth--;
    return x;
}

int parse_sum(cur *c) {
    if (++c->depth > MATH_MAX_DEPTH) return fail(c, "answer nested too deeply");
    int x;
    if (eat_cmd(c, "pm")) {
        int a = parse_term(c);
        x = node(c, MK_PM, -1, a);
    } else if (eat_cmd(c, "mp")) {
        int a = parse_term(c);
        x = node(c, MK_NEG, node(c, MK_PM, -1, a), -1);
    } else {
        x = parse_term(c);
    }
    while (x >= 0) {
        char ch = peek(c);
        int op = 0;
        if (ch == '+')
            op = MK_ADD, c->i++;
        else if (ch == '-')
            op = MK_SUB, c->i++;
        else if (eat_cmd(c, "pm"))
            op = MK_PM;
        else if (eat_cmd(c, "mp"))
            op = -MK_PM;
        if (!op) break;
        int y = parse_term(c);
        if (op == -MK_PM)
            x = node(c, MK_PM, x, node(c, MK_NEG, y, -1));
        else
            x = node(c, op, x, y);
    }
    c->depth--;
    return x;
}

static int parse_union(cur *c) {
    int32_t parts[32];
    int n = 0;
    int x = parse_sum(c);
    if (x < 0) return -1;
    parts[n++] = x;
    while (eat_cmd(c, "cup")) {
        if (n >= 32) return fail(c, "union too long");
        int y = parse_sum(c);
        if (y < 0) return -1;
        parts[n++] = y;
    }
    if (n == 1) return x;
    int u = math_new_coll(c->t, MK_UNION, parts, n);
    return u < 0 ? fail(c, c->t->why) : u;
}

static int parse_ratio(cur *c) {
    int32_t parts[8];
    int n = 0;
    int x = parse_union(c);
    if (x < 0) return -1;
    parts[n++] = x;
    while (peek(c) == ':' && n < 8) {
        c->i++;
        int y = parse_union(c);
        if (y < 0) return -1;
        parts[n++] = y;
    }
    if (n == 1) return x;
    int r = math_new_coll(c->t, MK_RATIO, parts, n);
    return r < 0 ? fail(c, c->t->why) : r;
}

static int relop(cur *c) {
    char ch = peek(c);
    char d = c->i + 1 < c->n ? c->s[c->i + 1] : 0;
    if (ch == '<' && d == '=') return c->i += 2, MR_LE;
    if (ch == '>' && d == '=') return c->i += 2, MR_GE;
    if (ch == '!' && d == '=') return c->i += 2, MR_NE;
    if (ch == '=' && d == '<') return c->i += 2, MR_LE;
    if (ch == '=' && d == '>') return c->i += 2, MR_GE;
    if (ch == '=') return c->i++, MR_EQ;
    if (ch == '<') return c->i++, MR_LT;
    if (ch == '>') return c->i++, MR_GT;
    if (eat_cmd(c, "le") || eat_cmd(c, "leq") || eat_cmd(c, "leqslant")) return MR_LE;
    if (eat_cmd(c, "ge") || eat_cmd(c, "geq") || eat_cmd(c, "geqslant")) return MR_GE;
    if (eat_cmd(c, "lt")) return MR_LT;
    if (eat_cmd(c, "gt")) return MR_GT;
    if (eat_cmd(c, "ne") || eat_cmd(c, "neq")) return MR_NE;
    if (eat_cmd(c, "approx")) return MR_APPROX;
    if (eat_cmd(c, "in")) return MR_IN;
    return 0;
}

static int parse_rel(cur *c) {
    int32_t parts[16];
    uint8_t ops[16];
    int n = 0;
    int x = parse_ratio(c);
    if (x < 0) return -1;
    parts[n] = x;
    ops[n++] = 0;
    int op;
    while ((op = relop(c)) != 0) {
        if (n >= 16) return fail(c, "relation chain too long");
        int y = parse_ratio(c);
        if (y < 0) return -1;
        parts[n] = y;
        ops[n++] = (uint8_t)op;
    }
    if (n == 1) return x;
    int r = math_new_coll(c->t, MK_REL, parts, n);
    if (r < 0) return fail(c, c->t->why);
    for (int i = 0; i < n; i++) c->t->ops[c->t->nodes[r].a + i] = ops[i];
    return r;
}

/* A separator between list items: , ; and the words "and"/"or" (also as \text{ and }). */
static int list_sep(cur *c, int *semi) {
    char ch = peek(c);
    if (ch == ',') return c->i++, 1;
    if (ch == ';') return c->i++, *semi = 1, 1;
    int l = at_list_word(c);
    if (l) return c->i += (size_t)l, 1;
    size_t k;
    const char *name = cmd_at(c, &k);
    if (name &&
        ((k == 4 && memcmp(name, "text", 4) == 0) || (k == 6 && memcmp(name, "textbf", 6) == 0) ||
         (k == 6 && memcmp(name, "mathrm", 6) == 0))) {
        size_t save = c->i, b, e;
        c->i += 1 + k;
        if (raw_group(c, &b, &e) == 0 && (text_is(c->s, b, e, "and") || text_is(c->s, b, e, "or") ||
                                          text_is(c->s, b, e, ",") || text_is(c->s, b, e, "")))
            return 1;
        c->fail = 0;
        c->i = save;
    }
    return 0;
}

/* Items separated by list_sep until closer (or the end when closer is 0). With both ';' and
 * ',' at one level, the ';' groups become tuples: "p=5,q=2;p=7,q=2". */
static int parse_list(cur *c, int closer, int32_t *items, int max, int *n_out) {
    int32_t group[128];
    int n = 0, gn = 0, semi = 0, comma_in_group = 0, grouped = 0;
    for (;;) {
        char ch = peek(c);
        int at_close = (closer == 0 && ch == 0) ||
                       (closer == ']' + 256 && (ch == ')' || ch == ']')) ||
                       (closer == '}' && ch == '}') ||
                       (closer == 'S' && ch == '\\' && c->i + 1 < c->n && c->s[c->i + 1] == '}');
        if (at_close && (gn > 0 || n > 0 || closer == 'S')) break;
        if (ch == 0) return fail(c, "unclosed bracket");
        int x = parse_rel(c);
        if (x < 0) return -1;
        if (gn >= 128) return fail(c, "list too long");
        group[gn++] = x;
        int was_semi = 0;
        int sep = list_sep(c, &was_semi);
        if (sep && !was_semi) comma_in_group = 1;
        if (!sep || was_semi) {
            /* close the group */
            if (was_semi) semi = 1;
            if (semi && comma_in_group && gn > 1) {
                int tpl = math_new_coll(c->t, MK_BRACKET, group, gn);
                if (tpl < 0) return fail(c, c->t->why);
                c->t->nodes[tpl].open = '(';
                c->t->nodes[tpl].close = ')';
                group[0] = tpl;
                gn = 1;
                grouped = 1;
            }
            if (n + gn > max) return fail(c, "list too long");
            for (int i = 0; i < gn; i++) items[n++] = group[i];
            gn = 0;
            comma_in_group = 0;
            if (!sep) break;
        }
    }
    if (gn) {
        if (semi && comma_in_group && gn > 1) {
            int tpl = math_new_coll(c->t, MK_BRACKET, group, gn);
            if (tpl < 0) return fail(c, c->t->why);
            c->t->nodes[tpl].open = '(';
            c->t->nodes[tpl].close = ')';
            group[0] = tpl;
            gn = 1;
        }
        if (n + gn > max) return fail(c, "list too long");
        for (int i = 0; i < gn; i++) items[n++] = group[i];
    }
    (void)grouped;
    char ch = peek(c);
    if (closer == 0) {
        if (ch != 0) return fail(c, "unexpected text after the answer");
    } else if (closer == 'S') {
        if (!(ch == '\\' && c->i + 1 < c->n && c->s[c->i + 1] == '}'))
            return fail(c, "unclosed \\{");
        c->i += 2;
    } else if (closer == '}') {
        if (ch != '}') return fail(c, "unclosed {");
        c->i++;
    } else {
        if (ch != ')' && ch != ']') return fail(c, "unclosed bracket");
        c->i++;
    }
    *n_out = n;
    return 0;
}

void math_parse(math_tree *t, const char *s, size_t len) {
    tree_reset(t);
    if (len > MATH_MAX_ANSWER) {
        t->why = "answer longer than 8192 bytes";
        return;
    }
    char *buf = t->norm;
    size_t n = math_normalise(buf, s, len);
    cur c = {buf, n, 0, t, 0, 0, 0, 0};
    int32_t items[128];
    int k = 0;
    if (n == 0) {
        t->why = "empty answer";
    } else if (parse_list(&c, 0, items, 128, &k) == 0 && !c.fail && k > 0) {
        t->root = k == 1 ? items[0] : math_new_coll(t, MK_LIST, items, k);
    }
    if (t->root < 0 && !t->why) t->why = "parse error";
}
