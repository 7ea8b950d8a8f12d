#!/usr/bin/env bash
# Restoring is a trust decision. With checkpoint.trust "signed", a
# checkpoint in the bucket whose manifest was edited with the AWS CLI, one
# made by a daemon with another signing key, and one with no signature are
# each refused in one sentence with nothing started; `restore job` passes
# over them to the newest checkpoint it can trust; root's --trust-unsigned
# restores the unsigned one, with a warning.
source "$(dirname "$0")/lib.sh"
start_s3 ckpt
set_config checkpoint.trust '"signed"'
stasis plugin install storage/s3 >/dev/null || fail "plugin install failed"
start_daemon
DIR=s3://ckpt/trust

stasis run process --jid j -- "$WORKLOADS/counter" 50 >/dev/null
LOG=$(job_log j)
wait_for 10 count_at_least "$LOG" 3 || fail "counter did not start"
stasis dump job j --leave-running --stream 2 --dir "$DIR" >/dev/null || fail "first dump failed"
C1=$(last_checkpoint j)
stasis dump job j --leave-running --stream 2 --dir "$DIR" >/dev/null || fail "second dump failed"
C2=$(last_checkpoint j)
[ "$C1" != "$C2" ] || fail "two dumps, one checkpoint"
stasis -o json checkpoint list "$DIR" | grep -q '"authenticity": "signed"' ||
  fail "checkpoint list does not say the checkpoints are signed"

# 1. Edited with the AWS CLI: the job's argv says something else now.
key_of() { echo "${1#s3://ckpt/}/manifest.json"; }
awscli s3 cp "s3://ckpt/$(key_of "$C2")" "$T/m2.json" --only-show-errors
python3 - "$T/m2.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["checkpoint"]["job"]["argv"] = ["/bin/sh", "-c", "echo owned"]
json.dump(m, open(sys.argv[1], "w"))
PY
awscli s3 cp "$T/m2.json" "s3://ckpt/$(key_of "$C2")" --only-show-errors

# 2. Another daemon's key (a restart with another key file).
head -c 32 /dev/urandom >"$T/other.key"
chmod 600 "$T/other.key"
stop_daemon
set_config checkpoint.signing_key_file "\"$T/other.key\""
start_daemon
stasis dump job j --leave-running --stream 2 --dir "$DIR" >/dev/null || fail "dump with the other key failed"
C3=$(last_checkpoint j)
stop_daemon
set_config checkpoint.signing_key_file null
start_daemon

# 3. No signature at all, dated after the others: C1's objects under a new
# name, its manifest without "mac" and "signed_by".
C4=$DIR/dump-j-29991231T000000.000Z
awscli s3 cp --recursive "${C1}/" "${C4}/" --only-show-errors
awscli s3 cp "${C4}/manifest.json" "$T/m4.json" --only-show-errors
python3 - "$T/m4.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m.pop("mac", None); m.pop("signed_by", None)
m["checkpoint"]["created_unix"] = 32503593600
json.dump(m, open(sys.argv[1], "w"))
PY
awscli s3 cp "$T/m4.json" "${C4}/manifest.json" --only-show-errors

stasis job kill j >/dev/null
running() { stasis -o json job list | python3 -c 'import json,sys; print(sum(j["status"]=="running" for j in json.load(sys.stdin)))'; }
[ "$(running)" = 0 ] || fail "jobs still running before the refusals"
expect_fail "is not signed by a key this host trusts \(altered since it was signed\)" \
  stasis restore process --path "$C2" --jid x2
expect_fail "is not signed by a key this host trusts \(signed by another key\)" \
  stasis restore process --path "$C3" --jid x3
expect_fail "is not signed by a key this host trusts \(unsigned\).*--trust-unsigned" \
  stasis restore process --path "$C4" --jid x4
[ "$(running)" = 0 ] || fail "a refused restore started something"
for x in x2 x3 x4; do stasis job inspect $x >/dev/null 2>&1 && fail "a refused restore registered job $x"; done

# restore job picks the newest it trusts: C1, from the bucket and from the registry.
stasis restore job j --dir "$DIR" >/dev/null || fail "restore job --dir failed"
grep -q "restoring streamed $C1 as job j" "$T/state/daemon.log" ||
  fail "restore job --dir did not pick $C1: $(grep 'restoring' "$T/state/daemon.log" | tail -n 1)"
N=$(last_count "$LOG")
wait_for 10 count_at_least "$LOG" $((N + 3)) || fail "restored counter is stuck"
stasis job kill j >/dev/null
before=$(grep -c "restoring streamed $C1 as job j" "$T/state/daemon.log")
stasis restore job j >/dev/null || fail "restore job (registry) failed"
[ "$(grep -c "restoring streamed $C1 as job j" "$T/state/daemon.log")" -gt "$before" ] ||
  fail "restore job did not pick $C1 from the registry"
stasis job kill j >/dev/null

# Root may restore the unsigned one on purpose, and is told.
stasis restore process --path "$C4" --jid u1 --trust-unsigned >"$T/u1.out" 2>"$T/u1.err" ||
  fail "--trust-unsigned restore failed: $(cat "$T/u1.err")"
grep -q "warning: .* was not authenticated (unsigned)" "$T/u1.err" ||
  fail "no warning for an unauthenticated restore: $(cat "$T/u1.err")"
alive "$(job_pid u1)" || fail "the --trust-unsigned restore is not running"
stasis job kill u1 >/dev/null

# With checkpoint.trust "any" (the default) root restores it with the warning;
# the altered one still restores only with the same warning, never silently.
stop_daemon
set_config checkpoint.trust null
start_daemon
stasis restore process --path "$C4" --jid u2 >"$T/u2.out" 2>"$T/u2.err" || fail "trust any restore failed"
grep -q "was not authenticated (unsigned); set checkpoint.trust to signed" "$T/u2.err" ||
  fail "no warning under trust any: $(cat "$T/u2.err")"
stasis job kill u2 >/dev/null
log "forged, foreign and unsigned checkpoints refused; the trusted one restored"
