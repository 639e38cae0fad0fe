#!/bin/bash
# tests/policy/test_model_init.sh: `rlpt init-model` writes a loadable HF-layout model: config,
# weights (deterministic in --seed), tokenizer files copied, vocabulary and bos/eos taken from
# the tokenizer; bf16 output; usage errors exit 2.
set -euo pipefail
: "${RLPT:?}" "${RLPT_SOURCE_DIR:?}"
TOK="$RLPT_SOURCE_DIR/tests/data/models/tinystories-656k-llama"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$RLPT" init-model --arch qwen2 --hidden 48 --layers 3 --heads 6 --kv-heads 2 --ffn 80 \
    --seed 7 --tokenizer "$TOK" --out "$tmp/a"
for f in config.json model.safetensors tokenizer.json tokenizer_config.json; do
    [ -f "$tmp/a/$f" ] || fail "missing $f"
done
cmp -s "$TOK/tokenizer.json" "$tmp/a/tokenizer.json" || fail "tokenizer.json not copied as is"
c="$tmp/a/config.json"
[ "$(jq -r .model_type "$c")" = qwen2 ] || fail "model_type"
[ "$(jq .vocab_size "$c")" = 2048 ] || fail "vocab from tokenizer: $(jq .vocab_size "$c")"
[ "$(jq .bos_token_id "$c")" = 1 ] && [ "$(jq .eos_token_id "$c")" = 2 ] || fail "bos/eos"
[ "$(jq .head_dim "$c")" = 8 ] && [ "$(jq .num_hidden_layers "$c")" = 3 ] || fail "dims"
# it loads and scores; log-probs of a near-uniform random model are near -log(2048) = -7.62
out=$(echo '{"ids": [1, 5, 9, 200]}' | "$RLPT" score --model "$tmp/a")
jq -e '.logprobs | length == 3 and all(. < -6 and . > -9.5)' <<< "$out" > /dev/null ||
    fail "score of the new model: $out"
# the same seed gives the same bytes; another seed other weights
"$RLPT" init-model --arch qwen2 --hidden 48 --layers 3 --heads 6 --kv-heads 2 --ffn 80 \
    --seed 7 --tokenizer "$TOK" --out "$tmp/b" > /dev/null
cmp -s "$tmp/a/model.safetensors" "$tmp/b/model.safetensors" || fail "not deterministic"
"$RLPT" init-model --arch qwen2 --hidden 48 --layers 3 --heads 6 --kv-heads 2 --ffn 80 \
    --seed 8 --tokenizer "$TOK" --out "$tmp/b" > /dev/null
cmp -s "$tmp/a/model.safetensors" "$tmp/b/model.safetensors" && fail "seed ignored"
# bf16, no tokenizer, tied llama: half the bytes per weight, still loads
"$RLPT" init-model --arch llama --vocab 100 --tied --dtype bfloat16 --out "$tmp/c" > /dev/null
[ "$(jq -r .torch_dtype "$tmp/c/config.json")" = bfloat16 ] || fail "dtype"
[ ! -e "$tmp/c/tokenizer.json" ] || fail "tokenizer without --tokenizer"
echo '{"ids": [1, 2]}' | "$RLPT" score --model "$tmp/c" | jq -e '.logprobs | length == 1' \
    > /dev/null || fail "bf16 model does not score"

expect_usage() { # TEXT ARGS...
    local text=$1
    shift
    set +e
    "$RLPT" init-model "$@" > /dev/null 2> "$tmp/err"
    local rc=$?
    set -e
    [ "$rc" = 2 ] || fail "init-model $*: exit $rc, want 2"
    grep -qF -- "$text" "$tmp/err" || fail "init-model $*: '$(cat "$tmp/err")' lacks '$text'"
}
expect_usage "--arch must be llama or qwen2" --arch gpt2 --out "$tmp/d"
expect_usage "--arch and --out are required" --arch llama
expect_usage "--heads must be an integer" --arch llama --heads x --out "$tmp/d"
expect_usage "not a multiple of num_key_value_heads 3" --arch llama --kv-heads 3 --out "$tmp/d"
expect_usage "--vocab 100 is smaller than the tokenizer's 2048" --arch llama --vocab 100 \
    --tokenizer "$TOK" --out "$tmp/d"
expect_usage "unknown option '--bogus'" --arch llama --bogus 1 --out "$tmp/d"
echo "init-model: all checks passed"
