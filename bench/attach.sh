#!/usr/bin/env bash
# `tracekit heap -p PID` (issue 20): attaching to a running program and detaching from it.
#
# 1. Attach and detach time on a process with THREADS (16) threads allocating in a loop
#    (examples/c/heap_attach.c), as tracekit reports them (every thread stopped, the agent
#    loaded and started / stopped, every thread released), median of RUNS runs; and the wall
#    time of `heaptrack -p` (gdb) until it says the injection finished, when heaptrack and gdb
#    are installed.
# 2. The cost of recording: heap_attach's rounds per second (each round is five allocations
#    and their frees) over a WINDOW-second window, with the workers paused and resumed through
#    its stdin so every configuration measures the same kind of interval: native, under the
#    preloaded tracker (`tracekit heap -- heap_attach`), attached (`tracekit heap -p`), and
#    attached with `heaptrack -p`. Ratios against native, and attached against preloaded.
#
#   bench/attach.sh                      # RUNS=5 THREADS=16 WINDOW=2
#   RUNS=3 THREADS=4 bench/attach.sh
#   PROFILE=debug bench/attach.sh        # the debug build (no release build needed)
#   PART=latency bench/attach.sh         # only part 1 (PART=cost: only part 2)
#   HT_RUNS=3 bench/attach.sh            # heaptrack -p's runs in part 1 (default RUNS; 0: none)
#   TRACEKIT_ATTACH_NO_HURRY=1 bench/attach.sh   # the target's threads not raised to SCHED_FIFO
#
# Part 1 prints each attach's and detach's phases (stop, safe points, calls, release; how
# long one thread of the program had waited for a CPU), then median, 90th percentile, max
# and how many runs took over 100 ms. To measure under load, run busy loops meanwhile
# (`for i in $(seq 30); do (while :; do :; done) & done`, killed after).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
THREADS=${THREADS:-16}
WINDOW=${WINDOW:-2}
PROFILE=${PROFILE:-release}
PART=${PART:-all}
HT_RUNS=${HT_RUNS:-$RUNS}
if [ "$PROFILE" = release ]; then
    cargo build --release -q -p preload-heaptrack -p tracekit -p tracekit-examples
else
    cargo build -q -p preload-heaptrack -p tracekit -p tracekit-examples
fi
T=${CARGO_TARGET_DIR:-target}/$PROFILE
TRACEKIT=$(realpath "$T/tracekit")
PROG=$("$T/tracekit-example" heap_attach)
W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$W"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# Median, 90th percentile, max and how many over 100 ms, of the numbers on stdin.
spread() {
    sort -g | awk '{a[NR]=$1; if ($1 > 100) over++}
        END {m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; p = a[int((NR*9+9)/10)]
             printf "median %s, p90 %s, max %s, %d of %d over 100 ms", m, p, a[NR], over, NR}'
}

# Starts heap_attach (with the command prefix given) reading $W/ctl; sets VPID and opens fd 3.
start_victim() {
    rm -f "$W/ctl" "$W/out"
    mkfifo "$W/ctl"
    "$@" "$PROG" "$THREADS" < "$W/ctl" > "$W/out" 2>"$W/victim.err" &
    VPID=$!
    exec 3>"$W/ctl"
    until grep -q '^ready' "$W/out" 2>/dev/null; do
        if ! kill -0 "$VPID" 2>/dev/null; then
            echo "bench/attach.sh: the program did not start: $* $PROG" >&2
            cat "$W/victim.err" >&2
            exit 1
        fi
        sleep 0.05
    done
    # Under `tracekit heap --` the program is a child of tracekit.
    local child
    child=$(pgrep -P "$VPID" -f heap_attach | head -1 || true)
    [ -n "$child" ] && VPID=$child
    return 0
}
# Pauses the workers and prints the sum of their counters. (Runs in a command substitution's
# subshell: the count of "paused" lines before is read here, not kept in a variable.)
paused_total() {
    local before
    before=$(grep -c '^paused' "$W/out" || true)
    echo pause >&3
    until [ "$(grep -c '^paused' "$W/out" || true)" -gt "$before" ]; do
        kill -0 "$VPID" 2>/dev/null || { echo "bench/attach.sh: the program ended" >&2; exit 1; }
        sleep 0.02
    done
    grep '^paused' "$W/out" | tail -1 | awk '{print $2+$3+$4+$5+$6}'
}
# CPU time of the victim so far (all its threads, user + system), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$VPID/stat"; }
TICK_US=$((1000000 / $(getconf CLK_TCK)))
# Over WINDOW seconds of running (the victim paused before and after): rounds per second of
# wall time, and the victim's CPU microseconds per round (what a loaded machine disturbs
# less: other sessions take wall time, not the victim's CPU time).
window_rate() {
    local a b t0 t1 c0 c1
    a=$(paused_total)
    c0=$(cpu_ticks)
    t0=$(date +%s.%N)
    echo resume >&3
    sleep "$WINDOW"
    b=$(paused_total)
    t1=$(date +%s.%N)
    c1=$(cpu_ticks)
    echo "$a $b $t0 $t1 $c0 $c1 $TICK_US" |
        awk '{printf "%.0f %.3f\n", ($2-$1)/5/($4-$3), ($6-$5)*$7/(($2-$1)/5)}'
}
stop_victim() { echo quit >&3; exec 3>&-; wait "$1" 2>/dev/null || true; }
# Starts `heaptrack -p VPID` in a session of its own (HPID; without the control pipe, whose
# write end would keep the program's stdin open) and waits until it says it injected. Its
# output file is removed first: the last run's "injection finished" would end the wait at
# once, before the injection, and heaptrack, attaching to a program that then quit, waits
# for its pipe forever.
start_heaptrack() {
    rm -f "$W/ht.out"
    (cd "$W" && exec setsid heaptrack -p "$VPID" > "$W/ht.out" 2>&1 3>&-) &
    HPID=$!
    until grep -q 'injection finished' "$W/ht.out" 2>/dev/null || ! kill -0 "$HPID" 2>/dev/null; do
        sleep 0.01
    done
    if grep -q 'No such process\|ptrace:' "$W/ht.out"; then
        echo "bench/attach.sh: heaptrack -p failed:" >&2
        cat "$W/ht.out" >&2
    fi
}
# After the program quit: heaptrack ends by itself; its whole session is ended if it has
# not within 30 s.
end_heaptrack() {
    local i
    for i in $(seq 300); do
        kill -0 "$HPID" 2>/dev/null || break
        sleep 0.1
    done
    kill -- -"$HPID" 2>/dev/null || true
    wait "$HPID" 2>/dev/null || true
}

if [ "$PART" != cost ]; then
echo "attach to heap_attach with $THREADS allocating threads, $RUNS runs ($PROFILE build; machine shared)"
: > "$W/att"; : > "$W/det"; : > "$W/attcpu"; : > "$W/detcpu"; : > "$W/fin"
for _ in $(seq "$RUNS"); do
    start_victim
    "$TRACEKIT" heap -p "$VPID" --duration 1 -o "$W/logs/" --report /dev/null 2> "$W/tk.err" || cat "$W/tk.err"
    sed -n 's/.*attached to process [0-9]* in \([0-9.]*\) ms.*/\1/p' "$W/tk.err" >> "$W/att"
    sed -n 's/.*detached from process [0-9]* in \([0-9.]*\) ms.*/\1/p' "$W/tk.err" >> "$W/det"
    sed -n 's/.*attached to process .*CPU: target \([0-9.]*\) ms, tracekit \([0-9.]*\) ms.*/\1 \2/p' "$W/tk.err" >> "$W/attcpu"
    sed -n 's/.*detached from process .*CPU: target \([0-9.]*\) ms, tracekit \([0-9.]*\) ms.*/\1 \2/p' "$W/tk.err" >> "$W/detcpu"
    sed -n 's/.*the log finished in \([0-9.]*\) ms.*/\1/p' "$W/tk.err" >> "$W/fin"
    grep -E 'attached|detached' "$W/tk.err" | sed 's/^tracekit heap: /  /' >&2
    stop_victim "$VPID"
done
printf 'tracekit heap -p: attach %s ms, detach %s ms (median wall time the program is held; target: each under 100 ms)\n' \
    "$(median < "$W/att")" "$(median < "$W/det")"
printf '  attach: %s\n  detach: %s\n' "$(spread < "$W/att")" "$(spread < "$W/det")"
printf '  CPU (median): attach: target %s ms, tracekit %s ms; detach: target %s ms, tracekit %s ms\n' \
    "$(cut -d' ' -f1 "$W/attcpu" | median)" "$(cut -d' ' -f2 "$W/attcpu" | median)" \
    "$(cut -d' ' -f1 "$W/detcpu" | median)" "$(cut -d' ' -f2 "$W/detcpu" | median)"
printf '  then the log finished by the program itself, running: %s ms (median)\n' "$(median < "$W/fin")"

HT=0
if [ "$HT_RUNS" = 0 ]; then
    echo "heaptrack -p: not run (HT_RUNS=0)"
elif command -v heaptrack >/dev/null && command -v gdb >/dev/null; then
    HT=1
    : > "$W/ht"
    for _ in $(seq "$HT_RUNS"); do
            start_victim
        t0=$(date +%s.%N)
        start_heaptrack
        t1=$(date +%s.%N)
        echo "$t0 $t1" | awk '{printf "%.1f\n", ($2-$1)*1000}' >> "$W/ht"
        stop_victim "$VPID"
        end_heaptrack
    done
    printf 'heaptrack -p (gdb): %s ms until "injection finished" (median; no detach: it records until the program exits)\n' \
        "$(median < "$W/ht")"
    printf '  heaptrack -p: %s\n' "$(spread < "$W/ht")"
else
    echo "heaptrack -p: not run (heaptrack or gdb missing)"
fi
fi
[ "$PART" = latency ] && exit 0
HT=0
command -v heaptrack >/dev/null && command -v gdb >/dev/null && HT=1

echo
echo "recording cost: rounds/s over ${WINDOW}s windows (5 allocations + frees per round), $RUNS runs"
: > "$W/native"; : > "$W/pre"; : > "$W/attr"; : > "$W/htr"
for _ in $(seq "$RUNS"); do
    start_victim; window_rate >> "$W/native"; stop_victim "$VPID"
    start_victim "$TRACEKIT" heap -q -o "$W/logs-pre/" --report /dev/null --
    window_rate >> "$W/pre"; stop_victim "$VPID"
    start_victim
    rm -f "$W/tk.err" # (the last run's "attached" would end the wait below at once)
    "$TRACEKIT" heap -p "$VPID" -o "$W/logs-att/" --report /dev/null 2> "$W/tk.err" &
    TK=$!
    until grep -q 'attached to process' "$W/tk.err" 2>/dev/null; do
        if ! kill -0 "$TK" 2>/dev/null; then cat "$W/tk.err" >&2; exit 1; fi
        sleep 0.02
    done
    window_rate >> "$W/attr"
    kill -INT "$TK"; wait "$TK" || true
    stop_victim "$VPID"
    if [ "$HT" = 1 ]; then
        start_victim
        start_heaptrack
        window_rate >> "$W/htr"
        stop_victim "$VPID"
        end_heaptrack
    fi
done
col() { cut -d' ' -f"$1" < "$2" | median; }
printf '%-28s %12s %10s %14s %10s\n' configuration rounds/s "vs native" "CPU us/round" "vs native"
row() { # name file
    local r c
    r=$(col 1 "$2"); c=$(col 2 "$2")
    printf '%-28s %12s %10.2f %14s %10.2f\n' "$1" "$r" "$(echo "$n $r" | awk '{print $1/$2}')" \
        "$c" "$(echo "$nc $c" | awk '{print $2/$1}')"
}
n=$(col 1 "$W/native"); nc=$(col 2 "$W/native")
row native "$W/native"
row "tracekit preloaded" "$W/pre"
row "tracekit attached (-p)" "$W/attr"
if [ "$HT" = 1 ]; then
    row "heaptrack -p (victim only)" "$W/htr"
fi
p=$(col 1 "$W/pre"); a=$(col 1 "$W/attr"); pc=$(col 2 "$W/pre"); ac=$(col 2 "$W/attr")
printf 'attached vs preloaded: %.2fx the wall time per round, %.2fx the CPU time per round (target: no more than 1.00)\n' \
    "$(echo "$p $a" | awk '{print $1/$2}')" "$(echo "$pc $ac" | awk '{print $2/$1}')"
