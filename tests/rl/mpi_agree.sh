#!/usr/bin/env bash
# tests/rl/mpi_agree.sh: one rank's bad input stops every rank, none hangs.
# Two ranks (MPMD) run `rlpt train`: rank 0 with a valid config, rank 1 with a broken one (as
# when the file differs between nodes). Each rank records its own exit status; both must be
# non-zero (3, invalid config), rank 0 must print rank 1's located error, and the job must end
# well inside the timeout. Then the reverse (rank 0 bad), and both good with check-config.
set -u
cd "$RLPT_SOURCE_DIR" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/bad.yaml" <<'YAML'
model:
  init:
    arch: llama
tokenizer:
  path: configs/tokenizers/rlpt-tiny
data:
  format: synthetic
rewards:
  - fn: math
rollout:
  temperature: hot
YAML
good=configs/demo.yaml
pass=0 fail=0
run_pair() { # config for rank 0, config for rank 1, command
    rm -f "$tmp"/status.*
    timeout 120 mpirun --oversubscribe -np 1 bash -c "\"$RLPT\" $3 $1; echo \$? >$tmp/status.0" \
        : -np 1 bash -c "\"$RLPT\" $3 $2; echo \$? >$tmp/status.1" >"$tmp/out" 2>&1
    echo $? >"$tmp/status.mpirun"
}
expect() { # description, condition
    if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1"; cat "$tmp/out"; fi
}
run_pair "$good" "$tmp/bad.yaml" train
expect "rank 0 (good config) exits 3" '[ "$(cat $tmp/status.0)" = 3 ]'
expect "rank 1 (bad config) exits 3" '[ "$(cat $tmp/status.1)" = 3 ]'
expect "mpirun did not time out" '[ "$(cat $tmp/status.mpirun)" != 124 ]'
expect "rank 0 prints rank 1's located error" \
    'grep -q "rlpt: error: rank 1: $tmp/bad.yaml:11:16: key '"'"'rollout.temperature'"'"': expected a number in (0, 10\], got '"'"'hot'"'"'" $tmp/out'
expect "only rank 0 prints" '[ "$(grep -c "rlpt: error:" $tmp/out)" = 1 ]'
run_pair "$tmp/bad.yaml" "$good" train
expect "reverse: both ranks exit 3" '[ "$(cat $tmp/status.0)$(cat $tmp/status.1)" = 33 ]'
expect "reverse: rank 0 reports itself" 'grep -q "rlpt: error: rank 0: $tmp/bad.yaml:11:16" $tmp/out'
run_pair "$good" "$good" "check-config --quiet"
expect "both good: both exit 0" '[ "$(cat $tmp/status.0)$(cat $tmp/status.1)" = 00 ]'
timeout 120 mpirun --oversubscribe -np 2 "$RLPT" check-config "$good" >"$tmp/out" 2>&1
expect "-np 2 check-config: exit 0, one report" '[ $? = 0 ] && [ "$(grep -c "is valid (checked on 2 ranks)" $tmp/out)" = 1 ]'
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
