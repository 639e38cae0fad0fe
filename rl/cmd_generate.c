/* rl/cmd_generate.c: `rlpt generate`. Not built yet: rollout, issue #8.
 * It answers --help and otherwise says "not built yet" with exit 2, never pretending. */
#include "cli.h"

static const char usage[] =
    "usage: rlpt generate --model DIR [--temperature T] [--top-k K] [--top-p P] [--min-p P]\n"
    "                     [--max-new-tokens N] [--stop S]... [--n N] [--seed S]\n"
    "\n"
    "A filter: reads {\"prompt\": s} or {\"ids\": [...]} lines on stdin and writes\n"
    "{\"ids\": [...], \"text\": s, \"logprobs\": [...]}. Runs under mpirun with identical "
    "output.\n";

static int run(int argc, char **argv, rlpt_err *err) {
    (void)argc;
    (void)argv;
    return rl_cli_not_built(err, "generate", "rollout, issue #8");
}

const rl_cmd rl_cmd_generate = {"generate", "sample completions from a model", usage, run};
