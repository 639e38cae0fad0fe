#!/bin/bash
# bench/bench_grpo.sh: where a GRPO step's time goes, at -np 1 and -np 2, for the model issue's
# tiny config (d=256, L=4, H=4, KVH=2, ffn=768, V=512) and its 100M config (d=768, L=12, H=12,
# KVH=4, ffn=2048, V=32000), both random (created by the trainer from model.init), with the
# project's byte-level tokenizer on the synthetic addition task. A random model writes until
# rollout.max_new_tokens (or, rarely, the end-of-text id), so the steps have about the same
# work: 8 prompts x 4 samples x NEW tokens.
# The KL reference is on (grpo.beta 0.04), so its forward is counted.
#
# Per step, from the run's metrics.jsonl (the first step is a warm-up and left out):
#   rollout    generation of all groups (rank-parallel; includes the gather of samples)
#   reward     the math and format rewards on each rank's own groups
#   reference  the frozen reference's log-probs of the own completions
#   update     forward + backward + AdamW over the own groups, of which
#   allreduce  the gradient sum over ranks (includes waiting for the slowest rank)
#   step       wall time of the whole step; tokens/s = completion tokens of the step / step
# and the speed-up of -np 2 over -np 1 (ideal 2 on 2 cores: both ranks have a core each).
# Prints figures, never fails on time. The machine may be shared: the load average is printed.
# usage: bench/bench_grpo.sh BUILD_DIR [configs (tiny 100m)] [steps (3)]
set -euo pipefail
BUILD=${1:?usage: bench_grpo.sh BUILD_DIR [configs] [steps]}
CONFIGS=${2:-tiny 100m}
STEPS=${3:-3}
HERE=$(cd "$(dirname "$0")/.." && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--set pipeline=[grpo] --set grpo.steps="$STEPS" --set grpo.prompts_per_step=8
        --set grpo.group_size=4 --set grpo.beta=0.04 --set rollout.stop=[]
        --set data.synthetic.eval_size=1 --set run.progress=never --set run.checkpoint_every=0
        --set model.init.max_positions=512)
"$BUILD/rlpt" --version
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)}; $(nproc) cores; BLAS threads per rank: cores / ranks"
for c in $CONFIGS; do
    case $c in
    tiny) shape=(--set model.init.hidden=256 --set model.init.layers=4 --set model.init.heads=4
                 --set model.init.kv_heads=2 --set model.init.ffn=768 --set model.init.vocab=512)
          new=128 ;;
    100m) shape=(--set model.init.hidden=768 --set model.init.layers=12 --set model.init.heads=12
                 --set model.init.kv_heads=4 --set model.init.ffn=2048 --set model.init.vocab=32000)
          new=64 ;;
    *) echo "unknown config $c (tiny, 100m)" >&2; exit 2 ;;
    esac
    echo "=== $c: 8 prompts x 4 samples x $new new tokens per step, $STEPS steps (first one a warm-up); load average $(cut -d' ' -f1-3 /proc/loadavg)"
    printf "  %-4s %9s %9s %9s %9s %9s %9s %10s\n" np rollout reward reference update allreduce step "tokens/s"
    for np in 1 2; do
        dir=$tmp/$c-$np
        (cd "$HERE" && mpirun --oversubscribe -np $np "$BUILD/rlpt" train configs/demo.yaml \
            "${common[@]}" "${shape[@]}" --set rollout.max_new_tokens=$new \
            --set run.dir="$dir") >"$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
        awk -v np=$np -v G=4 -F'[,{}]' '
            /"stage":"grpo"/ {
                if (n_lines++ == 0) next              # warm-up step
                for (i = 1; i <= NF; i++) {
                    split($i, kv, ":"); k = kv[1]; gsub(/"/, "", k); v[k] += kv[2]
                }
                steps++
            }
            END {
                if (steps == 0) { print "  no timed steps"; exit 1 }
                s = v["time_s"] / steps
                printf "  %-4d %8.2fs %8.2fs %8.2fs %8.2fs %8.2fs %8.2fs %10.0f\n", np,
                    v["time_rollout_s"] / steps, v["time_reward_s"] / steps,
                    v["time_reference_s"] / steps, v["time_update_s"] / steps,
                    v["time_allreduce_s"] / steps, s, v["tokens_per_s"] / steps
            }' "$dir/demo/metrics.jsonl" | tee "$tmp/$c-$np.txt"
    done
    awk 'NR == FNR { a = $7; next } { b = $7 }
         END { sub("s", "", a); sub("s", "", b); printf "  -np 2 speed-up over -np 1: %.2fx (step time)\n", a / b }' \
        "$tmp/$c-1.txt" "$tmp/$c-2.txt"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
