#!/usr/bin/env bash
# Pre-copy (`dump --pre-dump`): the memory is copied while the process runs,
# and the frozen dump stores only the pages that changed since, its pages
# images as extents over what the pre-copy stored. The counter round-trips;
# a process rewriting its pages all the time (churn, which checks every page
# against its own version table) is dumped with a pre-copy to S3 and to a
# local directory, restored, dumped and restored again, and is consistent
# each time; the frozen dump of a job that writes little stores only a
# small part of its memory.
source "$(dirname "$0")/lib.sh"
start_s3 ckpt
start_daemon
stasis plugin install storage/s3 >/dev/null || fail "plugin install failed"
MIB=${STASIS_TEST_CHURN_MIB:-256}

manifest_field() {  # manifest_field FILE PYTHON_EXPR(m)
  python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print($2)" "$1"
}

# The counter, with a pre-copy and one shard (the default without --stream).
stasis run process --jid counter -- "$WORKLOADS/counter" 50 >/dev/null
LOG=$(job_log counter)
wait_for 10 count_at_least "$LOG" 5 || fail "counter did not start counting"
stasis dump job counter --pre-dump >"$T/dump.out" || fail "pre-dump of the counter failed"
grep -q "pre-copy" "$T/dump.out" || fail "the dump does not report its pre-copy: $(cat "$T/dump.out")"
prefix=$(last_checkpoint counter)
# Blobs (version 2) whose chunks carry digests (version 4, which has both).
[ "$(manifest_field "$prefix/manifest.json" 'm["format_version"]')" = 4 ] ||
  fail "a pre-copied, signed checkpoint should have manifest format 4"
manifest_field "$prefix/manifest.json" '[b["name"] for b in m["blobs"]]' | grep -q precopy-1 ||
  fail "no pre-copy blob in $prefix/manifest.json"
before=$(last_count "$LOG")
stasis restore job counter >/dev/null || fail "restore of $prefix failed"
wait_for 10 count_at_least "$LOG" $((before + 5)) || fail "restored counter does not count"
assert_consecutive "$LOG"
stasis checkpoint inspect "$prefix" | grep -q "Kind: *stream" || fail "inspect does not say stream"

# --pre-dump with --stream 0 is a contradiction: refused, and the job runs on.
expect_fail "pre-dump makes a streamed checkpoint" stasis dump job counter --pre-dump --stream 0
[ "$(proc_state "$(job_pid counter)")" != T ] || fail "the counter was left stopped"
stasis job kill counter >/dev/null

# churn rewrites 20000 pages a second while the pre-copy reads them.
stasis run process --jid churn -- "$WORKLOADS/churn" "$MIB" 20000 >/dev/null
CLOG=$(job_log churn)
wait_for 60 grep -q ready "$CLOG" || fail "churn did not start"
sleep 1
verified=0
verify() {  # asks churn to check its pages; sets MUTATIONS to its count
  verified=$((verified + 1))
  kill -USR1 "$(job_pid churn)"
  wait_for 60 bash -c "[ \$(grep -c '^verify' '$CLOG') -ge $verified ]" || fail "churn did not verify"
  local line
  line=$(grep '^verify' "$CLOG" | tail -n 1)
  [[ $line == "verify ok"* ]] || fail "churn's memory is inconsistent: $line"
  MUTATIONS=${line##*mutations=}
}
verify
last=$MUTATIONS
for dir in s3://ckpt/pre "$CKPT"; do
  stasis -o json dump job churn --pre-dump --stream 2 --dir "$dir" >"$T/dump.json" ||
    fail "pre-dump of churn to $dir failed"
  path=$(last_checkpoint churn)
  if [[ $dir == s3://* ]]; then
    awscli s3api get-object --bucket ckpt --key "${path#s3://ckpt/}/manifest.json" "$T/manifest.json" >/dev/null ||
      fail "aws s3api cannot read $path/manifest.json"
  else
    cp "$path/manifest.json" "$T/manifest.json"
  fi
  # What the frozen dump stored beside the pre-copy: the changed pages only.
  read -r pre changed < <(manifest_field "$T/manifest.json" \
    '" ".join(str(sum(b["size"] for b in m["blobs"] if b["name"].startswith(p))) for p in ("precopy-", "changed-pages-"))')
  [ "$pre" -ge $((MIB * 1024 * 1024)) ] || fail "the pre-copy stored $pre bytes of $MIB MiB"
  stasis restore job churn >/dev/null || fail "restore of $path failed"
  verify
  now=$MUTATIONS
  [ "$now" -ge "$last" ] || fail "churn went back from $last to $now mutations"
  log "churn $MIB MiB to $dir: pre-copy stored $pre bytes, the frozen dump $changed; $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("pre-copy %.2f s, frozen %.2f s (CRIU %.2f s), total %.2f s" % (d["precopy_seconds"], d["frozen_seconds"], d["criu_seconds"], d["total_seconds"]))' "$T/dump.json")"
  last=$now
done

# How much the frozen dump stores depends on how fast the job writes while
# it is copied, which on a busy machine is anyone's guess; so that claim is
# checked on a job that writes almost nothing (churn's slowest rate): its
# frozen dump stores a small part of what the pre-copy did.
stasis job kill churn >/dev/null
stasis run process --jid quiet -- "$WORKLOADS/churn" "$MIB" 0 >/dev/null
wait_for 60 grep -q ready "$(job_log quiet)" || fail "quiet churn did not start"
stasis dump job quiet --pre-dump --stream 2 >/dev/null || fail "pre-dump of the quiet job failed"
cp "$(last_checkpoint quiet)/manifest.json" "$T/quiet.json"
read -r pre changed < <(manifest_field "$T/quiet.json" \
  '" ".join(str(sum(b["size"] for b in m["blobs"] if b["name"].startswith(p))) for p in ("precopy-", "changed-pages-"))')
[ "$pre" -ge $((MIB * 1024 * 1024)) ] || fail "the pre-copy stored $pre bytes of $MIB MiB"
[ "$changed" -lt $((MIB * 1024 * 1024 / 2)) ] ||
  fail "the frozen dump of a quiet job stored $changed bytes: most of the memory"
log "quiet $MIB MiB: pre-copy stored $pre bytes, the frozen dump $changed"
[ "$(open_uploads ckpt)" = 0 ] || fail "multipart uploads were left open"
