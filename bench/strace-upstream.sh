#!/usr/bin/env bash
# strace's own test suite against strace-rs, with the strace built from the same source as the
# baseline. The suite is GPL: it is downloaded (Debian's source package of the installed
# strace) and run, never copied into this repository.
#
#   bench/strace-upstream.sh                  # fetch and build once (cached), run every test on both
#   bench/strace-upstream.sh build            # only fetch and build the suite
#   TESTS="prctl-dumpable.gen add_key.gen" bench/strace-upstream.sh   # a subset (names without .test)
#   ONLY=strace-rs bench/strace-upstream.sh   # skip the strace baseline (while iterating)
#   UPDATE=1 bench/strace-upstream.sh         # rewrite strace-rs/tests/upstream-pass.txt
#   PROFILE=dev bench/strace-upstream.sh      # the debug build of strace-rs (release by default)
#   STRACE_RS=/path/to/strace-rs bench/strace-upstream.sh   # that binary (no build)
#
# The cache (source, build, per-run logs) lives in $STRACE_UPSTREAM_DIR, by default
# ${XDG_CACHE_HOME:-~/.cache}/tracekit/strace-upstream, outside the repository. Fetching adds a
# deb-src entry matching the configured Debian source if none exists and installs the suite's
# build dependencies with apt-get (root or sudo). JOBS (default 2) bounds the parallelism.
#
# Prints pass/fail/skip for strace and strace-rs, the tests strace passes and strace-rs fails,
# and fails when strace-rs fails a test listed in strace-rs/tests/upstream-pass.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
JOBS=${JOBS:-2}
CACHE=${STRACE_UPSTREAM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tracekit/strace-upstream}
PASS_LIST=$REPO/strace-rs/tests/upstream-pass.txt
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

say() { echo "strace-upstream: $*" >&2; }

# The installed strace's source package and version: the suite must be the one of the strace
# that is the baseline.
SRC_PKG=$(dpkg-query -W -f='${source:Package}' strace)
SRC_VER=$(dpkg-query -W -f='${source:Version}' strace)
UPSTREAM_VER=${SRC_VER%%-*}
UPSTREAM_VER=${UPSTREAM_VER#*:}
SRC=$CACHE/$SRC_PKG-$SRC_VER

# A deb-src entry for every configured Debian deb entry (deb822 .sources or one-line lists),
# unless apt already knows a source for the package.
ensure_deb_src() {
    if apt-cache showsrc "$SRC_PKG" 2>/dev/null | grep -q "^Version: $SRC_VER\$"; then
        return
    fi
    local added=0 f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -e "$f" ] || continue
        grep -q 'debian' "$f" || continue
        grep -q '^Types:.*deb-src' "$f" && continue
        say "adding deb-src entries after $f"
        sed 's/^Types: deb$/Types: deb-src/' "$f" | $SUDO tee "/etc/apt/sources.list.d/tracekit-src-$(basename "$f")" >/dev/null
        added=1
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -e "$f" ] || continue
        grep -q '^deb .*debian' "$f" || continue
        say "adding deb-src lines after $f"
        grep '^deb .*debian' "$f" | sed 's/^deb /deb-src /' |
            $SUDO tee "/etc/apt/sources.list.d/tracekit-src-$(basename "$f" .list).list" >/dev/null
        added=1
    done
    [ "$added" = 1 ] || { say "no Debian apt source to derive a deb-src entry from"; exit 1; }
    $SUDO apt-get update -qq
}

fetch() {
    [ -d "$SRC/tests" ] && return
    ensure_deb_src
    local need=() pkg
    for pkg in gawk libunwind-dev libiberty-dev libbluetooth-dev dpkg-dev gcc make; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
    done
    if [ "${#need[@]}" -gt 0 ]; then
        say "installing ${need[*]}"
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    fi
    mkdir -p "$CACHE/dl"
    (cd "$CACHE/dl" && apt-get source --download-only "$SRC_PKG=$SRC_VER")
    rm -rf "$SRC.tmp"
    dpkg-source -x "$CACHE/dl/${SRC_PKG}_${SRC_VER#*:}.dsc" "$SRC.tmp" >/dev/null
    mv "$SRC.tmp" "$SRC"
}

# strace and every test program (make check with an empty TESTS builds them and runs nothing).
build() {
    [ -f "$SRC/.tracekit-built" ] && return
    say "building strace $UPSTREAM_VER and its tests in $SRC (a few minutes)"
    (
        cd "$SRC"
        # strace's own copy of the kernel's uapi headers: the system's can be newer than strace
        # 6.1 and rename fields it prints (linux-libc-dev 6.1.192 renamed nexthop_grp's resvd1).
        [ -f Makefile ] || ./configure --enable-mpers=no --enable-bundled=yes >"$CACHE/configure.log" 2>&1
        make -j"$JOBS" >"$CACHE/make.log" 2>&1
        make -C tests -j"$JOBS" check TESTS= >"$CACHE/make-tests.log" 2>&1
    ) || { say "build failed: see $CACHE/*.log"; exit 1; }
    touch "$SRC/.tracekit-built"
}

fetch
build
[ "${1-}" = build ] && exit 0

RESULTS=$CACHE/results
# The name of strace-rs's results and tree: another LABEL lets a second run go on while one
# is running.
LABEL=${LABEL:-strace-rs}
mkdir -p "$RESULTS"

# The tests of the run: TESTS (names with or without .test) or every test of the suite.
if [ -n "${TESTS-}" ]; then
    RUN_TESTS=()
    for t in $TESTS; do
        t=${t%.test}
        RUN_TESTS+=("$t.test")
    done
    TESTS_ARG=("TESTS=${RUN_TESTS[*]}")
else
    TESTS_ARG=()
fi

# Runs the suite with STRACE pointing at a symlink named `strace` to $2, through the suite's
# own harness (make check; the tests compare diagnostics that start with the program's name),
# and leaves "TEST RESULT" lines in $RESULTS/$1.txt and the failing tests' logs in
# $RESULTS/$1.logs/.
# Each binary runs in its own copy of the built tree (the tests write their logs there), so
# the two runs can go side by side.
run_suite() { # label binary jobs
    local label=$1 bin=$2 jobs=$3 link=$CACHE/bin-$1 tree=$CACHE/run-$1
    mkdir -p "$link"
    ln -sfn "$bin" "$link/strace"
    if [ ! -f "$tree/.tracekit-copied" ] || [ "$SRC/.tracekit-built" -nt "$tree/.tracekit-copied" ]; then
        rm -rf "$tree"
        cp -a "$SRC" "$tree"
        touch "$tree/.tracekit-copied"
    fi
    local TESTS_DIR=$tree/tests
    find "$TESTS_DIR" -maxdepth 1 \( -name '*.trs' -o -name test-suite.log \) -delete
    rm -rf "$RESULTS/$label.logs"
    mkdir -p "$RESULTS/$label.logs"
    say "running the suite under $label ($bin)"
    # TIMEOUT_DURATION: the harness's per-test limit (1500 s by default), so that a hang
    # costs minutes, not hours.
    make -C "$TESTS_DIR" -k -j"$jobs" check "${TESTS_ARG[@]}" STRACE="$link/strace" \
        TIMEOUT_DURATION="${TIMEOUT_DURATION:-300}" >"$RESULTS/$label.make.log" 2>&1 || true
    local trs name result
    : >"$RESULTS/$label.txt"
    for trs in "$TESTS_DIR"/*.trs; do
        [ -e "$trs" ] || continue
        name=$(basename "$trs" .trs)
        result=$(sed -n 's/^:test-result: //p' "$trs" | head -n 1)
        echo "$name ${result:-ERROR}" >>"$RESULTS/$label.txt"
        case $result in
            PASS | SKIP | XFAIL) ;;
            *) cp "$TESTS_DIR/$name.log" "$RESULTS/$label.logs/" 2>/dev/null || true ;;
        esac
    done
    sort -o "$RESULTS/$label.txt" "$RESULTS/$label.txt"
}

# "pass fail skip" of a results file.
counts() {
    awk '{ if ($2 == "PASS" || $2 == "XFAIL") p++; else if ($2 == "SKIP") s++; else f++ }
         END { printf "%d %d %d\n", p, f, s }' "$1"
}
passes() { awk '$2 == "PASS" || $2 == "XFAIL" { print $1 }' "$1"; }

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target}
if [ -z "${STRACE_RS-}" ]; then
    PROFILE=${PROFILE:-release}
    CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1} cargo build --profile "$PROFILE" -q -p strace-rs
    [ "$PROFILE" = dev ] && PROFILE_DIR=debug || PROFILE_DIR=$PROFILE
    STRACE_RS=$CARGO_TARGET_DIR/$PROFILE_DIR/strace-rs
fi
if [ "${ONLY-}" = strace-rs ]; then
    run_suite "$LABEL" "$STRACE_RS" "$JOBS"
else
    # Side by side, the jobs shared between the two runs.
    half=$(((JOBS + 1) / 2))
    run_suite "$LABEL" "$STRACE_RS" "$half" &
    rs_run=$!
    run_suite strace "$SRC/src/strace" "$half"
    wait "$rs_run"
fi
[ -s "$RESULTS/strace.txt" ] || { say "no strace baseline yet: run without ONLY=strace-rs"; exit 1; }

read -r sp sf ss < <(counts "$RESULTS/strace.txt")
read -r rp rf rs < <(counts "$RESULTS/$LABEL.txt")
printf '%-10s %6s %6s %6s\n' binary pass fail skip
printf '%-10s %6d %6d %6d\n' strace "$sp" "$sf" "$ss" strace-rs "$rp" "$rf" "$rs"
[ "${ONLY-}" = strace-rs ] && say "(the strace row is from the last baseline run)"

# The tests strace passes and strace-rs does not.
join <(passes "$RESULTS/strace.txt") <(awk '!($2 == "PASS" || $2 == "XFAIL") { print $1, $2 }' "$RESULTS/$LABEL.txt") \
    >"$RESULTS/only-strace-passes.txt" || true
echo "strace passes, strace-rs does not ($(wc -l <"$RESULTS/only-strace-passes.txt"); logs in $RESULTS/$LABEL.logs):"
awk '{ printf "  %s", $1 } NR % 4 == 0 { print "" } END { print "" }' "$RESULTS/only-strace-passes.txt"

# Regressions: tests on the kept list that were run and did not pass.
mkdir -p "$(dirname "$PASS_LIST")"
touch "$PASS_LIST"
lost=$(join <(grep -v '^#' "$PASS_LIST" | sort) <(awk '!($2 == "PASS" || $2 == "XFAIL") { print $1 }' "$RESULTS/$LABEL.txt") || true)
if [ "${UPDATE-}" = 1 ]; then
    {
        echo "# strace 6.1's own tests that strace-rs passes (bench/strace-upstream.sh fails when one is lost; UPDATE=1 rewrites the list)"
        { grep -v '^#' "$PASS_LIST" | sort | join -v1 - <(awk '{ print $1 }' "$RESULTS/$LABEL.txt"); passes "$RESULTS/$LABEL.txt"; } | sort -u
    } >"$PASS_LIST.new"
    mv "$PASS_LIST.new" "$PASS_LIST"
    say "wrote $(grep -vc '^#' "$PASS_LIST") tests to $PASS_LIST"
fi
if [ -n "$lost" ]; then
    if [ "${UPDATE-}" = 1 ]; then
        echo "dropped from the list (no longer passing):" $lost
    else
        echo "REGRESSION: strace-rs no longer passes:" $lost
        exit 1
    fi
fi
