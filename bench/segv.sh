#!/usr/bin/env bash
# Cost of the crash handler when nothing crashes: a small program (examples/c/crash_benign.c)
# run with and without LD_PRELOAD=libpreload_segv.so (release build).
#  - start-up: `crash_benign 0` (load, init, exit): the library's load and its constructor;
#  - run time: `crash_benign N`: N threads created and joined, N malloc/free (our
#    pthread_create gives each thread an alternate signal stack).
# Runs alternate between the two setups; prints medians of RUNS runs and the ratio. Wall-clock
# times on a shared machine are noisy, so when valgrind is installed the start-up is also
# counted in instructions (callgrind), which repeat exactly.
# There is no anchor tool to compare with: glibc removed catchsegv/libSegFault.so in 2.35.
#
#   bench/segv.sh              # RUNS=300 WORK=20000
#   RUNS=1000 bench/segv.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-300}
WORK=${WORK:-20000}
cargo build --release -q -p preload-segv -p tracekit -p tracekit-examples
T=${CARGO_TARGET_DIR:-target}/release
LIB=$(realpath "$T/libpreload_segv.so")
PROG=$("$T/tracekit-example" crash_benign)
python3 - "$RUNS" "$LIB" "$PROG" "$WORK" <<'PY'
import os, statistics, subprocess, sys, time

runs, lib, prog, work = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
plain = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
preload = dict(plain, LD_PRELOAD=lib)

def once(args, env):
    t = time.perf_counter_ns()
    subprocess.run([prog, *args], env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter_ns() - t

def bench(name, args, n):
    once(args, plain); once(args, preload)  # warm the page cache
    a, b = [], []
    for _ in range(n):
        a.append(once(args, plain))
        b.append(once(args, preload))
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"{name:<28} without {ma/1e6:9.3f} ms   with {mb/1e6:9.3f} ms   ratio {mb/ma:6.3f}")

print(f"crash_benign, median of {runs} runs (runs alternate)")
bench("start-up (crash_benign 0)", ["0"], runs)
bench(f"run time (crash_benign {work})", [work], max(runs // 10, 10))
PY

if command -v valgrind >/dev/null; then
  count() { env "$@" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$PROG" 0 2>&1 >/dev/null |
    sed -n 's/.*Collected : //p'; }
  a=$(count -u LD_PRELOAD)
  b=$(count LD_PRELOAD="$LIB")
  python3 -c "import sys; a,b=int(sys.argv[1]),int(sys.argv[2]); print(f'start-up instructions (callgrind) without {a:>9}   with {b:>9}   ratio {b/a:6.3f}   (+{b-a} instructions)')" "$a" "$b"
fi
