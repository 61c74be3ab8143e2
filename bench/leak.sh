#!/usr/bin/env bash
# The leak check's benchmark (issue 19), side by side in one run, medians of RUNS runs:
#   - heap_bench N (a million allocation events, 256 blocks live);
#   - leak_bench list|array|dropped N: N live 32-byte blocks at exit, in a list from a global,
#     in an array from a global, in a list whose head was dropped (examples/c/leak_bench.c);
# each as: native; valgrind --leak-check=full; the program rebuilt with -fsanitize=leak
# (LeakSanitizer, gcc's); the heap tracker without the check (LD_PRELOAD, TRACEKIT_LOG); and
# ours (the same with TRACEKIT_LEAK_CHECK=full). Wall and CPU time (user+sys), ratios to
# memcheck and to the tracker without the check, and the exit check's cost per live block:
# (ours - tracker) / N, against LeakSanitizer's (lsan build - native) / N, which also holds
# its allocator's cost. Targets: ours at most 1/5 of memcheck's time and 1.2x the tracker
# without the check; per block no slower than LeakSanitizer. A "targets" line per workload
# and clock (CPU, then wall) gives the three ratios.
#
#   bench/leak.sh                     # RUNS=3 N=1000000 (release build: cargo build --release)
#   ANCHORS=0 bench/leak.sh           # without valgrind (minutes at N=1M)
#   PAIRED=1 RUNS=21 bench/leak.sh    # the 1.2x target alone, paired: see below
#
# PAIRED=1: only the tracker without the check and ours, in RUNS rounds of the two side by side
# (which goes first alternates), and per workload the median of the per-round ratios ours /
# tracker (CPU and wall) with the medians of each and their page faults: on a loaded machine
# the medians of unpaired runs (above) move by more than the check costs, the ratio of two
# runs made one after the other much less.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
N=${N:-1000000}
ANCHORS=${ANCHORS:-1}
PAIRED=${PAIRED:-0}
cargo build --release -q -p preload-heaptrack -p tracekit-examples
T=${CARGO_TARGET_DIR:-target}/release
LIB=$(realpath "$T/libpreload_heaptrack.so")
HEAP=$("$T/tracekit-example" heap_bench)
LEAK=$("$T/tracekit-example" leak_bench)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CC=${CC:-cc}
"$CC" -O2 -fsanitize=leak -o "$TMP/heap_bench.lsan" examples/c/heap_bench.c
"$CC" -O2 -fsanitize=leak -o "$TMP/leak_bench.lsan" examples/c/leak_bench.c
python3 - "$RUNS" "$N" "$LIB" "$HEAP" "$LEAK" "$TMP" "$ANCHORS" "$PAIRED" <<'PY'
import os, shutil, statistics, subprocess, sys, time

runs, n, lib, heap, leak, tmp, anchors, paired = sys.argv[1:9]
runs, anchors, paired = int(runs), anchors == "1", paired == "1"
base = {k: v for k, v in os.environ.items()
        if k not in ("LD_PRELOAD", "TRACEKIT_LOG", "TRACEKIT_LEAK_CHECK")}

def once(argv, env=None, faults=False):
    """wall s, cpu s (user+sys of the process and its waited-for children); with `faults`,
    its page faults too"""
    t = time.perf_counter()
    p = subprocess.Popen(argv, env=env or base, cwd=tmp,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    # LeakSanitizer exits 23 when it found leaks; valgrind keeps the program's status.
    if os.waitstatus_to_exitcode(status) not in (0, 23):
        sys.exit(f"{argv} failed with status {status}")
    for f in os.listdir(tmp):
        if f.endswith(".tklog"):
            os.unlink(os.path.join(tmp, f))
    if faults:
        return wall, ru.ru_utime + ru.ru_stime, ru.ru_minflt + ru.ru_majflt
    return wall, ru.ru_utime + ru.ru_stime

workloads = [("heap_bench " + n, heap, [n])] + [
    (f"leak_bench {m} {n}", leak, [m, n]) for m in ("list", "array", "dropped")]
log = os.path.join(tmp, "run.tklog")
if paired:
    med = statistics.median
    for title, prog, args in workloads:
        alone = dict(base, LD_PRELOAD=lib, TRACEKIT_LOG=log)
        pair = [("tracker, no check", alone), ("ours (check full)", dict(alone, TRACEKIT_LEAK_CHECK="full"))]
        got = {name: [] for name, _ in pair}
        for r in range(runs):
            for name, env in (pair if r % 2 == 0 else pair[::-1]):
                got[name].append(once([prog] + args, env, faults=True))
        a, o = got["tracker, no check"], got["ours (check full)"]
        print(f"{title}: {runs} paired rounds")
        for name, v in got.items():
            print(f"  {name:20} wall {med(x[0] for x in v) * 1e3:8.1f} ms  cpu {med(x[1] for x in v) * 1e3:8.1f} ms"
                  f"  page faults {med(x[2] for x in v):8.0f}")
        for k, unit in ((1, "cpu"), (0, "wall")):
            ratio = med(y[k] / x[k] for x, y in zip(a, o))
            extra = med((y[k] - x[k]) * 1e3 for x, y in zip(a, o))
            print(f"  ours/tracker ({unit}): median of the round ratios {ratio:.3f} (<= 1.2), +{extra:.1f} ms")
    sys.exit(0)
for title, prog, args in workloads:
    lsan = os.path.join(tmp, os.path.basename(prog) + ".lsan")
    setups = [("native", [prog] + args, None)]
    if anchors and shutil.which("valgrind"):
        setups.append(("valgrind --leak-check=full", ["valgrind", "--leak-check=full", prog] + args, None))
    setups.append(("-fsanitize=leak", [lsan] + args, None))
    setups.append(("tracker, no check", [prog] + args, dict(base, LD_PRELOAD=lib, TRACEKIT_LOG=log)))
    setups.append(("ours (check full)", [prog] + args,
                   dict(base, LD_PRELOAD=lib, TRACEKIT_LOG=log, TRACEKIT_LEAK_CHECK="full")))
    results = {name: [] for name, _, _ in setups}
    for _ in range(runs):       # interleaved, so load changes hit every setup alike
        for name, argv, env in setups:
            results[name].append(once(argv, env))
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
           for k, v in results.items()}
    print(f"{title}: median of {runs} runs (wall s, cpu s)")
    ours = med["ours (check full)"]
    for name, (w, c) in med.items():
        print(f"  {name:28} {w:8.3f} {c:8.3f}   ours/this {ours[0] / w:6.2f}x wall {ours[1] / c:6.2f}x cpu")
    # The targets, by CPU and by wall time (wall is the noisier on a loaded machine).
    for k, unit in ((1, "cpu"), (0, "wall")):
        parts = []
        vg = med.get("valgrind --leak-check=full")
        if vg:
            parts.append(f"ours/memcheck {ours[k] / vg[k]:.2f}x (<= 0.20)")
        parts.append(f"ours/tracker {ours[k] / med['tracker, no check'][k]:.2f}x (<= 1.2)")
        if title.startswith("leak_bench"):
            per = lambda a, b: (med[a][k] - med[b][k]) / int(n) * 1e6
            o = per("ours (check full)", "tracker, no check")
            l = per("-fsanitize=leak", "native")
            parts.append(f"check per live block ours {o:.3f} us vs LeakSanitizer {l:.3f} us"
                         f" ({o / l if l > 0 else float('inf'):.2f}x, <= 1)")
        print(f"  targets ({unit}): " + ", ".join(parts))
PY
