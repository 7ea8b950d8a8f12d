#!/usr/bin/env bash
# Bad S3 input, each one clear sentence, a non-zero exit, and the job it
# was aimed at still running (not stopped, not lost): malformed URIs, a
# missing bucket, a missing key, wrong credentials (the server verifies the
# signature), no credentials, an unreachable endpoint (in bounded time), and
# the plugin removed.
source "$(dirname "$0")/lib.sh"
start_s3 ckpt
start_daemon
stasis plugin install storage/s3 >/dev/null || fail "plugin install failed"

start_victim() {
  stasis run process --jid "$1" -- "$WORKLOADS/counter" 50 >/dev/null || fail "cannot start $1"
  wait_for 10 count_at_least "$(job_log "$1")" 2 || fail "$1 did not start counting"
}
# The job must be running and not stopped after a refused dump.
untouched() {
  local pid
  pid=$(job_pid "$1")
  [ "$(job_status "$1")" = running ] || fail "$1 is $(job_status "$1") after a refused dump"
  alive "$pid" || fail "$1 (pid $pid) is gone after a refused dump"
  [ "$(proc_state "$pid")" != T ] || fail "$1 (pid $pid) was left stopped"
}
restart_daemon() { stop_daemon; start_daemon; }

start_victim v1
expect_fail 'names no bucket' stasis dump job v1 --dir s3://
expect_fail 'names no bucket' stasis dump job v1 --dir s3:///prefix
expect_fail 'not a valid S3 bucket name' stasis dump job v1 --dir s3://Bad_Bucket/x
expect_fail 'relative path' stasis dump job v1 --dir s3:/ckpt
expect_fail 'bucket nosuchbucket does not exist' stasis dump job v1 --dir s3://nosuchbucket/x
expect_fail 'bucket nosuchbucket does not exist' stasis checkpoint list s3://nosuchbucket
expect_fail 'no checkpoint at s3://ckpt/none' stasis restore process --path s3://ckpt/none/dump-x.tar.zst
expect_fail 'no checkpoint at s3://ckpt/none' stasis checkpoint inspect s3://ckpt/none/dump-x.tar.zst
expect_fail 'no checkpoint of job' stasis restore job ghost --dir s3://ckpt/none
untouched v1
[ "$(open_uploads ckpt)" = 0 ] || fail "multipart uploads were left open"

# Wrong secret: the server checks the signature and says 403.
set_config aws.secret_access_key '"not-the-secret"'
restart_daemon
start_victim v2
expect_fail 'S3 refused the credentials \(SignatureDoesNotMatch\)' stasis dump job v2 --dir s3://ckpt/x
untouched v2
# Wrong key id.
set_config aws.secret_access_key '"S3RVER"'
set_config aws.access_key_id '"AKIDNOBODYKNOWS"'
restart_daemon
start_victim v3
expect_fail 'S3 refused the credentials \(InvalidAccessKeyId\)' stasis dump job v3 --dir s3://ckpt/x
untouched v3
stasis health >"$T/health.out" 2>&1 && fail "health is green with bad credentials"
grep -q 'InvalidAccessKeyId' "$T/health.out" || fail "health does not name the refusal: $(cat "$T/health.out")"

# No credentials anywhere: not in config, environment or ~/.aws.
set_config aws.access_key_id null
set_config aws.secret_access_key null
mkdir -p "$T/emptyhome"
stop_daemon
HOME=$T/emptyhome env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
  -u AWS_PROFILE -u AWS_SHARED_CREDENTIALS_FILE -u AWS_CONFIG_FILE \
  "$STASIS_BIN" daemon start --detach >/dev/null || fail "daemon did not start"
start_victim v4
expect_fail 'no AWS credentials' stasis dump job v4 --dir s3://ckpt/x
untouched v4

# Unreachable endpoint: refused quickly, not after minutes of retries.
set_config aws.access_key_id '"S3RVER"'
set_config aws.secret_access_key '"S3RVER"'
set_config aws.endpoint "\"http://127.0.0.1:$(free_port)\""
restart_daemon
start_victim v5
t0=$SECONDS
expect_fail 'cannot reach|connect' stasis dump job v5 --dir s3://ckpt/x
[ $((SECONDS - t0)) -le 15 ] || fail "an unreachable endpoint took $((SECONDS - t0)) s to report"
untouched v5

# The plugin removed while the daemon runs: the next use names the install.
set_config aws.endpoint "\"$S3_ENDPOINT\""
restart_daemon
start_victim v6
stasis dump job v6 --dir s3://ckpt/ok --leave-running >/dev/null || fail "dump with the plugin failed"
stasis plugin remove storage/s3 >/dev/null || fail "plugin remove failed"
stasis plugin list | grep -Eq '^storage/s3 +[0-9.]+ +available' || fail "plugin list: $(stasis plugin list)"
expect_fail 'stasis plugin install storage/s3' stasis dump job v6 --dir s3://ckpt/ok
expect_fail 'stasis plugin install storage/s3' stasis checkpoint list s3://ckpt/ok
expect_fail 'is not installed' stasis plugin remove storage/s3
expect_fail 'no plugin named storage/gcs' stasis plugin install storage/gcs
untouched v6
[ "$(open_uploads ckpt)" = 0 ] || fail "multipart uploads were left open"
log PASS
