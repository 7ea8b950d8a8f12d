#!/usr/bin/env bash
# The S3 server goes away (every connection reset) for longer than the
# client's retry budget, in the middle of a plain and of a streamed dump,
# and during restores. Each fails with a clear sentence; a dumped process
# is resumed, not left frozen or killed; no checkpoint or manifest appears
# and no restore starts anything. Once the server is back, the uploads the
# outage left open are aborted by stasis, and everything works again.
source "$(dirname "$0")/fault_lib.sh"
start_fault_suite
pid=$(job_pid mem)

# A throttled link makes the dump last long enough to be cut: the server
# goes while the first parts are on their way.
SLOW='{"bandwidth": 25165824}'
outage_during_dump() {  # outage_during_dump NAME DUMP_FLAGS...
  local name=$1 t0
  shift
  faults "$SLOW"
  local parts0
  parts0=$(proxy_stat 's["by_op"].get("UploadPart", 0)')
  (
    for _ in $(seq 600); do
      [ "$(proxy_stat 's["by_op"].get("UploadPart", 0)')" -ge $((parts0 + 2)) ] && break
      sleep 0.05
    done
    faults '{"down": true}'
  ) &
  local cutter=$!
  t0=$SECONDS
  expect_fail 'failed \(the process was resumed\).*gave up after [0-9]+ attempts' stasis dump job mem --dir "s3://ckpt/$name" "$@"
  wait "$cutter" || true
  log "$name: the dump gave up after $((SECONDS - t0)) s of outage"
  alive "$pid" || fail "$name: the process did not survive the outage"
  [ "$(proc_state "$pid")" != T ] || fail "$name: the process was left stopped"
  [ "$(job_status mem)" = running ] || fail "$name: job status after the outage: $(job_status mem)"
  [ "$(awscli s3api list-objects-v2 --bucket ckpt --prefix "$name/" --query 'length(Contents || `[]`)' --output text)" = 0 ] ||
    fail "$name: the failed dump left objects behind (a manifest or a checkpoint)"
}

outage_during_dump outage-plain --compression lz4
outage_during_dump outage-stream --stream 4

# The outage left uploads open that only stasis knows of; when the server
# is back its janitor aborts them.
faults '{}'
no_open_uploads() { [ "$(open_uploads ckpt)" = 0 ]; }
wait_for 90 no_open_uploads || fail "$(open_uploads ckpt) uploads are still open after the outage"

# Restores during an outage: a clear sentence and nothing started.
stasis dump job mem --dir s3://ckpt/good-plain --compression lz4 >/dev/null || fail "plain dump after the outage failed"
plain=$(last_checkpoint mem)
stasis restore job mem >/dev/null || fail "restore after the outage failed"
stasis dump job mem --dir s3://ckpt/good-stream --stream 4 >/dev/null || fail "streamed dump after the outage failed"
stream=$(last_checkpoint mem)
faults '{"down": true}'
expect_fail 'cannot read s3://ckpt/.*cannot reach .*gave up after [0-9]+ attempts' stasis restore process --path "$plain"
expect_fail 'cannot read s3://ckpt/.*cannot reach .*gave up after [0-9]+ attempts' stasis restore job mem
[ "$(job_status mem)" = dumped ] || fail "a failed restore changed the job to $(job_status mem)"
! alive "$pid" || fail "a failed restore left a process running"  # CRIU restores the pid
faults '{}'
stasis restore job mem >/dev/null || fail "restore of $stream after the outage failed"
expect_same_memory "after the outage"
assert_no_open_uploads ckpt
log "PASS: 2 dumps and 2 restores met an outage past the retry budget ($(proxy_stat 's["faults"].get("down", 0)') connections refused); 0 processes lost, 0 uploads left open"
