#!/bin/bash
# tests/policy/test_model_score.sh: `rlpt score` against the plain-torch reference's
# log-probabilities (tests/reference/model/ref_real.py) on the two transformers-written
# checkpoints, and its errors. Tolerance: |got - want| <= 1e-5 + 1e-5 |want| (seen: 9.6e-7 on
# the random model, 4.8e-6 on TinyStories).
set -euo pipefail
: "${RLPT:?}" "${RLPT_SOURCE_DIR:?}"
M="$RLPT_SOURCE_DIR/tests/data/models"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# compare WANT.jsonl GOT.jsonl: same number of lines and values within tolerance
compare() {
    jq -cn --slurpfile w "$1" --slurpfile g "$2" '
      if ($w | length) != ($g | length) then error("line count \($w|length) vs \($g|length)")
      else [range(0; $w | length) as $i
            | if ($w[$i].logprobs | length) != ($g[$i].logprobs | length)
              then error("line \($i + 1): length differs") else . end
            | range(0; $w[$i].logprobs | length) as $j
            | ($w[$i].logprobs[$j]) as $a | ($g[$i].logprobs[$j]) as $b
            | {err: (($a - $b) | fabs), ok: ((($a - $b) | fabs) <= 1e-5 + 1e-5 * ($a | fabs))}]
      end
      | {n: length, max_err: (map(.err) | max), bad: (map(select(.ok | not)) | length)}'
}

# 1. random llama3-RoPE model (transformers golden ids)
jq -c '{ids}' "$M/ferrl-tiny-llama-random/score-expected.jsonl" > "$tmp/in.jsonl"
"$RLPT" score --model "$M/ferrl-tiny-llama-random" < "$tmp/in.jsonl" > "$tmp/got.jsonl"
r=$(compare "$M/ferrl-tiny-llama-random/score-expected.jsonl" "$tmp/got.jsonl")
echo "ferrl: $r"
[ "$(jq .bad <<< "$r")" = 0 ] && [ "$(jq .n <<< "$r")" = 27 ] || fail "ferrl: $r"

# 2. pretrained TinyStories model on its greedy story
jq -c '{ids}' "$M/tinystories-656k-llama/greedy-expected.json" > "$tmp/in.jsonl"
jq -c '{logprobs}' "$M/tinystories-656k-llama/greedy-expected.json" > "$tmp/want.jsonl"
"$RLPT" score --model "$M/tinystories-656k-llama" < "$tmp/in.jsonl" > "$tmp/got.jsonl"
r=$(compare "$tmp/want.jsonl" "$tmp/got.jsonl")
echo "tinystories: $r"
[ "$(jq .bad <<< "$r")" = 0 ] && [ "$(jq .n <<< "$r")" = 40 ] || fail "tinystories: $r"

# 3. one id gives no log-probabilities; blank lines are skipped; order is kept
printf '{"ids": [5]}\n\n{"ids": [1, 2]}\n' | "$RLPT" score --model "$M/ferrl-tiny-llama-random" \
    > "$tmp/got.jsonl"
[ "$(sed -n 1p "$tmp/got.jsonl")" = '{"logprobs": []}' ] || fail "single id"
[ "$(jq '.logprobs | length' < <(sed -n 2p "$tmp/got.jsonl"))" = 1 ] || fail "two ids"

# 4. errors: message, exit status
expect_error() { # STATUS TEXT INPUT ARGS...
    local status=$1 text=$2 input=$3
    shift 3
    set +e
    printf '%s' "$input" | "$RLPT" score "$@" > /dev/null 2> "$tmp/err"
    local rc=$?
    set -e
    [ "$rc" = "$status" ] || fail "score $*: exit $rc, want $status ($(cat "$tmp/err"))"
    grep -qF -- "$text" "$tmp/err" || fail "score $*: '$(cat "$tmp/err")' lacks '$text'"
}
F="$M/ferrl-tiny-llama-random"
expect_error 1 "stdin:2: ids[1] is not a token id in 0..31" $'{"ids":[1]}\n{"ids":[1,32]}\n' --model "$F"
expect_error 1 "stdin:1: ids[0] is not a token id" '{"ids":["a"]}' --model "$F"
expect_error 1 'stdin:1: expected {"ids": [...]}' 'not json' --model "$F"
expect_error 1 "more than the model's max_position_embeddings 64" \
    "{\"ids\": [$(seq -s, 1 65 | sed 's/[0-9]*/1/g')]}" --model "$F"
expect_error 1 "config.json: cannot open" '' --model "$tmp/nowhere"
expect_error 2 "--model DIR is required" ''
expect_error 1 "tensor 'model.layers.0.self_attn.v_proj.weight' is missing" '' \
    --model "$RLPT_SOURCE_DIR/tests/data/bad-checkpoints/missing-tensor"
echo "score: all checks passed"
