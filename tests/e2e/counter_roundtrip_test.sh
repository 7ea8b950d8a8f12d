#!/usr/bin/env bash
# A counter job is dumped (its process gone), restored, and counts on from
# where it stopped; then the same a second time (dump -> restore -> dump -> restore).
source "$(dirname "$0")/lib.sh"
start_daemon

stasis run process --jid counter -- "$WORKLOADS/counter" 50 >/dev/null
LOG=$(job_log counter)
wait_for 10 count_at_least "$LOG" 10 || fail "counter did not start counting"

for round in 1 2; do
  pid=$(job_pid counter)
  stasis dump job counter >/dev/null || fail "dump $round failed"
  wait_for 5 bash -c "! kill -0 $pid 2>/dev/null" || fail "process $pid still alive after dump $round"
  [ "$(job_status counter)" = dumped ] || fail "status after dump is $(job_status counter)"
  before=$(last_count "$LOG")
  sleep 0.5
  [ "$(last_count "$LOG")" = "$before" ] || fail "the log grew while the job was dumped"

  stasis restore job counter >/dev/null || fail "restore $round failed"
  [ "$(job_status counter)" = running ] || fail "status after restore is $(job_status counter)"
  wait_for 10 count_at_least "$LOG" $((before + 10)) || fail "restored counter does not count"
  assert_consecutive "$LOG"
  log "round $round: dumped at $before, now at $(last_count "$LOG")"
done

[ "$(stasis -o json job checkpoint list counter | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] \
  || fail "job checkpoint list does not show two checkpoints"
log PASS
