# bench/lib.sh: shell helpers the bench scripts source.

# Runs a measurement, shows its output on stderr and leaves its RESULT lines on stdout. (Not
# `cmd | tee /dev/stderr`: tee reopens stderr, which truncates it when it is a file.)
result() {
    local out
    out=$("$@")
    echo "$out" >&2
    grep '^RESULT' <<<"$out"
}
