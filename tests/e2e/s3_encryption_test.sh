#!/usr/bin/env bash
# Server-side encryption: with aws.sse set, every object stasis writes (a
# plain archive; a streamed checkpoint's shards and manifest) is stored
# with it, as the AWS CLI's head-object reports, and restores as before.
# Bad values are refused in one sentence.
source "$(dirname "$0")/lib.sh"
start_s3 ckpt
set_config aws.sse '"aws:kms"'
set_config aws.sse_kms_key_id '"alias/stasis-e2e"'
start_daemon
stasis plugin install storage/s3 >/dev/null || fail "plugin install failed"

encryption_of() {  # encryption_of KEY: "<sse> <kms key>" as S3 reports them
  awscli s3api head-object --bucket ckpt --key "$1" --output json |
    python3 -c 'import json,sys; h=json.load(sys.stdin); print(h.get("ServerSideEncryption","none"), h.get("SSEKMSKeyId","-"))'
}

stasis run process --jid counter -- "$WORKLOADS/counter" 50 >/dev/null
LOG=$(job_log counter)
wait_for 10 count_at_least "$LOG" 5 || fail "counter did not start counting"

check_round_trip() {  # check_round_trip DUMP_ARGS...
  stasis dump job counter "$@" >/dev/null || fail "dump $* failed"
  path=$(last_checkpoint counter)
  before=$(last_count "$LOG")
  stasis restore job counter >/dev/null || fail "restore of $path failed"
  wait_for 10 count_at_least "$LOG" $((before + 3)) || fail "restored counter does not count"
  assert_consecutive "$LOG"
}

# SSE-KMS with a named key: the plain archive, then every object of a
# streamed checkpoint.
check_round_trip --dir s3://ckpt/kms --stream 0
[ "$(encryption_of "${path#s3://ckpt/}")" = "aws:kms alias/stasis-e2e" ] ||
  fail "the archive is stored with $(encryption_of "${path#s3://ckpt/}")"
check_round_trip --dir s3://ckpt/kms --stream 2
for obj in manifest.json shard-0.lz4 shard-1.lz4; do
  [ "$(encryption_of "${path#s3://ckpt/}/$obj")" = "aws:kms alias/stasis-e2e" ] ||
    fail "$obj is stored with $(encryption_of "${path#s3://ckpt/}/$obj")"
done
log "SSE-KMS: archive, shards and manifest encrypted with alias/stasis-e2e"

# SSE-S3. The daemon reads the config when the plugin loads: restart it.
stop_daemon
set_config aws.sse '"AES256"'
set_config aws.sse_kms_key_id '""'
start_daemon
check_round_trip --dir s3://ckpt/sse-s3 --stream 0
[ "$(encryption_of "${path#s3://ckpt/}")" = "AES256 -" ] ||
  fail "the archive is stored with $(encryption_of "${path#s3://ckpt/}")"
log "SSE-S3: archive encrypted with AES256"

# Bad values: one sentence each, and the counter keeps running.
expect_fail 'STASIS_AWS_SSE: "DES" is not one of AES256, aws:kms' env STASIS_AWS_SSE=DES "$STASIS_BIN" config show
stop_daemon
set_config aws.sse '""'
set_config aws.sse_kms_key_id '"alias/x"'
start_daemon
expect_fail "aws.sse_kms_key_id needs aws.sse set to aws:kms" stasis dump job counter --dir s3://ckpt/bad
[ "$(proc_state "$(job_pid counter)")" != T ] || fail "the counter was left stopped"
