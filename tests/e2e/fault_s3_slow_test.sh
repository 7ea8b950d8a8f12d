#!/usr/bin/env bash
# A slow S3 server: 100 ms added to every request and the link throttled to
# 24 MiB/s. Plain and streamed dumps and restores complete, and the dump's
# progress display stays truthful: the bytes it says are stored were, at
# that moment, acknowledged by the server (the proxy's own record), even
# though stasis has handed far more to its upload buffers.
source "$(dirname "$0")/fault_lib.sh"
start_fault_suite
faults '{"latency_ms": 100, "bandwidth": 25165824}'

# on_terminal OUT CMD...: runs CMD on a pty (so it draws its progress line)
# and stamps each redraw with the time it arrived.
on_terminal() {
  local out=$1
  shift
  script -qfec "$*" /dev/null | python3 "$FAULTPROXY_DIR/stamp_lines.py" >"$out"
  return "${PIPESTATUS[0]}"
}

slow_round() {  # slow_round NAME DUMP_FLAGS...
  local name=$1 t0 summary
  shift
  local since
  since=$(date +%s.%N)
  t0=$SECONDS
  on_terminal "$T/$name.dump.lines" "$STASIS_BIN dump job mem --dir s3://ckpt/$name $*" ||
    fail "$name: the dump did not complete on a slow server: $(tail -n 3 "$T/$name.dump.lines")"
  log "$name: dump took $((SECONDS - t0)) s"
  summary=$(python3 "$FAULTPROXY_DIR/check_progress.py" "$T/$name.dump.lines" "$PROXY_STATS" "$since" 2>&1) ||
    fail "$name: $summary"
  log "$name: $summary"
  t0=$SECONDS
  on_terminal "$T/$name.restore.lines" "$STASIS_BIN restore job mem" ||
    fail "$name: the restore did not complete on a slow server: $(tail -n 3 "$T/$name.restore.lines")"
  grep -Eq 'restoring from|reading s3://' "$T/$name.restore.lines" ||
    fail "$name: the restore showed no progress: $(tail -n 3 "$T/$name.restore.lines")"
  log "$name: restore took $((SECONDS - t0)) s"
  expect_same_memory "$name"
  assert_no_open_uploads ckpt
}

slow_round slow-plain --compression lz4
slow_round slow-stream --stream 4
log "PASS: plain and streamed dumps and restores through a slow server, progress truthful"
