#!/usr/bin/env bash
# A process holding 1 GiB of random memory is dumped and restored; the
# checksum it computes over its memory is the same afterwards.
source "$(dirname "$0")/lib.sh"
start_daemon
MIB=${STASIS_TEST_MEMORY_MIB:-1024}

stasis run process --jid mem -- "$WORKLOADS/memhog" "$MIB" >/dev/null
LOG=$(job_log mem)
wait_for 60 grep -q checksum "$LOG" || fail "memhog did not start"
before=$(grep checksum "$LOG" | tail -n 1)

stasis dump job mem --compression lz4 >/dev/null || fail "dump failed"
archive=$(last_checkpoint mem)
stasis restore job mem >/dev/null || fail "restore failed"
kill -USR1 "$(job_pid mem)"
wait_for 60 bash -c "[ \$(grep -c checksum '$LOG') -ge 2 ]" || fail "no checksum after restore"
after=$(grep checksum "$LOG" | tail -n 1)
[ "$before" = "$after" ] || fail "memory differs: $before vs $after"
log "PASS: $before after a round trip through $(stat -c %s "$archive") bytes"
