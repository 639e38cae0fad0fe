/* rl/cmd_train.c: `rlpt train CONFIG.yaml [--set key=value]... [--resume RUN_DIR]`.
 * Loads and validates the config on every rank (agreed before any other collective), sets
 * the BLAS threads per rank, and runs the trainer (rl/trainer.c): the pipeline's stages (sft,
 * grpo, eval, rejection) in order, or from the run's last checkpoint with --resume. */
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "policy.h"
#include "rl.h"

static const char usage[] =
    "usage: rlpt train CONFIG.yaml [--set key=value]... [--resume RUN_DIR]\n"
    "\n"
    "Runs the stages of the config's `pipeline` (sft, grpo, eval, rejection) and writes a run\n"
    "directory: config.yaml (the effective config), metrics.jsonl, eval.jsonl, samples.jsonl,\n"
    "checkpoints/step-N/ and `latest`. Launch under mpirun for several ranks:\n"
    "  mpirun -np 2 build/rlpt train configs/demo.yaml\n"
    "Every rank checks the config before the first collective; one bad rank stops all.\n"
    "\n"
    "  --set key=value  override an option (see rlpt check-config --help)\n"
    "  --resume DIR     continue the run in DIR from its `latest` checkpoint (with no\n"
    "                   checkpoint yet, from the start); without CONFIG.yaml, with the\n"
    "                   config the run recorded in DIR/config.yaml\n";

static int run(int argc, char **argv, rlpt_err *err) {
    rl_cli_config_args a;
    int rc = rl_cli_parse_config_args(argc, argv, RL_CLI_ALLOW_RESUME, &a, err);
    if (rc) return rc;
    /* --resume DIR without a config continues with the config the run recorded */
    char recorded[4200];
    if (a.resume && !a.config) {
        snprintf(recorded, sizeof recorded, "%s/config.yaml", a.resume);
        FILE *f = fopen(recorded, "rb");
        if (!f)
            return rlpt_errf(err, RLPT_EUSAGE,
                             "train: %s has no config.yaml (the run was stopped before it "
                             "started); give its config: rlpt train CONFIG.yaml --resume %s",
                             a.resume, a.resume);
        fclose(f);
        a.config = recorded;
    }
    rl_config cfg;
    if ((rc = rl_cli_load_config(&a, &cfg, err))) return rc;
    if (rl_mpi_should_print()) {
        policy_blas_info b;
        policy_blas_get_info(&b);
        fprintf(stderr, "rlpt train: %s on %d rank(s), %d thread(s) per rank, OpenBLAS core %s\n",
                a.config, rl_mpi_get()->size, b.threads, b.corename);
    }
    rc = rl_train(&cfg, a.resume, err);
    rl_config_free(&cfg);
    return rc;
}

const rl_cmd rl_cmd_train = {"train", "run an experiment (SFT, GRPO, eval, rejection sampling)",
                             usage, run};
