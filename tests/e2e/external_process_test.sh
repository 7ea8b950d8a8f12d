#!/usr/bin/env bash
# A process stasis did not start (setsid, output to a file) is dumped by PID
# and restored; it then counts on from where it stopped.
source "$(dirname "$0")/lib.sh"
start_daemon

OUT=$T/external.out
# Started from a non-interactive shell, setsid does not fork: $! is the counter.
setsid "$WORKLOADS/counter" 49 </dev/null >"$OUT" 2>&1 &
pid=$!
wait_for 5 count_at_least "$OUT" 5 || fail "external counter did not start"
grep -q counter "/proc/$pid/cmdline" || fail "pid $pid is not the external counter"
EXTRA_PIDS+=("$pid")

stasis dump process "$pid" --dir "$CKPT" >/dev/null || fail "dump process failed"
wait_for 5 bash -c "! kill -0 $pid 2>/dev/null" || fail "process still alive after dump"
archive=$(ls "$CKPT"/dump-"$pid"-*.tar.zst)
before=$(last_count "$OUT")

out=$(stasis -o json restore process --path "$archive") || fail "restore failed"
newpid=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
EXTRA_PIDS+=("$newpid")
[ "$newpid" = "$pid" ] || fail "restored with pid $newpid, expected $pid (no PID namespace)"
wait_for 10 count_at_least "$OUT" $((before + 5)) || fail "restored process does not count"
assert_consecutive "$OUT"
log PASS
