/* rl/cmd_init_model.c: `rlpt init-model`. Not built yet: the model, issue #4.
 * It answers --help and otherwise says "not built yet" with exit 2, never pretending. */
#include "cli.h"

static const char usage[] =
    "usage: rlpt init-model --arch llama|qwen2 [--hidden N] [--layers N] [--heads N] [--kv-heads "
    "N]\n"
    "                        [--ffn N] [--vocab N] [--seed N] --tokenizer DIR --out DIR\n"
    "\n"
    "Writes a randomly initialised model in the Hugging Face layout (config.json,\n"
    "model.safetensors, the tokenizer files copied from DIR) so tests and the demo need\n"
    "no downloads.\n";

static int run(int argc, char **argv, rlpt_err *err) {
    (void)argc;
    (void)argv;
    return rl_cli_not_built(err, "init-model", "the model, issue #4");
}

const rl_cmd rl_cmd_init_model = {"init-model", "write a random Hugging Face-format model", usage,
                                  run};
