/* rewards/math_verify.c: is a predicted answer equivalent to the reference? Extracts both
 * (extract.c), compares canonical text, then parses both (latex.c) and compares the trees:
 *   - scalars by exact rational / random-point evaluation (mathexpr.c), ± as a pair of values,
 *     a% as a or a/100;
 *   - tuples and intervals in order with the same brackets; bare lists and sets as sets (or in
 *     order, with ordered_lists); unions as sets of parts; matrices cell by cell, after
 *     evaluating sums, products and scalar multiples of matrix literals;
 *   - equations by proportionality of lhs - rhs (any k != 0), inequalities with k > 0 after
 *     turning > into <; relation chains part by part; a chain a < x < b against an interval;
 *   - "x = 3" as 3 when the left side is a name (x, f(x), (p,q), \frac{NO}{BO}), and a chain
 *     "x = 5+5+1 = 11" as its last part; "a \approx b" keeps what comes before the \approx.
 * These relation rules follow Math-Verify's verify() (tests/test_all.py::test_relations_math),
 * except that Math-Verify reads every predicted equation as its right-hand side: rlpt does
 * not, so "\boxed{x^2 - 25 = 0}" does not earn the reward for the answer 0.
 * Left out: simplification beyond evaluation, matrix inverses/determinants, solution-set reasoning
 * (|z| <= 1 vs a union of intervals). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "rewards.h"

struct reward_math_checker {
    math_syms syms;
    math_tree g, p;
};

int reward_math_checker_init(reward_math_checker **out, rlpt_err *err) {
    *out = NULL;
    reward_math_checker *c = calloc(1, sizeof *c);
    if (!c || math_tree_init(&c->g, &c->syms) < 0 || math_tree_init(&c->p, &c->syms) < 0) {
        if (c) math_tree_free(&c->g);
        free(c);
        return rlpt_errf(err, RLPT_ENOMEM, "math checker: out of memory (about 400 KiB)");
    }
    *out = c;
    return 0;
}

void reward_math_checker_free(reward_math_checker *c) {
    if (!c) return;
    math_tree_free(&c->g);
    math_tree_free(&c->p);
    free(c);
}

void reward_math_opts_default(reward_math_opts *o) {
    memset(o, 0, sizeof *o);
    reward_extract_opts_default(&o->gold_extract);
    o->gold_extract.last_number = 0;
    reward_extract_opts_default(&o->pred_extract);
    o->rel_tol = 1e-9;
    o->decimal_places = -1;
    o->ordered_lists = 0;
    o->strict_symbols = 1;
    o->set_relation = 0;
}

/* ---- structure comparison ---------------------------------------------------------------- */

typedef struct item {
    int x, pm;
} item;

static int is_scalar(const math_tree *t, int x) {
    return t->nodes[x].kind < MK_LIST;
}

static int unwrap(const math_tree *t, int x) {
    while ((t->nodes[x].kind == MK_LIST || t->nodes[x].kind == MK_UNION) && t->nodes[x].n == 1)
        x = t->kids[t->nodes[x].a];
    return x;
}

static int scalar_equiv(math_tree *gt, item g, math_tree *pt, item p, const math_cmp_opts *o,
                        math_eval_budget *bud) {
    int sg, sp;
    int ig = math_is_infinity(gt, g.x, &sg), ip = math_is_infinity(pt, p.x, &sp);
    if (ig || ip) return ig && ip && sg == sp;
    return math_scalar_equiv(gt, g.x, g.pm, pt, p.x, p.pm, o, bud);
}

static int item_equiv(math_tree *gt, item g, math_tree *pt, item p, const math_cmp_opts *o,
                      math_eval_budget *bud) {
    if (is_scalar(gt, g.x) && is_scalar(pt, p.x)) return scalar_equiv(gt, g, pt, p, o, bud);
    return math_nodes_equiv(gt, g.x, pt, p.x, o, bud);
}

/* The items of a list/set (a scalar with ± gives two). Returns the count, at most max. */
static int items_of(const math_tree *t, int x, item *out, int max) {
    const mnode *m = &t->nodes[x];
    int n = 0;
    if (m->kind == MK_LIST || m->kind == MK_SET || m->kind == MK_UNION) {
        for (int i = 0; i < m->n && n < max; i++) {
            int k = t->kids[m->a + i];
            if (is_scalar(t, k) && (t->nodes[k].flags & MF_HASPM)) {
                out[n++] = (item){k, 1};
                if (n < max) out[n++] = (item){k, -1};
            } else {
                out[n++] = (item){k, 0};
            }
        }
        return n;
    }
    if (is_scalar(t, x) && (m->flags & MF_HASPM)) {
        out[n++] = (item){x, 1};
        out[n++] = (item){x, -1};
        return n;
    }
    out[n++] = (item){x, 0};
    return n;
}

static int sets_equal(math_tree *gt, const item *gi, int gn, math_tree *pt, const item *pi, int pn,
                      const math_cmp_opts *o, math_eval_budget *bud) {
    if (gn == 0 || pn == 0) return gn == pn;
    for (int i = 0; i < gn; i++) {
        int hit = 0;
        for (int j = 0; j < pn && !hit; j++) hit = item_equiv(gt, gi[i], pt, pi[j], o, bud);
        if (!hit) return 0;
    }
    for (int j = 0; j < pn; j++) {
        int hit = 0;
        for (int i = 0; i < gn && !hit; i++) hit = item_equiv(gt, gi[i], pt, pi[j], o, bud);
        if (!hit) return 0;
    }
    return 1;
}

static int ordered_equal(math_tree *gt, int g, math_tree *pt, int p, const math_cmp_opts *o,
                         math_eval_budget *bud) {
    const mnode *G = &gt->nodes[g], *P = &pt->nodes[p];
    if (G->n != P->n) return 0;
    for (int i = 0; i < G->n; i++) {
        item a = {gt->kids[G->a + i], 0}, b = {pt->kids[P->a + i], 0};
        if (!item_equiv(gt, a, pt, b, o, bud)) return 0;
    }
    return 1;
}

static int flip(int op) {
    return op == MR_GT ? MR_LT : op == MR_GE ? MR_LE : op;
}

static int rel_equiv(math_tree *gt, int g, math_tree *pt, int p, const math_cmp_opts *o,
                     math_eval_budget *bud) {
    const mnode *G = &gt->nodes[g], *P = &pt->nodes[p];
    if (G->n != P->n) return 0;
    int n = G->n;
    /* direction: a chain of > / >= is read right to left */
    int grev = gt->ops[G->a + 1] == MR_GT || gt->ops[G->a + 1] == MR_GE;
    int prev = pt->ops[P->a + 1] == MR_GT || pt->ops[P->a + 1] == MR_GE;
    int gpart[16], ppart[16], gop[16], pop[16];
    for (int i = 0; i < n; i++) {
        gpart[i] = gt->kids[G->a + (grev ? n - 1 - i : i)];
        ppart[i] = pt->kids[P->a + (prev ? n - 1 - i : i)];
        if (i > 0) {
            gop[i] = flip(gt->ops[G->a + (grev ? n - i : i)]);
            pop[i] = flip(pt->ops[P->a + (prev ? n - i : i)]);
            if (gop[i] != pop[i]) return 0;
        }
    }
    if (n == 2 && is_scalar(gt, gpart[0]) && is_scalar(gt, gpart[1]) && is_scalar(pt, ppart[0]) &&
        is_scalar(pt, ppart[1])) {
        int op = gop[1];
        if (op == MR_EQ || op == MR_NE || op == MR_LT || op == MR_LE)
            return math_diff_proportional(gt, gpart[1], gpart[0], pt, ppart[1], ppart[0],
                                          op == MR_LT || op == MR_LE, o, bud);
    }
    for (int i = 0; i < n; i++)
        if (!math_nodes_equiv(gt, gpart[i], pt, ppart[i], o, bud)) return 0;
    return 1;
}

/* "a < x <= b" (x not constant, a and b constant) or "x < b" as an interval; 0 if not one. */
static int rel_interval(const math_tree *t, int r, int *lo, int *hi, int *open_lo, int *open_hi) {
    const mnode *R = &t->nodes[r];
    if (R->kind != MK_REL || R->n < 2 || R->n > 3) return 0;
    int rev = t->ops[R->a + 1] == MR_GT || t->ops[R->a + 1] == MR_GE;
    int part[3], op[3];
    for (int i = 0; i < R->n; i++) {
        part[i] = t->kids[R->a + (rev ? R->n - 1 - i : i)];
        if (i > 0) {
            op[i] = flip(t->ops[R->a + (rev ? R->n - i : i)]);
            if (op[i] != MR_LT && op[i] != MR_LE) return 0;
        }
    }
    if (R->n == 3) {
        if (!(t->nodes[part[1]].flags & MF_HASSYM) || (t->nodes[part[0]].flags & MF_HASSYM) ||
            (t->nodes[part[2]].flags & MF_HASSYM))
            return 0;
        *lo = part[0], *hi = part[2], *open_lo = op[1] == MR_LT, *open_hi = op[2] == MR_LT;
        return 1;
    }
    return 0;
}

static int interval_vs_rel(math_tree *it, int iv, math_tree *rt, int rel, int iv_is_gold,
                           const math_cmp_opts *o, math_eval_budget *bud) {
    int lo, hi, olo, ohi;
    const mnode *I = &it->nodes[iv];
    if (I->kind != MK_BRACKET || I->n != 2 || !rel_interval(rt, rel, &lo, &hi, &olo, &ohi))
        return 0;
    if ((I->open == '(') != olo || (I->close == ')') != ohi) return 0;
    item a = {it->kids[I->a], 0}, b = {it->kids[I->a + 1], 0};
    item c = {lo, 0}, d = {hi, 0};
    if (iv_is_gold) return item_equiv(it, a, rt, c, o, bud) && item_equiv(it, b, rt, d, o, bud);
    return item_equiv(rt, c, it, a, o, bud) && item_equiv(rt, d, it, b, o, bud);
}

/* A sum, difference or product of matrices (or a scalar times one) as one MATRIX node whose
 * cells are the expressions of the result: [A + B]_ij = A_ij + B_ij, [AB]_ij = sum_k A_ik B_kj.
 * -1 when x is not such an expression or the shapes do not fit. */
static int mat_reduce(math_tree *t, int x, int depth) {
    const mnode *m = &t->nodes[x];
    if (m->kind == MK_MATRIX) return x;
    if (!(m->flags & MF_HASMAT) || depth > 16 || m->kind >= MK_LIST) return -1;
    int32_t cells[256];
    int rows, cols;
    if (m->kind == MK_NEG) {
        int a = mat_reduce(t, m->a, depth + 1);
        if (a < 0) return -1;
        rows = t->nodes[a].n / t->nodes[a].b, cols = t->nodes[a].b;
        for (int i = 0; i < rows * cols; i++) {
            int c = math_new_node(t, MK_NEG);
            if (c < 0) return -1;
            t->nodes[c].a = t->kids[t->nodes[a].a + i];
            t->nodes[c].flags = t->nodes[t->nodes[c].a].flags;
            cells[i] = c;
        }
    } else if (m->kind == MK_ADD || m->kind == MK_SUB || m->kind == MK_MUL) {
        int kind = m->kind, ma = m->a, mb = m->b;
        int a = (t->nodes[ma].flags & MF_HASMAT) ? mat_reduce(t, ma, depth + 1) : -2;
        int b = (t->nodes[mb].flags & MF_HASMAT) ? mat_reduce(t, mb, depth + 1) : -2;
        if (a == -1 || b == -1 || (a == -2 && b == -2)) return -1;
        int ar = a >= 0 ? t->nodes[a].n / t->nodes[a].b : 0, ac = a >= 0 ? t->nodes[a].b : 0;
        int br = b >= 0 ? t->nodes[b].n / t->nodes[b].b : 0, bc = b >= 0 ? t->nodes[b].b : 0;
        if (a >= 0 && b >= 0 && kind == MK_MUL) {
            if (ac != br || ar * bc > 256) return -1;
            rows = ar, cols = bc;
        } else if (a >= 0 && b >= 0) {
            if (ar != br || ac != bc) return -1;
            rows = ar, cols = ac;
        } else {
            if (kind != MK_MUL) return -1; /* matrix + scalar: not defined */
            rows = a >= 0 ? ar : br, cols = a >= 0 ? ac : bc;
        }
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) {
                int cell = -1;
                if (a >= 0 && b >= 0 && kind == MK_MUL) {
                    for (int k = 0; k < ac; k++) {
                        int prod = math_new_node(t, MK_MUL);
                        if (prod < 0) return -1;
                        t->nodes[prod].a = t->kids[t->nodes[a].a + i * ac + k];
                        t->nodes[prod].b = t->kids[t->nodes[b].a + k * bc + j];
                        t->nodes[prod].flags =
                            t->nodes[t->nodes[prod].a].flags | t->nodes[t->nodes[prod].b].flags;
                        if (cell < 0) {
                            cell = prod;
                        } else {
                            int sum = math_new_node(t, MK_ADD);
                            if (sum < 0) return -1;
                            t->nodes[sum].a = cell, t->nodes[sum].b = prod;
                            t->nodes[sum].flags = t->nodes[cell].flags | t->nodes[prod].flags;
                            cell = sum;
                        }
                    }
                } else {
                    cell = math_new_node(t, kind);
                    if (cell < 0) return -1;
                    t->nodes[cell].a = a >= 0 ? t->kids[t->nodes[a].a + i * cols + j] : ma;
                    t->nodes[cell].b = b >= 0 ? t->kids[t->nodes[b].a + i * cols + j] : mb;
                    t->nodes[cell].flags =
                        t->nodes[t->nodes[cell].a].flags | t->nodes[t->nodes[cell].b].flags;
                }
                cells[i * cols + j] = cell;
            }
    } else {
        return -1;
    }
    int r = math_new_coll(t, MK_MATRIX, cells, rows * cols);
    if (r < 0) return -1;
    t->nodes[r].b = cols;
    t->nodes[r].flags |= MF_HASMAT;
    return r;
}

int math_nodes_equiv(math_tree *gt, int g, math_tree *pt, int p, const math_cmp_opts *o,
                     math_eval_budget *bud) {
    if (bud->steps < 0) return 0;
    g = unwrap(gt, g);
    p = unwrap(pt, p);
    if ((gt->nodes[g].flags & MF_HASMAT) && gt->nodes[g].kind < MK_LIST) {
        int r = mat_reduce(gt, g, 0);
        if (r >= 0) g = r;
    }
    if ((pt->nodes[p].flags & MF_HASMAT) && pt->nodes[p].kind < MK_LIST) {
        int r = mat_reduce(pt, p, 0);
        if (r >= 0) p = r;
    }
    const mnode *G = &gt->nodes[g], *P = &pt->nodes[p];
    int gk = G->kind, pk = P->kind;
    item gi[256], pi[256];
    if (is_scalar(gt, g) && is_scalar(pt, p)) {
        int gpm = (G->flags & MF_HASPM) != 0, ppm = (P->flags & MF_HASPM) != 0;
        if (!gpm && !ppm) return scalar_equiv(gt, (item){g, 0}, pt, (item){p, 0}, o, bud);
        if (gpm != ppm) return 0;
    }
    if (gk == MK_TEXT || pk == MK_TEXT)
        return gk == pk && G->n == P->n && memcmp(gt->text + G->val, pt->text + P->val, G->n) == 0;
    if (gk == MK_REL && pk == MK_REL) return rel_equiv(gt, g, pt, p, o, bud);
    if (gk == MK_REL && pk == MK_BRACKET) return interval_vs_rel(pt, p, gt, g, 0, o, bud);
    if (gk == MK_BRACKET && pk == MK_REL)
        return o->set_relation && interval_vs_rel(gt, g, pt, p, 1, o, bud);
    if (gk == MK_REL || pk == MK_REL) return 0;
    if (gk == MK_BRACKET && pk == MK_BRACKET)
        return G->open == P->open && G->close == P->close && ordered_equal(gt, g, pt, p, o, bud);
    if ((gk == MK_BRACKET && pk == MK_LIST) || (gk == MK_LIST && pk == MK_BRACKET))
        return ordered_equal(gt, g, pt, p, o, bud);
    if (gk == MK_MATRIX || pk == MK_MATRIX)
        return gk == pk && G->b == P->b && ordered_equal(gt, g, pt, p, o, bud);
    if (gk == MK_RATIO || pk == MK_RATIO) return gk == pk && ordered_equal(gt, g, pt, p, o, bud);
    if ((gk == MK_UNION) != (pk == MK_UNION)) return 0;
    if (gk == MK_BRACKET || pk == MK_BRACKET) return 0;
    if (o->ordered_lists && gk == MK_LIST && pk == MK_LIST)
        return ordered_equal(gt, g, pt, p, o, bud);
    int gn = items_of(gt, g, gi, 256), pn = items_of(pt, p, pi, 256);
    return sets_equal(gt, gi, gn, pt, pi, pn, o, bud);
}

/* ---- "x = 3" stands for 3 ----------------------------------------------------------------- */

static int is_name(const math_tree *t, int x, int depth) {
    if (x < 0 || depth > 20) return 0;
    const mnode *m = &t->nodes[x];
    switch (m->kind) {
    case MK_SYM:
        return 1;
    case MK_MUL:
    case MK_DIV:
        return is_name(t, m->a, depth + 1) && is_name(t, m->b, depth + 1);
    case MK_FUNC:
        return is_name(t, m->a, depth + 1);
    case MK_BRACKET:
    case MK_RATIO:
    case MK_LIST:
        for (int i = 0; i < m->n; i++)
            if (!is_name(t, t->kids[m->a + i], depth + 1)) return 0;
        return 1;
    default:
        return 0;
    }
}

static int reduce(math_tree *t, int x, int depth) {
    mnode *m = &t->nodes[x];
    if (depth > 4) return x;
    if (m->kind == MK_LIST || m->kind == MK_SET || m->kind == MK_BRACKET) {
        int32_t items[128];
        int n = m->n < 128 ? m->n : 128, changed = 0;
        for (int i = 0; i < n; i++) {
            items[i] = reduce(t, t->kids[m->a + i], depth + 1);
            changed |= items[i] != t->kids[m->a + i];
        }
        if (!changed) return x;
        int y = math_new_coll(t, m->kind, items, n);
        if (y < 0) return x;
        t->nodes[y].open = t->nodes[x].open;
        t->nodes[y].close = t->nodes[x].close;
        return y;
    }
    if (m->kind != MK_REL) return x;
    int n = m->n, a = m->a;
    for (int i = 1; i < n; i++)
        if (t->ops[a + i] == MR_APPROX) {
            if (i == 1) return is_name(t, t->kids[a], 0) ? t->kids[a + 1] : t->kids[a];
            n = i; /* keep what comes before \approx */
            break;
        }
    for (int i = 1; i < n; i++)
        if (t->ops[a + i] != MR_EQ && !(t->ops[a + i] == MR_IN && i == n - 1)) return x;
    if (n >= 3 || is_name(t, t->kids[a], 0)) return t->kids[a + n - 1];
    if (n == 2 && t->ops[a + 1] == MR_IN) return x;
    return x;
}

/* ---- public entry points ----------------------------------------------------------------- */

static void copy_show(char *dst, size_t cap, const char *s) {
    size_t n = strlen(s);
    if (n >= cap) n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = 0;
}

int reward_math_equiv(reward_math_checker *c, const char *gold, size_t glen, const char *pred,
                      size_t plen, const reward_math_opts *o, reward_math_result *res) {
    res->equal = 0;
    res->why = NULL;
    res->steps = 0;
    res->nodes = 0;
    if (glen > MATH_MAX_ANSWER || plen > MATH_MAX_ANSWER) {
        res->why = "answer longer than 8192 bytes";
        return 0;
    }
    /* the trees' buffers are free until parsing: canonical texts in text, scratch in norm */
    char *cg = c->g.text, *cp = c->p.text;
    size_t ng = math_canon(cg, gold, glen, c->g.norm), np = math_canon(cp, pred, plen, c->p.norm);
    int same = ng > 0 && ng == np && memcmp(cg, cp, ng) == 0;
    if (same) {
        res->equal = 1;
        res->why = "same text after normalisation";
        return 1;
    }
    c->syms.n = 0;
    math_parse(&c->g, gold, glen);
    math_parse(&c->p, pred, plen);
    res->nodes = c->g.n_nodes + c->p.n_nodes;
    if (c->g.root < 0) {
        res->why = c->g.why ? c->g.why : "reference does not parse";
        return 0;
    }
    if (c->p.root < 0) {
        res->why = c->p.why ? c->p.why : "answer does not parse";
        return 0;
    }
    math_cmp_opts co = {o->rel_tol, o->decimal_places, o->ordered_lists, o->strict_symbols,
                        o->set_relation};
    math_eval_budget bud = {MATH_MAX_STEPS};
    int gf[2] = {c->g.root, reduce(&c->g, c->g.root, 0)};
    int pf[2] = {c->p.root, reduce(&c->p, c->p.root, 0)};
    for (int i = 0; i < 2 && !res->equal; i++)
        for (int j = 0; j < 2 && !res->equal; j++) {
            if ((i && gf[1] == gf[0]) || (j && pf[1] == pf[0])) continue;
            if (math_nodes_equiv(&c->g, gf[i], &c->p, pf[j], &co, &bud)) res->equal = 1;
        }
    if (bud.steps < 0)
        res->why = "evaluation budget exhausted";
    else
        res->why = res->equal ? "equivalent" : "not equivalent";
    res->steps = MATH_MAX_STEPS - (bud.steps < 0 ? 0 : bud.steps);
    res->nodes = c->g.n_nodes + c->p.n_nodes;
    return res->equal;
}

int reward_math_verify(reward_math_checker *c, const char *gold, size_t glen, const char *pred,
                       size_t plen, const reward_math_opts *o, reward_math_result *res) {
    char *ga = NULL, *pa = NULL;
    memset(res, 0, sizeof *res);
    res->gold_how = reward_extract(gold, glen, &o->gold_extract, &ga);
    res->pred_how = reward_extract(pred, plen, &o->pred_extract, &pa);
    if (ga) copy_show(res->gold, sizeof res->gold, ga);
    if (pa) copy_show(res->pred, sizeof res->pred, pa);
    if (res->gold_how <= 0 || res->pred_how <= 0) {
        res->why = res->gold_how < 0 || res->pred_how < 0 ? "out of memory"
                   : res->gold_how == 0                   ? "no answer found in the reference"
                                                          : "no answer found in the completion";
    } else {
        reward_math_equiv(c, ga, strlen(ga), pa, strlen(pa), o, res);
    }
    free(ga);
    free(pa);
    return res->equal;
}
