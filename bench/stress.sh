#!/usr/bin/env bash
# The tools under load at full size (issue 13; tests/tests/stress.rs runs the same at a size
# that fits in CI). Prints what ran and that nothing was lost:
#  - the heap tracker: THREADS threads x ALLOCS posix_memalign/free pairs each, FORKS forks
#    while they run (every 8th child forks a grandchild) and DLOPENS dlopen/dlclose of a
#    library that allocates: every process's log, each one's calls and bytes equal to what
#    the process counted itself, no damage;
#  - strace-rs -f against strace -f -c on PROCS short processes: the same table.
#
#   bench/stress.sh            # THREADS=16 ALLOCS=1000000 FORKS=400 DLOPENS=200 PROCS=2000
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-16}
ALLOCS=${ALLOCS:-1000000}
FORKS=${FORKS:-400}
DLOPENS=${DLOPENS:-200}
PROCS=${PROCS:-2000}
cargo build --release -q -p preload-heaptrack -p tracekit -p strace-rs -p tracekit-examples
T=${CARGO_TARGET_DIR:-target}/release
PROG=$("$T/tracekit-example" heap_stress)
DLIB=$("$T/tracekit-example" heap_dlib)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "heap tracker: $THREADS threads x $ALLOCS allocations, $FORKS forks, $DLOPENS dlopen/dlclose"
start=$(date +%s.%N)
"$T/tracekit" heap -q --json --top 1 --report "$TMP/r.json" -o "$TMP/logs/" -- \
    "$PROG" "$THREADS" "$ALLOCS" "$FORKS" "$DLOPENS" "$DLIB" >"$TMP/own.txt"
end=$(date +%s.%N)
python3 - "$TMP/r.json" "$TMP/own.txt" "$start" "$end" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
own = {}
for line in open(sys.argv[2]):
    w = line.split()
    own[int(w[1])] = (int(w[3]), int(w[5]), int(w[7]))
procs = r["processes"]
bad = []
events = 0
for p in procs:
    ppid, calls, nbytes = own[p["pid"]]
    row = next(f for f in p["functions"] if f["function"] == "posix_memalign")
    if p["ppid"] != ppid or p["calls"]["posix_memalign"] != calls or row["bytes"] != nbytes:
        bad.append(p["pid"])
    events += sum(p["calls"].values())
print(f"  {len(procs)} processes ({len(own)} counted themselves), {events} allocation calls "
      f"recorded, {float(sys.argv[4]) - float(sys.argv[3]):.1f} s")
print(f"  damage: {len(r['damage'])}; processes whose counts differ from their own: {len(bad)}")
sys.exit(1 if bad or r["damage"] or len(procs) != len(own) else 0)
PY

echo "strace-rs -f: $PROCS short processes"
loop="for i in \$(seq $PROCS); do /bin/true; done"
table() { awk 'NF>=5 && $NF!="total" && $1!="%" {print $NF, $4, (NF==6?$5:0)}' "$1" | sort; }
strace -f -c -o "$TMP/a.txt" sh -c "$loop"
start=$(date +%s.%N)
"$T/strace-rs" -f -c -o "$TMP/b.txt" sh -c "$loop"
end=$(date +%s.%N)
if diff <(table "$TMP/a.txt") <(table "$TMP/b.txt") >/dev/null; then
    echo "  the same -c table as strace ($(table "$TMP/b.txt" | awk '{s+=$2} END {print s}') calls, $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}') s)"
else
    diff <(table "$TMP/a.txt") <(table "$TMP/b.txt") || true
    exit 1
fi
