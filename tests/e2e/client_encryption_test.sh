#!/usr/bin/env bash
# Client-side encryption: with a key configured (a 0600 file, or the hex key
# in STASIS_CHECKPOINT_ENCRYPTION_KEY) every dump is streamed and sealed
# with AES-256-GCM. What the server holds (read by the AWS CLI) has none of
# the process's memory in clear, while an unencrypted dump of the same
# process does; the job restores with the key; without it, with another
# key, with a flipped byte in a shard or an edited manifest the restore
# refuses in one sentence and starts nothing. The key appears in no log,
# error, config display or manifest.
source "$(dirname "$0")/lib.sh"
start_s3 ckpt
KEY_FILE=$T/checkpoint.key
head -c 32 /dev/urandom >"$KEY_FILE"
chmod 600 "$KEY_FILE"
KEY_HEX=$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read().hex())' "$KEY_FILE")
OTHER_HEX=$(python3 -c 'import os; print(os.urandom(32).hex())')
start_daemon
stasis plugin install storage/s3 >/dev/null || fail "plugin install failed"

# A job with a recognisable secret in its memory, made from a seed so that
# the secret itself is not on its command line (which the manifest
# describes in clear); it logs a counter and a hash of the secret, so a
# restore can be checked from outside.
SEED=$RANDOM$RANDOM
MARKER=$(python3 -c 'import hashlib,sys; print("SECRET-" + hashlib.sha256(sys.argv[1].encode()).hexdigest())' "$SEED")
stasis run process --jid vault -- python3 -u -c '
import hashlib, sys, time
secret = ("SECRET-" + hashlib.sha256(sys.argv[1].encode()).hexdigest() + "-") * 4096
n = 0
while True:
    print(n, hashlib.sha256(secret.encode()).hexdigest()[:16], flush=True)
    n += 1
    time.sleep(0.1)
' "$SEED" >/dev/null
LOG=$(job_log vault)
wait_for 20 bash -c "[ \$(wc -l <'$LOG') -ge 5 ]" || fail "the vault job did not start"
HASH=$(tail -n 1 "$LOG" | cut -d' ' -f2)

# What the server stores under a prefix, fetched by the AWS CLI.
fetch_prefix() {  # fetch_prefix PREFIX DIR
  mkdir -p "$2"
  awscli s3 cp --recursive --only-show-errors "s3://ckpt/$1" "$2" || fail "aws s3 cp of $1 failed"
}
has_marker() { grep -rqa -- "$MARKER" "$1"; }

# The control: without a key, an uncompressed streamed dump shows the secret.
stasis dump job vault --stream 2 --compression none --leave-running --dir s3://ckpt/clear >/dev/null ||
  fail "the unencrypted dump failed"
fetch_prefix clear "$T/clear"
has_marker "$T/clear" || fail "the unencrypted dump does not hold the marker: the test cannot see plaintext"

# With the key file: no --stream asked, yet the dump is streamed and sealed.
stop_daemon
set_config checkpoint.encryption_key_file "\"$KEY_FILE\""
start_daemon
pid=$(job_pid vault)
stasis dump job vault --compression none --dir s3://ckpt/sealed >/dev/null || fail "the encrypted dump failed"
sealed=$(last_checkpoint vault)
fetch_prefix sealed "$T/sealed"
has_marker "$T/sealed" && fail "the encrypted checkpoint holds the process's memory in clear"
manifest=$(find "$T/sealed" -name manifest.json)
[ -n "$manifest" ] || fail "the encrypted dump has no manifest"
python3 - "$manifest" <<'PY' || fail "the manifest does not describe an encrypted checkpoint"
import json, sys
m = json.load(open(sys.argv[1]))
e = m["encryption"]
assert m["format_version"] == 3 and e["cipher"] == "AES-256-GCM" and e["key_id"].startswith("k1-")
assert len(m["mac"]) == 64
assert all(c[4] == 0 for f in m["files"] + m.get("blobs", []) for c in f["chunks"])
PY
log "sealed: $(find "$T/sealed" -name 'shard-*' | wc -l) shards, no plaintext, key $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["encryption"]["key_id"])' "$manifest")"
stasis restore job vault >/dev/null || fail "restore with the key failed"
sleep 1
[ "$(tail -n 1 "$LOG" | cut -d' ' -f2)" = "$HASH" ] || fail "the restored job's secret differs"

# Restores that must refuse, each starting nothing.
stasis dump job vault --dir s3://ckpt/sealed2 >/dev/null || fail "the second encrypted dump failed"
refuse_restore() {  # refuse_restore REGEX
  expect_fail "$1" stasis restore job vault
  [ "$(job_status vault)" = dumped ] || fail "a refused restore left the job $(job_status vault)"
  ! alive "$pid" || fail "a refused restore started the process"
}
stop_daemon
set_config checkpoint.encryption_key_file null
start_daemon
refuse_restore 'is encrypted \(key k1-[0-9a-f]{16}\); configure that key'
stop_daemon
STASIS_CHECKPOINT_ENCRYPTION_KEY=$OTHER_HEX start_daemon
refuse_restore 'encrypted with key k1-[0-9a-f]{16}, but the configured key is k1-'
stop_daemon
# The right key from the environment instead of a file.
STASIS_CHECKPOINT_ENCRYPTION_KEY=$KEY_HEX start_daemon
stasis restore job vault >/dev/null || fail "restore with the key from the environment failed"

# A flipped byte in a shard, written back by the AWS CLI.
stasis dump job vault --dir s3://ckpt/tampered >/dev/null || fail "dump before tampering failed"
tampered=$(last_checkpoint vault)
key_of() { echo "${1#s3://ckpt/}"; }
shard_key="$(key_of "$tampered")/shard-0.lz4"
awscli s3 cp --only-show-errors "s3://ckpt/$shard_key" "$T/shard" || fail "cannot fetch the shard"
python3 - "$T/shard" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 0x04
open(sys.argv[1], "wb").write(b)
PY
awscli s3 cp --only-show-errors "$T/shard" "s3://ckpt/$shard_key" || fail "cannot put the shard back"
refuse_restore 'failed authentication'
# An edited manifest (its job's hostname) fails its MAC before any chunk is read.
manifest_key="$(key_of "$tampered")/manifest.json"
awscli s3 cp --only-show-errors "s3://ckpt/$manifest_key" "$T/manifest.json"
python3 - "$T/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["checkpoint"]["host"] = "elsewhere"
json.dump(m, open(sys.argv[1], "w"), indent=1)
PY
awscli s3 cp --only-show-errors "$T/manifest.json" "s3://ckpt/$manifest_key"
refuse_restore 'does not match its MAC'
# The earlier, untouched checkpoint still restores, secret intact.
stasis restore process --path "$sealed" --jid vault2 >/dev/null || fail "the untouched checkpoint no longer restores"
sleep 1
[ "$(tail -n 1 "$(job_log vault2)" | cut -d' ' -f2)" = "$HASH" ] || fail "vault2's secret differs"
stasis job kill vault2 >/dev/null || fail "cannot kill vault2"

# A key file others can read is refused before anything is frozen.
stop_daemon
cp "$KEY_FILE" "$T/loose.key"
chmod 644 "$T/loose.key"
set_config checkpoint.encryption_key_file "\"$T/loose.key\""
start_daemon
stasis run process --jid other -- sleep 600 >/dev/null
expect_fail 'readable by other users; chmod 600' stasis dump job other --dir s3://ckpt/loose
[ "$(job_status other)" = running ] || fail "a refused dump changed the job to $(job_status other)"

# The key is nowhere: daemon log, config display, manifests, job logs.
stasis config show >"$T/config-show.txt" 2>&1 || true
for f in "$T/state/daemon.log" "$T/config-show.txt" "$manifest" "$T/manifest.json"; do
  grep -qi -- "$KEY_HEX" "$f" && fail "the key appears in $f"
  grep -qi -- "$OTHER_HEX" "$f" && fail "the other key appears in $f"
done
log "PASS: sealed dumps hold no plaintext; restores with the key (file and environment); refused without it, with another key, a tampered shard and an edited manifest"
