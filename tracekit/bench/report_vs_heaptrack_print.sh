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
# shellcheck source=tracekit/bench/heap_bench_recordings.sh
. "$root/tracekit/bench/heap_bench_recordings.sh"

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
