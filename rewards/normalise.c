/* rewards/normalise.c: the presentation-only rewrites applied to an answer before parsing
 * (\left/\right, \!, \,, \;, $, ~, ^\circ and \degree, \dfrac/\tfrac/\cfrac -> \frac, \%,
 * thousands separators {,} and ,\! -> a marker the number parser joins, "\\frac" escaped
 * backslashes, a trailing period), and the canonical text used for the plain comparison.
 * Left out: anything that changes a value (units, percent, "x =") — the parser decides those.
 * Reference: hendrycks/math `_strip_string`, Math-Verify's LaTeX normalisation config. */
#include <ctype.h>
#include <string.h>

#include "internal.h"

/* Commands deleted outright (presentation only). */
static const char *const drop_cmds[] = {
    "left",   "right", "bigl",  "bigr",   "Bigl",         "Bigr",      "big",    "Big",      "bigg",
    "Bigg",   "biggl", "biggr", "middle", "displaystyle", "textstyle", "limits", "nolimits", "circ",
    "degree", "quad",  "qquad", "hfill",  "small",        "large",     "notag",  "nonumber", NULL};

/* Commands the parser knows (used to undo doubled backslashes such as "\\frac"). */
static const char *const known_cmds[] = {
    "frac",       "dfrac",        "tfrac",  "cfrac",      "sqrt",
    "binom",      "dbinom",       "tbinom", "cdot",       "times",
    "ast",        "div",          "pm",     "mp",         "le",
    "leq",        "leqslant",     "ge",     "geq",        "geqslant",
    "lt",         "gt",           "ne",     "neq",        "approx",
    "in",         "cup",          "infty",  "pi",         "sin",
    "cos",        "tan",          "sec",    "csc",        "cot",
    "arcsin",     "arccos",       "arctan", "sinh",       "cosh",
    "tanh",       "ln",           "log",    "exp",        "text",
    "textbf",     "textit",       "textrm", "textnormal", "textsf",
    "mbox",       "mathrm",       "mathbf", "mathit",     "mathsf",
    "boldsymbol", "operatorname", "boxed",  "fbox",       "overline",
    "bar",        "vec",          "hat",    "widehat",    "overrightarrow",
    "lfloor",     "rfloor",       "lceil",  "rceil",      "begin",
    "end",        "alpha",        "beta",   "gamma",      "delta",
    "epsilon",    "varepsilon",   "zeta",   "eta",        "theta",
    "vartheta",   "iota",         "kappa",  "lambda",     "mu",
    "nu",         "xi",           "rho",    "sigma",      "tau",
    "upsilon",    "phi",          "varphi", "chi",        "psi",
    "omega",      "Gamma",        "Delta",  "Theta",      "Lambda",
    "Xi",         "Pi",           "Sigma",  "Upsilon",    "Phi",
    "Psi",        "Omega",        NULL};

int math_in_list(const char *const *list, const char *s, size_t n) {
    for (int i = 0; list[i]; i++)
        if (strlen(list[i]) == n && memcmp(list[i], s, n) == 0) return 1;
    return 0;
}

size_t math_cmd_len(const char *s, size_t i, size_t len) {
    size_t j = i;
    while (j < len && isalpha((unsigned char)s[j])) j++;
    return j - i;
}

/* Writes the normalised form of s[0..len) to out (room for len+1); never longer than s. */
size_t math_normalise(char *out, const char *s, size_t len) {
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') {
            if (i + 1 < len && s[i + 1] == '\\') {
                size_t k = math_cmd_len(s, i + 2, len);
                if (k && (math_in_list(known_cmds, s + i + 2, k) ||
                          math_in_list(drop_cmds, s + i + 2, k))) {
                    i++; /* "\\frac": an escaped backslash, not a line break */
                    continue;
                }
                out[o++] = '\\', out[o++] = '\\';
                i += 2;
                continue;
            }
            size_t k = math_cmd_len(s, i + 1, len);
            if (k == 0) {
                char d = i + 1 < len ? s[i + 1] : 0;
                if (d == '!' || d == ',' || d == ';' || d == ':' || d == '>') {
                    i += 2;
                } else if (d == ' ') {
                    out[o++] = ' ';
                    i += 2;
                } else if (d == '%') {
                    out[o++] = '%';
                    i += 2;
                } else if (d == '$') {
                    i += 2;
                } else {
                    out[o++] = '\\';
                    i++;
                }
                continue;
            }
            const char *name = s + i + 1;
            if (math_in_list(drop_cmds, name, k)) {
                if ((k == 4 && memcmp(name, "quad", 4) == 0) || k == 5) out[o++] = ' ';
                i += 1 + k;
                continue;
            }
            if (k == 5 && (memcmp(name, "dfrac", 5) == 0 || memcmp(name, "tfrac", 5) == 0 ||
                           memcmp(name, "cfrac", 5) == 0)) {
                memcpy(out + o, "\\frac", 5);
                o += 5;
                i += 6;
                continue;
            }
            memcpy(out + o, s + i, k + 1);
            o += k + 1;
            i += k + 1;
            continue;
        }
        if (c == '$' || c == '\r') {
            i++;
            continue;
        }
        if (c == '~' || c == '\n' || c == '\t' || c == '\f' || c == '\v') {
            out[o++] = ' ';
            i++;
            continue;
        }
        if (c == '^' && i + 1 < len) { /* ^\circ, ^{\circ}: degrees carry no value */
            size_t j = i + 1;
            while (j < len && s[j] == ' ') j++;
            int brace = j < len && s[j] == '{';
            if (brace) j++;
            while (j < len && s[j] == ' ') j++;
            if (j + 5 <= len && memcmp(s + j, "\\circ", 5) == 0 &&
                !(j + 5 < len && isalpha((unsigned char)s[j + 5]))) {
                j += 5;
                while (j < len && s[j] == ' ') j++;
                if (brace && j < len && s[j] == '}') j++;
                i = j;
                continue;
            }
        }
        if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] == 0xB0) { /* ° */
            i += 2;
            continue;
        }
        if (c == 0xC2 && i + 1 < len &&
            ((unsigned char)s[i + 1] == 0xB2 || (unsigned char)s[i + 1] == 0xB3)) { /* ² ³ */
            out[o++] = '^';
            out[o++] = (unsigned char)s[i + 1] == 0xB2 ? '2' : '3';
            i += 2;
            continue;
        }
        /* {,} and ,\! between digits: thousands separators -> \x01 */
        if (c == '{') { /* "14{,}916", "14 {, }916" */
            size_t j = i + 1, oo = o;
            while (j < len && s[j] == ' ') j++;
            if (j < len && s[j] == ',') {
                j++;
                while (j < len && s[j] == ' ') j++;
                while (oo > 0 && out[oo - 1] == ' ') oo--;
                if (j < len && s[j] == '}' && oo > 0 && isdigit((unsigned char)out[oo - 1])) {
                    j++;
                    while (j < len && s[j] == ' ') j++;
                    if (j < len && isdigit((unsigned char)s[j])) {
                        o = oo;
                        out[o++] = '\x01';
                        i = j;
                        continue;
                    }
                }
            }
        }
        if (c == ',' && i + 2 < len && s[i + 1] == '\\' && s[i + 2] == '!' && o > 0 &&
            isdigit((unsigned char)out[o - 1])) {
            size_t j = i + 3;
            while (j < len && s[j] == ' ') j++;
            if (j < len && isdigit((unsigned char)s[j])) {
                out[o++] = '\x01';
                i = j;
                continue;
            }
        }
        out[o++] = (char)c;
        i++;
    }
    /* trim, and drop a trailing sentence period */
    while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '.')) {
        if (out[o - 1] == '.' && o > 1 && isdigit((unsigned char)out[o - 2])) {
            /* "5." is a number followed by a period: drop it too */
        }
        o--;
    }
    size_t b = 0;
    while (b < o && out[b] == ' ') b++;
    memmove(out, out + b, o - b);
    o -= b;
    out[o] = 0;
    return o;
}

size_t math_canon(char *out, const char *s, size_t len, char *tmp) {
    /* normalise, then drop spaces and the \text-like wrappers (keeping their content) */
    size_t n = math_normalise(tmp, s, len), o = 0;
    static const char *const wraps[] = {"\\text{",       "\\textbf{", "\\textit{", "\\textrm{",
                                        "\\textnormal{", "\\mbox{",   "\\mathrm{", "\\mathbf{",
                                        "\\boxed{",      "\\textsf{", "\\mathit{", NULL};
    int pending = 0; /* closing braces of removed wrappers to skip */
    int depth_stack[64], dn = 0, depth = 0;
    for (size_t i = 0; i < n;) {
        int hit = 0;
        for (int w = 0; wraps[w]; w++) {
            size_t wl = strlen(wraps[w]);
            if (i + wl <= n && memcmp(tmp + i, wraps[w], wl) == 0 && dn < 64) {
                depth_stack[dn++] = depth;
                depth++;
                pending++;
                i += wl;
                hit = 1;
                break;
            }
        }
        if (hit) continue;
        char c = tmp[i++];
        if (c == '{') depth++;
        if (c == '}') {
            depth--;
            if (dn > 0 && depth_stack[dn - 1] == depth) {
                dn--;
                pending--;
                continue;
            }
        }
        if (c == ' ') continue;
        out[o++] = c;
    }
    (void)pending;
    /* a lone choice letter in parentheses: (C) -> C */
    if (o == 3 && out[0] == '(' && out[2] == ')' && isalpha((unsigned char)out[1])) {
        out[0] = out[1];
        o = 1;
    }
    out[o] = 0;
    return o;
}

int math_known_cmd(const char *name, size_t n) {
    return math_in_list(known_cmds, name, n);
}
