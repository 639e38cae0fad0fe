/* rl/cmd_eval.c: `rlpt eval`. (foundation placeholder, replaced in this issue) */
#include "cli.h"

static const char usage[] = "usage: rlpt eval CONFIG.yaml\n";

static int run(int argc, char **argv, rlpt_err *err) {
    (void)argc;
    (void)argv;
    return rl_cli_not_built(err, "eval", "issue #3");
}

const rl_cmd rl_cmd_eval = {"eval", "eval", usage, run};
