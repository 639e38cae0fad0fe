/* rl/cmd_eval.c: `rlpt eval CONFIG.yaml [--set key=value]...`. The config is loaded and agreed
 * on every rank; evaluation itself (pass@k, maj@k) is issue #9 and answers "not built yet". */
#include "cli.h"
#include "config.h"
#include "rl.h"

static const char usage[] =
    "usage: rlpt eval CONFIG.yaml [--set key=value]...\n"
    "\n"
    "Evaluates the config's model on data.eval: pass@1, pass@k (unbiased estimator) and maj@k\n"
    "with eval.samples samples per problem; writes JSONL and prints a table.\n";

static int run(int argc, char **argv, rlpt_err *err) {
    rl_cli_config_args a;
    int rc = rl_cli_parse_config_args(argc, argv, 0, &a, err);
    if (rc) return rc;
    rl_config cfg;
    if ((rc = rl_cli_load_config(&a, &cfg, err))) return rc;
    rl_config_free(&cfg);
    return rl_cli_not_built(err, "eval", "evaluation, issue #9");
}

const rl_cmd rl_cmd_eval = {"eval", "evaluate a model: pass@k, maj@k", usage, run};
