#!/bin/bash
# tests/rollout/test_generate_cli.sh: `rlpt generate` end to end.
# 1. Greedy on the pretrained TinyStories checkpoint equals the PyTorch reference's greedy ids
#    (tests/data/rollout/greedy.jsonl, made by tests/reference/rollout/make_fixtures.py).
# 2. Sampling (n 3, temperature, top-k, top-p, min-p, penalties, two stop strings) gives byte-identical
#    output without mpirun, at mpirun -np 1, -np 2 and -np 3 --oversubscribe, and at batch
#    sizes 1, 4 and 32.
# 3. A stop string spanning two tokens ("time," = "...tim" + "e, ") ends the text right after it.
# 4. {"prompt": s} lines through a model's own tokenizer (a random model on rlpt-tiny).
# 5. Errors: a bad line (also under mpirun -np 2: every rank stops, none hangs), a bad flag,
#    a KV cache that cannot fit (names the bytes and --batch-size).
set -euo pipefail
: "${RLPT:?}" "${RLPT_SOURCE_DIR:?}"
M="$RLPT_SOURCE_DIR/tests/data/models/tinystories-656k-llama"
TOK="$RLPT_SOURCE_DIR/tests/data/rollout/tinystories-bytelevel"
FIX="$RLPT_SOURCE_DIR/tests/data/rollout/greedy.jsonl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
gen() { "$RLPT" generate --model "$M" --tokenizer "$TOK" "$@"; }

# 1. greedy vs PyTorch, token for token
jq -c 'select(.model == "tinystories-656k-llama") | {ids: .prompt}' "$FIX" > "$tmp/in.jsonl"
jq -c 'select(.model == "tinystories-656k-llama") | .ids' "$FIX" > "$tmp/want"
gen --temperature 0 --max-new-tokens 120 < "$tmp/in.jsonl" > "$tmp/out.jsonl"
jq -c .ids "$tmp/out.jsonl" > "$tmp/got"
cmp -s "$tmp/want" "$tmp/got" || fail "greedy ids differ from the PyTorch reference"
echo "greedy == PyTorch on $(wc -l < "$tmp/got") TinyStories prompts"
jq -r .text "$tmp/out.jsonl" | head -c 160; echo

# 2. determinism across ranks and batch sizes
printf '%s\n' '{"ids": [1]}' '{"ids": [1, 147, 201, 282, 215]}' '{"ids": [1, 875]}' \
    '{"ids": [1, 147]}' '' '{"ids": [1, 875, 147, 201]}' '{"ids": [1, 299]}' '{"ids": [1, 661]}' \
    > "$tmp/in.jsonl"
flags=(--n 3 --temperature 0.8 --top-k 200 --top-p 0.95 --min-p 0.01 --repetition-penalty 1.1
       --presence-penalty 0.2 --max-new-tokens 40 --seed 7 --stop "bird" --stop "Tom ")
gen "${flags[@]}" < "$tmp/in.jsonl" > "$tmp/ref.jsonl"
[ "$(wc -l < "$tmp/ref.jsonl")" = 21 ] || fail "expected 21 samples, got $(wc -l < "$tmp/ref.jsonl")"
[ "$(jq -r .text "$tmp/ref.jsonl" | sort -u | wc -l)" -ge 15 ] || fail "samples do not differ"
for np in 1 2 3; do
    mpirun --oversubscribe -np $np "$RLPT" generate --model "$M" --tokenizer "$TOK" \
        "${flags[@]}" < "$tmp/in.jsonl" > "$tmp/np$np.jsonl"
    cmp "$tmp/ref.jsonl" "$tmp/np$np.jsonl" || fail "output at -np $np differs"
done
for bs in 1 4 32; do
    gen "${flags[@]}" --batch-size $bs < "$tmp/in.jsonl" > "$tmp/bs$bs.jsonl"
    cmp "$tmp/ref.jsonl" "$tmp/bs$bs.jsonl" || fail "output at batch size $bs differs"
done
echo "byte-identical: no mpirun, -np 1, 2, 3 and batch sizes 1, 4, 32 (sha256 $(sha256sum < "$tmp/ref.jsonl" | cut -c1-16))"
# every sample that stopped on the string ends with it, and the string occurs nowhere before
n_stop=$(jq -r 'select(.text | endswith("bird")) | .text' "$tmp/ref.jsonl" | wc -l)
[ "$n_stop" -ge 1 ] || fail "no sample stopped at the stop string"
jq -e -s 'all(.[]; (.text | indices("bird") | length) + (.text | indices("Tom ") | length) <= 1)' \
    "$tmp/ref.jsonl" > /dev/null ||
    fail "a sample continued past its stop string"

# 3. stop string spanning two tokens
echo '{"ids": [1]}' | gen --temperature 0 --stop "time," > "$tmp/stop.jsonl"
[ "$(jq -r .text "$tmp/stop.jsonl")" = "Once upon a time," ] || fail "stop: $(cat "$tmp/stop.jsonl")"
[ "$(jq -c .ids "$tmp/stop.jsonl")" = "[147,201,282,215]" ] || fail "stop ids: $(cat "$tmp/stop.jsonl")"
echo "stop string 'time,' across tokens 282 + 215: $(jq -c .text "$tmp/stop.jsonl")"

# 4. text prompts through the model directory's own tokenizer
"$RLPT" init-model --arch qwen2 --hidden 32 --layers 1 --heads 2 --kv-heads 1 --ffn 64 \
    --max-pos 128 --tokenizer "$RLPT_SOURCE_DIR/tests/data/tokenizers/rlpt-tiny" \
    --out "$tmp/tiny" > /dev/null
printf '%s\n' '{"prompt": "What is 2+3?"}' '{"prompt": "<think>"}' |
    "$RLPT" generate --model "$tmp/tiny" --max-new-tokens 8 --n 2 > "$tmp/text.jsonl"
[ "$(jq -s 'map(select((.ids | length) >= 1 and (.text | type) == "string" and
        (.logprobs | length) == (.ids | length))) | length' "$tmp/text.jsonl")" = 4 ] ||
    fail "text prompts: $(cat "$tmp/text.jsonl")"

# 5. errors
set +e
printf '%s\n' '{"ids": [1]}' '{"ids": [1, 99999]}' | gen > "$tmp/o" 2> "$tmp/e"
rc=$?
[ $rc = 1 ] && grep -q 'stdin:2: ids\[1\] is not a token id' "$tmp/e" || fail "bad id: rc $rc $(cat "$tmp/e")"
printf '%s\n' '{"ids": [1]}' 'not json' |
    timeout 60 mpirun --oversubscribe -np 2 "$RLPT" generate --model "$M" --tokenizer "$TOK" \
        > "$tmp/o" 2> "$tmp/e"
rc=$?
[ $rc != 0 ] && [ $rc != 124 ] && grep -q 'stdin:2: expected' "$tmp/e" ||
    fail "bad line under mpirun: rc $rc $(cat "$tmp/e")"
[ ! -s "$tmp/o" ] || fail "output written despite an error"
gen --top-p 0 < /dev/null 2> "$tmp/e"
rc=$?
[ $rc = 2 ] && grep -q -- '--top-p' "$tmp/e" || fail "bad flag: rc $rc $(cat "$tmp/e")"
echo '{"ids": [1]}' | gen --batch-size 65536 --max-new-tokens 1048576 2> "$tmp/e"
rc=$?
[ $rc = 4 ] && grep -q 'KV cache needs' "$tmp/e" && grep -q -- '--batch-size' "$tmp/e" ||
    fail "KV refusal: rc $rc $(cat "$tmp/e")"
echo '{"prompt": "hi"}' | "$RLPT" generate --model "$RLPT_SOURCE_DIR/tests/data/models/ref-llama" 2> "$tmp/e"
rc=$?
[ $rc = 1 ] && grep -q 'needs a tokenizer' "$tmp/e" || fail "no tokenizer: rc $rc $(cat "$tmp/e")"
echo "errors: bad id, bad line under -np 2, bad flag, oversized KV cache, no tokenizer"
