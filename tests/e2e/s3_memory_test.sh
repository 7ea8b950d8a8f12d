#!/usr/bin/env bash
# Through S3: a process holding 1 GiB of random memory round-trips with its
# memory intact (the checksum it computes itself is the same), every
# compression mode round-trips, and a dump whose upload fails leaves no
# multipart upload behind and the process running.
source "$(dirname "$0")/lib.sh"
start_s3 ckpt
start_daemon
stasis plugin install storage/s3 >/dev/null || fail "plugin install failed"
MIB=${STASIS_TEST_MEMORY_MIB:-1024}

stasis run process --jid mem -- "$WORKLOADS/memhog" "$MIB" >/dev/null
LOG=$(job_log mem)
wait_for 60 grep -q checksum "$LOG" || fail "memhog did not start"
before=$(grep checksum "$LOG" | tail -n 1)

# A dump whose parts the server refuses (after the first) fails cleanly.
s3_fault '{"op": "UploadPart", "status": 500, "after": 1}'
pid=$(job_pid mem)
expect_fail 'S3|upload|500|InternalError' stasis dump job mem --dir s3://ckpt/mem --compression none
s3_clear_faults
alive "$pid" || fail "the process did not survive a failed dump"
[ "$(proc_state "$pid")" != T ] || fail "the process was left stopped after a failed dump"
[ "$(open_uploads ckpt)" = 0 ] || fail "a failed dump left a multipart upload open"
[ "$(awscli s3api list-objects-v2 --bucket ckpt --prefix mem/ --output json | grep -c "\"Key\"")" = 0 ] ||
  fail "a failed dump left an object behind"
[ -z "$(ls -A "$T/s3data/ckpt/._S3rver_uploads" 2>/dev/null)" ] ||
  fail "the aborted upload's parts are still stored on the server"
[ "$(job_status mem)" = running ] || fail "job status after a failed dump is $(job_status mem)"

stasis dump job mem --dir s3://ckpt/mem --compression lz4 >/dev/null || fail "dump to S3 failed"
path=$(last_checkpoint mem)
[ "$(open_uploads ckpt)" = 0 ] || fail "a committed dump left a multipart upload open"
# On a terminal (script gives it a pty) the restore shows its progress.
script -qec "$STASIS_BIN restore job mem" /dev/null >"$T/restore.tty" || fail "restore from S3 failed: $(tr '\r' '\n' <"$T/restore.tty" | tail -n 3)"
tr '\r' '\n' <"$T/restore.tty" | grep -Eq "^.*reading s3://ckpt/mem/.* of [0-9.]+[KMG]iB \([0-9]+%\)" ||
  fail "no progress line on the terminal: $(tr '\r' '\n' <"$T/restore.tty" | tail -n 5)"
kill -USR1 "$(job_pid mem)"
wait_for 60 bash -c "[ \$(grep -c checksum '$LOG') -ge 2 ]" || fail "no checksum after restore"
after=$(grep checksum "$LOG" | tail -n 1)
[ "$before" = "$after" ] || fail "memory differs: $before vs $after"
log "$MIB MiB: $before after a round trip through $path"
stasis job kill mem >/dev/null

# Every compression mode, each restored while its original keeps running.
stasis run process --jid counter -- "$WORKLOADS/counter" 50 >/dev/null
CLOG=$(job_log counter)
wait_for 10 count_at_least "$CLOG" 5 || fail "counter did not start counting"
for c in none gzip lz4 zstd; do
  stasis dump job counter --dir s3://ckpt/modes --compression "$c" --leave-running >"$T/dump.out" 2>&1 ||
    fail "dump with $c failed: $(cat "$T/dump.out")"
  p=$(last_checkpoint counter)
  case $p in *.tar|*.tar.gz|*.tar.lz4|*.tar.zst) ;; *) fail "odd name $p" ;; esac
  out=$(stasis -o json restore process --path "$p") || fail "restore of $p failed"
  jid=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  [ "$(job_status "$jid")" = running ] || fail "$jid ($c) is not running"
  stasis job kill "$jid" >/dev/null
  log "compression $c: $p round-tripped"
done
[ "$(job_status counter)" = running ] || fail "--leave-running did not leave the counter running"
log PASS
