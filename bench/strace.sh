#!/usr/bin/env bash
# strace-rs against strace, side by side: a syscall-heavy command natively, under -f -c, under
# -f -o FILE, and a filtered run (-e trace=openat on a program making many other calls)
# against strace --seccomp-bpf. Prints the median wall time of each row and the ratio
# strace-rs / strace (below 1.00: strace-rs is faster).
#
#   bench/strace.sh            # COUNT=200000 dd bytes, RUNS=5 (slow on a small machine)
#   COUNT=50000 RUNS=3 bench/strace.sh
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

# "WALL CPU": medians over RUNS runs of "$@" of wall seconds and of CPU seconds (user+sys of
# the tracer and its tracees, less sensitive to a busy machine than wall time).
median() {
    local walls=() cpus=()
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f "%e %U %S" -o "$OUT/time" "$@" >/dev/null 2>&1 || true
        read -r e u s < <(tail -1 "$OUT/time")
        walls+=("$e")
        cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')")
    done
    local mw mc
    mw=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}')
    mc=$(printf '%s\n' "${cpus[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}')
    echo "$mw $mc"
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
read -r nw nc <<<"$(median "${DD[@]}")"
printf '%-42s %8.3f (cpu %.3f)\n' "native dd" "$nw" "$nc"
a=$(median strace -f -c -o "$OUT/s.c" "${DD[@]}")
b=$(median "$OURS" -f -c -o "$OUT/r.c" "${DD[@]}")
row "-f -c dd" "$a" "$b"
a=$(median strace -f -o "$OUT/s.o" "${DD[@]}")
b=$(median "$OURS" -f -o "$OUT/r.o" "${DD[@]}")
row "-f -o FILE dd" "$a" "$b"
a=$(median strace -f --seccomp-bpf -e trace=openat -o "$OUT/s.f" "$MANYBIN" "$MANY")
b=$(median "$OURS" -f -e trace=openat -o "$OUT/r.f" "$MANYBIN" "$MANY")
row "-f -e trace=openat ($MANY calls, seccomp)" "$a" "$b"
a=$(median strace -f -e trace=openat -o "$OUT/s.g" "$MANYBIN" "$MANY")
b=$(median "$OURS" -f --no-seccomp-bpf -e trace=openat -o "$OUT/r.g" "$MANYBIN" "$MANY")
row "-f -e trace=openat (no seccomp, both)" "$a" "$b"
a=$(median strace -f -e trace=openat -o "$OUT/s.h" "$MANYBIN" "$MANY")
b=$(median "$OURS" -f -e trace=openat -o "$OUT/r.h" "$MANYBIN" "$MANY")
row "-f -e trace=openat (each tool's default)" "$a" "$b"
