#!/usr/bin/env bash
# Cost of the crash handler when nothing crashes: a small program (examples/c/crash_benign.c)
# run with and without LD_PRELOAD=libpreload_segv.so (release build).
#  - start-up: `crash_benign 0` (load, init, exit): the library's load and its constructor;
#  - run time: `crash_benign N`: N threads created and joined, N malloc/free (our
#    pthread_create gives each thread an alternate signal stack: the worst case, a program
#    that does nothing but start threads);
#  - run time, no threads: `crash_benign N inline`, the same work in the main thread.
# Runs alternate between the setups; prints medians of RUNS runs and the ratio. Wall-clock
# times on a shared machine are noisy, so when valgrind is installed the start-up is also
# counted in instructions (callgrind), which repeat exactly.
# The floor: preloading anything costs something (ld.so opens, maps and relocates one more
# object), so start-up is also measured with an empty C library preloaded (when cc exists):
# "with" close to "empty .so" is as cheap as a preload can be. The release library is no_std
# (Rust's std made ld.so bind ~45 more libc symbols in every process: +56k instructions over
# the empty .so, now +14k) and linked into two segments (see preload-segv/build.rs); what is
# left is binding its 15 imports (most of them libgcc's unwinder's), its relocations, the
# constructor's eight system calls and the one page it writes (see preload-segv/README.md).
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
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
EMPTY=
if command -v cc >/dev/null && echo 'void tracekit_empty(void) {}' >"$TMP/empty.c" &&
  cc -O2 -shared -fPIC -o "$TMP/empty.so" "$TMP/empty.c"; then
  EMPTY=$TMP/empty.so
fi
python3 - "$RUNS" "$LIB" "$PROG" "$WORK" "$EMPTY" <<'PY'
import os, statistics, subprocess, sys, time

runs, lib, prog, work, empty = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
plain = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
preload = dict(plain, LD_PRELOAD=lib)
floor = dict(plain, LD_PRELOAD=empty)

def once(args, env):
    t = time.perf_counter_ns()
    subprocess.run([prog, *args], env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter_ns() - t

def bench(name, args, n, with_floor=False):
    setups = [plain, preload] + ([floor] if with_floor and empty else [])
    for env in setups:
        once(args, env)  # warm the page cache
    times = [[] for _ in setups]
    for _ in range(n):
        for t, env in zip(times, setups):
            t.append(once(args, env))
    m = [statistics.median(t) for t in times]
    line = f"{name:<28} without {m[0]/1e6:9.3f} ms   with {m[1]/1e6:9.3f} ms   ratio {m[1]/m[0]:6.3f}"
    if len(m) > 2:
        line += f"   (empty .so {m[2]/1e6:.3f} ms, ratio {m[2]/m[0]:.3f}; with/empty {m[1]/m[2]:.3f})"
    print(line)

print(f"crash_benign, median of {runs} runs (runs alternate)")
bench("start-up (crash_benign 0)", ["0"], runs, with_floor=True)
bench(f"run time (crash_benign {work})", [work], max(runs // 10, 10))
bench(f"run time, no threads ({work} inline)", [work, "inline"], max(runs // 10, 10))
PY

if command -v valgrind >/dev/null; then
  count() { env "$@" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$PROG" 0 2>&1 >/dev/null |
    sed -n 's/.*Collected : //p'; }
  a=$(count -u LD_PRELOAD)
  b=$(count LD_PRELOAD="$LIB")
  c=$(if [ -n "$EMPTY" ]; then count LD_PRELOAD="$EMPTY"; else echo 0; fi)
  python3 -c "
import sys
a, b, c = map(int, sys.argv[1:])
print(f'start-up instructions (callgrind) without {a:>9}   with {b:>9}   ratio {b/a:6.3f}   (+{b-a} instructions)')
if c:
    print(f'                         empty .so preloaded {c:>9}   ratio {c/a:6.3f}   (+{c-a}; ours is +{b-c} above it)')
" "$a" "$b" "$c"
fi
