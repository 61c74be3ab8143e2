#!/usr/bin/env bash
# ltrace-rs against ltrace, side by side: 200k strlen calls and 200k malloc/free pairs
# (examples/c/lt_bench.c), natively, under `ltrace -c`, `ltrace-rs -c --backend ptrace` and
# `ltrace-rs -c` (the in-process backend, libpreload_ltrace.so), the tools alternating run by run
# so that drift on a shared machine hits all alike. Prints the median wall time of each, the
# time per traced call, and the ratios to ltrace (targets: ptrace at most 0.20, in-process at
# most 0.01). Not run in CI (ltrace takes about 90 µs per call, so the default takes minutes).
#
#   bench/ltrace.sh              # N=200000 calls, RUNS=3
#   N=20000 RUNS=5 bench/ltrace.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200000}
RUNS=${RUNS:-3}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p ltrace-rs -p preload-ltrace -p tracekit-examples
OURS=$CARGO_TARGET_DIR/release/ltrace-rs
BENCH=$(ls -d "$CARGO_TARGET_DIR"/release/build/tracekit-examples-*/out/bin | head -1)/lt_bench
command -v ltrace >/dev/null || { echo "ltrace is not installed (apt-get install ltrace)" >&2; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# Wall seconds of one run of "$@" (its output discarded).
timed() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN {print (b - a) / 1e9}'
}

# The median of numbers on stdin.
med() { sort -g | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }

# One workload: native, ltrace -c, ltrace-rs -c (ptrace), ltrace-rs -c (in-process); `calls`
# is the number of traced calls.
bench() { # name, calls, lt_bench arguments...
    local name=$1 calls=$2
    shift 2
    local nat=() lt=() pt=() ip=()
    for _ in $(seq "$RUNS"); do
        nat+=("$(timed "$BENCH" "$@")")
        lt+=("$(timed ltrace -c -o "$OUT/lt" "$BENCH" "$@")")
        pt+=("$(timed "$OURS" -c --backend ptrace -o "$OUT/pt" "$BENCH" "$@")")
        ip+=("$(timed "$OURS" -c --backend preload -o "$OUT/ip" "$BENCH" "$@")")
    done
    local n l p i
    n=$(printf '%s\n' "${nat[@]}" | med)
    l=$(printf '%s\n' "${lt[@]}" | med)
    p=$(printf '%s\n' "${pt[@]}" | med)
    i=$(printf '%s\n' "${ip[@]}" | med)
    awk -v name="$name" -v n="$n" -v l="$l" -v p="$p" -v i="$i" -v c="$calls" 'BEGIN {
        printf "%-18s %8.3f %8.3f %8.3f %8.3f %8.2f %8.2f %8.3f %7.3f %7.4f\n", name, n, l, p, i,
            (l - n) * 1e6 / c, (p - n) * 1e6 / c, (i - n) * 1e6 / c,
            (l > 0 ? p / l : 0), (l > 0 ? i / l : 0)}'
    # Both backends must have counted every call.
    for f in pt ip; do
        grep -q " $N strlen\| $N malloc" "$OUT/$f" || { echo "ltrace-rs ($f) miscounted:" >&2; cat "$OUT/$f" >&2; exit 1; }
    done
}

echo "N=$N calls per workload; $RUNS runs each; medians in seconds; µs per traced call (ltrace, ptrace, in-process); ratios to ltrace"
printf '%-18s %8s %8s %8s %8s %8s %8s %8s %7s %7s\n' "workload" "native" "ltrace" "ptrace" "inproc" "µs lt" "µs pt" "µs ip" "pt/lt" "ip/lt"
bench "strlen x N" "$N" strlen "$N"
bench "malloc+free x N" "$((2 * N))" malloc "$N"
