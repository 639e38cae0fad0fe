/* rl/main.c: the `rlpt` executable. Parses the global flags, dispatches to a subcommand, and is
 * the only place that prints an error and chooses the exit status. Under mpirun only rank 0
 * prints (the subcommands that use MPI have already agreed on one error for every rank). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "policy.h"
#include "rl.h"
#include "rlpt_version.h"

static const rl_cmd *const commands[] = {
    &rl_cmd_train, &rl_cmd_eval,     &rl_cmd_check_config, &rl_cmd_init_model, &rl_cmd_tokenize,
    &rl_cmd_score, &rl_cmd_generate, &rl_cmd_reward,       &rl_cmd_plot,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void print_help(FILE *f) {
    fprintf(f, "usage: rlpt [--version] [--help] COMMAND [ARGS]\n\n"
               "Reinforcement-learning post-training of language models (GRPO, R1-style).\n\n"
               "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-13s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\n`rlpt COMMAND --help` describes a command. Under mpirun, only rank 0 prints.\n\n"
               "Exit status:\n"
               "  0   success\n"
               "  1   runtime error: a file, dataset line, checkpoint, tokenizer, plugin or\n"
               "      sandbox problem (the message says which and where)\n"
               "  2   usage error, or the command is not built yet\n"
               "  3   invalid experiment configuration (every error is listed as\n"
               "      FILE:LINE:COL: key 'a.b': expected ..., got ...)\n"
               "  4   out of memory, or a memory plan that does not fit (the message names\n"
               "      the figure and the setting to lower)\n"
               "  5   MPI failure\n"
               "  70  internal error (a bug in rlpt: please report it)\n");
}

static void print_version(void) {
    policy_blas_info b;
    policy_blas_get_info(&b);
    printf("rlpt %s (commit %s)\n", RLPT_VERSION, RLPT_GIT_COMMIT);
    printf("OpenBLAS: core %s, %d thread%s for the model's sgemms (%s)\n", b.corename, b.threads,
           b.threads == 1 ? "" : "s", b.config);
}

/* Prints every line of err->msg prefixed with "rlpt: error: ". */
static void print_error(const rlpt_err *err) {
    const char *p = err->msg[0] ? err->msg : rlpt_err_name(err->code);
    while (*p) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(stderr, "rlpt: error: %.*s\n", n, p);
        p += n + (nl ? 1 : 0);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_help(stderr);
        return rlpt_exit_status(RLPT_EUSAGE);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_help(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        print_version();
        return 0;
    }
    const rl_cmd *cmd = NULL;
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i]->name) == 0) cmd = commands[i];
    rlpt_err err;
    rlpt_err_clear(&err);
    if (!cmd) {
        rlpt_errf(&err, RLPT_EUSAGE, "unknown command '%s' (see rlpt --help)", argv[1]);
        print_error(&err);
        return rlpt_exit_status(err.code);
    }
    if (rl_cli_wants_help(argc - 1, argv + 1)) {
        fputs(cmd->usage, stdout);
        return 0;
    }
    int rc = cmd->run(argc - 1, argv + 1, &err);
    if (rc != 0) {
        if (err.code == 0) rlpt_errf(&err, rc, "%s failed", cmd->name);
        if (rl_mpi_should_print()) print_error(&err);
    }
    int print = rl_mpi_should_print(); /* decided before MPI is gone */
    rlpt_err ferr;
    rlpt_err_clear(&ferr);
    int frc = rl_mpi_finalize(&ferr);
    if (frc && rc == 0) {
        if (print) print_error(&ferr);
        rc = frc;
    }
    if (fflush(stdout) != 0 && rc == 0) {
        perror("rlpt: error: stdout");
        return 1;
    }
    return rlpt_exit_status(rc);
}
