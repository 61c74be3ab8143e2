#!/usr/bin/env python3
"""The 200k-pair figure of bench/efence.sh on its own, for a ratio that load cannot tilt:
libefence and one or more fence libraries run `efence_bench pairs N` in turn (libefence, ours,
libefence, ours, ...), so a burst of load hits both alike. Prints CPU (user+sys of the child,
from RUSAGE_CHILDREN) and wall medians and the libefence / ours ratios of the medians and run
by run.

  bench/efence_ratio.py PROG RUNS PAIRS LIB...
  cargo build --release -p preload-efence -p tracekit-examples
  bench/efence_ratio.py $(target/release/tracekit-example efence_bench) 11 200000 \
      target/release/libpreload_efence.so
"""
import os, resource, statistics, subprocess, sys, time

prog, runs, pairs = sys.argv[1], int(sys.argv[2]), sys.argv[3]
libs = sys.argv[4:]
base = {k: v for k, v in os.environ.items()
        if k != "LD_PRELOAD" and not k.startswith(("EF_", "DUMA_", "TRACEKIT_"))}
setups = [("libefence", dict(base, LD_PRELOAD="/usr/lib/libefence.so"))]
for lib in libs:
    setups.append((os.path.basename(lib), dict(base, LD_PRELOAD=os.path.realpath(lib))))
cpu = {k: [] for k, _ in setups}
wall = {k: [] for k, _ in setups}
for _ in range(runs):
    for k, env in setups:
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([prog, "pairs", pairs], env=env, capture_output=True, check=True)
        t1 = time.perf_counter()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[k].append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
        wall[k].append(t1 - t0)
med = statistics.median
for k, _ in setups:
    print(f"{k:24} cpu median {med(cpu[k]):.3f} s (min {min(cpu[k]):.3f} max {max(cpu[k]):.3f})"
          f"  wall median {med(wall[k]):.3f} s")
for k, _ in setups[1:]:
    per = [a / b for a, b in zip(cpu["libefence"], cpu[k])]
    perw = [a / b for a, b in zip(wall["libefence"], wall[k])]
    print(f"libefence / {k}: cpu {med(cpu['libefence']) / med(cpu[k]):.2f}x"
          f" (run by run median {med(per):.2f}, {min(per):.2f}-{max(per):.2f});"
          f" wall {med(wall['libefence']) / med(wall[k]):.2f}x"
          f" (run by run {min(perw):.2f}-{max(perw):.2f})")
