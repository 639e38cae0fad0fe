#!/bin/bash
# bench/bench_rollout.sh: generation tokens/s of rlpt's rollout engine against PyTorch with a KV
# cache (bench/bench_rollout_torch.py), same config, prompt 32, 128 new tokens, same threads, at
# batch 1 and 32; batch-1 decode as a share of the memory-bandwidth limit (weights bytes per
# token vs a STREAM triad, and vs a read-only stream, since decode only reads; both measured in
# the same process); a rollout step at mpirun -np 1 and
# -np 2 (one thread per rank). Prints figures and ratios; never fails on time. The machine's
# load is printed first: on a shared machine every figure is a lower bound.
# The peer's OpenBLAS is pinned to the same thread count (bench/torch_peer.py; left alone it
# uses every core); at 2 threads it runs with torch's intra-op threads at 2 and at 1 and the
# better figure is kept. PyTorch's OpenMP threads degrade badly when the cores are shared, so
# both thread counts are measured: compare the 1-thread figures on a busy machine.
# usage: bench/bench_rollout.sh BUILD_DIR [configs ("tiny 100m")] [thread counts ("1 2")]
set -euo pipefail
BUILD=${1:?usage: bench_rollout.sh BUILD_DIR [configs] [threads]}
CONFIGS=${2:-tiny 100m}
THREAD_LIST=${3:-1 2}
HERE=$(cd "$(dirname "$0")" && pwd)
B="$BUILD/bench/bench_rollout"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
source "$(dirname "$0")/lib.sh"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
for c in $CONFIGS; do
  for THREADS in $THREAD_LIST; do
    for bs in 1 32; do
        r=$(result env OPENBLAS_NUM_THREADS=$THREADS "$B" gen "$c" $bs 32 128 "$THREADS")
        t=$(torch_peer "$THREADS" 5 "$HERE/bench_rollout_torch.py" "$c" $bs 32 128)
        read -r _ _ _ _ rt share gbs core rgbs <<< "$r"
        read -r _ _ _ _ tt <<< "$t"
        awk -v c="$c" -v b=$bs -v rt="$rt" -v tt="$tt" -v th="$THREADS" -v s="$share" -v core="$core" -v g="$gbs" -v rg="$rgbs" 'BEGIN {
            printf "== %s batch %d, %d threads: rlpt %.1f tokens/s, PyTorch %.1f tokens/s: %.2fx", c, b, th, rt, tt, rt / tt
            if (b == 1) printf "; batch-1 decode at %.0f%% of the bandwidth limit (STREAM triad), %.0f%% of a read-only stream", 100 * s, 100 * s * g / rg
            printf " (OpenBLAS core %s)\n", core
        }'
    done
  done
done
# Two step sizes: 16 prompts (8 per rank at -np 2, where each rank streams all the weights for
# few rows and the ranks share the memory bandwidth) and 64 (32 per rank, a GRPO-sized step).
for c in $CONFIGS; do
  for P in 16 64; do
    n1=$(result mpirun --oversubscribe -np 1 "$B" mpi "$c" $P 128 1)
    n2=$(result mpirun --oversubscribe -np 2 "$B" mpi "$c" $P 128 1)
    read -r _ _ _ _ _ t1 <<< "$n1"
    read -r _ _ _ _ _ t2 <<< "$n2"
    awk -v c="$c" -v p=$P -v a="$t1" -v b="$t2" 'BEGIN {
        printf "== %s rollout step (%d prompts x 128 tokens), 1 thread per rank: -np 1 %.1f, -np 2 %.1f tokens/s: %.2fx\n", c, p, a, b, b / a }'
  done
done
