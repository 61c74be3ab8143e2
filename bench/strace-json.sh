#!/usr/bin/env bash
# strace-rs --output-format=json against strace-rs's own text output on the same run (dd
# making 2*COUNT system calls, -f -o FILE), side by side:
#  1. CPU time, RUNS runs of each, the two alternating so that drift on a shared machine hits
#     both alike: medians of user+sys of tracer and dd (/usr/bin/time) and of the tracer alone
#     (perf stat --no-inherit task-clock, when perf is installed), and JSON/text ratios.
#  2. Instructions per traced call under callgrind (repeatable on a loaded machine): the
#     tracer attaches (-p) to a dd started natively and waiting on a FIFO (valgrind cannot
#     run strace-rs's fork-and-seize spawn); two run lengths, CG_SHORT and CG_LONG dd bytes,
#     and the difference of their counts over the difference of their calls, so that start-up
#     and exit cancel out.
#
#   bench/strace-json.sh                      # COUNT=100000 RUNS=5, CG_SHORT=2000 CG_LONG=12000
#   COUNT=200000 RUNS=7 bench/strace-json.sh
#   CALLGRIND=0 bench/strace-json.sh           # CPU rows only
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-100000}
RUNS=${RUNS:-5}
CG_SHORT=${CG_SHORT:-2000}
CG_LONG=${CG_LONG:-12000}
CALLGRIND=${CALLGRIND:-1}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p strace-rs
OURS=$CARGO_TARGET_DIR/release/strace-rs
command -v /usr/bin/time >/dev/null || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
DD=(dd if=/dev/zero of=/dev/null bs=1 count="$COUNT")
PERF=0
if command -v perf >/dev/null && perf stat -x, --no-inherit -e task-clock true >/dev/null 2>&1; then
    PERF=1
fi

# The median of numbers on stdin.
med() { sort -g | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }

# One run of strace-rs with "$@" before the command: prints "CPU TRACER" in seconds (CPU:
# user+sys of tracer and dd; TRACER: the tracer's task-clock, 0 without perf).
run() {
    local tracer=0
    if [ "$PERF" = 1 ]; then
        /usr/bin/time -f "%U %S" -o "$OUT/time" \
            perf stat -x, --no-inherit -e task-clock -o "$OUT/perf" \
            "$OURS" -f "$@" "${DD[@]}" >/dev/null 2>&1 || true
        tracer=$(awk -F, '/task-clock/ {print $1 / 1000}' "$OUT/perf")
    else
        /usr/bin/time -f "%U %S" -o "$OUT/time" "$OURS" -f "$@" "${DD[@]}" >/dev/null 2>&1 || true
    fi
    read -r u s < <(tail -1 "$OUT/time")
    echo "$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}') $tracer"
}

echo "dd bs=1 count=$COUNT ($((2 * COUNT)) traced calls), strace-rs -f -o FILE; $RUNS runs each, alternating"
rt=() rj=()
for _ in $(seq "$RUNS"); do
    rt+=("$(run -o "$OUT/t")")
    rj+=("$(run -o "$OUT/j" --output-format=json)")
done
col() { printf '%s\n' "${@:2}" | cut -d' ' -f"$1" | med; }
tc=$(col 1 "${rt[@]}") jc=$(col 1 "${rj[@]}")
tt=$(col 2 "${rt[@]}") jt=$(col 2 "${rj[@]}")
printf '%-34s %9s %9s %7s\n' "median CPU seconds" "text" "json" "json/text"
awk -v a="$tc" -v b="$jc" 'BEGIN {printf "%-34s %9.3f %9.3f %7.3f\n", "tracer + dd (user+sys)", a, b, b / a}'
if [ "$PERF" = 1 ]; then
    awk -v a="$tt" -v b="$jt" 'BEGIN {printf "%-34s %9.3f %9.3f %7.3f\n", "tracer alone (task-clock)", a, b, b / a}'
fi
echo "per-run ratios (json/text, run i against run i):"
for i in $(seq 0 $((RUNS - 1))); do
    read -r a at <<<"${rt[$i]}"
    read -r b bt <<<"${rj[$i]}"
    awk -v a="$a" -v b="$b" -v at="$at" -v bt="$bt" 'BEGIN {printf "  %.3f", b / a; if (at > 0) printf " (tracer %.3f)", bt / at; printf "\n"}'
done

[ "$CALLGRIND" = 1 ] || exit 0
command -v valgrind >/dev/null || { echo "valgrind is not installed: no instruction counts" >&2; exit 0; }

# Instructions (callgrind Ir) of the tracer per traced call with options "$1", measured by
# bench/strace-per-call.sh (the tracer attached to a dd waiting on a FIFO, two lengths).
instructions() {
    OPTS="$1" SYSCALLS=0 CG_SHORT=$CG_SHORT CG_LONG=$CG_LONG bench/strace-per-call.sh "$OURS" |
        awk '$1 == "instructions" {print $2}'
}

echo "callgrind, instructions of the tracer per traced call (dd of $CG_SHORT and $CG_LONG bytes):"
t=$(instructions "-f") j=$(instructions "-f --output-format=json")
awk -v t="$t" -v j="$j" 'BEGIN {printf "  text %.0f  json %.0f  json/text %.3f\n", t, j, j / t}'
