/* rl/cmd_tokenize.c: `rlpt tokenize`. Not built yet: the tokenizer, issue #5.
 * It answers --help and otherwise says "not built yet" with exit 2, never pretending. */
#include "cli.h"

static const char usage[] =
    "usage: rlpt tokenize --tokenizer DIR [--decode | --chat]\n"
    "\n"
    "A filter: reads JSON Lines on stdin, writes one JSON object per input line on stdout.\n"
    "  (default)  {\"text\": s}                                  -> {\"ids\": [...]}\n"
    "  --decode   {\"ids\": [...]}                               -> {\"text\": s}\n"
    "  --chat     {\"messages\": [...], \"add_generation_prompt\": b} -> {\"text\": s}\n";

static int run(int argc, char **argv, rlpt_err *err) {
    (void)argc;
    (void)argv;
    return rl_cli_not_built(err, "tokenize", "the tokenizer, issue #5");
}

const rl_cmd rl_cmd_tokenize = {
    "tokenize", "encode, decode or chat-render text with a model's tokenizer", usage, run};
