#!/usr/bin/env bash
# tests/rl/bad_config.sh FIXTURE.yaml: runs `rlpt check-config` on one bad-config fixture from
# its own directory (so messages name it as NAME.yaml) and checks what its header asks:
#   # expect: TEXT        stderr contains "rlpt: error: TEXT" (one line per expect; several ok)
#   # expect-exit: N      the exit status (default 3, invalid configuration)
#   # set: key=value      passed as --set key=value
# Needs $RLPT (the built binary); runs under CTest (tests/rl/CMakeLists.txt).
set -u
fixture=$1
dir=$(dirname "$fixture")
name=$(basename "$fixture")
want_exit=3
sets=()
expects=()
while IFS= read -r line; do
    case "$line" in
        "# expect: "*) expects+=("${line#\# expect: }") ;;
        "# expect-exit: "*) want_exit=${line#\# expect-exit: } ;;
        "# set: "*) sets+=(--set "${line#\# set: }") ;;
    esac
done < "$fixture"
[ "${#expects[@]}" -gt 0 ] || { echo "FAIL $name: no '# expect:' line"; exit 1; }
err=$(cd "$dir" && "$RLPT" check-config "$name" "${sets[@]}" 2>&1 >/dev/null)
status=$?
fail=0
if [ "$status" != "$want_exit" ]; then
    echo "FAIL $name: exit $status, want $want_exit"
    fail=1
fi
for e in "${expects[@]}"; do
    if ! grep -qF -- "rlpt: error: $e" <<<"$err"; then
        echo "FAIL $name: stderr lacks: rlpt: error: $e"
        fail=1
    fi
done
if [ "$fail" != 0 ]; then
    echo "--- stderr was:"
    echo "$err"
    exit 1
fi
echo "ok $name: exit $status; $(head -1 <<<"$err")"
