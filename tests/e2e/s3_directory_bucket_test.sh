#!/usr/bin/env bash
# A job dumped to a directory bucket (S3 Express One Zone naming) and
# restored from it: sessions, s3express signing and the listing rules of
# directory buckets, as the loopback server enforces them (tests/s3server).
# What no loopback server shows: the zonal endpoint on AWS itself; that part
# is checked against botocore's requests in express_session_test.cc.
source "$(dirname "$0")/lib.sh"
BUCKET=ckpt--use1-az4--x-s3
start_s3 "$BUCKET"
start_daemon
stasis plugin install storage/s3 >/dev/null || fail "plugin install failed"

stasis run process --jid zonal -- "$WORKLOADS/counter" 50 >/dev/null
LOG=$(job_log zonal)
wait_for 10 count_at_least "$LOG" 5 || fail "counter did not start counting"
stasis dump job zonal --dir "s3://$BUCKET/jobs" >/dev/null || fail "dump to a directory bucket failed"
path=$(last_checkpoint zonal)
before=$(last_count "$LOG")
stasis checkpoint list "s3://$BUCKET/jobs" | grep -q "$path" || fail "checkpoint list does not show $path"
stasis restore job zonal >/dev/null || fail "restore from a directory bucket failed"
wait_for 10 count_at_least "$LOG" $((before + 5)) || fail "restored counter does not count"
assert_consecutive "$LOG"
sessions=$(curl -sf "$S3_ENDPOINT/__sessions")
log "round trip through $path; server sessions: $sessions"
echo "$sessions" | grep -q '"made":[1-9]' || fail "no session was created: $sessions"
log PASS
