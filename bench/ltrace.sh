#!/usr/bin/env bash
# ltrace-rs against ltrace, side by side: 200k strlen calls and 200k malloc/free pairs
# (examples/c/lt_bench.c), natively, under `ltrace -c` and under `ltrace-rs -c` (the ptrace
# backend), the tools alternating run by run so that drift on a shared machine hits both alike.
# Prints the median wall time of each, the time per traced call, and the ratio
# ltrace-rs / ltrace (the target is at most 0.20). Not run in CI (ltrace takes about 90 µs per
# call, so the default takes several minutes).
#
#   bench/ltrace.sh              # N=200000 calls, RUNS=3
#   N=20000 RUNS=5 bench/ltrace.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200000}
RUNS=${RUNS:-3}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p ltrace-rs -p tracekit-examples
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

# One workload: native, ltrace -c, ltrace-rs -c; `calls` is the number of traced calls.
bench() { # name, calls, lt_bench arguments...
    local name=$1 calls=$2
    shift 2
    local nat=() lt=() rs=()
    for _ in $(seq "$RUNS"); do
        nat+=("$(timed "$BENCH" "$@")")
        lt+=("$(timed ltrace -c -o "$OUT/lt" "$BENCH" "$@")")
        rs+=("$(timed "$OURS" -c -o "$OUT/rs" "$BENCH" "$@")")
    done
    local n l r
    n=$(printf '%s\n' "${nat[@]}" | med)
    l=$(printf '%s\n' "${lt[@]}" | med)
    r=$(printf '%s\n' "${rs[@]}" | med)
    awk -v name="$name" -v n="$n" -v l="$l" -v r="$r" -v c="$calls" 'BEGIN {
        printf "%-28s %9.3f %9.3f %9.3f %8.1f %8.1f %7.3f\n", name, n, l, r,
            (l - n) * 1e6 / c, (r - n) * 1e6 / c, (l > 0 ? r / l : 0)}'
    # Both tools must have counted every call.
    grep -q " $N strlen\| $N malloc" "$OUT/rs" || { echo "ltrace-rs miscounted:" >&2; cat "$OUT/rs" >&2; exit 1; }
}

echo "N=$N calls per workload; $RUNS runs each; medians in seconds; µs per traced call; ratio = ltrace-rs / ltrace"
printf '%-28s %9s %9s %9s %8s %8s %7s\n' "workload" "native" "ltrace" "ltrace-rs" "µs/call" "µs/call" "ratio"
bench "strlen x N" "$N" strlen "$N"
bench "malloc+free x N" "$((2 * N))" malloc "$N"
