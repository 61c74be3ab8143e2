#!/usr/bin/env bash
# The printers, side by side on recordings of the same run of examples/c/heap_bench.c:
# `tracekit report` (and `report --graph` and each `tracekit export --format F` when this build
# has them) on our log, against `heaptrack_print` on heaptrack's recording (and
# `heaptrack_print -M` for its massif export), and `ms_print` on valgrind massif's output.
# For each size (1M and 10M heap events by default), RUNS rounds in which every command runs
# once, in turn (alternating, so a busy moment of a shared machine hits all of them); prints
# the median wall time, CPU time (user + system: steadier than wall time when the machine is
# shared) and peak RSS of each, and their ratios to heaptrack_print's. CPU time is that of
# every process the command made, the ones it left behind included (tracekit's symbolizer
# worker is forked twice, so it is nobody's child: GNU time would not count it); `cpu main`
# is the command's own process (and its waited-for children) alone.
# Targets (issue 11): each of ours at most 1/5 of heaptrack_print's time and 1/3 of its memory;
# our report's memory flat (within 1.5x) from 1M to 10M events.
#
#   bench/report.sh [RUNS] [EVENTS...]      (default: 3 1000000 10000000)
#
# Needs heaptrack, valgrind (ms_print), GNU time and python3. Builds the release artifacts into
# $CARGO_TARGET_DIR (default: target/). Set NO_MASSIF=1 to skip valgrind (slow at 10M).
# BASE_TRACEKIT=PATH also runs an older tracekit binary's commands in the same rounds (named
# base-...), for a before/after comparison under the same load.
set -euo pipefail
runs=${1:-3}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
for tool in heaptrack heaptrack_print /usr/bin/time python3; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 2; }
done
massif=1
if [ -n "${NO_MASSIF:-}" ] || ! command -v valgrind >/dev/null || ! command -v ms_print >/dev/null; then
    massif=
fi

(cd "$root" && cargo build --release -q -p tracekit -p preload-heaptrack -p tracekit-examples)
tracekit=$target/release/tracekit
preload=$target/release/libpreload_heaptrack.so
bench=$(ls -t "$target"/release/build/tracekit-examples-*/out/bin/heap_bench | head -1)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# `$work/treetime OUT CMD...`: runs CMD as a child subreaper (the processes it leaves behind
# become ours, and are waited for) and writes the user and system seconds of all of them to OUT.
# (Those of python's own start are taken off.)
cat >"$work/treetime" <<'PY'
import ctypes, os, resource, sys
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
out, cmd = sys.argv[1], sys.argv[2:]
before = resource.getrusage(resource.RUSAGE_CHILDREN)
if os.fork() == 0:
    os.execvp(cmd[0], cmd)
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
r = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, "w") as f:
    f.write(f"{r.ru_utime - before.ru_utime:.3f} {r.ru_stime - before.ru_stime:.3f}\n")
PY

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# What this build of tracekit offers besides `report`.
extra_names=()
extra_cmds=()
if "$tracekit" report --help 2>/dev/null | grep -q -- '--graph'; then
    extra_names+=("tracekit-graph")
    extra_cmds+=("report --graph")
fi
if "$tracekit" export --help >/dev/null 2>&1; then
    for f in $("$tracekit" export --help | sed -n 's/.*possible values: \(.*\)]/\1/p' | tr -d ','); do
        extra_names+=("export-$f")
        extra_cmds+=("export --format $f -o $work/export.out")
    done
fi

for events in "${sizes[@]}"; do
    # heap_bench makes about 5 heap events per 3 iterations (a malloc or calloc site frees the
    # block it replaces; the realloc site is one event).
    iterations=$((events * 3 / 5))
    log=$work/run.$events.tklog
    TRACEKIT_LOG=$log LD_PRELOAD=$preload "$bench" "$iterations" >/dev/null
    heaptrack -o "$work/ht.$events" "$bench" "$iterations" >/dev/null 2>&1
    ht=$(ls "$work"/ht."$events".* | head -1)
    names=("tracekit-report")
    cmds=("$tracekit report $log")
    for i in "${!extra_names[@]}"; do
        names+=("${extra_names[$i]}")
        cmds+=("$tracekit ${extra_cmds[$i]} $log")
    done
    ours=${#names[@]}
    if [ -n "${BASE_TRACEKIT:-}" ]; then
        for i in "${!names[@]}"; do
            [ "$i" -lt "$ours" ] || continue
            names+=("base-${names[$i]}")
            cmds+=("$BASE_TRACEKIT${cmds[$i]#"$tracekit"}")
        done
    fi
    names+=("heaptrack_print" "heaptrack_print-M")
    cmds+=("heaptrack_print $ht" "heaptrack_print -M $work/ht.massif $ht")
    if [ -n "$massif" ]; then
        valgrind --tool=massif --massif-out-file="$work/massif.$events" "$bench" "$iterations" \
            >/dev/null 2>&1
        names+=("ms_print")
        cmds+=("ms_print $work/massif.$events")
    fi
    counted=$("$tracekit" report --json "$log" | python3 -c \
        'import json,sys; r=json.load(sys.stdin); print(r["valgrind"]["allocs"] + r["frees"]["calls"])')
    echo "== heap_bench $iterations: $counted heap events; log $(stat -c %s "$log") bytes," \
        "heaptrack's $(stat -c %s "$ht") bytes"
    for _ in $(seq "$runs"); do
        for i in "${!names[@]}"; do
            # shellcheck disable=SC2086
            python3 "$work/treetime" "$work/tree" \
                /usr/bin/time -f "%e %M %U %S" -o "$work/time" ${cmds[$i]} >/dev/null 2>&1 || true
            read -r e m mu ms <"$work/time"
            read -r u s <"$work/tree"
            echo "$e" >>"$work/${names[$i]}.wall"
            awk -v u="$u" -v s="$s" 'BEGIN { print u + s }' >>"$work/${names[$i]}.cpu"
            awk -v u="$mu" -v s="$ms" 'BEGIN { print u + s }' >>"$work/${names[$i]}.cpumain"
            echo "$m" >>"$work/${names[$i]}.mem"
        done
    done
    ref_wall=$(median <"$work/heaptrack_print.wall")
    ref_mem=$(median <"$work/heaptrack_print.mem")
    ref_cpu=$(median <"$work/heaptrack_print.cpu")
    ref_cpumain=$(median <"$work/heaptrack_print.cpumain")
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }'; }
    printf '%-22s %8s %8s %11s %10s %10s %10s %10s %10s\n' command "wall s" "cpu s" "max RSS KB" \
        "time ratio" "cpu ratio" "mem ratio" "cpu main s" "main ratio"
    for name in "${names[@]}"; do
        w=$(median <"$work/$name.wall")
        c=$(median <"$work/$name.cpu")
        m=$(median <"$work/$name.mem")
        cm=$(median <"$work/$name.cpumain")
        printf '%-22s %8s %8s %11s %10s %10s %10s %10s %10s\n' "$name" "$w" "$c" "$m" \
            "$(ratio "$w" "$ref_wall")" "$(ratio "$c" "$ref_cpu")" "$(ratio "$m" "$ref_mem")" \
            "$cm" "$(ratio "$cm" "$ref_cpumain")"
        rm -f "$work/$name.wall" "$work/$name.cpu" "$work/$name.cpumain"
        echo "$m" >"$work/$name.mem.$events"
        rm -f "$work/$name.mem"
    done
done
if [ ${#sizes[@]} -ge 2 ]; then
    first=${sizes[0]}
    last=${sizes[${#sizes[@]} - 1]}
    a=$(cat "$work/tracekit-report.mem.$first")
    b=$(cat "$work/tracekit-report.mem.$last")
    echo "tracekit report memory, $last against $first events: $(awk -v a="$a" -v b="$b" \
        'BEGIN { printf "%.2fx", b / a }') (target: at most 1.5x)"
fi
