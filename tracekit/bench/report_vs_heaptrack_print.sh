#!/usr/bin/env bash
# `tracekit report` against `heaptrack_print`, each on its own recording of the same run of
# examples/c/heap_bench.c (a million allocation events, three sites, a few stack depths).
# Prints the median wall time, CPU time (user + system: steadier on a shared machine) and peak
# RSS of RUNS runs of each, and the ratios.
#
#   tracekit/bench/report_vs_heaptrack_print.sh [ITERATIONS] [RUNS]
#
# Needs heaptrack (apt-get install heaptrack) and GNU time (/usr/bin/time). Builds the release
# artifacts into $CARGO_TARGET_DIR (default: target/).
set -euo pipefail
iterations=${1:-1000000}
runs=${2:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
command -v heaptrack >/dev/null && command -v heaptrack_print >/dev/null ||
    { echo "heaptrack is not installed (apt-get install heaptrack)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time is not installed (apt-get install time)" >&2; exit 2; }

(cd "$root" && cargo build --release -q -p tracekit -p preload-heaptrack -p tracekit-examples)
tracekit=$target/release/tracekit
preload=$target/release/libpreload_heaptrack.so
bench=$(ls -t "$target"/release/build/tracekit-examples-*/out/bin/heap_bench | head -1)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One recording each, of the same program and arguments.
TRACEKIT_LOG=$work/run.tklog LD_PRELOAD=$preload "$bench" "$iterations" >/dev/null
heaptrack -o "$work/run" "$bench" "$iterations" >/dev/null 2>&1
ht=
for f in "$work"/run.zst "$work"/run.gz; do [ -e "$f" ] && ht=$f; done
[ -n "$ht" ] || { echo "heaptrack wrote no output in $work" >&2; exit 1; }

# median of the numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# measure NAME CMD...: RUNS runs; prints "NAME median_wall_s median_cpu_s median_kb"
measure() {
    local name=$1; shift
    local walls=() cpus=() mems=()
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>&1
        read -r e u s m <"$work/time"
        walls+=("$e"); cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')"); mems+=("$m")
    done
    echo "$name $(printf '%s\n' "${walls[@]}" | median) $(printf '%s\n' "${cpus[@]}" | median)" \
        "$(printf '%s\n' "${mems[@]}" | median)"
}

events=$("$tracekit" dump "$work/run.tklog" | grep -c '"type":"\(alloc\|free\|realloc\)"')
echo "heap_bench $iterations: $events heap events"
echo "log sizes: tracekit $(stat -c %s "$work/run.tklog") bytes, heaptrack $(stat -c %s "$ht") bytes"
ours=$(measure "tracekit-report" "$tracekit" report "$work/run.tklog")
theirs=$(measure "heaptrack_print" heaptrack_print "$ht")
printf '%-18s %10s %10s %12s\n' tool "wall s" "cpu s" "max RSS KB"
for line in "$ours" "$theirs"; do
    # shellcheck disable=SC2086
    printf '%-18s %10s %10s %12s\n' $line
done
read -r _ w1 c1 m1 <<<"$ours"
read -r _ w2 c2 m2 <<<"$theirs"
awk -v w1="$w1" -v w2="$w2" -v c1="$c1" -v c2="$c2" -v m1="$m1" -v m2="$m2" 'BEGIN {
    printf "ratio tracekit/heaptrack_print: wall %.2f, cpu %.2f, memory %.2f\n", w1 / w2, c1 / c2, m1 / m2
}'
