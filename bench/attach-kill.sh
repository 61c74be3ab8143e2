#!/usr/bin/env bash
# `tracekit heap -p PID` killed with SIGKILL at a random moment of its attach (issue 20:
# "the target never left stopped or with a breakpoint in it"). Each round starts
# heap_attach with THREADS (16) allocating threads, starts `tracekit heap -p` on it, sends
# SIGKILL to that tracekit process a random 0 to MAX_MS (20) ms after the program's threads
# were first seized (the attach holds them some 10-20 ms: most kills land inside it), and
# then checks the program: still alive, not stopped, no tracer left once the detach had
# time to end, no thread left SCHED_FIFO, its workers still counting, and at `quit` its
# normal last line and status 0. Prints how many of RUNS (50) rounds left the program dead,
# stopped or wrong, and the phases of any attach or detach over 100 ms.
#
#   bench/attach-kill.sh                 # RUNS=50 THREADS=16 MAX_MS=20
#   TARGET=tracekit-worker bench/attach-kill.sh   # kill the process that traces it instead
#                                        # (the attach worker: what a kill of tracekit did before it had one)
#   TRACEKIT=/path/to/tracekit bench/attach-kill.sh   # another build (a main checkout's)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-50}
THREADS=${THREADS:-16}
MAX_MS=${MAX_MS:-20}
PROFILE=${PROFILE:-release}
TARGET=${TARGET:-tracekit}
if [ "$PROFILE" = release ]; then
    cargo build --release -q -p preload-heaptrack -p tracekit -p tracekit-examples
else
    cargo build -q -p preload-heaptrack -p tracekit -p tracekit-examples
fi
T=${CARGO_TARGET_DIR:-target}/$PROFILE
TRACEKIT=${TRACEKIT:-$(realpath "$T/tracekit")}
export TRACEKIT_PRELOAD_DIR=${TRACEKIT_PRELOAD_DIR:-$(realpath "$T")}
PROG=$("$T/tracekit-example" heap_attach)
W=$(mktemp -d)
trap '' PIPE
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$W"' EXIT

field() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null || true; }
state() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1 || true; }

bad=0
: > "$W/log"
for i in $(seq "$RUNS"); do
    rm -f "$W/ctl" "$W/out"
    mkfifo "$W/ctl"
    "$PROG" "$THREADS" < "$W/ctl" > "$W/out" 2> "$W/victim.err" &
    VPID=$!
    exec 3> "$W/ctl"
    until grep -q '^ready' "$W/out" 2> /dev/null; do sleep 0.01; done
    delay=$((RANDOM % (MAX_MS * 1000 + 1)))
    # tracekit started by a helper running SCHED_FIFO (above tracekit's own priority, so on a
    # loaded machine its clock is not late), which waits until the program's threads are
    # first seized (its TracerPid set), spins DELAY us and sends the SIGKILL.
    chrt -f 3 python3 - "$VPID" "$delay" "$TARGET" "$W/tk.err" "$TRACEKIT" heap -p "$VPID" \
        --duration 1 -o "$W/logs/" --report /dev/null > "$W/killed" <<'PY'
import os, sys, time, subprocess
vpid, delay, target, err = int(sys.argv[1]), int(sys.argv[2]) / 1e6, sys.argv[3], sys.argv[4]
normal = lambda: os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
tk = subprocess.Popen(sys.argv[5:], stderr=open(err, "w"), preexec_fn=normal)
def tracer():
    try:
        for line in open(f"/proc/{vpid}/status"):
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    except OSError:
        return -1
    return 0
t = 0
while t == 0 and tk.poll() is None:
    t = tracer()
    time.sleep(0)
t0 = time.monotonic()
while time.monotonic() - t0 < delay:
    pass
who = t if target == "tracekit-worker" and t > 0 else tk.pid
try:
    os.kill(who, 9)
    print(f"{(time.monotonic() - t0) * 1e3:.2f} ms")
except ProcessLookupError:
    print("none (ended)")
tk.wait()
PY
    # Whatever carries on after the kill (a worker) detaches within --duration and the
    # log's finish; wait until no tracer is left (10 s at most).
    for _ in $(seq 1000); do
        tp=$(field "$VPID" TracerPid)
        [ "${tp:-0}" = 0 ] && break
        sleep 0.01
    done
    pgrep -f "heap -p $VPID" > /dev/null && sleep 2
    what=ok
    if ! kill -0 "$VPID" 2> /dev/null || [ "$(state "$VPID")" = Z ]; then
        what=died
    elif [ "$(field "$VPID" TracerPid)" != 0 ]; then
        what=still-traced
    elif [ "$(state "$VPID")" = t ] || [ "$(state "$VPID")" = T ]; then
        what=left-stopped
    elif for t in /proc/"$VPID"/task/*; do chrt -p "${t##*/}" 2> /dev/null; done |
        grep -q 'policy: SCHED_FIFO'; then
        what=left-fifo # (a thread still raised by tracekit)
    else
        echo pause >&3
        for _ in $(seq 500); do grep -q '^paused' "$W/out" && break; sleep 0.01; done
        a=$(grep '^paused' "$W/out" | tail -1 | awk '{print $2+$3+$4+$5+$6}')
        echo resume >&3
        sleep 0.5
        echo pause >&3
        for _ in $(seq 500); do [ "$(grep -c '^paused' "$W/out")" -ge 2 ] && break; sleep 0.01; done
        b=$(grep '^paused' "$W/out" | tail -1 | awk '{print $2+$3+$4+$5+$6}')
        if [ -z "$a" ] || [ -z "$b" ] || [ "$b" -le "$a" ]; then what=not-counting; fi
    fi
    echo quit >&3 2> /dev/null || true # (a dead program: EPIPE, ignored below)
    exec 3>&-
    st=0
    for _ in $(seq 500); do kill -0 "$VPID" 2> /dev/null || break; sleep 0.01; done
    wait "$VPID" 2> /dev/null || st=$?
    if [ "$what" = ok ] && { [ "$st" != 0 ] || ! tail -1 "$W/out" | grep -q '^done'; }; then
        what="bad-end(status $st)"
    fi
    [ "$what" = ok ] || bad=$((bad + 1))
    said=$(grep -o 'attached to process [0-9]* in [0-9.]* ms\|detached from process [0-9]* in [0-9.]* ms' "$W/tk.err" | tr '\n' ' ' || true)
    # The whole line of an attach or detach over 100 ms (its phases).
    slow=$(awk '/(at|de)tached (to|from) process [0-9]+ in [0-9.]+ ms/ {
        for (i = 1; i < NF; i++) if ($i == "in") { if ($(i+1) > 100) print; break } }' "$W/tk.err")
    printf 'round %d: SIGKILL to %s %s after the seize: program %s; %s\n' "$i" "$TARGET" "$(cat "$W/killed")" "$what" "$said" | tee -a "$W/log"
    [ -z "$slow" ] || echo "$slow"
    kill -KILL "$VPID" 2> /dev/null || true
done
printf '%d of %d rounds left the program dead, stopped, traced or wrong (SIGKILL to %s at 0-%d ms)\n' \
    "$bad" "$RUNS" "$TARGET" "$MAX_MS"
