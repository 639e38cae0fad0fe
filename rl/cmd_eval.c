/* rl/cmd_eval.c: `rlpt eval CONFIG.yaml [--set key=value]...`: the config's evaluation alone
 * (its pipeline replaced by [eval]): pass@1 and pass@k on data.eval (or the synthetic task's
 * held-out set), written to RUN_DIR/eval.jsonl and printed. */
#include "cli.h"
#include "config.h"
#include "rl.h"

static const char usage[] =
    "usage: rlpt eval CONFIG.yaml [--set key=value]...\n"
    "\n"
    "Evaluates the config's model on data.eval (or the synthetic task's held-out problems):\n"
    "eval.samples = n samples per problem at eval.temperature (0 = greedy); pass@1 and, with\n"
    "several samples, pass@k for k = 2, 4, ... and n (unbiased estimator) and, when the first\n"
    "reward is math or gsm8k, maj@n (majority vote over equivalent answers). Writes\n"
    "RUN_DIR/eval.jsonl and prints the figures. Runs under mpirun: problem i is evaluated on\n"
    "rank i % ranks. Loads no optimizer: a model needs its weights and KV cache only.\n";

static int run(int argc, char **argv, rlpt_err *err) {
    rl_cli_config_args a;
    int rc = rl_cli_parse_config_args(argc, argv, 0, &a, err);
    if (rc) return rc;
    if (a.n_sets == RL_CLI_MAX_SETS)
        return rlpt_errf(err, RLPT_EUSAGE, "eval: too many --set options");
    a.sets[a.n_sets++] = "pipeline=[eval]";
    rl_config cfg;
    if ((rc = rl_cli_load_config(&a, &cfg, err))) return rc;
    rc = rl_train(&cfg, NULL, err);
    rl_config_free(&cfg);
    return rc;
}

const rl_cmd rl_cmd_eval = {"eval", "evaluate a model: pass@1, pass@k", usage, run};
