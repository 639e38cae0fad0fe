/* tests/test_util.h: helpers shared by the cmocka tests: tolerance checks that report count,
 * first bad index and largest error (NaN fails), and paths into the source tree.
 * Include after <cmocka.h>'s prerequisites (stdarg.h, stddef.h, stdint.h, setjmp.h). */
#ifndef RLPT_TEST_UTIL_H
#define RLPT_TEST_UTIL_H

#include <math.h>
#include <stdio.h>

/* Path of a file in the source tree: SRC("tests/data/x") */
#define SRC(rel) RLPT_SOURCE_DIR "/" rel

/* |got - want| <= atol + rtol*|want| elementwise; fails the test with a summary otherwise. */
static inline void assert_close_f(const float *got, const float *want, size_t n, float atol,
                                  float rtol, const char *what) {
    size_t bad = 0, first = 0;
    float max_err = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float e = fabsf(got[i] - want[i]);
        if (e > max_err || isnan(e)) max_err = isnan(e) ? NAN : (e > max_err ? e : max_err);
        if (!(e <= atol + rtol * fabsf(want[i])) && bad++ == 0) first = i; /* NaN fails */
    }
    if (bad)
        fail_msg("%s: %zu/%zu off (atol %g rtol %g); first [%zu] got %g want %g; max err %g", what,
                 bad, n, (double)atol, (double)rtol, first, (double)got[first], (double)want[first],
                 (double)max_err);
}

#endif
