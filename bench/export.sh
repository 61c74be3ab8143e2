#!/usr/bin/env bash
# `tracekit export` (pprof, dhat, chrome, collapsed) and `tracekit report` against
# `heaptrack_print`, each on its own recording of the same run of examples/c/heap_bench.c (a
# million allocation events by default). Prints the median wall time, CPU time (user +
# system: steadier on a shared machine) and peak RSS of RUNS runs of each, and each one's
# ratios to heaptrack_print's.
#
#   bench/export.sh [ITERATIONS] [RUNS]
#
# Needs heaptrack (apt-get install heaptrack) and GNU time (/usr/bin/time). Builds the release
# artifacts into $CARGO_TARGET_DIR (default: target/).
set -euo pipefail
iterations=${1:-1000000}
runs=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tracekit/bench/heap_bench_recordings.sh
. "$root/tracekit/bench/heap_bench_recordings.sh"

events=$("$tracekit" dump "$work/run.tklog" | grep -c '"type":"\(alloc\|free\|realloc\)"')
echo "heap_bench $iterations: $events heap events, $runs runs each (medians)"
echo "log sizes: tracekit $(stat -c %s "$work/run.tklog") bytes, heaptrack $(stat -c %s "$ht") bytes"
theirs=$(measure "heaptrack_print" heaptrack_print "$ht")
rows=("$theirs")
rows+=("$(measure "report" "$tracekit" report "$work/run.tklog")")
for f in pprof dhat chrome collapsed; do
    rows+=("$(measure "export-$f" "$tracekit" export --format "$f" -o "$work/out.$f" "$work/run.tklog")")
done
read -r _ w2 c2 m2 <<<"$theirs"
printf '%-18s %10s %10s %12s %12s %12s\n' command "wall s" "cpu s" "max RSS KB" "wall ratio" "RSS ratio"
for line in "${rows[@]}"; do
    read -r name w c m <<<"$line"
    awk -v n="$name" -v w="$w" -v c="$c" -v m="$m" -v w2="$w2" -v m2="$m2" 'BEGIN {
        printf "%-18s %10s %10s %12s %12.2f %12.2f\n", n, w, c, m, w / w2, m / m2
    }'
done
