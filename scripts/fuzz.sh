#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# SECONDS (default 60) from the seed corpus in fuzz/corpus/<target>.
# A crash or a leak fails the run and leaves the input in build-fuzz/.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_EACH=${1:-60}
BUILD=$ROOT/build-fuzz
CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -DSTASIS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)" >/dev/null
for t in stream_manifest_fuzz archive_reader_fuzz; do
  corpus=$BUILD/corpus/$t
  mkdir -p "$corpus"
  cp -n "$ROOT"/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  echo "fuzz: $t for ${SECONDS_EACH}s"
  (cd "$BUILD" && "./fuzz/$t" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 \
    -print_final_stats=1 "$corpus" 2>"$BUILD/$t.log") ||
    { tail -n 40 "$BUILD/$t.log" >&2; echo "fuzz: $t failed" >&2; exit 1; }
  grep -E "^stat::number_of_executed_units" "$BUILD/$t.log" || true
done
