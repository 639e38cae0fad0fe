#!/usr/bin/env bash
# scripts/install-deps.sh: installs the Debian 12 packages rlpt needs to build, test and run.
#
# Idempotent and non-interactive: it asks dpkg what is already there, runs `apt-get update`
# at most once, and installs only what is missing. Works as root with no standard input;
# as a non-root user it uses sudo when available and otherwise says what to install.
#
#   scripts/install-deps.sh            build + run dependencies
#   scripts/install-deps.sh --test     also what the test suite's reference fixtures and
#                                      sanitizer/fuzz builds need (clang, python3-torch, ...)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# Build and run: compiler, CMake, MPI, BLAS, and the libraries rlpt links.
pkgs=(build-essential cmake pkg-config git
      openmpi-bin libopenmpi-dev
      libopenblas0-pthread libopenblas-pthread-dev
      libyaml-dev libcjson-dev libpcre2-dev libutf8proc-dev libgmp-dev libseccomp-dev
      libcmocka-dev python3 gnuplot-nox)
# An entry PKG:CMD is satisfied by the command CMD on the PATH too (a Node.js from another
# Debian source ships its own npm and conflicts with Debian's npm package).
# Tests: clang + its sanitizer/fuzzer runtime, the PyTorch / Jinja2 / SymPy references
# (only under /usr/bin/python3), Node.js for the HF tokenizers reference.
test_pkgs=(clang clang-format libclang-rt-14-dev python3-torch python3-numpy python3-jinja2 python3-sympy
           nodejs:node npm:npm)

want_test=0
for a in "$@"; do
    case "$a" in
        --test) want_test=1 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "install-deps.sh: unknown option '$a' (see --help)" >&2; exit 2 ;;
    esac
done
[ "$want_test" = 1 ] && pkgs+=("${test_pkgs[@]}")

missing=()
for entry in "${pkgs[@]}"; do
    p=${entry%%:*}
    cmd=${entry#*:}
    if [ "$cmd" != "$entry" ] && command -v "$cmd" >/dev/null 2>&1; then
        continue
    fi
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-deps: all ${#pkgs[@]} packages present"
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo -n)
    else
        echo "install-deps: not root and no sudo; install as root: apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi
"${sudo[@]}" apt-get update -q </dev/null
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
