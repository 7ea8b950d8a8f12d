#!/usr/bin/env bash
# A job is restored while the original, dumped with --leave-running, still
# runs: each lives in its own PID namespace, so their PIDs cannot collide.
source "$(dirname "$0")/lib.sh"
start_daemon

stasis run process --jid orig -- "$WORKLOADS/counter" 50 >/dev/null
wait_for 10 count_at_least "$(job_log orig)" 5 || fail "counter did not start"
stasis dump job orig --leave-running >/dev/null
archive=$(last_checkpoint orig)

stasis restore process --path "$archive" --jid copy >/dev/null || fail "restore beside the original failed"
for j in orig copy; do
  [ "$(job_status $j)" = running ] || fail "$j is not running"
  n=$(last_count "$(job_log $j)")
  wait_for 5 count_at_least "$(job_log $j)" $((n + 5)) || fail "$j does not count"
done
[ "$(job_pid orig)" != "$(job_pid copy)" ] || fail "same host pid for both"
grep -q "NSpid:.*[[:space:]]1$" "/proc/$(job_pid copy)/status" || fail "copy is not pid 1 of its namespace"
expect_fail "is running" stasis restore job orig
log PASS
