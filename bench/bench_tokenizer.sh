#!/bin/bash
# bench/bench_tokenizer.sh: encode MB/s of rlpt's tokenizer against @huggingface/tokenizers (the JS
# port, Node) on the same GSM8K + MATH-500 text, per tokenizer, in one run. Prints figures and
# ratios; never fails on time. Needs `npm ci` in tests/reference/tokenizer for the peer.
# usage: bench/bench_tokenizer.sh BUILD_DIR [tokenizer dirs (the four real ones and rlpt-tiny)]
set -euo pipefail
BUILD=${1:?usage: bench_tokenizer.sh BUILD_DIR [tokenizer dirs]}
shift
HERE=$(cd "$(dirname "$0")" && pwd)
T="$HERE/../tests/data/tokenizers"
DIRS=("$@")
[ ${#DIRS[@]} -gt 0 ] || DIRS=("$T/qwen2.5-math-1.5b" "$T/deepseek-r1-distill-qwen-32b" \
    "$T/llama-3.2-3b-instruct" "$T/qwen3-4b" "$T/rlpt-tiny")
S="$T/strings/strings.jsonl"
source "$(dirname "$0")/lib.sh"
ours=$(result "$BUILD/bench/bench_tokenizer" "$S" "${DIRS[@]}")
if [ ! -d "$HERE/../tests/reference/tokenizer/node_modules/@huggingface/tokenizers" ]; then
    echo "peer: @huggingface/tokenizers not installed (run npm ci in tests/reference/tokenizer)"
    exit 0
fi
peer=$(result node "$HERE/bench_tokenizer.mjs" "$S" "${DIRS[@]}")
echo "=== encode MB/s, rlpt (C) vs tokenizers.js (Node), same strings, one thread unless noted"
join <(echo "$ours" | cut -d' ' -f2- | sort) <(echo "$peer" | cut -d' ' -f2- | sort) |
    awk '{ printf "%-30s first pass %7.2f vs %6.2f (%.1fx); warm %7.2f vs %6.2f (%.1fx); rlpt 2 threads %7.2f; ids %s %s\n",
           $1, $2, $6, $2 / $6, $3, $7, $3 / $7, $4, ($5 == $8 ? "equal" : "DIFFER:"), ($5 == $8 ? "" : $5 " vs " $8) }'
