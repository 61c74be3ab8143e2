#!/usr/bin/env bash
# The heap tracker's benchmark (issue 2): an allocation-heavy program (examples/c/heap_bench.c:
# a million malloc/calloc/realloc events with their frees, sizes 16-4096, three call sites,
# stack depths 1-4) run natively, under our preload (full backtraces, zstd log), under
# `heaptrack -r` (record only) and under glibc's `memusage`, side by side.
# "(no zstd)" is our preload with TRACEKIT_COMPRESS=0 (records left uncompressed).
# Prints the median wall time, CPU time (user+sys, the tool's helper processes and threads
# included) and max RSS of RUNS runs of each, and the ratios; then the log sizes (ours vs
# heaptrack's compressed raw file), and `tracekit report` vs `heaptrack_print` on those logs
# (time and max RSS), when `tracekit report` exists.
#
# With CALLGRIND=1 it also counts instructions (repeatable, unlike times on a shared machine):
# native and under our preload (records uncompressed), N/10 iterations, and prints our cost
# per iteration (one allocation event and, for malloc and calloc, its free).
#
#   bench/heap.sh              # RUNS=5 N=1000000
#   RUNS=11 N=200000 bench/heap.sh
#   CALLGRIND=1 bench/heap.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
N=${N:-1000000}
cargo build --release -q -p preload-heaptrack -p tracekit-examples
cargo build --release -q -p tracekit 2>/dev/null || echo "(tracekit does not build: report comparison skipped)"
T=${CARGO_TARGET_DIR:-target}/release
LIB=$(realpath "$T/libpreload_heaptrack.so")
PROG=$("$T/tracekit-example" heap_bench)
TRACEKIT=$(realpath "$T/tracekit" 2>/dev/null || true)
if [ "${CALLGRIND:-0}" = 1 ] && command -v valgrind >/dev/null; then
    CG=$(mktemp -d)
    M=$((N / 10))
    count() { valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$CG/cg.%p" "$@" \
        2>&1 >/dev/null | sed -n 's/.*Collected : *//p' | tail -1; }
    native=$(count "$PROG" "$M")
    # valgrind's launcher is a program of its own: follow exec so the preload reaches heap_bench.
    ours=$(TRACEKIT_FOLLOW_EXEC=1 TRACEKIT_COMPRESS=0 TRACEKIT_LOG="$CG/cg.tklog" \
        count env LD_PRELOAD="$LIB" "$PROG" "$M")
    echo "callgrind, heap_bench $M: native $native instructions, tracekit preload $ours:" \
        "$(( (ours - native) / M )) more per iteration"
    rm -rf "$CG"
fi
python3 - "$RUNS" "$N" "$LIB" "$PROG" "$TRACEKIT" <<'PY'
import os, shutil, statistics, subprocess, sys, tempfile, time

runs, n, lib, prog, tracekit = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
tmp = tempfile.mkdtemp(prefix="tk-heap-bench-")
base = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "TRACEKIT_LOG")}

def once(argv, env=None, cwd=tmp):
    """wall s, cpu s (user+sys of the process and the children it waited for), max RSS KiB"""
    t = time.perf_counter()
    p = subprocess.Popen(argv, env=env or base, cwd=cwd,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        sys.exit(f"{argv} failed with status {status}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss

def have(tool):
    return shutil.which(tool) is not None

ours_log = os.path.join(tmp, "ours.tklog")
setups = [("native", lambda: once([prog, n]))]
setups.append(("tracekit preload", lambda: once([prog, n], dict(base, LD_PRELOAD=lib, TRACEKIT_LOG=ours_log))))
raw_log = os.path.join(tmp, "raw.tklog")
setups.append(("  (no zstd)", lambda: once([prog, n], dict(base, LD_PRELOAD=lib, TRACEKIT_LOG=raw_log,
                                                              TRACEKIT_COMPRESS="0"))))
if have("heaptrack"):
    setups.append(("heaptrack -r", lambda: once(["heaptrack", "-r", "-o", os.path.join(tmp, "ht"), prog, n])))
if have("memusage"):
    setups.append(("memusage", lambda: once(["memusage", prog, n])))

results = {name: [] for name, _ in setups}
for _ in range(runs):           # interleaved, so load changes hit every setup alike
    for name, f in setups:
        results[name].append(f())

med = {name: [statistics.median(r[i] for r in rs) for i in range(3)] for name, rs in results.items()}
print(f"heap_bench {n}: median of {runs} runs")
print(f"{'setup':<18} {'wall s':>8} {'x native':>9} {'cpu s':>8} {'x native':>9} {'max RSS':>10}")
nat = med["native"]
for name, (w, c, rss) in med.items():
    print(f"{name:<18} {w:8.3f} {w / nat[0]:9.2f} {c:8.3f} {c / nat[1]:9.2f} {rss / 1024:8.1f}MB")
if "heaptrack -r" in med:
    h = med["heaptrack -r"]
    for name in ("tracekit preload", "  (no zstd)"):
        o = med[name]
        print(f"{name.strip()} / heaptrack -r: wall {o[0] / h[0]:.2f}, cpu {o[1] / h[1]:.2f}  (target: <= 0.5)")

print()
ours_size = os.path.getsize(ours_log)
print(f"log size: tracekit {ours_size / 1e6:.2f} MB (uncompressed {os.path.getsize(raw_log) / 1e6:.2f} MB)", end="")
raw = os.path.join(tmp, "ht.raw.zst")
if os.path.exists(raw):
    print(f", heaptrack raw .zst {os.path.getsize(raw) / 1e6:.2f} MB, ratio {ours_size / os.path.getsize(raw):.2f}")
else:
    print()

# Reading the logs: tracekit report vs heaptrack_print (on heaptrack's interpreted file).
if not tracekit or subprocess.run([tracekit, "report", ours_log], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL).returncode != 0:
    print("tracekit report: not available; report comparison skipped")
    sys.exit(0)
rows = [("tracekit report", lambda: once([tracekit, "report", ours_log]))]
interp = "/usr/lib/heaptrack/libexec/heaptrack_interpret"
if os.path.exists(raw) and os.path.exists(interp) and have("heaptrack_print") and have("zstd"):
    zst = os.path.join(tmp, "ht.zst")
    subprocess.run(f"zstd -dc < {raw} | {interp} | zstd -c > {zst}", shell=True, check=True)
    rows.append(("heaptrack_print", lambda: once(["heaptrack_print", zst])))
rep = {name: [] for name, _ in rows}
for _ in range(runs):
    for name, f in rows:
        rep[name].append(f())
print(f"{'reader':<18} {'wall s':>8} {'cpu s':>8} {'max RSS':>10}")
rmed = {}
for name, rs in rep.items():
    w, c, rss = (statistics.median(r[i] for r in rs) for i in range(3))
    rmed[name] = (w, rss)
    print(f"{name:<18} {w:8.3f} {c:8.3f} {rss / 1024:8.1f}MB")
if "heaptrack_print" in rmed:
    a, b = rmed["tracekit report"], rmed["heaptrack_print"]
    print(f"tracekit report / heaptrack_print: time {a[0] / b[0]:.2f}, max RSS {a[1] / b[1]:.2f}")
shutil.rmtree(tmp)
PY
