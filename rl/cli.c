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
