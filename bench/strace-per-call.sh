#!/usr/bin/env bash
# What the tracer itself pays per traced system call, independent of the machine's load: its
# instructions (callgrind Ir) and its own system calls, for one or more strace-rs binaries
# (another commit's build, say) with the same options.
#  1. Instructions: the tracer attaches (-p) to a dd started natively and waiting on a FIFO
#     (valgrind cannot run strace-rs's fork-and-seize spawn); dd of CG_SHORT and CG_LONG
#     bytes, the difference of the counts over the difference of the calls (start-up and
#     exit cancel out).
#  2. System calls: strace -c on the tracer (not following forks: strace-rs traces dd), dd
#     of 20000 and 60000 bytes, per syscall name the difference over the difference of calls.
#
#   bench/strace-per-call.sh                                  # this tree's release build, -f -c
#   OPTS="-f --output-format=json" bench/strace-per-call.sh
#   bench/strace-per-call.sh /tmp/base/target/release/strace-rs target/release/strace-rs
#   IF=/dev/urandom bench/strace-per-call.sh                   # calls whose arguments differ
#   SYSCALLS=0 bench/strace-per-call.sh                        # instructions only
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a OPTS <<<"${OPTS:--f -c}"
CG_SHORT=${CG_SHORT:-2000}
CG_LONG=${CG_LONG:-12000}
IF=${IF:-/dev/zero}
SYSCALLS=${SYSCALLS:-1}
if [ $# = 0 ]; then
    cargo build --release -q -p strace-rs
    set -- "${CARGO_TARGET_DIR:-target}/release/strace-rs"
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# Instructions (callgrind Ir) of tracer $1 attached to a dd of $2 bytes.
instructions() {
    rm -f "$OUT/go" && mkfifo "$OUT/go"
    sh -c "read x <'$OUT/go'; exec dd if=$IF of=/dev/null bs=1 count=$2" 2>/dev/null &
    local dd=$!
    valgrind --tool=callgrind --callgrind-out-file="$OUT/cg" \
        "$1" -p "$dd" -o "$OUT/cg.out" "${OPTS[@]}" 2>"$OUT/vg" &
    local vg=$!
    until grep -q "^TracerPid:[[:space:]]*[1-9]" "/proc/$dd/status" 2>/dev/null; do sleep 0.1; done
    echo go >"$OUT/go"
    wait "$vg" || true
    wait "$dd" || true
    grep -o "Collected : [0-9]*" "$OUT/vg" | grep -o "[0-9]*$"
}

# "NAME CALLS" per system call of tracer $1 tracing a dd of $2 bytes.
syscalls() {
    strace -c -o "$OUT/sc" "$1" "${OPTS[@]}" -o "$OUT/sc.out" \
        dd if="$IF" of=/dev/null bs=1 count="$2" >/dev/null 2>&1 || true
    # Rows: % seconds usecs/call calls [errors] name.
    awk '$1 ~ /^[0-9.]+$/ && $NF != "total" {print $NF, $4}' "$OUT/sc" | sort
}

echo "strace-rs ${OPTS[*]} on dd bs=1 if=$IF: per traced call"
for bin in "$@"; do
    echo "$bin"
    if command -v valgrind >/dev/null; then
        a=$(instructions "$bin" "$CG_SHORT") b=$(instructions "$bin" "$CG_LONG")
        awk -v a="$a" -v b="$b" -v n=$((2 * (CG_LONG - CG_SHORT))) \
            'BEGIN {printf "  instructions %.0f\n", (b - a) / n}'
    fi
    if [ "$SYSCALLS" = 1 ] && command -v strace >/dev/null; then
        join -a 2 -e 0 -o 0,1.2,2.2 <(syscalls "$bin" 20000) <(syscalls "$bin" 60000) |
            awk '{d = ($3 - $2) / 80000; t += d; if (d >= 0.001) printf "  %-18s %.3f\n", $1, d}
                 END {printf "  system calls       %.3f\n", t}'
    fi
done
