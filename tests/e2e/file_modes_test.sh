#!/usr/bin/env bash
# What stasis creates is private whatever the umask: with the daemon started
# under umask 000, checkpoint archives, shards and manifests are 0600, the
# directories it makes (a streamed checkpoint's prefix, a missing checkpoint
# directory, state, work and job-log directories) 0700, and job logs 0600.
source "$(dirname "$0")/lib.sh"
rmdir "$CKPT"  # stasis makes it
(umask 000 && start_daemon)

stasis run process --jid counter -- "$WORKLOADS/counter" 50 >/dev/null
LOG=$(job_log counter)
wait_for 10 count_at_least "$LOG" 5 || fail "counter did not start counting"
stasis dump job counter --leave-running --compression lz4 >/dev/null || fail "plain dump failed"
plain=$(last_checkpoint counter)
stasis dump job counter --leave-running --stream 2 >/dev/null || fail "streamed dump failed"
streamed=$(last_checkpoint counter)

mode() { stat -c '%a' "$1"; }
expect_mode() {  # expect_mode MODE PATH...
  local want=$1 p
  shift
  for p in "$@"; do
    [ "$(mode "$p")" = "$want" ] || fail "$p is $(mode "$p"), not $want"
  done
}
expect_mode 600 "$plain" "$streamed"/shard-0.lz4 "$streamed"/shard-1.lz4 "$streamed"/manifest.json "$LOG"
expect_mode 700 "$CKPT" "$streamed" "$T/state" "$(dirname "$LOG")"
[ -d "$T/state/work" ] && expect_mode 700 "$T/state/work"
# Nothing under the state and checkpoint directories is open to others.
open=$(find "$T/state" "$CKPT" \( -perm -o=r -o -perm -o=w -o -perm -g=w \) ! -type s ! -type l -print)
[ -z "$open" ] || fail "readable or writable by others: $open"
log "PASS: archives, shards, manifests and logs 0600, directories 0700, under umask 000"
