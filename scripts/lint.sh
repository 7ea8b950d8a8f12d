#!/usr/bin/env bash
# Style and static checks: clang-format (no diffs), clang-tidy (.clang-tidy,
# warnings are errors), whitespace. Usage: scripts/lint.sh [BUILD_DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${1:-$ROOT/build}
cd "$ROOT"
mapfile -t sources < <(git ls-files 'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h' 'bench/*.cc' 'fuzz/*.cc')

echo "lint: clang-format"
clang-format --dry-run --Werror "${sources[@]}"

echo "lint: whitespace"
if git grep -nIE '[[:space:]]+$' -- src tests scripts bench docs fuzz README.md; then
  echo "lint: trailing whitespace above" >&2
  exit 1
fi

echo "lint: clang-tidy"
mapfile -t tidy < <(printf '%s\n' "${sources[@]}" | grep '^src/.*\.cc$')
# grep -v finds nothing on a clean run; that is not a failure.
printf '%s\n' "${tidy[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$BUILD_DIR" --quiet 2>&1 |
  { grep -v "warnings generated" || true; } | tee /tmp/stasis-tidy.log
if grep -q "error:" /tmp/stasis-tidy.log; then exit 1; fi
echo "lint: ok"
