#!/usr/bin/env bash
# tests/rl/cli.sh: the command line's contract: --help for rlpt and every command (exit 0,
# usage on stdout), --version (version, commit, OpenBLAS core and threads), usage errors
# (exit 2), commands not built yet (exit 2 and "not built yet", never pretending), and
# check-config --doc.
set -u
pass=0 fail=0
check() { # description, expected status, actual status, [output, pattern]
    if [ "$2" = "$3" ] && { [ $# -lt 5 ] || grep -qE -- "$5" <<<"$4"; }; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $1: status $3 (want $2)${5:+, output lacks /$5/}"
        [ $# -ge 4 ] && echo "$4" | head -5
    fi
}
out=$("$RLPT" --help 2>&1); check "rlpt --help" 0 $? "$out" "Exit status:"
out=$("$RLPT" 2>&1); check "rlpt (no command)" 2 $? "$out" "usage: rlpt"
out=$("$RLPT" frobnicate 2>&1); check "unknown command" 2 $? "$out" "rlpt: error: unknown command 'frobnicate'"
out=$("$RLPT" --version 2>&1); check "--version" 0 $? "$out" "^rlpt [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]+"
grep -qE "^OpenBLAS: core [A-Za-z0-9]+, [0-9]+ threads?" <<<"$out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL --version lacks the OpenBLAS line"; }
commands=$("$RLPT" --help | awk '/^Commands:/{f=1;next} /^$/{f=0} f{print $1}')
[ "$(wc -w <<<"$commands")" -ge 9 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: --help lists too few commands: $commands"; }
for c in $commands; do
    out=$("$RLPT" "$c" --help 2>&1); check "$c --help" 0 $? "$out" "^usage: rlpt $c"
    out=$("$RLPT" "$c" -h 2>&1); check "$c -h" 0 $? "$out" "^usage: rlpt $c"
done
out=$("$RLPT" check-config --doc 2>&1); check "check-config --doc" 0 $? "$out" "rollout.temperature"
out=$("$RLPT" check-config 2>&1); check "check-config without a file" 2 $? "$out" "no config file given"
out=$("$RLPT" check-config a.yaml b.yaml 2>&1); check "two config files" 2 $? "$out" "one config file"
out=$("$RLPT" check-config --bogus x.yaml 2>&1); check "unknown option" 2 $? "$out" "unknown option '--bogus'"
out=$("$RLPT" check-config "$RLPT_SOURCE_DIR/configs/demo.yaml" --set 2>&1); check "--set without value" 2 $? "$out" "--set needs a value"
out=$("$RLPT" check-config /nonexistent.yaml 2>&1); check "missing file" 3 $? "$out" "rlpt: error: /nonexistent.yaml: cannot open"
# Commands whose module is not built yet say so, with exit 2. The list shrinks as issues land.
for c in $("$RLPT" --help | awk '/^Commands:/{f=1;next} /^$/{f=0} f{print $1}'); do
    case "$c" in check-config|train|eval) continue ;; esac
    out=$("$RLPT" "$c" </dev/null 2>&1); st=$?
    if grep -q "not built yet" <<<"$out"; then check "$c not built yet" 2 $st "$out" "rlpt: error: $c: not built yet"; fi
done
# a run that cannot fit is refused by its memory plan before anything is allocated (exit 4)
tmp=$(mktemp -d)
out=$(cd "$RLPT_SOURCE_DIR" && "$RLPT" train configs/demo.yaml --set system.memory_limit_gib=0.01 \
    --set run.dir="$tmp" 2>&1); st=$?
check "memory plan refusal" 4 $st "$out" "rlpt: error: memory plan: a rank needs .* but 10.2 MiB is available to it \\(system.memory_limit_gib\\)"
check "nothing written when refused" 0 "$(find "$tmp" -type f | wc -l)"
rm -rf "$tmp"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
