/* rl/cmd_train.c: `rlpt train`. (foundation placeholder, replaced in this issue) */
#include "cli.h"

static const char usage[] = "usage: rlpt train CONFIG.yaml\n";

static int run(int argc, char **argv, rlpt_err *err) {
    (void)argc;
    (void)argv;
    return rl_cli_not_built(err, "train", "issue #3");
}

const rl_cmd rl_cmd_train = {"train", "train", usage, run};
