#!/usr/bin/env bash
# tests/rl/plot.sh: `rlpt plot` draws a PNG from a run's logs (written here by hand, SFT and
# GRPO lines and evaluations), refuses a directory that is not a run and one with no metrics.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1"; fi; }
run=$tmp/run
mkdir -p "$run"
for s in 0 1 2; do echo "{\"step\":$s,\"stage\":\"sft\",\"loss\":$((5 - s)).5}"; done >"$run/metrics.jsonl"
for s in 3 4 5 6; do
    echo "{\"step\":$s,\"stage\":\"grpo\",\"reward\":0.$s,\"accuracy\":0.$s,\"response_length\":4$s,\"kl\":0.0$s,\"entropy\":1.$s}"
done >>"$run/metrics.jsonl"
printf '{"step":3,"stage":"grpo","dataset":"eval","n":200,"accuracy":0.4}\n{"step":7,"stage":"grpo","dataset":"eval","n":200,"accuracy":0.8}\n' >"$run/eval.jsonl"
"$RLPT" plot "$run" >"$tmp/out" 2>&1
check "plot exits 0" '[ $? = 0 ]'
check "curves.png is a PNG" '[ "$(head -c 8 "$run/curves.png" | od -An -c | tr -d " ")" = "211PNG\r\n032\n" ]'
check "curves.png is a real picture" '[ "$(stat -c %s "$run/curves.png")" -gt 20000 ]'
check "no temporary file left" '[ -z "$(ls "$run" | grep tmp)" ]'
"$RLPT" plot "$run" --out "$tmp/x.png" >/dev/null 2>&1
check "--out" '[ -s "$tmp/x.png" ]'
out=$("$RLPT" plot "$tmp/none" 2>&1); st=$?
check "not a run directory: exit 1 and says so" '[ $st = 1 ] && grep -q "is $tmp/none a run directory" <<<"$out"'
mkdir -p "$tmp/empty" && : >"$tmp/empty/metrics.jsonl"
out=$("$RLPT" plot "$tmp/empty" 2>&1); st=$?
check "no metrics: exit 1 and says so" '[ $st = 1 ] && grep -q "no metrics to plot yet" <<<"$out"'
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
