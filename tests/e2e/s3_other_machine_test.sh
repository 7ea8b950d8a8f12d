#!/usr/bin/env bash
# Another machine can restore: with an empty registry (the database
# removed), `checkpoint list s3://...` finds the checkpoints from their
# manifests and `restore job ID --dir s3://...` brings back the latest.
source "$(dirname "$0")/lib.sh"
start_s3 ckpt
start_daemon
stasis plugin install storage/s3 >/dev/null || fail "plugin install failed"

stasis run process --jid trainer -- "$WORKLOADS/counter" 50 >/dev/null
LOG=$(job_log trainer)
wait_for 10 count_at_least "$LOG" 5 || fail "counter did not start counting"
stasis dump job trainer --dir s3://ckpt/team/runs >/dev/null || fail "first dump failed"
stasis restore job trainer >/dev/null || fail "first restore failed"
wait_for 10 count_at_least "$LOG" "$(( $(last_count "$LOG") + 5 ))" || fail "restored counter does not count"
out=$(stasis dump job trainer --dir s3://ckpt/team/runs 2>&1) || fail "second dump failed: $out"
latest=$(last_checkpoint trainer)
at=$(last_count "$LOG")
log "dumped twice; the latest is $latest at $at"

# The other machine: same bucket, no records at all.
stop_daemon
rm -f "$T"/state/stasis.db*
start_daemon
[ "$(stasis -o json job list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ] ||
  fail "the registry is not empty"

listed=$(stasis -o json checkpoint list s3://ckpt/team/runs) || fail "checkpoint list failed"
echo "$listed" | python3 -c "
import json, sys
rows = json.load(sys.stdin)
assert len(rows) == 2, rows
assert all(r['job_id'] == 'trainer' for r in rows), rows
assert rows[0]['path'] == '$latest', ('newest first', rows)
" || fail "checkpoint list from the manifests is wrong: $listed"
stasis checkpoint list s3://ckpt/team/runs | grep -q "^trainer " || fail "the table does not show the job"

stasis restore job trainer --dir s3://ckpt/team/runs >/dev/null || fail "restore job --dir s3:// failed"
[ "$(job_status trainer)" = running ] || fail "status after restore is $(job_status trainer)"
# The log file is the same path, appended to: one consecutive sequence
# proves the restore went on from the latest dump, not the first.
wait_for 10 count_at_least "$LOG" $((at + 5)) || fail "the restored job does not count on from $at"
assert_consecutive "$LOG"
first=$at
log "restored on an empty registry from $latest, counting from $first"

# --path works the same, and a job unknown to the prefix is one sentence.
stasis job kill trainer >/dev/null
stasis restore process --path "$latest" >/dev/null || fail "restore process --path failed"
expect_fail 'no checkpoint' stasis restore job nobody --dir s3://ckpt/team/runs
log PASS
