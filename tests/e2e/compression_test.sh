#!/usr/bin/env bash
# Every compression mode round-trips; --leave-running keeps the original running.
source "$(dirname "$0")/lib.sh"
start_daemon

magic() { head -c 4 "$1" | od -An -tx1 | tr -d ' \n'; }

for mode in none gzip lz4 zstd; do
  jid=c-$mode
  stasis run process --jid "$jid" -- "$WORKLOADS/counter" 50 >/dev/null
  LOG=$(job_log "$jid")
  wait_for 10 count_at_least "$LOG" 5 || fail "$jid did not start"
  pid=$(job_pid "$jid")

  stasis dump job "$jid" --compression "$mode" --leave-running >/dev/null || fail "dump $mode failed"
  archive=$(last_checkpoint "$jid")
  at_dump=$(last_count "$LOG")
  alive "$pid" || fail "--leave-running: original $pid is gone"
  [ "$(proc_state "$pid")" != T ] || fail "--leave-running: original left stopped"
  wait_for 5 count_at_least "$LOG" $((at_dump + 3)) || fail "original stopped counting"

  case $mode in
    none) [[ $archive == *.tar ]] && [ "$(tail -c +258 "$archive" | head -c 5)" = ustar ] ;;
    gzip) [[ $archive == *.tar.gz ]] && [ "$(magic "$archive" | head -c 4)" = 1f8b ] ;;
    lz4) [[ $archive == *.tar.lz4 ]] && [ "$(magic "$archive")" = 04224d18 ] ;;
    zstd) [[ $archive == *.tar.zst ]] && [ "$(magic "$archive")" = 28b52ffd ] ;;
  esac || fail "$archive is not a $mode archive"

  stasis job kill "$jid" >/dev/null
  wait_for 5 bash -c "! kill -0 $pid 2>/dev/null" || fail "kill did not end $pid"
  killed_at=$(last_count "$LOG")
  stasis restore job "$jid" --path "$archive" >/dev/null || fail "restore $mode failed"
  wait_for 10 bash -c "[ \$(wc -l < '$LOG') -gt $((killed_at + 3)) ]" || fail "restored $mode job does not count"
  # The restored process resumes from the dump's state: its first number
  # follows a number the original printed before the dump.
  first=$(tail -n +"$((killed_at + 2))" "$LOG" | head -n 1)
  [ "$first" -ge 1 ] && [ "$first" -le $((at_dump + 2)) ] \
    || fail "$mode: restored job printed $first first; dump was taken at about $at_dump"
  stasis job kill "$jid" >/dev/null
  log "$mode: $(stat -c %s "$archive") bytes, resumed at $first (dump at $at_dump)"
done
log PASS
