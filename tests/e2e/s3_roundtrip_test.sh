#!/usr/bin/env bash
# The reference page's flow with s3:// in place of a directory: install the
# storage/s3 plugin, dump a job to a bucket, restore it (latest checkpoint,
# from S3), twice; the AWS CLI sees exactly what stasis wrote and read.
source "$(dirname "$0")/lib.sh"
start_s3 ckpt
start_daemon

stasis run process --jid counter -- "$WORKLOADS/counter" 50 >/dev/null
LOG=$(job_log counter)
wait_for 10 count_at_least "$LOG" 10 || fail "counter did not start counting"

# Without the plugin: one sentence naming the install command, job untouched.
expect_fail 'stasis plugin install storage/s3' stasis dump job counter --dir s3://ckpt/jobs
[ "$(job_status counter)" = running ] || fail "a refused dump changed the job"

stasis plugin list | grep -Eq '^storage/s3 +[0-9.]+ +available' || fail "plugin list: $(stasis plugin list)"
stasis plugin install storage/s3 >/dev/null || fail "plugin install failed"
stasis plugin list | grep -Eq '^storage/s3 +[0-9.]+ +installed' || fail "plugin list: $(stasis plugin list)"
[ -f "$T/plugins/stasis-storage-s3.so" ] || fail "install did not put the plugin in plugins.dir"

for round in 1 2; do
  pid=$(job_pid counter)
  stasis dump job counter --dir s3://ckpt/jobs >/dev/null || fail "dump $round to S3 failed"
  wait_for 5 bash -c "! kill -0 $pid 2>/dev/null" || fail "process $pid still alive after dump $round"
  path=$(last_checkpoint counter)
  case $path in s3://ckpt/jobs/dump-counter-*.tar.zst) ;; *) fail "checkpoint path is $path" ;; esac
  before=$(last_count "$LOG")

  # The independent client sees the archive, with the size job list shows.
  key=${path#s3://ckpt/}
  size=$(job_field counter '["last_checkpoint"]["size"]')
  listed=$(awscli s3api list-objects-v2 --bucket ckpt --prefix jobs/ --output json |
    python3 -c "import json,sys; print({o['Key']: o['Size'] for o in json.load(sys.stdin)['Contents']}.get('$key', 'absent'))")
  [ "$listed" = "$size" ] || fail "list-objects-v2 shows $key as $listed bytes; job list says $size"
  head=$(awscli s3api head-object --bucket ckpt --key "$key" --output json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["ContentLength"])')
  [ "$head" = "$size" ] || fail "head-object says $head bytes; job list says $size"
  stasis job list | grep -q "$path" || fail "job list does not show $path"

  # Restore from the latest checkpoint, in S3, as `restore job ID` does.
  stasis restore job counter >/dev/null || fail "restore $round from S3 failed"
  [ "$(job_status counter)" = running ] || fail "status after restore is $(job_status counter)"
  wait_for 10 count_at_least "$LOG" $((before + 10)) || fail "restored counter does not count"
  assert_consecutive "$LOG"
  log "round $round: $path ($size bytes), dumped at $before, now at $(last_count "$LOG")"
done

# What stasis reads back is byte for byte what the AWS CLI downloads.
awscli s3 cp "$path" "$T/by-aws.tar.zst" --only-show-errors || fail "aws s3 cp failed"
mkdir -p "$T/by-stasis"
stasis checkpoint copy "$path" "$T/by-stasis" >/dev/null || fail "checkpoint copy failed"
cmp "$T/by-aws.tar.zst" "$T/by-stasis/$(basename "$path")" || fail "stasis and the AWS CLI read different bytes"

# restore process --path s3://... works too, beside the running job.
stasis restore process --path "$path" >/dev/null || fail "restore process --path s3:// failed"
[ "$(stasis -o json job list | python3 -c 'import json,sys; print(sum(j["status"]=="running" for j in json.load(sys.stdin)))')" = 2 ] \
  || fail "restore process --path did not start a second job"

# checkpoint inspect and delete work on S3 like on a directory.
stasis checkpoint inspect "$path" | grep -q "Job: *counter" || fail "inspect: $(stasis checkpoint inspect "$path")"
[ "$(awscli s3api list-multipart-uploads --bucket ckpt --output json | grep -c UploadId)" = 0 ] ||
  fail "multipart uploads were left open"
first=$(stasis -o json checkpoint list s3://ckpt/jobs | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["path"])')
stasis checkpoint delete "$first" >/dev/null || fail "checkpoint delete failed"
awscli s3api head-object --bucket ckpt --key "${first#s3://ckpt/}" >/dev/null 2>&1 && fail "$first is still in the bucket"
[ "$(stasis -o json checkpoint list s3://ckpt/jobs | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] ||
  fail "checkpoint list still shows the deleted checkpoint"
log PASS
