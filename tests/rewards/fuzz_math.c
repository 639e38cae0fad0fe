/* tests/rewards/fuzz_math.c: fuzz target for the answer extractor and the LaTeX parser.
 * Input: "reference\x1fcompletion" (split at the first 0x1f; without one the input is both).
 * Runs extraction with every method on, the canonical text, and the full check, and asserts
 * the documented bounds on work (nodes, steps) and that a result is 0 or 1.
 * Seed corpus: tests/data/rewards/fuzz-corpus/ (peer-case answers and hostile shapes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rewards.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* not CHECK(): release builds define NDEBUG, and the replay runs in every build */
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) abort();                                                                         \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static reward_math_checker *chk;
    if (!chk) {
        rlpt_err err;
        if (reward_math_checker_init(&chk, &err) != 0) abort();
    }
    const char *s = (const char *)data;
    const char *sep = memchr(s, 0x1f, size);
    size_t glen = sep ? (size_t)(sep - s) : size;
    const char *pred = sep ? sep + 1 : s;
    size_t plen = sep ? size - glen - 1 : size;

    reward_extract_opts eo;
    reward_extract_opts_default(&eo);
    char *out = NULL;
    int how = reward_extract(pred, plen, &eo, &out);
    CHECK(how >= -1 && how <= REWARD_EXTRACT_LAST_NUMBER);
    CHECK((how > 0) == (out != NULL));
    CHECK(!out || strlen(out) <= plen + 2 * 32); /* a joined run adds ", " between parts */
    free(out);

    reward_math_opts o;
    reward_math_opts_default(&o);
    reward_math_result res;
    int eq = reward_math_equiv(chk, s, glen, pred, plen, &o, &res);
    CHECK(eq == 0 || eq == 1);
    CHECK(res.nodes <= 2 * 4096 && res.steps <= 200000);
    eq = reward_math_verify(chk, s, glen, pred, plen, &o, &res);
    CHECK(eq == 0 || eq == 1);
    /* reflexive on a parseable answer */
    if (!sep && size > 0 && size < 512) {
        eq = reward_math_equiv(chk, s, size, s, size, &o, &res);
        CHECK(eq == 1 || memchr(s, 0, size) || res.why);
    }
    return 0;
}
