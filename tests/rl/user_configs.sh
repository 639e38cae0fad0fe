#!/usr/bin/env bash
# tests/rl/user_configs.sh: the shipped configs for checkpoints a user brings
# (configs/gsm8k-qwen2.5.yaml, math500-r1-distill.yaml, code-mbpp.yaml) load and run with a
# random model of the same shape as the model each names, with the real tokenizer and chat
# template, on a few records of the real datasets in their formats:
#   Qwen2.5-0.5B-Instruct (494M parameters): the whole pipeline, one GRPO step, evaluations,
#     checkpoint and the bf16 final export (about 9 GB of memory);
#   DeepSeek-R1-Distill-Qwen-1.5B and Qwen2.5-Coder-1.5B-Instruct (1.78B / 1.54B): training
#     them needs ~27 GB per rank, so `train` must refuse before allocating (exit 4, memory plan,
#     with system.memory_limit_gib = 16 so the outcome does not depend on the machine), and
#     `eval` (forward only) loads them and scores one problem (the code reward in the sandbox).
# Shapes are those of the models' config.json files on the Hugging Face hub.
set -u
cd "$RLPT_SOURCE_DIR" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1"; fi; }
tok=tests/data/tokenizers
data=tests/data/datasets
# model DIR, tokenizer.json dir, tokenizer_config.json dir, rope_theta, init-model args...
model() {
    local dir=$1 tj=$2 tc=$3 theta=$4
    shift 4
    "$RLPT" init-model --arch qwen2 --vocab 151936 --dtype bfloat16 --tokenizer "$tj" \
        --out "$dir" "$@" >/dev/null 2>"$tmp/err" || { echo "FAIL init-model $dir: $(cat "$tmp/err")"; exit 1; }
    cp "$tc/tokenizer_config.json" "$dir/"
    sed -i -E "s/(\"rope_theta\":[[:space:]]*)[0-9.e+]+/\1$theta/" "$dir/config.json"
}
field() { sed -E "s/.*\"$2\":([^,}]*).*/\1/" <<<"$1"; }
small=(--set run.dir="$tmp/runs" --set run.progress=never --set rollout.max_new_tokens=8
       --set eval.max_examples=1 --set eval.samples=1)

# Qwen2.5-0.5B-Instruct: hidden 896, 24 layers, 14/2 heads, ffn 4864, tied, theta 1e6
model "$tmp/qwen05" $tok/qwen2.5-math-1.5b $tok/qwen2.5-0.5b-instruct 1000000.0 \
    --hidden 896 --layers 24 --heads 14 --kv-heads 2 --ffn 4864 --max-pos 32768 --tied
"$RLPT" train configs/gsm8k-qwen2.5.yaml "${small[@]}" --set model.path="$tmp/qwen05" \
    --set data.train=$data/gsm8k-3.jsonl --set data.eval=$data/gsm8k-3.jsonl \
    --set grpo.steps=1 --set grpo.prompts_per_step=2 --set grpo.group_size=2 2>"$tmp/err1"
check "gsm8k-qwen2.5: train" '[ $? = 0 ] || { cat "$tmp/err1"; false; }'
run=$tmp/runs/gsm8k-qwen2.5
check "gsm8k-qwen2.5: memory plan printed" 'grep -q "^memory plan per rank: " "$tmp/err1"'
check "gsm8k-qwen2.5: one GRPO step logged" '[ "$(grep -c "\"stage\":\"grpo\"" "$run/metrics.jsonl")" = 1 ]'
check "gsm8k-qwen2.5: evaluated before and after" \
    'grep -q "\"before-grpo\"" "$run/eval.jsonl" && grep -q "\"after-grpo\"" "$run/eval.jsonl"'
check "gsm8k-qwen2.5: checkpoint has weights, optimizer, tokenizer" \
    'for f in config.json model.safetensors optimizer.safetensors tokenizer.json tokenizer_config.json trainer.json; do [ -s "$run/latest/$f" ] || exit 1; done'
check "gsm8k-qwen2.5: final export in bf16 (dtype_save), half the fp32 checkpoint" \
    'grep -q "\"torch_dtype\":[[:space:]]*\"bfloat16\"" "$run/final/config.json" &&
     awk -v a="$(stat -c %s "$run/latest/model.safetensors")" -v b="$(stat -c %s "$run/final/model.safetensors")" "BEGIN { exit !(a / b > 1.99 && a / b < 2.01) }"'
check "gsm8k-qwen2.5: the export keeps the shape" \
    'grep -q "\"hidden_size\":[[:space:]]*896" "$run/final/config.json" && grep -q "\"num_hidden_layers\":[[:space:]]*24" "$run/final/config.json"'
rm -rf "$tmp/qwen05" "$run"

# DeepSeek-R1-Distill-Qwen-1.5B: hidden 1536, 28 layers, 12/2 heads, ffn 8960, untied, theta 1e4
model "$tmp/r1" $tok/deepseek-r1-distill-qwen-32b $tok/deepseek-r1-distill-qwen-32b 10000.0 \
    --hidden 1536 --layers 28 --heads 12 --kv-heads 2 --ffn 8960 --max-pos 131072
"$RLPT" train configs/math500-r1-distill.yaml "${small[@]}" --set model.path="$tmp/r1" \
    --set data.train=$data/math500-3.jsonl --set data.eval=$data/math500-3.jsonl \
    --set system.memory_limit_gib=16 >/dev/null 2>"$tmp/err2"
st=$?
check "math500-r1-distill: train refused by the memory plan (exit 4, got $st)" \
    '[ $st = 4 ] && grep -q "memory plan: a rank needs .* but 16.0 GiB is available to it (system.memory_limit_gib)" "$tmp/err2" || { cat "$tmp/err2"; false; }'
"$RLPT" eval configs/math500-r1-distill.yaml "${small[@]}" --set model.path="$tmp/r1" \
    --set data.train=$data/math500-3.jsonl --set data.eval=$data/math500-3.jsonl 2>"$tmp/err3"
check "math500-r1-distill: eval" '[ $? = 0 ] || { cat "$tmp/err3"; false; }'
ev=$(tail -1 "$tmp/runs/math500-r1-distill/eval.jsonl" 2>/dev/null)
check "math500-r1-distill: one problem scored" '[ "$(field "$ev" n)" = 1 ]'
rm -rf "$tmp/r1"

# Qwen2.5-Coder-1.5B-Instruct: as above but tied, theta 1e6
model "$tmp/coder" $tok/qwen2.5-math-1.5b $tok/qwen2.5-0.5b-instruct 1000000.0 \
    --hidden 1536 --layers 28 --heads 12 --kv-heads 2 --ffn 8960 --max-pos 32768 --tied
"$RLPT" train configs/code-mbpp.yaml "${small[@]}" --set model.path="$tmp/coder" \
    --set data.train=$data/mbpp-sanitized-2.jsonl --set data.eval=$data/humaneval-2.jsonl \
    --set system.memory_limit_gib=16 >/dev/null 2>"$tmp/err4"
st=$?
check "code-mbpp: train refused by the memory plan (exit 4, got $st)" \
    '[ $st = 4 ] && grep -q "memory plan: a rank needs" "$tmp/err4" || { cat "$tmp/err4"; false; }'
"$RLPT" eval configs/code-mbpp.yaml "${small[@]}" --set model.path="$tmp/coder" \
    --set data.train=$data/mbpp-sanitized-2.jsonl --set data.eval=$data/humaneval-2.jsonl 2>"$tmp/err5"
check "code-mbpp: eval on HumanEval records (eval_format humaneval)" '[ $? = 0 ] || { cat "$tmp/err5"; false; }'
ev=$(tail -1 "$tmp/runs/code-mbpp/eval.jsonl" 2>/dev/null)
check "code-mbpp: one problem scored" '[ "$(field "$ev" n)" = 1 ]'
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
