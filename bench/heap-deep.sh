#!/usr/bin/env bash
# Deep stacks (issue 23): examples/c/heap_deep.c descends 50 to 81 frames through two
# recursive functions along 8 call paths and allocates on the way down (about 10 allocations
# per descent, each with a free), so every backtrace is 50 frames deep or more and consecutive
# ones share most of their frames.
#
# Counts instructions with callgrind (repeatable, unlike times on a shared machine): native
# and under our preload (records uncompressed), and prints our cost per allocation event (the
# walk, the interning and the record, and the free's record). Then, unless CALLGRIND_ONLY=1,
# the wall time of native / our preload / `heaptrack -r`, RUNS rounds alternating (medians).
#
#   bench/heap-deep.sh                 # N=20000 descents, RUNS=5
#   N=5000 CALLGRIND_ONLY=1 bench/heap-deep.sh
#   LIB=/path/to/other/libpreload_heaptrack.so bench/heap-deep.sh   # another build's preload
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20000}
RUNS=${RUNS:-5}
cargo build --release -q -p preload-heaptrack -p tracekit-examples
T=${CARGO_TARGET_DIR:-target}/release
LIB=$(realpath "${LIB:-$T/libpreload_heaptrack.so}")
PROG=$("$T/tracekit-example" heap_deep)
# The program prints its allocations per call path: "LETTERS COUNT".
ALLOCS=$("$PROG" "$N" | awk '{ n += $2 } END { print n }')
if command -v valgrind >/dev/null; then
    CG=$(mktemp -d)
    count() { valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$CG/cg.%p" "$@" \
        2>&1 >/dev/null | sed -n 's/.*Collected : *//p' | tail -1; }
    native=$(count "$PROG" "$N")
    # valgrind's launcher is a program of its own: follow exec so the preload reaches heap_deep.
    ours=$(TRACEKIT_FOLLOW_EXEC=1 TRACEKIT_COMPRESS=0 TRACEKIT_LOG="$CG/cg.tklog" \
        count env LD_PRELOAD="$LIB" "$PROG" "$N")
    echo "callgrind, heap_deep $N ($ALLOCS allocations): native $native instructions," \
        "tracekit preload $ours: $(( (ours - native) / ALLOCS )) more per allocation"
    rm -rf "$CG"
fi
[ "${CALLGRIND_ONLY:-0}" = 1 ] && exit 0
python3 - "$RUNS" "$N" "$LIB" "$PROG" <<'PY'
import os, shutil, statistics, subprocess, sys, tempfile, time

runs, n, lib, prog = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
tmp = tempfile.mkdtemp(prefix="tk-heap-deep-")
base = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "TRACEKIT_LOG")}

def once(argv, env=None):
    t = time.perf_counter()
    p = subprocess.Popen(argv, env=env or base, cwd=tmp,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    if status != 0:
        sys.exit(f"{argv} failed with status {status}")
    return time.perf_counter() - t, ru.ru_maxrss

setups = [("native", lambda: once([prog, n])),
          ("tracekit preload", lambda: once([prog, n], dict(base, LD_PRELOAD=lib,
                                                             TRACEKIT_LOG=os.path.join(tmp, "o.tklog"))))]
if shutil.which("heaptrack"):
    setups.append(("heaptrack -r", lambda: once(["heaptrack", "-r", "-o", os.path.join(tmp, "ht"), prog, n])))
res = {name: [] for name, _ in setups}
for _ in range(runs):
    for name, f in setups:
        res[name].append(f())
print(f"heap_deep {n}: median of {runs} runs (load {os.getloadavg()[0]:.2f})")
for name, rs in res.items():
    w = statistics.median(r[0] for r in rs)
    x = statistics.median(a[0] / b[0] for a, b in zip(rs, res["native"]))
    print(f"  {name:<18} {w:8.3f} s  x native {x:5.2f}  max RSS {statistics.median(r[1] for r in rs) / 1024:6.1f} MiB")
if "heaptrack -r" in res:
    r = statistics.median(a[0] / b[0] for a, b in zip(res["tracekit preload"], res["heaptrack -r"]))
    print(f"  tracekit preload / heaptrack -r: {r:.2f}")
shutil.rmtree(tmp)
PY
