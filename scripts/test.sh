#!/usr/bin/env bash
# Runs every test: unit tests and the end-to-end tests (real CRIU, real
# processes). Does its own set-up on a fresh machine.
#
#   sudo scripts/test.sh            # all tests
#   sudo scripts/test.sh -L unit    # extra arguments go to ctest
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${STASIS_BUILD_DIR:-$ROOT/build}

"$ROOT/scripts/setup.sh"
cd "$BUILD_DIR"
# Two at a time: the e2e tests each freeze and copy real processes.
ctest --output-on-failure --timeout 600 -j2 "$@"
