#!/usr/bin/env bash
# The S3 server is killed in the middle of a streamed dump: the dump fails
# with a clear error, the process keeps running, no manifest is written,
# and once the server is back the multipart uploads the outage left open
# are aborted by stasis's janitor, even across a daemon restart (the server
# remembers open uploads across its own restart, as S3 does).
source "$(dirname "$0")/lib.sh"
start_s3 ckpt
start_daemon
stasis plugin install storage/s3 >/dev/null || fail "plugin install failed"
MIB=${STASIS_TEST_OUTAGE_MIB:-512}

stasis run process --jid mem -- "$WORKLOADS/memhog" "$MIB" >/dev/null
LOG=$(job_log mem)
wait_for 120 grep -q checksum "$LOG" || fail "memhog did not start"
pid=$(job_pid mem)

# Kill the server once the shards' uploads are under way.
(
  for _ in $(seq 200); do
    [ "$(open_uploads ckpt 2>/dev/null || echo 0)" -ge 2 ] && break
    sleep 0.05
  done
  kill -KILL "$S3_PID"
) &
killer=$!
t0=$SECONDS
expect_fail 'failed \(the process was resumed\)' stasis dump job mem --stream 4 --dir s3://ckpt/outage
wait "$killer" || true
log "the dump failed after $((SECONDS - t0)) s"
alive "$pid" || fail "the process did not survive the outage"
[ "$(proc_state "$pid")" != T ] || fail "the process was left stopped"
[ "$(job_status mem)" = running ] || fail "job status after the outage: $(job_status mem)"

# The daemon restarts while the server is still down: the uploads to abort
# are remembered in its state directory, not only in memory.
[ -s "$T/state/s3-pending-aborts.json" ] || fail "the pending aborts were not recorded"
# What the dead server holds open (its table on disk): nobody but stasis
# will abort these.
left=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/s3data/.stasis-open-uploads.json")
[ "$left" -gt 0 ] || fail "the outage left no upload open; the test did not interrupt the dump"
stop_daemon
start_daemon

# The server comes back with its data; stasis cleans up what the outage left.
S3_PID=$("$S3SERVER_START" "$S3_PORT" "$T/s3data" ckpt) || fail "the S3 server did not restart"
EXTRA_PIDS+=("$S3_PID")
no_open_uploads() { [ "$(open_uploads ckpt)" = 0 ]; }
wait_for 60 no_open_uploads ||
  fail "the janitor did not abort the uploads the outage left open ($(open_uploads ckpt) still open)"
[ "$(awscli s3api list-objects-v2 --bucket ckpt --prefix outage/ --output json | grep -c '"Key"')" = 0 ] ||
  fail "the failed dump left objects behind"
# And the next streamed dump works.
stasis dump job mem --stream 4 --dir s3://ckpt/after >/dev/null || fail "dump after the outage failed"
log "PASS ($left uploads left open by the outage, all aborted by the janitor since)"
