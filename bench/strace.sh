#!/usr/bin/env bash
# strace-rs against strace, side by side: a syscall-heavy command natively, under -f -c, under
# -f -o FILE, and a filtered run (-e trace=openat on a program making many other calls)
# against strace --seccomp-bpf, the two tools alternating run by run, and strace-rs --json against
# its own text output. Prints the median wall
# and CPU time of each row and the ratio
# strace-rs / strace (below 1.00: strace-rs is faster).
#
#   bench/strace.sh            # COUNT=200000 dd bytes, RUNS=5 (slow on a small machine)
#   COUNT=50000 RUNS=3 bench/strace.sh
#   ONLY="-f -c" bench/strace.sh   # only the rows whose name contains ONLY
#
# strace-rs polls for the next stop for up to 100 us before it sleeps (--wait-spin=auto, see
# tracekit_ptrace::Waiter); the "--wait-spin=off" row waits as strace does, to show what the
# polling is worth on this machine (on VMs whose idle CPUs halt, most of the wall time).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-200000}
RUNS=${RUNS:-5}
MANY=${MANY:-200000}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p strace-rs -p tracekit-examples
OURS=$CARGO_TARGET_DIR/release/strace-rs
MANYBIN=$(ls -d "$CARGO_TARGET_DIR"/release/build/tracekit-examples-*/out/bin | head -1)/st_many
command -v strace >/dev/null || { echo "strace is not installed" >&2; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
DD=(dd if=/dev/zero of=/dev/null bs=1 count="$COUNT")

# One timed run of "$@": prints "WALL CPU" in seconds (CPU = user+sys of the tracer and its
# tracees, less sensitive to a busy machine than wall time).
# Wall time is taken with nanosecond clocks (/usr/bin/time's 10 ms steps are too coarse for the
# filtered rows, which take about 60 ms); CPU time has /usr/bin/time's 10 ms resolution.
timed() {
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -f "%e %U %S" -o "$OUT/time" "$@" >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    read -r _ u s < <(tail -1 "$OUT/time")
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print (b - a) / 1e9}') $(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')"
}

# The median of numbers on stdin.
med() { sort -g | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }

# "WALL CPU": medians over RUNS runs of "$@".
median() {
    local runs=()
    for _ in $(seq "$RUNS"); do runs+=("$(timed "$@")"); done
    echo "$(printf '%s\n' "${runs[@]}" | cut -d' ' -f1 | med) $(printf '%s\n' "${runs[@]}" | cut -d' ' -f2 | med)"
}

# Runs the arrays A (strace) and B (strace-rs) RUNS times each, alternating so that drift on a
# shared machine hits both alike, and prints their row.
pair() { # name
    [[ -z ${ONLY:-} || "$1" == *"$ONLY"* ]] || return 0
    local ra=() rb=()
    for _ in $(seq "$RUNS"); do
        ra+=("$(timed "${A[@]}")")
        rb+=("$(timed "${B[@]}")")
    done
    local a b
    a="$(printf '%s\n' "${ra[@]}" | cut -d' ' -f1 | med) $(printf '%s\n' "${ra[@]}" | cut -d' ' -f2 | med)"
    b="$(printf '%s\n' "${rb[@]}" | cut -d' ' -f1 | med) $(printf '%s\n' "${rb[@]}" | cut -d' ' -f2 | med)"
    row "$1" "$a" "$b"
}

row() { # name, "strace wall cpu", "ours wall cpu"
    read -r aw ac <<<"$2"
    read -r bw bc <<<"$3"
    awk -v n="$1" -v aw="$aw" -v ac="$ac" -v bw="$bw" -v bc="$bc" 'BEGIN {
        printf "%-42s %8.3f %8.3f %6.2f | %8.3f %8.3f %6.2f\n", n, aw, bw, (aw > 0 ? bw / aw : 0), ac, bc, (ac > 0 ? bc / ac : 0)}'
}

command -v /usr/bin/time >/dev/null || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 1; }
echo "dd bs=1 count=$COUNT; $RUNS runs each; medians in seconds; ratio = strace-rs / strace"
printf '%-42s %8s %8s %6s | %8s %8s %6s\n' "case" "strace" "ours" "ratio" "cpu" "cpu" "ratio"
read -r nw nc <<<"$(RUNS=3 median "${DD[@]}")"
printf '%-42s %8.3f (cpu %.3f)\n' "native dd" "$nw" "$nc"
A=(strace -f -c -o "$OUT/s.c" "${DD[@]}")
B=("$OURS" -f -c -o "$OUT/r.c" "${DD[@]}")
pair "-f -c dd"
B=("$OURS" --wait-spin=off -f -c -o "$OUT/r.c" "${DD[@]}")
pair "-f -c dd (strace-rs --wait-spin=off)"
A=(strace -f -o "$OUT/s.o" "${DD[@]}")
B=("$OURS" -f -o "$OUT/r.o" "${DD[@]}")
pair "-f -o FILE dd"
A=(strace -f --seccomp-bpf -e trace=openat -o "$OUT/s.f" "$MANYBIN" "$MANY")
B=("$OURS" -f -e trace=openat -o "$OUT/r.f" "$MANYBIN" "$MANY")
pair "-f -e trace=openat ($MANY calls, seccomp)"
A=(strace -f -e trace=openat -o "$OUT/s.g" "$MANYBIN" "$MANY")
B=("$OURS" -f --no-seccomp-bpf -e trace=openat -o "$OUT/r.g" "$MANYBIN" "$MANY")
pair "-f -e trace=openat (no seccomp, both)"
A=(strace -f -e trace=openat -o "$OUT/s.h" "$MANYBIN" "$MANY")
B=("$OURS" -f -e trace=openat -o "$OUT/r.h" "$MANYBIN" "$MANY")
pair "-f -e trace=openat (each tool's default)"
# JSON against text, both strace-rs (the "strace" column is strace-rs's text here).
A=("$OURS" -f -o "$OUT/r.t" "${DD[@]}")
B=("$OURS" -f -o "$OUT/r.j" --json "${DD[@]}")
pair "-f -o FILE --json dd (vs strace-rs text)"
