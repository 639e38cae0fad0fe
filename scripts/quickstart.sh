#!/usr/bin/env bash
# scripts/quickstart.sh: the README's first command. Installs what is missing, builds, and runs
# the default experiment (configs/demo.yaml) under `mpirun -np 2`: a tiny model learns 2-digit
# addition by SFT then GRPO; held-out accuracy is printed before and after GRPO.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$RLPT_ROOT"
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs" --target rlpt
build/rlpt --version
run=demo-$(date +%Y%m%d-%H%M%S)
echo
echo "== mpirun -np 2 build/rlpt train configs/demo.yaml --set run.name=$run"
mpirun -np 2 build/rlpt train configs/demo.yaml --set run.name="$run"
build/rlpt plot "runs/$run" >/dev/null
echo
echo "Held-out accuracy (runs/$run/eval.jsonl):"
sed -E 's/.*"stage":"([^"]*)".*"accuracy":([0-9.e-]+).*/  \1: \2/' "runs/$run/eval.jsonl"
echo "Metrics: runs/$run/metrics.jsonl   Curves: runs/$run/curves.png"
