#!/usr/bin/env bash
# The daemon killed with SIGKILL in the middle of a dump, while the process
# is frozen: the process stays frozen while no daemon runs, and the next
# daemon start resumes it, removes what the dump half wrote (the open
# multipart upload of a plain S3 archive; the shards of a streamed
# checkpoint that never got its manifest) and keeps the registry right: the
# job is running and can be dumped and restored as before.
source "$(dirname "$0")/lib.sh"
start_s3 ckpt
start_daemon
stasis plugin install storage/s3 >/dev/null || fail "plugin install failed"
MIB=${STASIS_TEST_CRASH_MIB:-512}

stasis run process --jid mem -- "$WORKLOADS/memhog" "$MIB" >/dev/null
MLOG=$(job_log mem)
wait_for 120 grep -q checksum "$MLOG" || fail "memhog did not start"
want=$(grep checksum "$MLOG" | tail -n 1)
PID=$(job_pid mem)

objects_under() {  # objects_under PREFIX: how many objects S3 lists under it
  awscli s3api list-objects-v2 --bucket ckpt --prefix "$1" --output json |
    python3 -c 'import json,sys; t=sys.stdin.read().strip(); print(len(json.loads(t).get("Contents", [])) if t else 0)'
}

crash_during() {  # crash_during CONDITION_CMD DUMP_ARGS...: kills the daemon once CONDITION holds
  local cond=$1; shift
  stasis dump job mem "$@" >"$T/dump.out" 2>&1 &
  local dumper=$!
  wait_for 60 bash -c "$cond" || fail "the dump never reached the point to crash at: $(cat "$T/dump.out")"
  kill -KILL "$(daemon_pid)"
  wait "$dumper" && fail "the dump succeeded although its daemon was killed"
  [ "$(proc_state "$PID")" = T ] || log "note: the process was not left stopped this time ($(proc_state "$PID"))"
}

# 1. A plain archive going up to S3: CRIU is done, the tree is frozen, and
#    the multipart upload is open when the daemon dies.
crash_during "[ \"\$(awk '/^State:/{print \$2}' /proc/$PID/status)\" = T ] && [ \"\$(AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 aws --endpoint-url $S3_ENDPOINT s3api list-multipart-uploads --bucket ckpt --output text | grep -c UPLOADS)\" -ge 1 ]" \
  --dir s3://ckpt/crash --stream 0
[ "$(proc_state "$PID")" = T ] || fail "the test did not catch the process frozen (state $(proc_state "$PID"))"
[ "$(open_uploads ckpt)" -ge 1 ] || fail "the test did not catch an open upload"
start_daemon
wait_for 60 bash -c "[ \"\$(awk '/^State:/{print \$2}' /proc/$PID/status)\" != T ]" ||
  fail "the restarted daemon did not resume the frozen process"
alive "$PID" || fail "the process is gone"
wait_for 30 bash -c "[ \"\$(AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 aws --endpoint-url $S3_ENDPOINT s3api list-multipart-uploads --bucket ckpt --output text | grep -c UPLOADS)\" = 0 ]" ||
  fail "the interrupted dump's multipart upload is still open"
[ "$(objects_under crash/)" = 0 ] || fail "the interrupted dump left objects under s3://ckpt/crash/"
[ "$(job_status mem)" = running ] || fail "the registry says $(job_status mem), not running"
[ -z "$(ls -A "$T/state/dumps" 2>/dev/null)" ] || fail "the dump journal still has entries: $(ls "$T/state/dumps")"
log "plain S3 dump: process resumed, upload aborted, nothing stored"

# 2. A streamed checkpoint to a local directory: shards are being written
#    when the daemon dies; none may stay without a manifest.
crash_during "[ -n \"\$(find '$CKPT' -name '*shard-*' 2>/dev/null)\" ]" --dir "$CKPT" --stream 2
start_daemon
wait_for 60 bash -c "[ \"\$(awk '/^State:/{print \$2}' /proc/$PID/status)\" != T ]" ||
  fail "the restarted daemon did not resume the process"
alive "$PID" || fail "the process is gone"
wait_for 30 bash -c "[ -z \"\$(find '$CKPT' -mindepth 1 2>/dev/null)\" ]" ||
  fail "the interrupted streamed dump left files: $(find "$CKPT" -mindepth 1)"
log "streamed local dump: process resumed, no shard left"

# The job is whole: its memory is as it was, and it dumps and restores.
kill -USR1 "$PID"
wait_for 60 bash -c "[ \$(grep -c checksum '$MLOG') -ge 2 ]" || fail "no checksum after the crashes"
[ "$(grep checksum "$MLOG" | tail -n 1)" = "$want" ] || fail "memory changed across the crashes"
stasis dump job mem --dir s3://ckpt/after >/dev/null || fail "a dump after the crashes failed"
stasis restore job mem >/dev/null || fail "a restore after the crashes failed"
kill -USR1 "$(job_pid mem)"
wait_for 60 bash -c "[ \$(grep -c checksum '$MLOG') -ge 3 ]" || fail "no checksum after the restore"
[ "$(grep checksum "$MLOG" | tail -n 1)" = "$want" ] || fail "memory differs after the restore"
