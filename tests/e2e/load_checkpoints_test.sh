#!/usr/bin/env bash
# 1,001 checkpoints under one S3 prefix: `checkpoint list` returns every one
# (S3 lists 1,000 keys a page, so the listing must follow the continuation),
# and `restore job --dir` picks the newest, whose key sorts last: on the
# second page. Two are real dumps; the other 999 are byte copies of the
# first, uploaded under older names by the AWS CLI.
source "$(dirname "$0")/lib.sh"
start_s3 many
start_daemon
stasis plugin install storage/s3 >/dev/null || fail "plugin install failed"

stasis run process --jid counter -- "$WORKLOADS/counter" 20 >/dev/null
CLOG=$(job_log counter)
wait_for 10 count_at_least "$CLOG" 3 || fail "counter did not start counting"
stasis dump job counter --dir s3://many/ckpt --leave-running >/dev/null || fail "first dump failed"
first=$(last_checkpoint counter)

# The copies: names from 2001, so they sort (and date) before the real ones.
mkdir -p "$T/copies"
awscli s3 cp --quiet "$first" "$T/copies/src"
ext=${first#*.tar}
for i in $(seq 1 999); do
  ln "$T/copies/src" "$T/copies/$(printf 'dump-counter-20010101T%06dZ.tar%s' "$i" "$ext")"
done
rm "$T/copies/src"
awscli s3 cp --quiet --recursive "$T/copies" s3://many/ckpt/ || fail "uploading the copies failed"

sleep 1.1  # the newest dump's name and time are after the first one's
at=$(last_count "$CLOG")
stasis dump job counter --dir s3://many/ckpt --leave-running >/dev/null || fail "last dump failed"
newest=$(last_checkpoint counter)

keys=$(awscli s3api list-objects-v2 --bucket many --prefix ckpt/ --output json |
  python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("Contents", [])))')
[ "$keys" = 1001 ] || fail "the prefix holds $keys objects, not 1001"

t0=$SECONDS
listed=$(stasis -o json checkpoint list s3://many/ckpt)
count=$(echo "$listed" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
top=$(echo "$listed" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["path"])')
[ "$count" = 1001 ] || fail "checkpoint list shows $count checkpoints, not 1001"
[ "$top" = "$newest" ] || fail "checkpoint list puts $top first, not the newest ($newest)"
log "checkpoint list: 1001 checkpoints in $((SECONDS - t0)) s, newest first"

# Restored from the listing, as on another machine. The log is appended
# to, so the restored counter's first line tells which checkpoint it came
# from: the newest goes on from at least `at`, the first from near 0.
stasis job kill counter >/dev/null
lines=$(wc -l <"$CLOG")
stasis restore job counter --dir s3://many/ckpt >/dev/null || fail "restore --dir failed"
wait_for 10 bash -c "[ \$(wc -l <'$CLOG') -gt $((lines + 2)) ]" || fail "the restored counter prints nothing"
next=$(sed -n "$((lines + 1))p" "$CLOG")
[ "$next" -ge "$at" ] || fail "restored an older checkpoint: it counts from $next; the newest dump was at $at or later"
[ "$(job_status counter)" = running ] || fail "the restored job is $(job_status counter)"
log "restore job --dir picked the newest: it counts on from $next (dumped at >= $at)"
log PASS
