#!/usr/bin/env bash
# tests/rl/demo_learns.sh: the default experiment learns. A shortened configs/demo.yaml (25
# GRPO steps instead of 50, 100 held-out problems) runs under mpirun -np 2; held-out accuracy
# after GRPO must be at least 30 points above the accuracy before it. Seeds are fixed and all
# randomness is counter-based, so on one machine the run is the same every time; the margin
# (seen: 20% -> 75%, +55 points) absorbs the float differences of other BLAS kernels.
set -u
cd "$RLPT_SOURCE_DIR" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mpirun --oversubscribe -np 2 "$RLPT" train configs/demo.yaml --set grpo.steps=25 \
    --set data.synthetic.eval_size=100 --set run.dir="$tmp" --set run.progress=never \
    --set run.checkpoint_every=0 2>"$tmp/err" || { echo "FAIL: run: $(cat "$tmp/err")"; exit 1; }
acc() { sed -nE "s/.*\"stage\":\"$1\".*\"accuracy\":([0-9.e-]+).*/\1/p" "$tmp/demo/eval.jsonl"; }
before=$(acc before-grpo) after=$(acc after-grpo)
echo "held-out accuracy: before GRPO $before, after GRPO $after"
if awk -v b="$before" -v a="$after" 'BEGIN { exit !(a - b >= 0.30) }'; then
    echo "1 passed, 0 failed"
else
    echo "FAIL: GRPO added less than 30 points"
    echo "0 passed, 1 failed"
    exit 1
fi
