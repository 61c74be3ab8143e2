#!/usr/bin/env bash
# The heap tracker on real programs (issue 23): workloads any Debian machine has, each run
# natively, under our preload (LD_PRELOAD + TRACEKIT_LOG, zstd log), under `heaptrack -r`
# (record only) and under glibc's `memusage`, alternating, RUNS rounds (default 5). Prints per
# workload the median wall time and peak RSS of each, the median of the per-round ratios
# (tracker x native, heaptrack -r x native, tracker / heaptrack -r) and the RSS each tool adds
# to the program's; then checks the tracker's heap figures (heap total and peak, calls per
# function) against memusage's, on a run of each where the workload is repeatable.
#
# Workloads (inputs generated once and kept under target/heap-real/):
#   python-pymalloc   python3 building, dumping, loading and regrouping JSON (pymalloc on)
#   python-malloc     the same with PYTHONMALLOC=malloc (every object through malloc)
#   cc1               gcc's cc1 -O2 on a generated 110-function C file
#   git-log           git log --stat on a generated 4000-commit repository
#   perl              word and word-pair counts over 6 MB of generated text
#   cxx-map           examples/c/heap_map_churn.cpp: std::map<string, vector<string>> churn
#
#   bench/heap-real.sh                         # every workload, RUNS=5
#   RUNS=3 ONLY="cc1 perl" bench/heap-real.sh
#   BASE_LIB=/path/to/old/libpreload_heaptrack.so bench/heap-real.sh  # and another build,
#                                              # side by side ("tracker (base)")
#   LIB=/path/to/libpreload_heaptrack.so ...   # the tracker to run instead of this build's
# The machine's load is printed: on a shared machine, compare ratios of one session only.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
cargo build --release -q -p preload-heaptrack -p tracekit-examples
T=${CARGO_TARGET_DIR:-target}/release
LIB=$(realpath "${LIB:-$T/libpreload_heaptrack.so}")
CXX_PROG=$("$T/tracekit-example" heap_map_churn)
# The report (for the heap figures): a release build if there is one, else the debug one.
TRACEKIT=${TRACEKIT:-}
if [ -z "$TRACEKIT" ]; then
    for t in "$T/tracekit" "${CARGO_TARGET_DIR:-target}/debug/tracekit"; do
        if [ -x "$t" ]; then TRACEKIT=$(realpath "$t"); break; fi
    done
fi
DATA=${CARGO_TARGET_DIR:-target}/heap-real
mkdir -p "$DATA"
DATA=$(realpath "$DATA")
exec python3 - "$RUNS" "$LIB" "${BASE_LIB:-}" "$CXX_PROG" "${TRACEKIT:-}" "$DATA" "${ONLY:-}" <<'PY'
import os, random, re, shutil, statistics, subprocess, sys, tempfile, time

runs, lib, base_lib, cxx_prog, tracekit, data, only = sys.argv[1:8]
runs = int(runs)
tmp = tempfile.mkdtemp(prefix="tk-heap-real-")
env0 = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "TRACEKIT_LOG")}
# Repeatable runs: no hash randomization.
env0.update(PYTHONHASHSEED="0", PERL_HASH_SEED="0", PERL_PERTURB_KEYS="0", LC_ALL="C")

def gen_c(path):
    """110 functions of loops, branches, switches and arithmetic: work for cc1 -O2."""
    with open(path, "w") as f:
        f.write("#include <stddef.h>\nstruct node { int key; double w; struct node *next; };\n")
        for i in range(110):
            f.write(f"""
static int table_{i}[64];
int work_{i}(int *a, size_t n, struct node *list, double scale) {{
    int acc = {i};
    for (size_t k = 0; k < n; k++) {{
        switch ((a[k] + k) % 7) {{
        case 0: acc += a[k] * {i + 3}; break;
        case 1: acc ^= a[k] << (k % 5); break;
        case 2: acc -= table_{i}[(a[k] + acc) & 63]; break;
        case 3: table_{i}[k & 63] += acc; break;
        case 4: acc = acc * 31 + (int)(scale * a[k]); break;
        default: acc += (a[k] > acc) ? a[k] - acc : acc - a[k];
        }}
        for (int j = 0; j < (int)(k % 4); j++)
            acc += (acc >> j) & {i * 7 + 1};
    }}
    for (struct node *p = list; p; p = p->next) {{
        if (p->key == acc % 97) p->w *= scale;
        else if (p->key > {i}) acc += (int)p->w;
        else p->key ^= acc;
    }}
    double s = 0;
    for (int q = 0; q < 64; q++) s += table_{i}[q] * scale / (q + 1);
    return acc + (int)s + {'work_' + str(i - 1) + '(a, n / 2, list, scale)' if i % 3 == 1 else '0'};
}}
""")

def gen_repo(path):
    """4000 commits over 300 files, made with git fast-import (seconds, not minutes)."""
    os.makedirs(path)
    subprocess.run(["git", "init", "-q", path], check=True, env=env0)
    rnd = random.Random(23)
    files = {f"src/dir{i % 12}/file{i}.txt": [f"line {j} of file {i}\n" for j in range(40)] for i in range(300)}
    out = []
    for c in range(4000):
        changed = rnd.sample(sorted(files), 1 + rnd.randrange(4))
        out.append(f"commit refs/heads/main\nmark :{c + 1}\n"
                   f"committer Bench <bench@example.com> {1600000000 + c * 60} +0000\n")
        msg = f"change {c}\n"
        out.append(f"data {len(msg)}\n{msg}")
        if c:
            out.append(f"from :{c}\n")
        for name in (changed if c else sorted(files)):
            lines = files[name]
            for _ in range(1 + rnd.randrange(5)):
                lines[rnd.randrange(len(lines))] = f"edit {c} {rnd.randrange(10**6)}\n"
            if rnd.random() < 0.3:
                lines.append(f"added in {c}\n")
            body = "".join(lines).encode()
            out.append(f"M 100644 inline {name}\ndata {len(body)}\n")
            out.append(body.decode() + "\n")
    subprocess.run(["git", "-C", path, "fast-import", "--quiet"], input="".join(out).encode(),
                   check=True, env=env0)
    subprocess.run(["git", "-C", path, "checkout", "-q", "main"], check=True, env=env0)

def gen_text(path):
    """6 MB of words drawn from a 20k-word vocabulary, Zipf-like."""
    rnd = random.Random(23)
    vocab = ["".join(rnd.choice("etaoinshrdlucmfwyp") for _ in range(2 + rnd.randrange(9)))
             for _ in range(20000)]
    weights = [1 / (i + 1) for i in range(len(vocab))]
    with open(path, "w") as f:
        size = 0
        while size < 6_000_000:
            line = " ".join(rnd.choices(vocab, weights, k=12)) + "\n"
            f.write(line)
            size += len(line)

PY_SCRIPT = """
import json
data = [{"id": i, "name": "name-%d" % i, "tags": ["t%d" % (i % 17), "u%d" % (i % 13)],
         "v": {"a": i * 0.5, "b": [i, i + 1, str(i)]}} for i in range(120000)]
text = json.dumps(data)
back = json.loads(text)
groups = {}
for o in back:
    groups.setdefault(o["tags"][0], []).append((o["name"], o["v"]["b"][2]))
print(len(text), len(groups))
"""
PERL_SCRIPT = r"""
my (%w, %p); my $prev = "";
while (<>) { for my $x (split) { $w{$x}++; $p{"$prev $x"}++; $prev = $x; } }
my @top = (sort { $p{$b} <=> $p{$a} } keys %p)[0..9];
printf "%d words, %d pairs, top %s\n", scalar(keys %w), scalar(keys %p), $top[0];
"""

c_file = os.path.join(data, "gen110.c")
if not os.path.exists(c_file):
    gen_c(c_file)
repo = os.path.join(data, "repo4000")
if not os.path.exists(os.path.join(repo, ".git")):
    shutil.rmtree(repo, ignore_errors=True)
    gen_repo(repo)
text = os.path.join(data, "words6m.txt")
if not os.path.exists(text):
    gen_text(text)
py = os.path.join(data, "json_dicts.py")
with open(py, "w") as f:
    f.write(PY_SCRIPT)
pl = os.path.join(data, "pairs.pl")
with open(pl, "w") as f:
    f.write(PERL_SCRIPT)
cc1 = subprocess.run(["gcc", "-print-prog-name=cc1"], capture_output=True, text=True).stdout.strip()

# The interpreter itself, not a wrapper that execs it (pyenv's `python3` is a bash script):
# without TRACEKIT_FOLLOW_EXEC the tracker stops at exec and would measure the wrapper.
python = subprocess.run(["python3", "-c", "import sys; print(sys.executable)"],
                        capture_output=True, text=True, check=True).stdout.strip()
workloads = [
    ("python-pymalloc", [python, py], {}),
    ("python-malloc", [python, py], {"PYTHONMALLOC": "malloc"}),
    ("cc1", [cc1, "-quiet", "-O2", c_file, "-o", os.path.join(tmp, "gen110.s")], {}),
    ("git-log", ["git", "-C", repo, "--no-pager", "log", "--stat"], {}),
    ("perl", ["perl", pl, text], {}),
    ("cxx-map", [cxx_prog], {}),
]
if only:
    workloads = [w for w in workloads if w[0] in only.split()]

def once(argv, env):
    """wall s, max RSS KiB (of the process tree: wait4 reports the largest of the waited-for)"""
    t = time.perf_counter()
    p = subprocess.Popen(argv, env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        sys.exit(f"{argv} failed with status {status}")
    return wall, ru.ru_maxrss

def have(tool):
    return shutil.which(tool) is not None

def setups(argv, extra):
    env = dict(env0, **extra)
    log = os.path.join(tmp, "ours.tklog")
    s = [("native", lambda: once(argv, env))]
    def ours(l):
        def run():
            if os.path.exists(log):
                os.unlink(log)
            return once(argv, dict(env, LD_PRELOAD=l, TRACEKIT_LOG=log))
        return run
    s.append(("tracker", ours(lib)))
    if base_lib:
        s.append(("tracker (base)", ours(base_lib)))
    if have("heaptrack"):
        ht = os.path.join(tmp, "ht")
        def heaptrack():
            for f in os.listdir(tmp):
                if f.startswith("ht."):
                    os.unlink(os.path.join(tmp, f))
            return once(["heaptrack", "-r", "-o", ht] + argv, env)
        s.append(("heaptrack -r", heaptrack))
    if have("memusage"):
        s.append(("memusage", lambda: once(["memusage"] + argv, env)))
    return s

def summary(text):
    """memusage's summary lines, without what differs by construction (the stack, which a
    preload cannot see, and realloc's nomove count, which memusage's block headers change)"""
    lines = []
    for l in text.splitlines():
        if lines and not l.strip():
            break
        if l.startswith("Memory usage summary") or lines:
            l = re.sub(r", stack peak: \d+", "", l)
            l = re.sub(r"\(nomove:\d+", "(nomove:_", l)
            lines.append(l)
    return lines

def check_figures(name, argv, extra):
    if not tracekit or not have("memusage"):
        return "not checked (no tracekit or memusage)"
    env = dict(env0, **extra)
    log = os.path.join(tmp, "check.tklog")
    subprocess.run(argv, env=dict(env, LD_PRELOAD=lib, TRACEKIT_LOG=log), cwd=tmp,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    ours = subprocess.run([tracekit, "report", log], capture_output=True, text=True).stdout
    os.unlink(log)
    theirs = subprocess.run(["memusage"] + argv, env=env, cwd=tmp, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True).stderr
    theirs = re.sub(r"\x1b\[[0-9;]*m", "", theirs)
    o, t = summary(ours), summary(theirs)
    if not o or not t:
        return "not checked (no summary)"
    if o == t:
        return "equal to memusage's (" + o[0].split(": ", 1)[1] + ")"
    # The lines by their first word (our report lists C++ operators apart from malloc, and
    # aligns its columns to them); whitespace aside.
    key = lambda l: " ".join(l.split())
    first = "heap total and peak " + ("equal" if o[0] == t[0] else "DIFFERENT")
    diff = [f"  ours:     {key(a)}\n  memusage: {key(b)}" for a, b in zip(o, t) if key(a) != key(b)]
    return f"{first}; {len(diff)} other summary lines differ:\n" + "\n".join(diff)

print(f"load average at start: {os.getloadavg()[0]:.2f} (nproc {os.cpu_count()}); RUNS={runs}")
table = []
for name, argv, extra in workloads:
    ss = setups(argv, extra)
    results = {n: [] for n, _ in ss}
    for _ in range(runs):  # interleaved, so load changes hit every setup alike
        for n, f in ss:
            results[n].append(f())
    med = {n: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs) / 1024)
           for n, rs in results.items()}
    def ratio(a, b):
        if a not in results or b not in results:
            return None
        return statistics.median(x[0] / y[0] for x, y in zip(results[a], results[b]))
    print(f"\n{name}: median of {runs} (load {os.getloadavg()[0]:.2f})")
    print(f"  {'':16} {'wall s':>8} {'x native':>9} {'peak RSS MiB':>13} {'added MiB':>10}")
    for n in results:
        print(f"  {n:16} {med[n][0]:8.3f} {ratio(n, 'native'):9.2f} {med[n][1]:13.1f}"
              f" {med[n][1] - med['native'][1]:10.1f}")
    row = [name, ratio("tracker", "native"), ratio("heaptrack -r", "native"),
           ratio("tracker", "heaptrack -r"), med["native"][1],
           med["tracker"][1] - med["native"][1],
           med["heaptrack -r"][1] - med["native"][1] if "heaptrack -r" in med else None]
    if base_lib:
        row += [ratio("tracker (base)", "heaptrack -r"), med["tracker (base)"][1] - med["native"][1]]
    table.append(row)
    print(f"  tracker / heaptrack -r: {row[3]}" if row[3] is None else
          f"  tracker / heaptrack -r: {row[3]:.2f}")
    print(f"  heap figures: {check_figures(name, argv, extra)}")

def f(x, spec=".2f"):
    return "-" if x is None else format(x, spec)
head = "| workload | tracker x native | heaptrack -r x native | tracker / heaptrack -r | native RSS MiB | added RSS MiB tracker / heaptrack -r |"
if base_lib:
    head += " base tracker / heaptrack -r | base added RSS MiB |"
print("\n" + head)
print("|" + "---|" * (head.count("|") - 1))
for r in table:
    line = (f"| {r[0]} | {f(r[1])} | {f(r[2])} | {f(r[3])} | {f(r[4], '.0f')} | "
            f"{f(r[5], '.1f')} / {f(r[6], '.1f')} |")
    if base_lib:
        line += f" {f(r[7])} | {f(r[8], '.1f')} |"
    print(line)
shutil.rmtree(tmp, ignore_errors=True)
PY
