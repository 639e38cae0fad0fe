/* rl/cmd_check_config.c: `rlpt check-config CONFIG.yaml [--set key=value]... [--quiet]` and
 * `rlpt check-config --doc`. Prints the effective config, or every error found. Under mpirun,
 * every rank loads and checks the file it sees, and all agree (a file that differs between
 * nodes fails on every rank). */
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "rl.h"

static const char usage[] =
    "usage: rlpt check-config CONFIG.yaml [--set key=value]... [--quiet]\n"
    "       rlpt check-config --doc\n"
    "\n"
    "Loads CONFIG.yaml (composing its `defaults:` files), applies the --set overrides, checks\n"
    "every option, and prints the effective config (every option, defaults included: what a\n"
    "run records). Errors are listed all at once as FILE:LINE:COL: key 'a.b': what was\n"
    "expected, what was found; the exit status is then 3.\n"
    "\n"
    "  --set key=value  override an option (value in YAML: 0.7, true, [a, b], {k: v});\n"
    "                   list entries as rewards[0].weight=2. Repeatable, applied in order.\n"
    "  --quiet          print nothing on success\n"
    "  --doc            print the reference of every option (type, bounds, default, doc)\n";

static int run(int argc, char **argv, rlpt_err *err) {
    rl_cli_config_args a;
    int rc = rl_cli_parse_config_args(argc, argv, RL_CLI_ALLOW_DOC, &a, err);
    if (rc) return rc;
    if (a.doc) {
        rl_config_print_doc(stdout);
        return 0;
    }
    rl_config cfg;
    if ((rc = rl_cli_load_config(&a, &cfg, err))) return rc;
    if (!a.quiet && rl_mpi_should_print()) {
        rc = rl_config_write_yaml(&cfg, stdout);
        const rl_mpi *m = rl_mpi_get();
        fprintf(stderr, "rlpt check-config: %s is valid (checked on %d rank%s)\n", a.config,
                m->size, m->size == 1 ? "" : "s");
        if (rc) rlpt_errf(err, rc, "writing the effective config to stdout failed");
    }
    rl_config_free(&cfg);
    return rc;
}

const rl_cmd rl_cmd_check_config = {"check-config", "check an experiment file, print it in full",
                                    usage, run};
