/* rl/cmd_score.c: `rlpt score`. Not built yet: the model, issue #4.
 * It answers --help and otherwise says "not built yet" with exit 2, never pretending. */
#include "cli.h"

static const char usage[] =
    "usage: rlpt score --model DIR\n"
    "\n"
    "A filter: reads {\"ids\": [...]} lines on stdin and writes {\"logprobs\": [...]} with\n"
    "log p(ids[i+1] | ids[0..i]). Takes ids, so the model directory needs no tokenizer.\n";

static int run(int argc, char **argv, rlpt_err *err) {
    (void)argc;
    (void)argv;
    return rl_cli_not_built(err, "score", "the model, issue #4");
}

const rl_cmd rl_cmd_score = {"score", "log-probabilities of token ids under a model", usage, run};
