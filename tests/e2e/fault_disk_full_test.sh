#!/usr/bin/env bash
# A local checkpoint directory that fills up mid-dump (a 48 MiB tmpfs, a
# process holding 128 MiB of random memory): the dump fails with one
# sentence, the process runs on with its memory intact, and nothing is left
# in the directory, for a plain archive and for a streamed checkpoint. The
# same process then dumps and restores through a directory with room.
source "$(dirname "$0")/lib.sh"
start_daemon

SMALL=$T/small
mkdir -p "$SMALL"
mount -t tmpfs -o size=48m tmpfs "$SMALL" || fail "cannot mount a tmpfs"

stasis run process --jid mem -- "$WORKLOADS/memhog" 128 >/dev/null
LOG=$(job_log mem)
wait_for 60 grep -q checksum "$LOG" || fail "memhog did not start"
before=$(grep checksum "$LOG" | tail -n 1)
pid=$(job_pid mem)

checksums() { grep -c checksum "$LOG"; }
for mode in plain stream; do
  flags=(--compression none)
  [ "$mode" = stream ] && flags+=(--stream 2)
  expect_fail 'No space left|no space|full' stasis dump job mem --dir "$SMALL" "${flags[@]}"
  alive "$pid" || fail "$mode: the process did not survive a dump into a full directory"
  [ "$(proc_state "$pid")" != T ] || fail "$mode: the process was left stopped"
  [ "$(job_status mem)" = running ] || fail "$mode: job status is $(job_status mem)"
  [ -z "$(ls -A "$SMALL")" ] || fail "$mode: the full directory still holds $(ls -A "$SMALL" | head -n 3 | tr '\n' ' ')"
  n=$(checksums)
  kill -USR1 "$pid"
  wait_for 30 bash -c "[ \$(grep -c checksum '$LOG') -gt $n ]" || fail "$mode: no checksum after the failed dump"
  [ "$(grep checksum "$LOG" | tail -n 1)" = "$before" ] || fail "$mode: memory changed across a failed dump"
  log "$mode: a full directory costs nothing"
done

stasis dump job mem --compression lz4 >/dev/null || fail "dump to a directory with room failed"
stasis restore job mem >/dev/null || fail "restore failed"
n=$(checksums)
kill -USR1 "$(job_pid mem)"
wait_for 60 bash -c "[ \$(grep -c checksum '$LOG') -gt $n ]" || fail "no checksum after restore"
[ "$(grep checksum "$LOG" | tail -n 1)" = "$before" ] || fail "memory differs after the round trip"
log PASS
