#!/usr/bin/env bash
# scripts/format.sh [--check]: formats every tracked C file with the repo's .clang-format, or
# with --check lists the files that differ and fails (a CTest runs the check). Fixtures under
# tests/data/ are data (e.g. the sandbox's hostile programs, written as an attacker would) and
# are left as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' ':!:tests/data/**')
if [ "${1:-}" = "--check" ]; then
    bad=0
    for f in "${files[@]}"; do
        if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
            echo "not formatted: $f (run scripts/format.sh)"
            bad=1
        fi
    done
    [ "$bad" = 0 ] && echo "format: ${#files[@]} files follow .clang-format"
    exit "$bad"
fi
clang-format -i "${files[@]}"
