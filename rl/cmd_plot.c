/* rl/cmd_plot.c: `rlpt plot`. Not built yet: the trainer, issue #9.
 * It answers --help and otherwise says "not built yet" with exit 2, never pretending. */
#include "cli.h"

static const char usage[] =
    "usage: rlpt plot RUN_DIR [--out FILE.png]\n"
    "\n"
    "Draws reward, accuracy, response length, KL and entropy from RUN_DIR/metrics.jsonl.\n";

static int run(int argc, char **argv, rlpt_err *err) {
    (void)argc;
    (void)argv;
    return rl_cli_not_built(err, "plot", "the trainer, issue #9");
}

const rl_cmd rl_cmd_plot = {"plot", "draw a run's curves to a PNG", usage, run};
