/* rl/cmd_reward.c: `rlpt reward`. Not built yet: the reward functions, issues #6 and #7.
 * It answers --help and otherwise says "not built yet" with exit 2, never pretending. */
#include "cli.h"

static const char usage[] =
    "usage: rlpt reward --fn NAME [--set key=value]...\n"
    "\n"
    "A filter: reads {\"completion\": s, ...fields the function needs} lines on stdin and\n"
    "writes {\"reward\": r, ...details}. Functions: math (takes answer), gsm8k (answer),\n"
    "format, code (HumanEval, MBPP or stdin/stdout test fields).\n";

static int run(int argc, char **argv, rlpt_err *err) {
    (void)argc;
    (void)argv;
    return rl_cli_not_built(err, "reward", "the reward functions, issues #6 and #7");
}

const rl_cmd rl_cmd_reward = {"reward", "score completions with a reward function", usage, run};
