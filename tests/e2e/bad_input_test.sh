#!/usr/bin/env bash
# Bad input gets one clear sentence and a non-zero exit, and nothing is lost
# or left running wrongly.
source "$(dirname "$0")/lib.sh"
start_daemon

stasis run process --jid victim -- "$WORKLOADS/counter" 50 >/dev/null
LOG=$(job_log victim)
wait_for 10 count_at_least "$LOG" 3
pid=$(job_pid victim)
EXTRA_PIDS+=("$pid")  # the test stops the daemon at the end: cleanup cannot ask it
still_fine() {
  alive "$pid" || fail "victim $pid died"
  [ "$(proc_state "$pid")" != T ] || fail "victim $pid left stopped"
  local n; n=$(last_count "$LOG")
  wait_for 5 count_at_least "$LOG" $((n + 2)) || fail "victim stopped counting"
}

expect_fail "no process with PID 4999999|not a process id" stasis dump process 4999999
expect_fail "no process with PID" stasis dump process 4194000
expect_fail "not a process id" stasis dump process abc
expect_fail "no job with id 'nope'" stasis dump job nope
expect_fail "no job with id 'nope'" stasis restore job nope
expect_fail "does not exist" stasis dump job victim --dir /nonexistent/dir
still_fine
mkdir -p "$T/ro" && mount -t tmpfs -o ro,size=1m tmpfs "$T/ro"
expect_fail "not writable|Read-only" stasis dump job victim --dir "$T/ro"
still_fine
expect_fail "not one of|compression" stasis dump job victim --compression xz
expect_fail "unknown scheme|not a valid|gs://" stasis dump job victim --dir gs://bucket/x
[ -z "$(ls -A "$CKPT")" ] || fail "a failed dump left files: $(ls -A "$CKPT")"

# A good checkpoint to damage in several ways.
stasis dump job victim --leave-running --compression none >/dev/null
good=$(last_checkpoint victim)
still_fine
jobs_before=$(stasis -o json job list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')

flipped=$T/flipped.tar
cp "$good" "$flipped"
size=$(stat -c %s "$flipped")
off=$((size / 2))
byte=$(dd if="$flipped" bs=1 skip=$off count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 0xff)))" | dd of="$flipped" bs=1 seek=$off conv=notrunc 2>/dev/null
expect_fail "damaged|checksum|corrupt" stasis restore process --path "$flipped"

truncated=$T/truncated.tar.zst
stasis dump job victim --leave-running --compression zstd --name half >/dev/null
head -c $(( $(stat -c %s "$CKPT/half.tar.zst") / 2 )) "$CKPT/half.tar.zst" >"$truncated"
expect_fail "truncated|damaged" stasis restore process --path "$truncated"

# A tar whose second member climbs out of the restore directory.
evil=$T/evil.tar
python3 - "$good" "$evil" <<'PY'
import io, sys, tarfile
src = tarfile.open(sys.argv[1])
header = src.extractfile("stasis-header.json").read()
with tarfile.open(sys.argv[2], "w") as out:
    ti = tarfile.TarInfo("stasis-header.json"); ti.size = len(header)
    out.addfile(ti, io.BytesIO(header))
    ti = tarfile.TarInfo("../escaped"); ti.size = 5
    out.addfile(ti, io.BytesIO(b"owned"))
PY
expect_fail "unsafe|\\.\\.|outside|refus" stasis restore process --path "$evil"
[ ! -e "$T/state/work/escaped" ] && ! find "$T" -name escaped | grep -q . || fail "a member escaped"

foreign=$T/foreign.tar
tar -C /etc -cf "$foreign" hostname
expect_fail "not a stasis checkpoint" stasis restore process --path "$foreign"
expect_fail "no checkpoint at|does not exist|No such" stasis restore process --path "$T/missing.tar.zst"
expect_fail "relative|absolute|not a valid" stasis restore process --path "s3:/x"

jobs_after=$(stasis -o json job list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$jobs_before" = "$jobs_after" ] || fail "a failed restore registered a job"
[ -z "$(ls -A "$T/state/work" 2>/dev/null)" ] || fail "work files left: $(ls -A "$T/state/work")"
expect_fail "not a stasis checkpoint" stasis checkpoint delete "$foreign"
[ -f "$foreign" ] || fail "checkpoint delete removed a foreign file"
[ -f "$good" ] || fail "the good checkpoint was touched"
still_fine

stop_daemon
expect_fail "daemon is not running" stasis dump job victim
alive "$pid" || fail "victim died with the daemon"
log PASS
