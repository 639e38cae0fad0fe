/* rewards/extract.c: finds the final answer in a completion (or a reference solution).
 * Order: inside the last <answer>...</answer> when there is one; then the latest of the last
 * \boxed{}/\fbox{} (balanced braces), "the answer is ..." and GSM8K's "#### N"; then the last
 * math environment ($...$, $$...$$, \(...\), \[...\]); then the whole text when it reads as
 * math; then the last number (can be switched off). Consecutive boxes or environments joined
 * only by punctuation or "and"/"or" ("\boxed{1}, \boxed{2}", "$21,16$ or $11$") form one list
 * answer; otherwise the last box counts.
 * Every scan is a single forward pass (O(n) time, O(1) extra memory besides the output), so a
 * megabyte of nested braces costs one pass. Reference: Math-Verify's extraction priorities
 * (boxed, "final answer is", last LaTeX environment, last number) and R1-Zero's answer tags. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewards.h"

void reward_extract_opts_default(reward_extract_opts *o) {
    memset(o, 0, sizeof *o);
    o->answer_tag = o->boxed = o->gsm8k = o->answer_is = o->latex_env = o->whole = 1;
    o->last_number = 1;
    o->comma_decimal = 0;
    snprintf(o->tag, sizeof o->tag, "answer");
}

const char *reward_extract_name(int how) {
    static const char *const names[] = {"none",      "answer_tag", "boxed", "gsm8k",
                                        "answer_is", "latex_env",  "whole", "last_number"};
    return how >= 0 && how <= REWARD_EXTRACT_LAST_NUMBER ? names[how] : "error";
}

static int strncasecmp_ascii(const char *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        int x = tolower((unsigned char)a[i]), y = tolower((unsigned char)b[i]);
        if (x != y) return x - y;
    }
    return 0;
}

typedef struct span {
    size_t b, e;       /* content */
    size_t start, end; /* whole construct */
} span;

#define RUN_MAX 32

/* Text between two answers that still joins them into one list. */
static int is_glue(const char *s, size_t b, size_t e) {
    if (e < b || e - b > 64) return 0;
    for (size_t i = b; i < e;) {
        char c = s[i];
        if (isspace((unsigned char)c) || strchr(",;.$+&:", c)) {
            i++;
            continue;
        }
        if (c == '\\' && i + 1 < e && strchr("()[], !;", s[i + 1])) {
            i += 2;
            continue;
        }
        static const char *const words[] = {
            "\\text{and}", "\\text{ and }", "\\text{or}", "\\text{ or }",
            "\\qquad",     "\\quad",        "and",        "or",
            NULL};
        int hit = 0;
        for (int w = 0; words[w] && !hit; w++) {
            size_t l = strlen(words[w]);
            if (i + l <= e && memcmp(s + i, words[w], l) == 0) {
                i += l;
                hit = 1;
            }
        }
        if (!hit) return 0;
    }
    return 1;
}

/* Output: the contents of run[0..n) joined with ", ". */
static char *join(const char *s, const span *run, int n) {
    size_t total = 1;
    for (int i = 0; i < n; i++) total += run[i].e - run[i].b + 2;
    char *out = malloc(total), *o = out;
    if (!out) return NULL;
    for (int i = 0; i < n; i++) {
        size_t b = run[i].b, e = run[i].e;
        while (b < e && isspace((unsigned char)s[b])) b++;
        while (e > b && isspace((unsigned char)s[e - 1])) e--;
        if (i) *o++ = ',', *o++ = ' ';
        for (size_t k = b; k < e; k++) *o++ = s[k] ? s[k] : 0x7f;
    }
    *o = 0;
    return out;
}

/* Keeps the last RUN_MAX spans, dropping those not glued to the next. */
static void push_span(span *run, int *n, span x, const char *s) {
    if (*n > 0 && !is_glue(s, run[*n - 1].end, x.start)) *n = 0;
    if (*n == RUN_MAX) {
        memmove(run, run + 1, sizeof *run * (RUN_MAX - 1));
        (*n)--;
    }
    run[(*n)++] = x;
}

/* Balanced {...} starting at s[i] == '{'; returns the index of the closing brace or e. */
static size_t match_brace(const char *s, size_t i, size_t e) {
    int d = 0;
    for (; i < e; i++) {
        if (s[i] == '\\' && i + 1 < e && (s[i + 1] == '{' || s[i + 1] == '}')) {
            i++;
            continue;
        }
        if (s[i] == '{')
            d++;
        else if (s[i] == '}' && --d == 0)
            return i;
    }
    return e;
}

static int find_boxed(const char *s, size_t b, size_t e, span *run, int *n) {
    *n = 0;
    for (size_t i = b; i < e;) {
        const char *p = memchr(s + i, '\\', e - i);
        if (!p) break;
        i = (size_t)(p - s);
        size_t k = 0;
        if (e - i >= 6 && memcmp(p, "\\boxed", 6) == 0)
            k = 6;
        else if (e - i >= 5 && memcmp(p, "\\fbox", 5) == 0)
            k = 5;
        if (!k || (i + k < e && isalpha((unsigned char)s[i + k]))) {
            i++;
            continue;
        }
        size_t j = i + k;
        while (j < e && s[j] == ' ') j++;
        if (j >= e || s[j] != '{') {
            i = j;
            continue;
        }
        size_t close = match_brace(s, j, e);
        span x = {j + 1, close, i > b && s[i - 1] == '\\' ? i - 1 : i, close < e ? close + 1 : e};
        push_span(run, n, x, s);
        i = x.end;
    }
    return *n;
}

/* Position of the next c1c2 (c2 0: the single char c1, not after a backslash) at or after j;
 * e when none. The cache makes a left-to-right series of searches O(n) in total. */
typedef struct next_cache {
    size_t from, at;
} next_cache;

static size_t next_of(next_cache *nc, const char *s, size_t j, size_t e, char c1, char c2) {
    if (nc->at != (size_t)-1 && j >= nc->from && (nc->at >= j)) return nc->at;
    size_t k = j;
    for (; k < e; k++) {
        if (c2 == 0) {
            if (s[k] == '\\') {
                k++;
                continue;
            }
            if (s[k] == c1) break;
        } else if (s[k] == c1 && k + 1 < e && s[k + 1] == c2) {
            break;
        }
    }
    nc->from = j;
    nc->at = k;
    return k;
}

/* $...$ (one line), $$...$$, \(...\) (one line), \[...\] */
static int find_envs(const char *s, size_t b, size_t e, span *run, int *n) {
    next_cache nl = {0, (size_t)-1}, cparen = {0, (size_t)-1}, cbrack = {0, (size_t)-1};
    next_cache dollar = {0, (size_t)-1}, ddollar = {0, (size_t)-1};
    *n = 0;
    for (size_t i = b; i < e; i++) {
        char c = s[i];
        size_t cb = 0, ce = 0, end = 0;
        if (c == '\\' && i + 1 < e && (s[i + 1] == '(' || s[i + 1] == '[')) {
            int paren = s[i + 1] == '(';
            size_t j = next_of(paren ? &cparen : &cbrack, s, i + 2, e, '\\', paren ? ')' : ']');
            if (j >= e) continue;
            if (paren && next_of(&nl, s, i + 2, e, '\n', 0) < j) continue;
            cb = i + 2, ce = j, end = j + 2;
        } else if (c == '\\' && i + 1 < e) {
            i++; /* \$ and other escapes */
            continue;
        } else if (c == '$') {
            int dbl = i + 1 < e && s[i + 1] == '$';
            size_t j = dbl ? next_of(&ddollar, s, i + 2, e, '$', '$')
                           : next_of(&dollar, s, i + 1, e, '$', 0);
            if (j >= e) continue;
            if (!dbl && next_of(&nl, s, i + 1, e, '\n', 0) < j) continue;
            cb = i + (dbl ? 2 : 1), ce = j, end = j + (dbl ? 2 : 1);
        } else {
            continue;
        }
        span x = {cb, ce, i, end};
        push_span(run, n, x, s);
        i = end - 1;
    }
    return *n;
}

/* Does s[b..e) read as math rather than prose? (no plain word of 4+ letters outside \text) */
static int math_like(const char *s, size_t b, size_t e) {
    if (e - b > 8192) return 0;
    size_t run = 0, words = 0; /* words: consecutive plain words of 2+ letters */
    for (size_t i = b; i < e; i++) {
        char c = s[i];
        if (c == '\'') {
            if (i > b && isalpha((unsigned char)s[i - 1]) && i + 1 < e &&
                isalpha((unsigned char)s[i + 1]))
                return 0; /* "it's" */
        }
        if (isalpha((unsigned char)c) && (i == b || !isalpha((unsigned char)s[i - 1])) &&
            (i == b || s[i - 1] != '\\')) {
            size_t we = i;
            while (we < e && isalpha((unsigned char)s[we])) we++;
            if (we - i >= 2 && (we >= e || s[we] == ' ' || s[we] == '\'')) {
                if (++words >= 2) return 0;
            } else {
                words = 0;
            }
        } else if (!isalpha((unsigned char)c) && c != ' ' && c != '\'') {
            words = 0;
        }
        if (c == '\\') {
            size_t j = i + 1;
            while (j < e && isalpha((unsigned char)s[j])) j++;
            if ((j - i - 1 >= 4 && memcmp(s + i + 1, "text", 4) == 0) ||
                (j - i - 1 == 4 && memcmp(s + i + 1, "mbox", 4) == 0) ||
                (j - i - 1 == 5 && memcmp(s + i + 1, "begin", 5) == 0) ||
                (j - i - 1 == 3 && memcmp(s + i + 1, "end", 3) == 0)) {
                if (j < e && s[j] == '{') j = match_brace(s, j, e);
            }
            i = j - 1 < i ? i : j - 1;
            run = 0;
            continue;
        }
        if (isalpha((unsigned char)c)) {
            if (++run >= 4) {
                size_t w = i + 1 - run, we = i + 1;
                while (we < e && isalpha((unsigned char)s[we])) we++;
                if (!(we - w == 7 && memcmp(s + w, "percent", 7) == 0) &&
                    !(we - w == 10 && memcmp(s + w, "percentage", 10) == 0))
                    return 0;
                i = we - 1;
                run = 0;
            }
        } else {
            run = 0;
        }
        if ((unsigned char)c >= 0x80 && !((unsigned char)c == 0xC2 || (unsigned char)c == 0xB0 ||
                                          (unsigned char)c == 0xB2 || (unsigned char)c == 0xB3))
            return 0;
    }
    return 1;
}

/* A plain number: -1,234.5, 3/4, .5 (with comma_decimal: 2,74 and 1 000 too). */
static size_t number_at(const char *s, size_t i, size_t e) {
    size_t j = i;
    if (j < e && (s[j] == '-' || s[j] == '+')) j++;
    size_t d0 = j;
    while (j < e && (isdigit((unsigned char)s[j]) ||
                     ((s[j] == ',' || s[j] == '.' || s[j] == '/') && j > d0 && j + 1 < e &&
                      isdigit((unsigned char)s[j + 1]))))
        j++;
    return j > d0 ? j : i;
}

static int find_last_number(const char *s, size_t b, size_t e, span *out) {
    int found = 0;
    for (size_t i = b; i < e;) {
        int start_ok = isdigit((unsigned char)s[i]) || ((s[i] == '-' || s[i] == '.') && i + 1 < e &&
                                                        isdigit((unsigned char)s[i + 1]));
        if (start_ok && (i == b || !(isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_' ||
                                     s[i - 1] == '^' || s[i - 1] == '.' || s[i - 1] == '\\'))) {
            size_t j = s[i] == '.' ? i + 1 : i;
            j = number_at(s, j, e);
            if (j > i) {
                *out = (span){i, j, i, j};
                found = 1;
                i = j;
                continue;
            }
        }
        i++;
    }
    return found;
}

/* "the answer is X", "final answer: X". The span runs to the end of the sentence. */
static int find_answer_is(const char *s, size_t b, size_t e, span *out) {
    if (e < b + 6) return 0;
    for (size_t i = e - 6 + 1; i-- > b;) { /* backwards: the last one counts */
        if (strncasecmp_ascii(s + i, "answer", 6) != 0) continue;
        size_t j = i + 6;
        while (j < e && s[j] == ' ') j++;
        if (j < e && s[j] == ':')
            j++;
        else if (j + 2 <= e && strncasecmp_ascii(s + j, "is", 2) == 0 &&
                 !(j + 2 < e && isalpha((unsigned char)s[j + 2]))) {
            j += 2;
            while (j < e && s[j] == ' ') j++;
            if (j < e && s[j] == ':') j++;
        } else {
            continue;
        }
        while (j < e && (s[j] == ' ' || s[j] == '*' || s[j] == '"' ||
                         (s[j] == '\\' && j + 1 < e && s[j + 1] == '"')))
            j++;
        /* end of the sentence: newline outside display math, or ". " outside $ */
        size_t k = j;
        int in_dollar = 0, in_display = 0;
        for (; k < e && k - j < 512; k++) {
            char c = s[k];
            if (c == '\\' && k + 1 < e) {
                if (s[k + 1] == '[') in_display = 1;
                if (s[k + 1] == ']') in_display = 0;
                k++;
                continue;
            }
            if (c == '$') in_dollar = !in_dollar;
            if (c == '\n' && !in_display && !in_dollar) break;
            if (c == '.' && !in_dollar && !in_display &&
                (k + 1 >= e || isspace((unsigned char)s[k + 1])))
                break;
        }
        while (k > j && (isspace((unsigned char)s[k - 1]) || s[k - 1] == '"' || s[k - 1] == '*' ||
                         (s[k - 1] == '\\' && k < e && s[k] == '"')))
            k--;
        if (k > j) {
            *out = (span){j, k, i, k};
            return 1;
        }
    }
    return 0;
}

static char *dup_span(const char *s, size_t b, size_t e) {
    char *o = malloc(e - b + 1);
    if (!o) return NULL;
    memcpy(o, s + b, e - b);
    o[e - b] = 0;
    for (size_t i = 0; i < e - b; i++)
        if (o[i] == 0) o[i] = 0x7f; /* a NUL must not cut the answer short: DEL never parses */
    return o;
}

/* With comma_decimal: "1,22" -> "1.22", "1 000" -> "1000", "1,000.5" -> "1000.5". */
static void canon_plain_number(char *a) {
    size_t n = strlen(a), o = 0, commas = 0, dots = 0, groups_ok = 1, last_sep = 0, first = 1;
    for (size_t i = 0; i < n; i++) {
        if (a[i] == ',' || a[i] == ' ') {
            if (a[i] == ',') commas++;
            if (first && (i == 0 || i > 3 || a[0] == '0')) groups_ok = 0;
            if (!first && i - last_sep != 4) groups_ok = 0;
            first = 0;
            last_sep = i;
        } else if (a[i] == '.') {
            dots++;
        } else if (!isdigit((unsigned char)a[i]) && !(i == 0 && a[i] == '-')) {
            return;
        }
    }
    if (!first) {
        size_t tail = 0;
        for (size_t i = last_sep + 1; i < n && isdigit((unsigned char)a[i]); i++) tail++;
        if (tail != 3) groups_ok = 0;
    }
    int decimal_comma = commas == 1 && dots == 0 && !groups_ok;
    for (size_t i = 0; i < n; i++) {
        if (a[i] == ',' && decimal_comma)
            a[o++] = '.';
        else if (a[i] != ',' && a[i] != ' ')
            a[o++] = a[i];
    }
    a[o] = 0;
}

static int extract_in(const char *s, size_t b, size_t e, const reward_extract_opts *o, char **out) {
    span run[RUN_MAX], ans, hash;
    int nrun = 0, how = 0;
    size_t best_pos = 0;
    char *res = NULL;
    if (o->boxed && find_boxed(s, b, e, run, &nrun)) {
        how = REWARD_EXTRACT_BOXED;
        best_pos = run[nrun - 1].start;
    }
    if (o->answer_is && find_answer_is(s, b, e, &ans) && (!how || ans.start > best_pos)) {
        /* inside the sentence: a box, a leading math environment, the text, a number */
        span r2[RUN_MAX];
        int n2 = 0;
        if (find_boxed(s, ans.b, ans.e, r2, &n2)) {
            res = join(s, r2, n2);
        } else if (find_envs(s, ans.b, ans.e, r2, &n2) && is_glue(s, ans.b, r2[0].start)) {
            /* the envs from the first one on, if they are all glued */
            int first = 0;
            for (int i = 0; i < n2; i++)
                if (is_glue(s, ans.b, r2[i].start)) first = i;
            (void)first;
            res = join(s, r2, n2);
        } else if (math_like(s, ans.b, ans.e)) {
            res = dup_span(s, ans.b, ans.e);
        } else if (find_last_number(s, ans.b, ans.e, &ans)) {
            res = dup_span(s, ans.b, ans.e);
        }
        if (res) {
            how = REWARD_EXTRACT_ANSWER_IS;
            best_pos = ans.start;
        }
    }
    if (o->gsm8k) {
        const char *h = NULL;
        for (size_t i = b; i + 4 <= e; i++)
            if (memcmp(s + i, "####", 4) == 0) h = s + i;
        if (h) {
            size_t j = (size_t)(h - s) + 4, k;
            while (j < e && s[j] == '#') j++;
            while (j < e && s[j] == ' ') j++;
            for (k = j; k < e && s[k] != '\n'; k++) {
            }
            while (k > j && isspace((unsigned char)s[k - 1])) k--;
            hash = (span){j, k, (size_t)(h - s), k};
            if (k > j && (!how || hash.start > best_pos)) {
                free(res);
                res = dup_span(s, j, k);
                how = REWARD_EXTRACT_GSM8K;
            }
        }
    }
    if (how == REWARD_EXTRACT_BOXED) res = join(s, run, nrun);
    if (!how && o->latex_env && find_envs(s, b, e, run, &nrun)) {
        how = REWARD_EXTRACT_LATEX;
        /* a number after the last environment is later, hence the answer (Math-Verify picks
         * the last match by position) */
        if (o->last_number && find_last_number(s, run[nrun - 1].end, e, &ans)) {
            how = REWARD_EXTRACT_LAST_NUMBER;
            res = dup_span(s, ans.b, ans.e);
        } else {
            res = join(s, run, nrun);
        }
    }
    if (!how && o->whole) {
        size_t wb = b, we = e;
        while (wb < we && isspace((unsigned char)s[wb])) wb++;
        while (we > wb && isspace((unsigned char)s[we - 1])) we--;
        int one_word = we > wb && we - wb <= 40;
        for (size_t i = wb; i < we && one_word; i++)
            if (isspace((unsigned char)s[i])) one_word = 0;
        if (we > wb && (one_word || math_like(s, wb, we))) {
            how = REWARD_EXTRACT_WHOLE;
            res = dup_span(s, wb, we);
        }
    }
    if (!how && o->last_number && find_last_number(s, b, e, &ans)) {
        how = REWARD_EXTRACT_LAST_NUMBER;
        res = dup_span(s, ans.b, ans.e);
    }
    if (how && !res) return -1;
    if (res && o->comma_decimal) {
        /* trim $ and spaces around a plain number first */
        size_t n = strlen(res), i0 = 0;
        while (i0 < n && (res[i0] == '$' || res[i0] == ' ')) i0++;
        while (n > i0 && (res[n - 1] == '$' || res[n - 1] == ' ')) n--;
        memmove(res, res + i0, n - i0);
        res[n - i0] = 0;
        canon_plain_number(res);
    }
    *out = res;
    return how;
}

int reward_extract(const char *text, size_t len, const reward_extract_opts *o, char **out) {
    *out = NULL;
    size_t b = 0, e = len;
    if (o->answer_tag && o->tag[0]) {
        char open[48], close[48];
        int lo = snprintf(open, sizeof open, "<%s>", o->tag);
        int lc = snprintf(close, sizeof close, "</%s>", o->tag);
        const char *last = NULL;
        for (size_t i = 0; i + (size_t)lo <= len; i++)
            if (text[i] == '<' && memcmp(text + i, open, (size_t)lo) == 0) last = text + i;
        if (last) {
            b = (size_t)(last - text) + (size_t)lo;
            for (size_t i = b; i + (size_t)lc <= len; i++)
                if (memcmp(text + i, close, (size_t)lc) == 0) {
                    e = i;
                    break;
                }
            /* inside the tags: a box, "the answer is", ...; else the tag's text itself */
            reward_extract_opts inner = *o;
            inner.whole = inner.last_number = 0;
            int how = extract_in(text, b, e, &inner, out);
            if (how != 0) return how;
            while (b < e && isspace((unsigned char)text[b])) b++;
            while (e > b && isspace((unsigned char)text[e - 1])) e--;
            if (e > b && e - b <= 1024) {
                *out = dup_span(text, b, e);
                return *out ? REWARD_EXTRACT_ANSWER_TAG : -1;
            }
            if (!o->last_number) return 0;
            inner = *o;
            inner.boxed = inner.answer_is = inner.gsm8k = inner.latex_env = inner.whole = 0;
            return extract_in(text, b, e, &inner, out);
        }
    }
    return extract_in(text, b, e, o, out);
}
