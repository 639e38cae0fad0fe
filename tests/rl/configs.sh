#!/usr/bin/env bash
# tests/rl/configs.sh CONFIG.yaml: a shipped config passes `rlpt check-config`, and its
# effective config (what a run records) passes again and prints the same text (round trip).
set -u
cfg=$1
cd "$RLPT_SOURCE_DIR" || exit 1
out1=$(mktemp) out2=$(mktemp)
trap 'rm -f "$out1" "$out2"' EXIT
"$RLPT" check-config "$cfg" >"$out1" || { echo "FAIL: $cfg does not pass check-config"; exit 1; }
"$RLPT" check-config "$out1" >"$out2" || { echo "FAIL: the effective config of $cfg does not"; exit 1; }
if ! diff <(tail -n +2 "$out1") <(tail -n +2 "$out2"); then
    echo "FAIL: the effective config of $cfg changes when reloaded"
    exit 1
fi
echo "ok $cfg: valid; effective config ($(wc -l <"$out1") lines) reloads unchanged"
