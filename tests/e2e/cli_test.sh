#!/usr/bin/env bash
# The smaller commands: health, version, config, checkpoint list/inspect/delete,
# job inspect/attach/kill/delete.
source "$(dirname "$0")/lib.sh"

expect_fail "daemon is not running" stasis job list
stasis config show | grep -q '"compression": "zstd"' || fail "config show"
STASIS_CONFIG=$T/new.json stasis config init >/dev/null
STASIS_CONFIG=$T/new.json stasis config show >/dev/null || fail "config init output does not load"
expect_fail "already exists" env STASIS_CONFIG=$T/new.json "$STASIS_BIN" config init
echo '{"checkpoint": {"compresion": "zstd"}}' >"$T/bad.json"
expect_fail "checkpoint.compresion" env STASIS_CONFIG=$T/bad.json "$STASIS_BIN" config show
expect_fail "" stasis dump
stasis --help | grep -q "dump" || fail "--help"

start_daemon
stasis version | grep -q "CRIU 4" || fail "version does not show CRIU"
stasis health | tee "$T/health.out" | grep -q "All good" || fail "health: $(cat "$T/health.out")"

out=$(stasis run process --jid hello -- sh -c 'echo hello from $$; exit 3')
wait_for 5 bash -c "[ \"\$(\"$STASIS_BIN\" -o json job inspect hello | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"status\"])')\" = exited ]" \
  || fail "hello did not exit"
[ "$(job_field hello '["exit_code"]')" = 3 ] || fail "exit code not recorded"
# attach replays the log and exits with the job's own exit code.
rc=0; attached=$(stasis job attach hello 2>/dev/null) || rc=$?
[ $rc = 3 ] || fail "attach exited $rc, not the job's exit code 3"
echo "$attached" | grep -q "hello from 1" || fail "attach does not show the log (pid 1 in its namespace)"

stasis run process --jid c1 -- "$WORKLOADS/counter" 50 >/dev/null
stasis dump job c1 --leave-running --name first >/dev/null
stasis dump job c1 --leave-running >/dev/null
stasis checkpoint list c1 | head -n 1 | grep -q "ID.*TIME.*SIZE.*PATH" || fail "checkpoint list header"
[ "$(stasis checkpoint list c1 | tail -n +2 | wc -l)" = 2 ] || fail "checkpoint list c1"
[ "$(stasis checkpoint list "$CKPT" | tail -n +2 | wc -l)" = 2 ] || fail "checkpoint list DIR"
stasis checkpoint inspect "$CKPT/first.tar.zst" | grep -q "counter" || fail "inspect"
expect_fail "already exists" stasis dump job c1 --leave-running --name first
stasis checkpoint delete "$CKPT/first.tar.zst" >/dev/null
[ ! -e "$CKPT/first.tar.zst" ] || fail "checkpoint delete left the file"
expect_fail "is running" stasis job delete c1
stasis job kill c1 >/dev/null
[ "$(job_status c1)" = killed ] || fail "kill"
stasis job delete c1 >/dev/null
expect_fail "no job with id 'c1'" stasis job inspect c1
log PASS
