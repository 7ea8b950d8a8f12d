#!/usr/bin/env bash
# The main job, end to end: build, start the daemon, run a job, checkpoint it
# to the default checkpoint directory, restore it, and show `job list`.
#
#   sudo scripts/demo.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${STASIS_BUILD_DIR:-$ROOT/build}
"$ROOT/scripts/setup.sh"
STASIS=$BUILD_DIR/stasis
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }

if ! "$STASIS" job list >/dev/null 2>&1; then
  run "$STASIS" daemon start --detach
fi
JID=demo-$(date +%s)
run "$STASIS" run process --jid "$JID" -- "$BUILD_DIR/workloads/counter" 200
sleep 2
LOG=$("$STASIS" -o json job inspect "$JID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["log"])')
say "tail -n 3 $LOG"; tail -n 3 "$LOG"
run "$STASIS" dump job "$JID"
run "$STASIS" job list
run "$STASIS" restore job "$JID"
sleep 2
say "tail -n 5 $LOG   # counting on from where it was checkpointed"; tail -n 5 "$LOG"
run "$STASIS" job checkpoint list "$JID"
run "$STASIS" job list
run "$STASIS" job kill "$JID"
