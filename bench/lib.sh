# bench/lib.sh: shell helpers the bench scripts source.

# Runs a measurement, shows its output on stderr and leaves its RESULT lines on stdout. (Not
# `cmd | tee /dev/stderr`: tee reopens stderr, which truncates it when it is a file.)
result() {
    local out
    out=$("$@")
    echo "$out" >&2
    grep '^RESULT' <<<"$out"
}

# best_result FIELD LINE...: the RESULT line whose FIELD-th word (1 = "RESULT") is largest.
best_result() {
    local field=$1
    shift
    printf '%s\n' "$@" | awk -v f="$field" 'NF && (best == "" || $f + 0 > max) { max = $f + 0; best = $0 } END { print best }'
}

# torch_peer THREADS FIELD SCRIPT ARGS...: runs a PyTorch peer script (bench/torch_peer.py pins
# its OpenBLAS to THREADS) with torch's intra-op threads at THREADS and, when THREADS > 1, at 1
# too, and prints the better RESULT line (by FIELD): the peer at its best on these cores.
torch_peer() {
    local threads=$1 field=$2 script=$3
    shift 3
    local a b=""
    a=$(result /usr/bin/python3 "$script" "$@" "$threads" "$threads")
    if [ "$threads" -gt 1 ]; then b=$(result /usr/bin/python3 "$script" "$@" "$threads" 1); fi
    best_result "$field" "$a" "$b"
}
