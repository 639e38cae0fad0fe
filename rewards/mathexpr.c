/* rewards/mathexpr.c: evaluation of scalar answer expressions and their equivalence test.
 * Values are exact GMP rationals (mpq_t) while every operation stays rational (+ - * /,
 * integer powers, perfect roots, factorials, binomials, |x|, floor/ceil) and below
 * MATH_MAX_BITS bits; otherwise a double (trigonometry, logs, irrational roots, pi).
 *
 * Equivalence of expressions with symbols is tested by evaluation at random points, with the
 * same value for the same symbol on both sides (or, when symbols may be renamed, for the
 * symbols of equal rank in sorted order):
 *   - 3 trials with positive values, then 3 with random signs (a domain difference such as
 *     sqrt(x)^2 vs x only counts on the positive trials); at least 2 trials must be defined.
 *   - Values are n/d with n uniform in [1, 2000], d in [200, 400]: more than 4.8e5 distinct
 *     points in (0, 10].
 * False-positive bound: when both sides are rational functions evaluated exactly, a wrong
 * match needs every trial to hit a root of the numerator of (f - g), a nonzero polynomial of
 * total degree D; by Schwartz-Zippel each trial does so with probability <= D / 4.8e5, so three
 * independent positive trials give <= (D / 4.8e5)^3 (D = 20: < 7e-14). For values computed in
 * double (irrational functions) the test is |a - b| <= rel_tol * max(|a|, |b|) + 1e-12 at
 * every trial, a heuristic bound: two distinct analytic expressions would have to agree to
 * ~9 digits at 3+ random points.
 * Left out: complex numbers (i is a symbol), limits, symbolic simplification. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PI_D 3.14159265358979323846

enum { V_Q, V_D, V_UNDEF };

typedef struct mval {
    int k;
    mpq_t q;
    double d;
} mval;

typedef struct env {
    const math_tree *t;
    mpq_t *sym_q; /* indexed by symbol id */
    double *sym_d;
    int pm;  /* sign of ± nodes */
    int pct; /* 1: a% means a/100; 0: a% means a */
    math_eval_budget *bud;
} env;

static void v_init(mval *v) {
    mpq_init(v->q);
    v->k = V_UNDEF;
    v->d = 0;
}

static double v_d(const mval *v) {
    return v->k == V_Q ? mpq_get_d(v->q) : v->d;
}

static void v_setd(mval *v, double d) {
    v->k = isfinite(d) ? V_D : V_UNDEF;
    v->d = d;
}

static size_t q_bits(const mpq_t q) {
    return mpz_sizeinbase(mpq_numref(q), 2) + mpz_sizeinbase(mpq_denref(q), 2);
}

/* Keeps exact results bounded: past MATH_MAX_BITS the value becomes a double. */
static void v_check(mval *v) {
    if (v->k == V_Q && q_bits(v->q) > MATH_MAX_BITS) v_setd(v, mpq_get_d(v->q));
}

static void eval(env *e, int x, mval *out);

static void eval_pow(mval *b, mval *ex, mval *out) {
    if (b->k == V_UNDEF || ex->k == V_UNDEF) {
        out->k = V_UNDEF;
        return;
    }
    if (b->k == V_Q && ex->k == V_Q) {
        mpz_srcptr en = mpq_numref(ex->q), ed = mpq_denref(ex->q);
        if (mpz_cmp_ui(ed, 16) <= 0 && mpz_cmpabs_ui(en, 100000) <= 0) {
            long p = mpz_get_si(en);
            unsigned long r = mpz_get_ui(ed);
            int neg_base = mpq_sgn(b->q) < 0;
            if (!(neg_base && r % 2 == 0)) {
                mpz_t rn, rd;
                mpz_inits(rn, rd, NULL);
                mpz_abs(rn, mpq_numref(b->q));
                int exact = mpz_root(rn, rn, r) && mpz_root(rd, mpq_denref(b->q), r);
                if (exact) {
                    size_t bits = (mpz_sizeinbase(rn, 2) + mpz_sizeinbase(rd, 2)) * (size_t)labs(p);
                    if (bits <= MATH_MAX_BITS) {
                        if (p < 0 && mpz_sgn(rn) == 0) {
                            out->k = V_UNDEF;
                        } else {
                            unsigned long ap = (unsigned long)labs(p);
                            mpz_pow_ui(rn, rn, ap);
                            mpz_pow_ui(rd, rd, ap);
                            if (neg_base && ap % 2 == 1) mpz_neg(rn, rn);
                            if (p < 0) mpz_swap(rn, rd);
                            if (mpz_sgn(rd) < 0) mpz_neg(rd, rd), mpz_neg(rn, rn);
                            mpz_set(mpq_numref(out->q), rn);
                            mpz_set(mpq_denref(out->q), rd);
                            mpq_canonicalize(out->q);
                            out->k = V_Q;
                        }
                        mpz_clears(rn, rd, NULL);
                        return;
                    }
                }
                mpz_clears(rn, rd, NULL);
            }
            /* odd roots of negative numbers stay real */
            if (neg_base && r % 2 == 1) {
                double v = -pow(-mpq_get_d(b->q), (double)p / (double)r);
                v_setd(out, (p % 2 == 0) ? -v : v);
                return;
            }
        }
    }
    double bd = v_d(b), xd = v_d(ex);
    if (bd < 0 && xd != floor(xd)) {
        out->k = V_UNDEF;
        return;
    }
    v_setd(out, pow(bd, xd));
}

static void eval_func(int fn, mval *a, mval *out) {
    if (a->k == V_UNDEF) {
        out->k = V_UNDEF;
        return;
    }
    if (a->k == V_Q && (fn == MF_ABS || fn == MF_FLOOR || fn == MF_CEIL)) {
        if (fn == MF_ABS) {
            mpq_abs(out->q, a->q);
        } else {
            mpz_t z;
            mpz_init(z);
            if (fn == MF_FLOOR)
                mpz_fdiv_q(z, mpq_numref(a->q), mpq_denref(a->q));
            else
                mpz_cdiv_q(z, mpq_numref(a->q), mpq_denref(a->q));
            mpq_set_z(out->q, z);
            mpz_clear(z);
        }
        out->k = V_Q;
        return;
    }
    double x = v_d(a), r = NAN;
    switch (fn) {
    case MF_SIN:
        r = sin(x);
        break;
    case MF_COS:
        r = cos(x);
        break;
    case MF_TAN:
        r = tan(x);
        break;
    case MF_SEC:
        r = 1.0 / cos(x);
        break;
    case MF_CSC:
        r = 1.0 / sin(x);
        break;
    case MF_COT:
        r = 1.0 / tan(x);
        break;
    case MF_ASIN:
        r = asin(x);
        break;
    case MF_ACOS:
        r = acos(x);
        break;
    case MF_ATAN:
        r = atan(x);
        break;
    case MF_SINH:
        r = sinh(x);
        break;
    case MF_COSH:
        r = cosh(x);
        break;
    case MF_TANH:
        r = tanh(x);
        break;
    case MF_LN:
        r = x > 0 ? log(x) : NAN;
        break;
    case MF_LOG10:
        r = x > 0 ? log10(x) : NAN;
        break;
    case MF_EXP:
        r = exp(x);
        break;
    case MF_ABS:
        r = fabs(x);
        break;
    case MF_FLOOR:
        r = floor(x);
        break;
    case MF_CEIL:
        r = ceil(x);
        break;
    }
    v_setd(out, r);
}

static void eval_arith(int kind, mval *a, mval *b, mval *out) {
    if (a->k == V_UNDEF || b->k == V_UNDEF) {
        out->k = V_UNDEF;
        return;
    }
    if (a->k == V_Q && b->k == V_Q) {
        switch (kind) {
        case MK_ADD:
            mpq_add(out->q, a->q, b->q);
            break;
        case MK_SUB:
            mpq_sub(out->q, a->q, b->q);
            break;
        case MK_MUL:
            mpq_mul(out->q, a->q, b->q);
            break;
        case MK_DIV:
            if (mpq_sgn(b->q) == 0) {
                out->k = V_UNDEF;
                return;
            }
            mpq_div(out->q, a->q, b->q);
            break;
        }
        out->k = V_Q;
        v_check(out);
        return;
    }
    double x = v_d(a), y = v_d(b);
    switch (kind) {
    case MK_ADD:
        v_setd(out, x + y);
        break;
    case MK_SUB:
        v_setd(out, x - y);
        break;
    case MK_MUL:
        v_setd(out, x * y);
        break;
    case MK_DIV:
        if (y == 0)
            out->k = V_UNDEF;
        else
            v_setd(out, x / y);
        break;
    }
}

static void eval(env *e, int x, mval *out) {
    if (--e->bud->steps < 0) {
        out->k = V_UNDEF;
        return;
    }
    const mnode *m = &e->t->nodes[x];
    mval a, b;
    switch (m->kind) {
    case MK_NUM:
        mpq_set(out->q, e->t->nums[m->val]);
        out->k = V_Q;
        return;
    case MK_SYM:
        mpq_set(out->q, e->sym_q[m->val]);
        out->k = V_Q;
        return;
    case MK_PI:
        v_setd(out, PI_D);
        return;
    case MK_ADD:
    case MK_SUB:
    case MK_MUL:
    case MK_DIV:
    case MK_POW:
    case MK_PM:
    case MK_BINOM:
        v_init(&a);
        v_init(&b);
        if (m->a >= 0)
            eval(e, m->a, &a);
        else
            mpq_set_ui(a.q, 0, 1), a.k = V_Q; /* unary ± */
        eval(e, m->b, &b);
        if (m->kind == MK_POW) {
            eval_pow(&a, &b, out);
        } else if (m->kind == MK_PM) {
            eval_arith(e->pm < 0 ? MK_SUB : MK_ADD, &a, &b, out);
        } else if (m->kind == MK_BINOM) {
            if (a.k == V_Q && b.k == V_Q && mpz_cmp_ui(mpq_denref(a.q), 1) == 0 &&
                mpz_cmp_ui(mpq_denref(b.q), 1) == 0 && mpz_sgn(mpq_numref(b.q)) >= 0 &&
                mpz_cmp_ui(mpq_numref(a.q), 20000) <= 0 && mpz_cmp_si(mpq_numref(a.q), 0) >= 0 &&
                mpz_cmp(mpq_numref(b.q), mpq_numref(a.q)) <= 0) {
                mpz_bin_ui(mpq_numref(out->q), mpq_numref(a.q), mpz_get_ui(mpq_numref(b.q)));
                mpz_set_ui(mpq_denref(out->q), 1);
                out->k = V_Q;
                v_check(out);
            } else {
                out->k = V_UNDEF;
            }
        } else {
            eval_arith(m->kind, &a, &b, out);
        }
        mpq_clear(a.q);
        mpq_clear(b.q);
        return;
    case MK_NEG:
    case MK_FUNC:
    case MK_FACT:
    case MK_PERCENT:
    case MK_ROOT:
        v_init(&a);
        eval(e, m->a, &a);
        if (m->kind == MK_NEG) {
            out->k = a.k;
            if (a.k == V_Q)
                mpq_neg(out->q, a.q);
            else
                out->d = -a.d;
        } else if (m->kind == MK_FUNC) {
            eval_func(m->op, &a, out);
        } else if (m->kind == MK_FACT) {
            if (a.k == V_Q && mpz_cmp_ui(mpq_denref(a.q), 1) == 0 && mpq_sgn(a.q) >= 0 &&
                mpz_cmp_ui(mpq_numref(a.q), 2000) <= 0) {
                mpz_fac_ui(mpq_numref(out->q), mpz_get_ui(mpq_numref(a.q)));
                mpz_set_ui(mpq_denref(out->q), 1);
                out->k = V_Q;
            } else {
                out->k = V_UNDEF;
            }
        } else if (m->kind == MK_PERCENT) {
            out->k = a.k;
            if (a.k == V_Q) {
                mpq_set(out->q, a.q);
                if (e->pct) {
                    mpz_mul_ui(mpq_denref(out->q), mpq_denref(out->q), 100);
                    mpq_canonicalize(out->q);
                }
            } else {
                out->d = e->pct ? a.d / 100.0 : a.d;
            }
        } else { /* root: a^(1/index) */
            v_init(&b);
            if (m->b >= 0) {
                mval idx;
                v_init(&idx);
                eval(e, m->b, &idx);
                if (idx.k == V_Q && mpq_sgn(idx.q) != 0) {
                    mpq_inv(b.q, idx.q);
                    b.k = V_Q;
                } else if (idx.k == V_D && idx.d != 0) {
                    v_setd(&b, 1.0 / idx.d);
                }
                mpq_clear(idx.q);
            } else {
                mpq_set_ui(b.q, 1, 2);
                b.k = V_Q;
            }
            if (a.k == V_Q && mpq_sgn(a.q) < 0 && b.k == V_Q && mpz_even_p(mpq_denref(b.q)))
                out->k = V_UNDEF;
            else
                eval_pow(&a, &b, out);
            mpq_clear(b.q);
        }
        mpq_clear(a.q);
        return;
    default:
        out->k = V_UNDEF; /* infinity and structures have no scalar value */
        return;
    }
}

/* ---- comparison ------------------------------------------------------------------------- */

static void q_round(mpz_t r, const mpq_t q, int places) {
    mpq_t s;
    mpq_init(s);
    mpz_ui_pow_ui(mpq_numref(s), 10, (unsigned long)places);
    mpq_mul(s, s, q);
    /* round half away from zero: sign * floor(|s| + 1/2) */
    int neg = mpq_sgn(s) < 0;
    mpq_abs(s, s);
    mpz_mul_ui(mpq_numref(s), mpq_numref(s), 2);
    mpz_add(mpq_numref(s), mpq_numref(s), mpq_denref(s));
    mpz_mul_ui(mpq_denref(s), mpq_denref(s), 2);
    mpz_fdiv_q(r, mpq_numref(s), mpq_denref(s));
    if (neg) mpz_neg(r, r);
    mpq_clear(s);
}

static int vals_equal(mval *a, mval *b, const math_cmp_opts *o, int approx) {
    if (a->k == V_UNDEF || b->k == V_UNDEF) return 0;
    if (a->k == V_Q && b->k == V_Q) {
        if (mpq_equal(a->q, b->q)) return 1;
        if (approx && o->decimal_places >= 0) {
            mpz_t ra, rb;
            mpz_inits(ra, rb, NULL);
            q_round(ra, a->q, o->decimal_places);
            q_round(rb, b->q, o->decimal_places);
            int eq = mpz_cmp(ra, rb) == 0;
            mpz_clears(ra, rb, NULL);
            return eq;
        }
        return 0;
    }
    double x = v_d(a), y = v_d(b);
    if (!isfinite(x) || !isfinite(y)) return 0;
    if (fabs(x - y) <= o->rel_tol * fmax(fabs(x), fabs(y)) + 1e-12) return 1;
    if (approx && o->decimal_places >= 0 && o->decimal_places <= 15) {
        double s = pow(10.0, o->decimal_places);
        return round(x * s) == round(y * s);
    }
    return 0;
}

/* Symbols used under node x, as a bit set. */
static uint64_t syms_used(const math_tree *t, int x, int depth) {
    if (x < 0 || depth > 200) return 0;
    const mnode *m = &t->nodes[x];
    if (!(m->flags & MF_HASSYM)) return 0;
    if (m->kind == MK_SYM) return 1ull << m->val;
    uint64_t s = 0;
    if (m->kind >= MK_LIST) {
        for (int i = 0; i < m->n; i++) s |= syms_used(t, t->kids[m->a + i], depth + 1);
        return s;
    }
    return syms_used(t, m->a, depth + 1) | syms_used(t, m->b, depth + 1);
}

static int has_kind(const math_tree *t, int x, int kind, int depth) {
    if (x < 0 || depth > 200) return 0;
    const mnode *m = &t->nodes[x];
    if (m->kind == kind) return 1;
    if (m->kind >= MK_LIST) return 0;
    return has_kind(t, m->a, kind, depth + 1) || has_kind(t, m->b, kind, depth + 1);
}

/* splitmix64: deterministic trial points, so a verdict never changes between runs */
static uint64_t mix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

typedef struct trial_env {
    mpq_t q[2][MATH_MAX_SYMS];
    double d[2][MATH_MAX_SYMS];
    int rank[2][MATH_MAX_SYMS]; /* symbol id -> value slot, per side */
    int n;                      /* symbols in use (the shared table's size) */
} trial_env;

static void trial_setup(trial_env *te, const math_tree *gt, int g, const math_tree *pt, int p,
                        const math_cmp_opts *o) {
    uint64_t used[2] = {syms_used(gt, g, 0), syms_used(pt, p, 0)};
    const math_syms *sy = gt->syms;
    te->n = sy->n;
    for (int side = 0; side < 2; side++) {
        for (int i = 0; i < te->n; i++) {
            mpq_init(te->q[side][i]);
            te->rank[side][i] = i;
        }
        if (o->strict_symbols) continue;
        /* rank = position of the symbol among this side's symbols sorted by name */
        for (int i = 0; i < sy->n; i++) {
            if (!(used[side] >> i & 1)) continue;
            int r = 0;
            for (int j = 0; j < sy->n; j++)
                if ((used[side] >> j & 1) && strcmp(sy->name[j], sy->name[i]) < 0) r++;
            te->rank[side][i] = r;
        }
    }
}

static void trial_values(trial_env *te, int trial) {
    uint64_t s = 0x5eed0000ull + (uint64_t)trial * 7919;
    mpq_t slot[MATH_MAX_SYMS];
    for (int r = 0; r < te->n; r++) {
        mpq_init(slot[r]);
        long n = 1 + (long)(mix(&s) % 2000), d = 200 + (long)(mix(&s) % 201);
        if (trial >= 3 && (mix(&s) & 1)) n = -n;
        mpq_set_si(slot[r], n, (unsigned long)d);
        mpq_canonicalize(slot[r]);
    }
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < te->n; i++) {
            mpq_set(te->q[side][i], slot[te->rank[side][i]]);
            te->d[side][i] = mpq_get_d(te->q[side][i]);
        }
    for (int r = 0; r < te->n; r++) mpq_clear(slot[r]);
}

static void trial_free(trial_env *te) {
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < te->n; i++) mpq_clear(te->q[side][i]);
}

#define N_TRIALS 6

static int scalar_equiv_pct(const math_tree *gt, int g, int pm_g, int pct_g, const math_tree *pt,
                            int p, int pm_p, int pct_p, const math_cmp_opts *o,
                            math_eval_budget *bud) {
    int approx = ((gt->nodes[g].flags | pt->nodes[p].flags) & MF_APPROX) != 0;
    int symbolic = ((gt->nodes[g].flags | pt->nodes[p].flags) & MF_HASSYM) != 0;
    trial_env te;
    trial_setup(&te, gt, g, pt, p, o);
    env eg = {gt, te.q[0], te.d[0], pm_g, pct_g, bud};
    env ep = {pt, te.q[1], te.d[1], pm_p, pct_p, bud};
    mval a, b;
    v_init(&a);
    v_init(&b);
    int ok = 1, defined = 0;
    for (int trial = 0; trial < (symbolic ? N_TRIALS : 1) && ok; trial++) {
        trial_values(&te, trial);
        eval(&eg, g, &a);
        eval(&ep, p, &b);
        if (bud->steps < 0) {
            ok = 0;
            break;
        }
        int da = a.k != V_UNDEF, db = b.k != V_UNDEF;
        if (!da && !db) continue;
        if (da != db) {
            if (trial < 3) ok = 0;
            continue;
        }
        if (!vals_equal(&a, &b, o, approx && !symbolic))
            ok = 0;
        else
            defined++;
    }
    if (defined < (symbolic ? 2 : 1)) ok = 0;
    mpq_clear(a.q);
    mpq_clear(b.q);
    trial_free(&te);
    return ok;
}

int math_scalar_equiv(const math_tree *gt, int g, int pm_g, const math_tree *pt, int p, int pm_p,
                      const math_cmp_opts *o, math_eval_budget *bud) {
    bud->steps -= 8 + 2 * gt->syms->n; /* set-up cost, so that n x m item pairs stay bounded */
    if (bud->steps < 0) return 0;
    if (scalar_equiv_pct(gt, g, pm_g, 0, pt, p, pm_p, 0, o, bud)) return 1;
    int gp = has_kind(gt, g, MK_PERCENT, 0), pp = has_kind(pt, p, MK_PERCENT, 0);
    if (gp && scalar_equiv_pct(gt, g, pm_g, 1, pt, p, pm_p, 0, o, bud)) return 1;
    if (pp && scalar_equiv_pct(gt, g, pm_g, 0, pt, p, pm_p, 1, o, bud)) return 1;
    return 0;
}

int math_diff_proportional(const math_tree *gt, int gl, int gr, const math_tree *pt, int pl, int pr,
                           int positive_k, const math_cmp_opts *o, math_eval_budget *bud) {
    trial_env te;
    int g2[2] = {gl, gr}, p2[2] = {pl, pr};
    /* symbols of both sides of both relations */
    uint64_t ug = syms_used(gt, gl, 0) | syms_used(gt, gr, 0);
    uint64_t up = syms_used(pt, pl, 0) | syms_used(pt, pr, 0);
    trial_setup(&te, gt, gl, pt, pl, o);
    if (!o->strict_symbols) { /* redo ranks over both sides of each relation */
        const math_syms *sy = gt->syms;
        uint64_t used[2] = {ug, up};
        for (int side = 0; side < 2; side++)
            for (int i = 0; i < sy->n; i++) {
                int r = 0;
                for (int j = 0; j < sy->n; j++)
                    if ((used[side] >> j & 1) && strcmp(sy->name[j], sy->name[i]) < 0) r++;
                te.rank[side][i] = r;
            }
    }
    env eg = {gt, te.q[0], te.d[0], 0, 0, bud};
    env ep = {pt, te.q[1], te.d[1], 0, 0, bud};
    mval v[2][2], fg, fp, k, t;
    for (int i = 0; i < 2; i++) v_init(&v[i][0]), v_init(&v[i][1]);
    v_init(&fg), v_init(&fp), v_init(&k), v_init(&t);
    int ok = 1, have_k = 0, defined = 0;
    for (int trial = 0; trial < N_TRIALS && ok; trial++) {
        trial_values(&te, trial);
        for (int s = 0; s < 2; s++) eval(&eg, g2[s], &v[0][s]), eval(&ep, p2[s], &v[1][s]);
        if (bud->steps < 0) {
            ok = 0;
            break;
        }
        eval_arith(MK_SUB, &v[0][0], &v[0][1], &fg);
        eval_arith(MK_SUB, &v[1][0], &v[1][1], &fp);
        if (fg.k == V_UNDEF || fp.k == V_UNDEF) {
            if ((fg.k == V_UNDEF) != (fp.k == V_UNDEF) && trial < 3) ok = 0;
            continue;
        }
        int fp_zero = fp.k == V_Q ? mpq_sgn(fp.q) == 0 : fabs(fp.d) < 1e-12;
        int fg_zero = fg.k == V_Q ? mpq_sgn(fg.q) == 0 : fabs(fg.d) < 1e-12;
        if (fp_zero || fg_zero) {
            if (fp_zero != fg_zero)
                ok = 0;
            else
                defined++;
            continue;
        }
        if (!have_k) {
            eval_arith(MK_DIV, &fg, &fp, &k);
            have_k = 1;
            double kd = v_d(&k);
            if (positive_k && !(kd > 0)) ok = 0;
            defined++;
            continue;
        }
        eval_arith(MK_MUL, &k, &fp, &t);
        if (!vals_equal(&fg, &t, o, 0))
            ok = 0;
        else
            defined++;
    }
    if (defined < 2) ok = 0;
    for (int i = 0; i < 2; i++) mpq_clear(v[i][0].q), mpq_clear(v[i][1].q);
    mpq_clear(fg.q), mpq_clear(fp.q), mpq_clear(k.q), mpq_clear(t.q);
    trial_free(&te);
    return ok;
}

int math_is_infinity(const math_tree *t, int x, int *sign) {
    int s = 1;
    while (x >= 0 && t->nodes[x].kind == MK_NEG) {
        s = -s;
        x = t->nodes[x].a;
    }
    if (x >= 0 && t->nodes[x].kind == MK_INF) {
        *sign = s;
        return 1;
    }
    return 0;
}
