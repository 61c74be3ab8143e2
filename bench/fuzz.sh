#!/usr/bin/env bash
# Longer runs of the fuzz tests than CI's (issue 13), printing executions per target:
#  - the event log reader: random bytes after a header, and a flipped byte of a valid log
#    (proptest, crates/tracekit-log/tests/log.rs), PROPTEST_CASES cases each;
#  - the symbolizer on corrupt ELF/DWARF files (crates/symbolize/tests/corrupt.rs),
#    FUZZ_ITERS files, 8 lookups each;
#  - strace-rs's decoders fed random calls and tracee memory (strace-rs/src/decode/tests/fuzz.rs),
#    FUZZ_ITERS/100 rounds over every decoder.
# Every failure is a bug to turn into a regression test.
#
#   bench/fuzz.sh                       # PROPTEST_CASES=100000 FUZZ_ITERS=20000
set -euo pipefail
cd "$(dirname "$0")/.."
CASES=${PROPTEST_CASES:-100000}
ITERS=${FUZZ_ITERS:-20000}
start=$(date +%s)
PROPTEST_CASES=$CASES cargo test -q -p tracekit-log --test log -- random_bytes_never_panic flipped_byte_keeps_prefix 2>&1 | tail -2
echo "log reader: $CASES random logs and $CASES flipped-byte logs ($(( $(date +%s) - start )) s)"
start=$(date +%s)
TRACEKIT_FUZZ_ITERS=$ITERS cargo test -q -p tracekit-symbolize --test corrupt -- --nocapture 2>&1 | grep -E "corrupt files|test result"
echo "symbolizer: $ITERS corrupt files ($(( $(date +%s) - start )) s)"
start=$(date +%s)
TRACEKIT_FUZZ_ITERS=$((ITERS / 100)) cargo test -q -p strace-rs every_decoder_survives_random_calls -- --nocapture 2>&1 | grep -E "random calls|test result"
echo "strace-rs decoders: $((ITERS / 100)) rounds over every decoder ($(( $(date +%s) - start )) s)"
