/* rl/cmd_check_config.c: `rlpt check-config`. (foundation placeholder, replaced in this issue) */
#include "cli.h"

static const char usage[] = "usage: rlpt check-config CONFIG.yaml\n";

static int run(int argc, char **argv, rlpt_err *err) {
    (void)argc;
    (void)argv;
    return rl_cli_not_built(err, "check-config", "issue #3");
}

const rl_cmd rl_cmd_check_config = {"check-config", "check-config", usage, run};
