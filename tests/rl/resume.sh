#!/usr/bin/env bash
# tests/rl/resume.sh: `rlpt train --resume` after kill -9 at any instant reaches the same
# weights, byte for byte, and the same metrics as an uninterrupted run. A short SFT run of a
# small model (checkpoints every 3 steps) is run once uninterrupted; then five runs are killed
# with SIGKILL: one right after start (before any checkpoint), the others the moment `latest`
# reaches step 3, 9, 15 and 21 (so mid-step, between checkpoints), and each is resumed.
# Then a pipeline through GRPO with dynamic sampling, killed at three checkpoints.
# Kill points are chosen by the run's state, not by timing, so the test cannot flake.
set -u
cd "$RLPT_SOURCE_DIR" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=(configs/demo.yaml --set pipeline=[sft] --set sft.steps=24 --set sft.batch_size=16
      --set run.checkpoint_every=3 --set run.progress=never --set model.init.hidden=32
      --set model.init.layers=1 --set model.init.ffn=64 --set model.init.heads=2
      --set model.init.kv_heads=1)
strip() { sed -E 's/,"time_[a-z_]*s":[^,}]*//g; s/,"tokens_per_s":[^,}]*//' "$1"; }
"$RLPT" train "${args[@]}" --set run.dir="$tmp/ref" 2>/dev/null || { echo "FAIL: reference run"; exit 1; }
ref=$tmp/ref/demo
[ -f "$ref/checkpoints/step-24/model.safetensors" ] || { echo "FAIL: no final checkpoint"; exit 1; }
pass=0 fail=0
targets=(start 3 9 15 21)
for k in 1 2 3 4 5; do
    target=${targets[$((k - 1))]}
    dir=$tmp/k$k
    "$RLPT" train "${args[@]}" --set run.dir="$dir" 2>/dev/null &
    pid=$!
    if [ "$target" = start ]; then
        sleep 0.05
    else
        while kill -0 "$pid" 2>/dev/null &&
            [ "$(readlink "$dir/demo/latest" 2>/dev/null)" != "checkpoints/step-$target" ]; do
            sleep 0.005
        done
    fi
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    latest=$(readlink "$dir/demo/latest" || echo none)
    # the config given again (works even when the kill came before config.yaml was written),
    # except once: --resume alone, with the config the run recorded
    if [ "$k" = 3 ] && [ -f "$dir/demo/config.yaml" ]; then
        resume=(--resume "$dir/demo" --set run.progress=never)
    else
        resume=("${args[@]}" --set run.dir="$dir" --resume "$dir/demo")
    fi
    "$RLPT" train "${resume[@]}" 2>"$tmp/err" || {
        echo "FAIL kill $k (at $target; latest: $latest): resume failed: $(cat "$tmp/err")"
        fail=$((fail + 1))
        continue
    }
    if cmp -s "$ref/checkpoints/step-24/model.safetensors" "$dir/demo/checkpoints/step-24/model.safetensors" &&
        cmp -s "$ref/checkpoints/step-24/optimizer.safetensors" "$dir/demo/checkpoints/step-24/optimizer.safetensors" &&
        diff -q <(strip "$ref/metrics.jsonl") <(strip "$dir/demo/metrics.jsonl") >/dev/null; then
        echo "ok kill $k (at $target; latest: $latest): identical weights, moments, metrics"
        pass=$((pass + 1))
    else
        echo "FAIL kill $k (at $target; latest: $latest): the resumed run differs"
        fail=$((fail + 1))
    fi
done
# The same through GRPO (with dynamic sampling, so the data position is more than steps x
# prompts, and an evaluation): sft 6 steps then grpo 8, checkpoints every 2; killed when
# `latest` reaches step 6 (the stage boundary), 10 and 12, and resumed.
gargs=(configs/demo.yaml --set "pipeline=[sft, grpo]" --set sft.steps=6 --set sft.batch_size=16
       --set grpo.steps=8 --set grpo.prompts_per_step=4 --set grpo.group_size=4
       --set grpo.dynamic_sampling=true --set grpo.max_resample_rounds=2
       --set rollout.max_new_tokens=24 --set data.synthetic.eval_size=8
       --set run.checkpoint_every=2 --set run.progress=never --set model.init.hidden=32
       --set model.init.layers=1 --set model.init.ffn=64 --set model.init.heads=2
       --set model.init.kv_heads=1)
"$RLPT" train "${gargs[@]}" --set run.dir="$tmp/gref" 2>/dev/null || { echo "FAIL: GRPO reference run"; exit 1; }
gref=$tmp/gref/demo
for target in 6 10 12; do
    dir=$tmp/g$target
    "$RLPT" train "${gargs[@]}" --set run.dir="$dir" 2>/dev/null &
    pid=$!
    while kill -0 "$pid" 2>/dev/null &&
        [ "$(readlink "$dir/demo/latest" 2>/dev/null)" != "checkpoints/step-$target" ]; do
        sleep 0.005
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    latest=$(readlink "$dir/demo/latest" || echo none)
    "$RLPT" train "${gargs[@]}" --set run.dir="$dir" --resume "$dir/demo" 2>"$tmp/err" || {
        echo "FAIL grpo kill at $target (latest: $latest): resume failed: $(cat "$tmp/err")"
        fail=$((fail + 1))
        continue
    }
    if cmp -s "$gref/checkpoints/step-14/model.safetensors" "$dir/demo/checkpoints/step-14/model.safetensors" &&
        cmp -s "$gref/checkpoints/step-14/optimizer.safetensors" "$dir/demo/checkpoints/step-14/optimizer.safetensors" &&
        diff -q <(strip "$gref/metrics.jsonl") <(strip "$dir/demo/metrics.jsonl") >/dev/null &&
        diff -q "$gref/eval.jsonl" "$dir/demo/eval.jsonl" >/dev/null; then
        echo "ok grpo kill at $target (latest: $latest): identical weights, moments, metrics, evals"
        pass=$((pass + 1))
    else
        echo "FAIL grpo kill at $target (latest: $latest): the resumed run differs"
        diff <(strip "$gref/metrics.jsonl") <(strip "$dir/demo/metrics.jsonl") | head -5
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
