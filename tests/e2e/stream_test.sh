#!/usr/bin/env bash
# Streamed checkpoints (`dump --stream N`): CRIU streams its images through
# stasis's streamer into N compressed shards plus manifest.json, to a local
# directory and to S3, and restore finds them by itself. The counter and a
# random-memory process (its own checksum equal after restore) round-trip
# with N = 1, 2 and 4; a damaged or missing shard is refused with nothing
# started; a dump whose uploads fail leaves no manifest, no open upload, and
# the process running.
source "$(dirname "$0")/lib.sh"
start_s3 ckpt
start_daemon
stasis plugin install storage/s3 >/dev/null || fail "plugin install failed"
MIB=${STASIS_TEST_MEMORY_MIB:-1024}

shards_of() {  # shards_of PREFIX_DIR: the shard files in a local prefix
  find "$1" -maxdepth 1 -name 'shard-*' -printf '%f\n' | sort | tr '\n' ' '
}

# The counter, streamed to a local directory and restored, for each N.
stasis run process --jid counter -- "$WORKLOADS/counter" 50 >/dev/null
LOG=$(job_log counter)
wait_for 10 count_at_least "$LOG" 5 || fail "counter did not start counting"
for n in 1 2 4; do
  pid=$(job_pid counter)
  stasis dump job counter --stream "$n" >/dev/null || fail "streamed dump (N=$n) failed"
  wait_for 5 bash -c "! kill -0 $pid 2>/dev/null" || fail "process still alive after the dump"
  prefix=$(last_checkpoint counter)
  [ -d "$prefix" ] || fail "$prefix is not a directory of shards"
  [ -f "$prefix/manifest.json" ] || fail "no manifest.json in $prefix"
  [ "$(find "$prefix" -maxdepth 1 -name 'shard-*.lz4' | wc -l)" = "$n" ] ||
    fail "expected $n lz4 shards in $prefix, found: $(shards_of "$prefix")"
  before=$(last_count "$LOG")
  stasis restore job counter >/dev/null || fail "restore of $prefix failed"
  wait_for 10 count_at_least "$LOG" $((before + 5)) || fail "restored counter does not count"
  assert_consecutive "$LOG"
  log "counter, N=$n: $prefix ($(shards_of "$prefix")) dumped at $before"
done
stasis checkpoint inspect "$prefix" | grep -q "Kind: *stream" || fail "inspect does not say stream"
stasis job kill counter >/dev/null

# Random memory, streamed locally and to S3, N = 1, 2, 4.
stasis run process --jid mem -- "$WORKLOADS/memhog" "$MIB" >/dev/null
MLOG=$(job_log mem)
wait_for 120 grep -q checksum "$MLOG" || fail "memhog did not start"
want=$(grep checksum "$MLOG" | tail -n 1)
round=1
for dir in "$CKPT" s3://ckpt/streams; do
  for n in 1 2 4; do
    stasis dump job mem --stream "$n" --dir "$dir" >"$T/dump.out" 2>&1 || fail "dump to $dir (N=$n): $(cat "$T/dump.out")"
    path=$(last_checkpoint mem)
    stasis restore job mem >/dev/null || fail "restore of $path failed"
    round=$((round + 1))
    kill -USR1 "$(job_pid mem)"
    wait_for 120 bash -c "[ \$(grep -c checksum '$MLOG') -ge $round ]" || fail "no checksum after restoring $path"
    got=$(grep checksum "$MLOG" | tail -n 1)
    [ "$got" = "$want" ] || fail "memory differs after $path: $got vs $want"
    log "$MIB MiB, N=$n: $(cat "$T/dump.out")"
  done
done
# What the independent client sees of the last S3 checkpoint.
key=${path#s3://ckpt/}
listing=$(awscli s3api list-objects-v2 --bucket ckpt --prefix "$key/" --output json)
for f in manifest.json shard-0.lz4 shard-1.lz4 shard-2.lz4 shard-3.lz4; do
  echo "$listing" | grep -q "\"$key/$f\"" || fail "aws s3api does not list $key/$f"
done
[ "$(open_uploads ckpt)" = 0 ] || fail "multipart uploads were left open"

# checkpoint copy takes a streamed checkpoint whole (manifest last), and the
# copy restores: from S3 to a local directory here.
mkdir -p "$T/copies"
stasis checkpoint copy "$path" "$T/copies" >/dev/null || fail "checkpoint copy of $path failed"
copy="$T/copies/$(basename "$path")"
[ -f "$copy/manifest.json" ] && [ -f "$copy/shard-3.lz4" ] || fail "the copy is incomplete: $(ls "$copy")"
out=$(stasis -o json restore process --path "$copy") || fail "restore of the copy failed"
cjid=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
CLOG=$(job_log "$cjid")
kill -USR1 "$(job_pid "$cjid")"
wait_for 120 grep -q checksum "$CLOG" || fail "the copy's process printed no checksum"
[ "$(grep checksum "$CLOG" | tail -n 1)" = "$want" ] || fail "the copy restored different memory"
stasis job kill "$cjid" >/dev/null

# Uploads that fail: no manifest, no open upload, the process runs on.
s3_fault '{"op": "UploadPart", "status": 500, "after": 2}'
pid=$(job_pid mem)
expect_fail 'failed \(the process was resumed\)' stasis dump job mem --stream 4 --dir s3://ckpt/failing
s3_clear_faults
alive "$pid" || fail "the process did not survive a failed streamed dump"
[ "$(proc_state "$pid")" != T ] || fail "the process was left stopped"
[ "$(job_status mem)" = running ] || fail "job status after a failed dump: $(job_status mem)"
[ "$(awscli s3api list-objects-v2 --bucket ckpt --prefix failing/ --output json | grep -c '"Key"')" = 0 ] ||
  fail "a failed streamed dump left objects (a manifest or shards) behind"
[ "$(open_uploads ckpt)" = 0 ] || fail "a failed streamed dump left a multipart upload open"
stasis job kill mem >/dev/null

# A damaged shard, then a missing one: refused, nothing started.
local_ckpt=$(ls -d "$CKPT"/dump-mem-* | tail -n 1)
shard="$local_ckpt/shard-1.lz4"
size=$(stat -c %s "$shard")
printf '\xff' | dd of="$shard" bs=1 seek=$((size / 2)) conv=notrunc status=none
expect_fail 'damaged|checksum|cannot be restored' stasis restore process --path "$local_ckpt"
rm -f "$shard"
expect_fail 'shard-1.lz4 is missing' stasis restore process --path "$local_ckpt"
[ "$(stasis -o json job list | python3 -c 'import json,sys; print(sum(j["status"]=="running" for j in json.load(sys.stdin)))')" = 0 ] ||
  fail "a refused restore left a job running"
# No manifest, no checkpoint: a prefix without one is not listed.
rm -f "$local_ckpt/manifest.json"
stasis checkpoint list "$CKPT" | grep -q "$(basename "$local_ckpt")" && fail "a prefix without a manifest is listed"
log PASS
