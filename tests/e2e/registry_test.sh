#!/usr/bin/env bash
# `job list` shows the latest checkpoint's time, size and path, and the
# records survive the daemon being killed and restarted.
source "$(dirname "$0")/lib.sh"
start_daemon

stasis run process --jid keep -- "$WORKLOADS/counter" 50 >/dev/null
stasis run process --jid other -- "$WORKLOADS/counter" 50 >/dev/null
wait_for 10 count_at_least "$(job_log keep)" 3
stasis dump job keep >/dev/null
archive=$(last_checkpoint keep)
size=$(stat -c %s "$archive")

row=$(stasis job list | grep '^keep ')
echo "$row" | grep -q "dumped" || fail "job list row lacks status: $row"
echo "$row" | grep -q "$archive" || fail "job list row lacks the path: $row"
echo "$row" | grep -Eq "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}" || fail "no time: $row"
[ "$(job_field keep '["last_checkpoint"]["size"]')" = "$size" ] || fail "size differs from the file"
stasis job list | head -n 1 | grep -q "ID.*TYPE.*PID.*STATUS.*LAST CHECKPOINT.*SIZE.*PATH" || fail "header"

other_pid=$(job_pid other)
kill -KILL "$(daemon_pid)"
sleep 0.5
expect_fail "not running|not answering" stasis job list
rm -f "$T/run/stasis.sock"
start_daemon
[ "$(job_status keep)" = dumped ] || fail "keep lost its status"
[ "$(last_checkpoint keep)" = "$archive" ] || fail "keep lost its checkpoint"
[ "$(job_status other)" = running ] || fail "other is not running after the daemon restart"
[ "$(job_pid other)" = "$other_pid" ] || fail "other changed pid"
# The restarted daemon still manages the job it did not start.
stasis job kill other >/dev/null
[ "$(job_status other)" = killed ] || fail "cannot kill other after restart"
stasis restore job keep >/dev/null || fail "restore after daemon restart failed"
log PASS
