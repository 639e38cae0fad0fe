/* rl/cli.h: the `rlpt` command line. One file per subcommand (rl/cmd_<name>.c), each with a
 * run function and a --help text; main.c holds the table and is the only place that prints
 * errors and chooses the exit status (rlpt_exit_status in include/rlpt/err.h). */
#ifndef RL_CLI_H
#define RL_CLI_H

#include <stdio.h>

#include "rlpt/err.h"

/* A subcommand. argv[0] is the subcommand's name; run returns 0 or a negative RLPT_E* code
 * with err filled. A subcommand prints its own results to stdout and nothing to stderr except
 * progress; errors go back through err. */
typedef struct rl_cmd {
    const char *name;
    const char *summary; /* one line for `rlpt --help` */
    const char *usage;   /* the full --help text */
    int (*run)(int argc, char **argv, rlpt_err *err);
} rl_cmd;

extern const rl_cmd rl_cmd_train, rl_cmd_eval, rl_cmd_check_config, rl_cmd_init_model,
    rl_cmd_tokenize, rl_cmd_score, rl_cmd_generate, rl_cmd_reward, rl_cmd_plot;

/* True when argv (after the subcommand name) holds -h or --help before a "--". */
int rl_cli_wants_help(int argc, char **argv);

/* The reply of a subcommand whose module is not built yet: RLPT_ENOTBUILT (exit 2) with the
 * issue that builds it. Never pretends to have done the work. */
int rl_cli_not_built(rlpt_err *err, const char *cmd, const char *what);

#endif

/* ---- commands that take an experiment file (train, eval, check-config) --------------------- */

#define RL_CLI_MAX_SETS 128

typedef struct rl_cli_config_args {
    const char *config;                /* CONFIG.yaml, or NULL */
    const char *sets[RL_CLI_MAX_SETS]; /* "key=value" in command-line order */
    int n_sets;
    const char *resume; /* --resume RUN_DIR (train) */
    int doc, quiet;     /* --doc, --quiet (check-config) */
} rl_cli_config_args;

enum { RL_CLI_ALLOW_RESUME = 1, RL_CLI_ALLOW_DOC = 2 };

/* Parses CONFIG.yaml [--set key=value]... and, per flags, --resume DIR, --doc, --quiet. */
int rl_cli_parse_config_args(int argc, char **argv, unsigned flags, rl_cli_config_args *a,
                             rlpt_err *err);

struct rl_config;
/* Starts MPI, loads and validates the config on EVERY rank, then agrees: when any rank failed,
 * every rank returns that failure (rank 0's err lists each rank's errors) and none continues
 * to a collective the others will not reach. Also sets the BLAS threads from the config. */
int rl_cli_load_config(const rl_cli_config_args *a, struct rl_config *cfg, rlpt_err *err);
