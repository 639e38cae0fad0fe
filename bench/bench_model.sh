#!/bin/bash
# bench/bench_model.sh: training tokens/s of rlpt's model against the PyTorch reference, same
# config and thread count, in one run; rlpt is measured with the OpenBLAS core autodetected and
# with OPENBLAS_CORETYPE=Haswell (which some environments set), since the core decides sgemm
# speed. Prints figures and ratios; never fails on time.
# usage: bench/bench_model.sh BUILD_DIR [configs (tiny 100m)] [steps (3)] [threads (2)]
set -euo pipefail
BUILD=${1:?usage: bench_model.sh BUILD_DIR [configs] [steps] [threads]}
CONFIGS=${2:-tiny 100m}
STEPS=${3:-3}
THREADS=${4:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
for c in $CONFIGS; do
    echo "=== $c: $STEPS timed steps after one warm-up, $THREADS threads"
    auto=$(env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=$THREADS "$BUILD/bench/bench_model" "$c" "$STEPS" |
        tee /dev/stderr | grep '^RESULT')
    has=$(OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=$THREADS "$BUILD/bench/bench_model" "$c" "$STEPS" |
        tee /dev/stderr | grep '^RESULT')
    torch=$(/usr/bin/python3 "$HERE/bench_model_torch.py" "$c" "$STEPS" "$THREADS" |
        tee /dev/stderr | grep '^RESULT')
    read -r _ _ a_tps a_peak a_core <<< "$auto"
    read -r _ _ h_tps h_peak h_core <<< "$has"
    read -r _ _ t_tps <<< "$torch"
    awk -v c="$c" -v at="$a_tps" -v ap="$a_peak" -v ac="$a_core" -v ht="$h_tps" -v hp="$h_peak" \
        -v hc="$h_core" -v tt="$t_tps" -v th="$THREADS" 'BEGIN {
        printf "%s, %d threads: rlpt %.0f tokens/s (OpenBLAS %s, sgemm peak %.1f GFLOP/s), ", c, th, at, ac, ap
        printf "rlpt %.0f tokens/s (OpenBLAS %s, sgemm peak %.1f GFLOP/s), ", ht, hc, hp
        printf "PyTorch %.0f tokens/s; ratio rlpt/PyTorch %.2fx (%s), %.2fx (%s)\n", tt, at / tt, ac, ht / tt, hc
    }'
done
