# Shared by the benchmarks that compare tracekit with heaptrack_print on heap_bench
# (bench/export.sh): sourced with `iterations`,
# `runs` and `root` (the workspace) set. Builds the release artifacts, records one run of
# heap_bench under each tracker ($work/run.tklog, $ht), and defines `median` and `measure`.
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

