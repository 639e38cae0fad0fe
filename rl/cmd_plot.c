/* rl/cmd_plot.c: `rlpt plot RUN_DIR [--out FILE.png]` (rl/plot.c draws). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "rl.h"

static const char usage[] =
    "usage: rlpt plot RUN_DIR [--out FILE.png]\n"
    "\n"
    "Draws reward, accuracy (training and held-out), response length, KL, entropy and the SFT\n"
    "loss from RUN_DIR/metrics.jsonl and eval.jsonl into one PNG (default RUN_DIR/curves.png)\n"
    "with gnuplot.\n";

static int run(int argc, char **argv, rlpt_err *err) {
    const char *dir = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] == '-')
            return rlpt_errf(err, RLPT_EUSAGE, "plot: unknown option '%s' (see rlpt plot --help)",
                             argv[i]);
        else if (!dir)
            dir = argv[i];
        else
            return rlpt_errf(err, RLPT_EUSAGE, "plot: one run directory, got '%s' and '%s'", dir,
                             argv[i]);
    }
    if (!dir) return rlpt_errf(err, RLPT_EUSAGE, "plot: no run directory (see rlpt plot --help)");
    int rc = rl_plot(dir, out, err);
    if (!rc) printf("%s\n", out ? out : "curves.png written in the run directory");
    return rc;
}

const rl_cmd rl_cmd_plot = {"plot", "draw a run's curves to a PNG", usage, run};
