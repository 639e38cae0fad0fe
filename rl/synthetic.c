/* rl/synthetic.c: the built-in reasoning task of the default experiment: multi-digit addition
 * (or multiplication) with a worked trace, so that a tiny model trained here shows GRPO
 * working in minutes. A problem "47+85" has the target
 *   <think>7+5+0=12 4+8+1=13</think><answer>132</answer>
 * (each column: digit + digit + carry = two-digit sum, least significant first). Operands are
 * zero-padded to `digits` digits. Multiplication writes one partial product per digit of the
 * second operand, then their sum. Held-out problems are those whose operand hash is 0 mod 10,
 * so training never sees them, whatever the seed or sizes. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "rl.h"
#include "rlpt_rand.h"

static int held_out(uint64_t a, uint64_t b) {
    return rlpt_mix64(a * 0x100000001B3ull ^ rlpt_mix64(b)) % 10 == 0;
}

static uint64_t pow10u(int d) {
    uint64_t p = 1;
    while (d-- > 0) p *= 10;
    return p;
}

/* Appends to buf at *len (cap is generous: every text here is < 512 bytes). */
static void put(char *buf, size_t *len, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void put(char *buf, size_t *len, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0) *len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
}

static void addition(uint64_t a, uint64_t b, int digits, char *q, char *target, char *answer) {
    snprintf(q, 64, "%0*llu+%0*llu", digits, (unsigned long long)a, digits, (unsigned long long)b);
    size_t len = 0;
    put(target, &len, 512, "<think>");
    uint64_t x = a, y = b, carry = 0;
    for (int i = 0; i < digits; i++) {
        uint64_t s = x % 10 + y % 10 + carry;
        put(target, &len, 512, "%s%llu+%llu+%llu=%02llu", i ? " " : "",
            (unsigned long long)(x % 10), (unsigned long long)(y % 10), (unsigned long long)carry,
            (unsigned long long)s);
        carry = s / 10;
        x /= 10;
        y /= 10;
    }
    put(target, &len, 512, "</think><answer>%0*llu</answer>", digits + 1,
        (unsigned long long)(a + b));
    snprintf(answer, 32, "%llu", (unsigned long long)(a + b));
}

static void multiplication(uint64_t a, uint64_t b, int digits, char *q, char *target,
                           char *answer) {
    snprintf(q, 64, "%0*llu*%0*llu", digits, (unsigned long long)a, digits, (unsigned long long)b);
    size_t len = 0;
    put(target, &len, 512, "<think>");
    uint64_t y = b, scale = 1;
    for (int i = 0; i < digits; i++) {
        put(target, &len, 512, "%s%llu*%llu=%llu", i ? " " : "", (unsigned long long)a,
            (unsigned long long)(y % 10 * scale), (unsigned long long)(a * (y % 10) * scale));
        y /= 10;
        scale *= 10;
    }
    put(target, &len, 512, "</think><answer>%llu</answer>", (unsigned long long)(a * b));
    snprintf(answer, 32, "%llu", (unsigned long long)(a * b));
}

static int add_example(rl_dataset *ds, int task, uint64_t a, uint64_t b, int digits) {
    char q[64], target[512], answer[32], fields[64];
    if (task == RL_TASK_MULTIPLICATION)
        multiplication(a, b, digits, q, target, answer);
    else
        addition(a, b, digits, q, target, answer);
    snprintf(fields, sizeof fields, "{\"answer\":\"%s\"}", answer);
    rl_example *e = &ds->v[ds->n];
    memset(e, 0, sizeof *e);
    if (!(e->prompt = strdup(q)) || !(e->answer = strdup(answer)) ||
        !(e->fields_json = strdup(fields)) || !(e->target = strdup(target)))
        return RLPT_ENOMEM;
    ds->n++;
    return 0;
}

int rl_dataset_synthetic(rl_dataset *ds, int task, int digits, int n, int split, uint64_t seed,
                         rlpt_err *err) {
    memset(ds, 0, sizeof *ds);
    if (digits < 1 || digits > 9 || n < 1)
        return rlpt_errf(err, RLPT_EINVAL,
                         "synthetic task: %d digits, %d problems (1 to 9 digits, n >= 1)", digits,
                         n);
    uint64_t space = pow10u(digits);
    /* With few digits the held-out pool is small: count it exactly and refuse an impossible n. */
    if (split == 1 && space <= 1000) {
        long pool = 0;
        for (uint64_t a = 0; a < space; a++)
            for (uint64_t b = 0; b < space; b++) pool += held_out(a, b);
        if (n > pool)
            return rlpt_errf(err, RLPT_EINVAL,
                             "synthetic task: %d held-out problems asked, but %d-digit operands "
                             "give only %ld; lower data.synthetic.eval_size or raise digits",
                             n, digits, pool);
    }
    if (!(ds->v = calloc((size_t)n, sizeof *ds->v)))
        return rlpt_errf(err, RLPT_ENOMEM, "synthetic task: out of memory for %d problems", n);
    /* Held-out problems are distinct (an open-addressing set of a*space+b); training ones are
     * drawn with replacement from the rest. */
    size_t cap = 1;
    while (cap < (size_t)n * 2) cap <<= 1;
    uint64_t *seen = split == 1 ? calloc(cap, sizeof *seen) : NULL;
    if (split == 1 && !seen) {
        rl_dataset_free(ds);
        return rlpt_errf(err, RLPT_ENOMEM, "synthetic task: out of memory");
    }
    uint64_t stream = rlpt_mix64(seed ^ (split ? 0xE7A1ull : 0x7A17ull));
    for (uint64_t k = 0; ds->n < n; k++) {
        uint64_t r = rlpt_mix64(stream + k);
        uint64_t a = (r >> 1) % space, b = rlpt_mix64(r) % space;
        if (held_out(a, b) != (split == 1)) continue;
        if (seen) {
            uint64_t key = a * space + b + 1;
            size_t h = (size_t)rlpt_mix64(key) & (cap - 1);
            while (seen[h] && seen[h] != key) h = (h + 1) & (cap - 1);
            if (seen[h]) continue;
            seen[h] = key;
        }
        if (add_example(ds, task, a, b, digits)) {
            free(seen);
            rl_dataset_free(ds);
            return rlpt_errf(err, RLPT_ENOMEM, "synthetic task: out of memory");
        }
    }
    free(seen);
    return 0;
}
