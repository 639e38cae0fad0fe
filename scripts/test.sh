#!/usr/bin/env bash
# scripts/test.sh: the README's second command, and what CI runs (.ci/run). Installs what is
# missing (test references included), then builds and runs the whole suite twice: the normal
# build (warnings are errors) and an AddressSanitizer + UndefinedBehaviorSanitizer build.
#   scripts/test.sh            both builds
#   scripts/test.sh --fast     the normal build only
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$RLPT_ROOT"
fast=0
[ "${1:-}" = "--fast" ] && fast=1
scripts/install-deps.sh --test
export CTEST_OUTPUT_ON_FAILURE=1
# Sanitizers: fail on the first report. (Tests that run rlpt under MPI get the settings that
# suppress Open MPI's own never-freed allocations from tests/CMakeLists.txt.)
export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$RLPT_ROOT/tests/lsan.supp:print_suppressions=0

run_suite() { # build dir, ctest label to exclude (or ""), cmake args...
    local dir=$1 exclude=$2
    shift 2
    echo "== build $dir ($*)"
    cmake -S . -B "$dir" -DRLPT_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j"$jobs"
    echo "== test $dir"
    ctest --test-dir "$dir" -j"$jobs" --timeout 1200 ${exclude:+-LE "$exclude"}
}
start=$SECONDS
run_suite build "" -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [ "$fast" = 0 ]; then
    # Under the sanitizers, everything but the `learning` test (minutes of training) and the
    # `big` one (random models of billions of parameters): their code paths the other tests
    # already run under ASan and UBSan, at smaller sizes.
    run_suite build-asan 'learning|big' -DCMAKE_BUILD_TYPE=Debug -DRLPT_SANITIZE=ON
fi
echo "== all tests passed in $((SECONDS - start)) s"
