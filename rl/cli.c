/* rl/cli.c: small helpers shared by the subcommands. */
#include "cli.h"

#include <string.h>

int rl_cli_wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return 1;
    }
    return 0;
}

int rl_cli_not_built(rlpt_err *err, const char *cmd, const char *what) {
    return rlpt_errf(err, RLPT_ENOTBUILT, "%s: not built yet (%s)", cmd, what);
}

#include "config.h"
#include "rl.h"

int rl_cli_parse_config_args(int argc, char **argv, unsigned flags, rl_cli_config_args *a,
                             rlpt_err *err) {
    memset(a, 0, sizeof *a);
    const char *cmd = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = NULL;
        if (strcmp(arg, "--set") == 0 || strcmp(arg, "--resume") == 0) {
            if (i + 1 >= argc) return rlpt_errf(err, RLPT_EUSAGE, "%s: %s needs a value", cmd, arg);
            val = argv[++i];
        } else if (strncmp(arg, "--set=", 6) == 0) {
            arg = "--set";
            val = argv[i] + 6;
        } else if (strncmp(arg, "--resume=", 9) == 0) {
            arg = "--resume";
            val = argv[i] + 9;
        }
        if (val && strcmp(arg, "--set") == 0) {
            if (a->n_sets == RL_CLI_MAX_SETS)
                return rlpt_errf(err, RLPT_EUSAGE, "%s: more than %d --set options", cmd,
                                 RL_CLI_MAX_SETS);
            a->sets[a->n_sets++] = val;
        } else if (val && (flags & RL_CLI_ALLOW_RESUME)) {
            a->resume = val;
        } else if ((flags & RL_CLI_ALLOW_DOC) && strcmp(arg, "--doc") == 0) {
            a->doc = 1;
        } else if ((flags & RL_CLI_ALLOW_DOC) && strcmp(arg, "--quiet") == 0) {
            a->quiet = 1;
        } else if (arg[0] == '-' && arg[1]) {
            return rlpt_errf(err, RLPT_EUSAGE, "%s: unknown option '%s' (see rlpt %s --help)", cmd,
                             arg, cmd);
        } else if (!a->config) {
            a->config = arg;
        } else {
            return rlpt_errf(err, RLPT_EUSAGE, "%s: one config file, got '%s' and '%s'", cmd,
                             a->config, arg);
        }
    }
    if (!a->config && !a->doc && !a->resume)
        return rlpt_errf(err, RLPT_EUSAGE, "%s: no config file given (see rlpt %s --help)", cmd,
                         cmd);
    return 0;
}

int rl_cli_load_config(const rl_cli_config_args *a, rl_config *cfg, rlpt_err *err) {
    memset(cfg, 0, sizeof *cfg);
    int rc = rl_mpi_init(NULL, NULL, err);
    if (rc) return rc; /* MPI itself is broken: nothing to agree with */
    rc = rl_config_load(cfg, a->config, a->sets, a->n_sets, err);
    rc = rl_mpi_agree(rc, err);
    if (rc) {
        rl_config_free(cfg);
        return rc;
    }
    rl_mpi_setup_blas(cfg->system.blas_threads);
    return 0;
}
