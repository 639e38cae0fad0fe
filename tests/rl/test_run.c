/* tests/rl/test_run.c: the run directory (rl/run.c): config.yaml written and reloadable,
 * JSONL lines appended, `latest` moved atomically with old checkpoints pruned, a second run of
 * the same name refused, and resuming drops the log lines beyond the checkpoint (a torn last
 * line too), so resumed logs equal uninterrupted ones. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "rl.h"
#include "rlpt_io.h"

static char root[64];

static void make_config(rl_config *cfg) {
    char text[512];
    snprintf(text, sizeof text,
             "run:\n  name: t\n  dir: %s\nmodel:\n  path: m\ndata:\n  train: x\n"
             "rewards:\n  - fn: math\n",
             root);
    rlpt_err err;
    if (rl_config_load_string(cfg, "t.yaml", text, strlen(text), NULL, 0, &err))
        fail_msg("%s", err.msg);
}

static char *slurp(const char *path) {
    char *buf = NULL;
    rlpt_err err;
    if (rlpt_read_file(path, 1 << 20, &buf, NULL, &err)) fail_msg("%s", err.msg);
    return buf;
}

static void test_run_dir(void **state) {
    (void)state;
    strcpy(root, "/tmp/rlpt-test-run-XXXXXX");
    assert_non_null(mkdtemp(root));
    rl_config cfg;
    make_config(&cfg);
    rl_run run;
    rlpt_err err;
    if (rl_run_open(&run, &cfg, 0, 0, &err)) fail_msg("%s", err.msg);
    char path[4400], *text;
    /* the effective config reloads */
    snprintf(path, sizeof path, "%s/t/config.yaml", root);
    rl_config again;
    if (rl_config_load(&again, path, NULL, 0, &err)) fail_msg("%s", err.msg);
    rl_config_free(&again);
    for (long s = 1; s <= 5; s++) {
        char line[64];
        snprintf(line, sizeof line, "{\"step\":%ld,\"reward\":0.5}", s);
        assert_int_equal(rl_run_log(&run, RL_LOG_METRICS, line, &err), 0);
        char cdir[4300];
        rl_run_checkpoint_dir(&run, s, cdir, sizeof cdir);
        assert_int_equal(rlpt_mkdir_p(cdir, &err), 0);
        snprintf(path, sizeof path, "%s/weights", cdir);
        assert_int_equal(rlpt_write_file_atomic(path, "w", 1, &err), 0);
        assert_int_equal(rl_run_set_latest(&run, s, 2, &err), 0);
        assert_int_equal(rl_run_latest_step(run.dir), s);
    }
    struct stat st;
    snprintf(path, sizeof path, "%s/t/checkpoints/step-3", root);
    assert_int_not_equal(stat(path, &st), 0); /* pruned: keep 2 */
    snprintf(path, sizeof path, "%s/t/checkpoints/step-4/weights", root);
    assert_int_equal(stat(path, &st), 0);
    rl_run_close(&run);

    /* the same name again is refused, with the way out */
    assert_int_equal(rl_run_open(&run, &cfg, 0, 0, &err), RLPT_EIO);
    assert_non_null(strstr(err.msg, "already holds a run with checkpoints; continue it with "
                                    "--resume"));

    /* a crash left a torn line; resuming a checkpoint whose next step is 4 keeps steps 1..3 */
    snprintf(path, sizeof path, "%s/t/metrics.jsonl", root);
    FILE *f = fopen(path, "ab");
    fputs("{\"step\":6,\"rew", f);
    fclose(f);
    if (rl_run_open(&run, &cfg, 1, 4, &err)) fail_msg("%s", err.msg);
    assert_int_equal(rl_run_log(&run, RL_LOG_METRICS, "{\"step\":4,\"reward\":0.75}", &err), 0);
    rl_run_close(&run);
    text = slurp(path);
    assert_string_equal(text, "{\"step\":1,\"reward\":0.5}\n{\"step\":2,\"reward\":0.5}\n"
                              "{\"step\":3,\"reward\":0.5}\n{\"step\":4,\"reward\":0.75}\n");
    free(text);
    rl_config_free(&cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_run_dir)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
