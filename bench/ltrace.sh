#!/usr/bin/env bash
# ltrace-rs against ltrace, side by side: 200k strlen calls and 200k malloc/free pairs
# (examples/c/lt_bench.c), natively, under `ltrace -c`, `ltrace-rs -c --backend ptrace` and
# `ltrace-rs -c` (the in-process backend, libpreload_ltrace.so), the tools alternating run by run
# so that drift on a shared machine hits all alike; then the call lines (no -c, to a file) of
# N_LINES strlen calls, same three tools. Prints the median wall time of each, the time per
# traced call, the ratios to ltrace (targets: ptrace at most 0.20, in-process at most 0.01), and
# the same for CPU time (user + system of the tool and the program: steadier than wall time on a
# loaded machine). Not run in CI (ltrace takes about 90 µs per call: the default takes minutes).
#
#   bench/ltrace.sh              # N=200000 calls, N_LINES=N/10, RUNS=3
#   N=20000 RUNS=5 bench/ltrace.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200000}
RUNS=${RUNS:-3}
N_LINES=${N_LINES:-$((N / 10))}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p ltrace-rs -p preload-ltrace -p tracekit-examples
OURS=$CARGO_TARGET_DIR/release/ltrace-rs
BENCH=$(ls -d "$CARGO_TARGET_DIR"/release/build/tracekit-examples-*/out/bin | head -1)/lt_bench
command -v ltrace >/dev/null || { echo "ltrace is not installed (apt-get install ltrace)" >&2; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# "wall cpu" seconds of one run of "$@" (its output discarded; cpu = user + system of it and
# its children).
timed() {
    /usr/bin/time -f '%e %U %S' -o "$OUT/time" "$@" >/dev/null 2>&1 || true
    awk '{print $1, $2 + $3}' "$OUT/time"
}

# The median of numbers on stdin.
med() { sort -g | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }

# One workload: native, ltrace, ltrace-rs --backend ptrace, ltrace-rs --backend preload, each
# with the options in $OPTS (-c, or none for the call lines); `calls` is the number of traced
# calls. With -c the ptrace backend counts in stubs in the tracee (no stop per call); the
# `ptrace, breakpoints` rows are the same runs with the stubs off (TRACEKIT_LTRACE_NO_STUBS=1:
# one stop per call).
bench() { # name, calls, lt_bench arguments...
    local name=$1 calls=$2
    shift 2
    local nat=() lt=() pt=() ip=() bp=()
    for _ in $(seq "$RUNS"); do
        nat+=("$(timed "$BENCH" "$@")")
        lt+=("$(timed ltrace $OPTS -o "$OUT/lt" "$BENCH" "$@")")
        pt+=("$(timed "$OURS" $OPTS --backend ptrace -o "$OUT/pt" "$BENCH" "$@")")
        ip+=("$(timed "$OURS" $OPTS --backend preload -o "$OUT/ip" "$BENCH" "$@")")
        if [ -n "$OPTS" ]; then
            bp+=("$(TRACEKIT_LTRACE_NO_STUBS=1 timed "$OURS" $OPTS --backend ptrace -o "$OUT/bp" "$BENCH" "$@")")
        fi
    done
    local col
    for col in 1 2; do
        local n l p i
        n=$(printf '%s\n' "${nat[@]}" | cut -d' ' -f$col | med)
        l=$(printf '%s\n' "${lt[@]}" | cut -d' ' -f$col | med)
        p=$(printf '%s\n' "${pt[@]}" | cut -d' ' -f$col | med)
        i=$(printf '%s\n' "${ip[@]}" | cut -d' ' -f$col | med)
        awk -v name="$name $([ $col = 1 ] && echo wall || echo cpu)" -v n="$n" -v l="$l" -v p="$p" -v i="$i" -v c="$calls" 'BEGIN {
            printf "%-26s %8.3f %8.3f %8.3f %8.3f %8.2f %8.2f %8.3f %7.3f %7.4f\n", name, n, l, p, i,
                (l - n) * 1e6 / c, (p - n) * 1e6 / c, (i - n) * 1e6 / c,
                (l > 0 ? p / l : 0), (l > 0 ? i / l : 0)}'
    done
    if [ -n "$OPTS" ]; then
        for col in 1 2; do
            local n l b
            n=$(printf '%s\n' "${nat[@]}" | cut -d' ' -f$col | med)
            l=$(printf '%s\n' "${lt[@]}" | cut -d' ' -f$col | med)
            b=$(printf '%s\n' "${bp[@]}" | cut -d' ' -f$col | med)
            awk -v name="  ptrace, breakpoints $([ $col = 1 ] && echo wall || echo cpu)" -v n="$n" -v l="$l" -v b="$b" -v c="$calls" 'BEGIN {
                printf "%-26s %8.3f %8.3f %8.3f %8s %8.2f %8.2f %8s %7.3f\n", name, n, l, b, "",
                    (l - n) * 1e6 / c, (b - n) * 1e6 / c, "", (l > 0 ? b / l : 0)}'
        done
    fi
    # Both backends must have seen every call.
    for f in pt ip $([ -n "$OPTS" ] && echo bp); do
        if [ -n "$OPTS" ]; then
            grep -q " $N strlen\| $N malloc" "$OUT/$f" || { echo "ltrace-rs ($f) miscounted:" >&2; cat "$OUT/$f" >&2; exit 1; }
        else
            [ "$(grep -c '^strlen(' "$OUT/$f")" = "$N_LINES" ] || { echo "ltrace-rs ($f) missed lines" >&2; exit 1; }
        fi
    done
}

echo "N=$N calls per workload (-c), N_LINES=$N_LINES (lines); $RUNS runs each; medians in seconds; µs per traced call (ltrace, ptrace, in-process); ratios to ltrace"
printf '%-26s %8s %8s %8s %8s %8s %8s %8s %7s %7s\n' "workload" "native" "ltrace" "ptrace" "inproc" "µs lt" "µs pt" "µs ip" "pt/lt" "ip/lt"
OPTS=-c
bench "-c strlen x N" "$N" strlen "$N"
bench "-c malloc+free x N" "$((2 * N))" malloc "$N"
OPTS=
bench "lines strlen x N_LINES" "$N_LINES" strlen "$N_LINES"
