#!/bin/bash
# tests/policy/test_tokenize_cli.sh: `rlpt tokenize` as a filter, against the committed fixtures
# of @huggingface/tokenizers (encode, decode) and Jinja2 (--chat): the first 150 strings
# (GSM8K, MATH-500) through Llama 3, Qwen3 and rlpt-tiny give the fixture ids line for line; decoding
# those ids gives the strings back; Qwen3's chat renderings equal Jinja2's; bad input gives
# "stdin:N:" errors and exit status 1, bad usage exit status 2.
set -u
T="$RLPT_SOURCE_DIR/tests/data/tokenizers"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
check() { # name, got-file, want-file
    if ! cmp -s "$2" "$3"; then
        echo "FAIL: $1"; diff "$2" "$3" | head -5; fail=1
    else
        echo "ok: $1 ($(wc -l < "$3") lines)"
    fi
}
N=150
head -n $N "$T/strings/strings.jsonl" > "$W/in.jsonl"
# JSON string of the "text" field, as written by JSON.stringify / json.dumps.
sed 's/^{"src":"[a-z0-9]*","text":\(".*"\)}$/\1/' "$W/in.jsonl" > "$W/texts"
for tok in llama-3.2-3b-instruct qwen3-4b rlpt-tiny; do  # the C test covers all eight
    "$RLPT" tokenize --tokenizer "$T/$tok" < "$W/in.jsonl" > "$W/out.jsonl" || { echo "FAIL: $tok encode exit $?"; fail=1; }
    tr -d ' ' < "$W/out.jsonl" > "$W/got"
    sed -n "2,$((N + 1))p" "$T/$tok/encode.jsonl" | sed 's/^{"ids":\(\[[^]]*\]\).*}$/{"ids":\1}/' > "$W/want"
    check "$tok encode" "$W/got" "$W/want"
    # decode without the post-processor's BOS: the strings come back (clean-up off for Llama).
    "$RLPT" tokenize --tokenizer "$T/$tok" --no-special < "$W/in.jsonl" |
        "$RLPT" tokenize --tokenizer "$T/$tok" --decode --no-cleanup > "$W/dec.jsonl" || { echo "FAIL: $tok decode exit"; fail=1; }
    sed 's/^{"text": \(".*"\)}$/\1/' "$W/dec.jsonl" > "$W/got"
    check "$tok decode" "$W/got" "$W/texts"
done
# --chat: Qwen3 fixtures carry messages, add_generation_prompt, enable_thinking and the text.
grep -v '"enable_thinking": false' "$T/chat/qwen3-4b.jsonl" > "$W/chat.jsonl"
"$RLPT" tokenize --tokenizer "$T/qwen3-4b" --chat < "$W/chat.jsonl" | sed 's/^{"text": \(".*"\)}$/\1/' > "$W/got"
sed 's/.*, "text": \(".*"\)}$/\1/' "$W/chat.jsonl" > "$W/want"
check "qwen3 chat" "$W/got" "$W/want"
# Errors.
printf '{"text": "a"}\n{"text": 3}\n' | "$RLPT" tokenize --tokenizer "$T/qwen3-4b" > "$W/out" 2> "$W/err"
rc=$?
if [ $rc -ne 1 ] || ! grep -q 'stdin:2: expected {"text"' "$W/err" || [ "$(cat "$W/out")" != '{"ids": [64]}' ]; then
    echo "FAIL: bad line (exit $rc): $(cat "$W/err")"; fail=1
else echo "ok: bad line"; fi
echo '{"ids": [1, 151669]}' | "$RLPT" tokenize --tokenizer "$T/qwen3-4b" --decode 2> "$W/err"
rc=$?
if [ $rc -ne 1 ] || ! grep -q 'stdin:1: ids\[1\] is not a token id' "$W/err"; then
    echo "FAIL: bad id (exit $rc): $(cat "$W/err")"; fail=1
else echo "ok: bad id"; fi
printf '{"text": "a\\u0000b"}\n' | "$RLPT" tokenize --tokenizer "$T/rlpt-tiny" 2> "$W/err"
rc=$?
if [ $rc -ne 1 ] || ! grep -q 'stdin:1: a string holds' "$W/err"; then
    echo "FAIL: NUL escape (exit $rc): $(cat "$W/err")"; fail=1
else echo "ok: NUL escape refused"; fi
"$RLPT" tokenize --decode < /dev/null 2> "$W/err"
rc=$?
if [ $rc -ne 2 ] || ! grep -q -- '--tokenizer DIR is required' "$W/err"; then
    echo "FAIL: usage (exit $rc)"; fail=1
else echo "ok: usage"; fi
"$RLPT" tokenize --tokenizer "$T/bad" < /dev/null 2> "$W/err"
rc=$?
if [ $rc -ne 1 ] || ! grep -q 'bad/tokenizer.json: cannot open' "$W/err"; then
    echo "FAIL: missing tokenizer (exit $rc): $(cat "$W/err")"; fail=1
else echo "ok: missing tokenizer"; fi
exit $fail
