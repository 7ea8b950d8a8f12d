#!/usr/bin/env bash
# No secret leaks: with a distinctive AWS secret key and session token in the
# config (and, as a job's environment might, in the job's environment under
# names that say so, or under innocent names), a session of real work (health, config show, dumps
# and restores, plain and streamed, to S3; listings; failing requests; debug
# logging) leaves neither in any CLI output, the daemon's log, its state
# directory (registry, journals), the job's log, or the manifests stored in
# S3 (the archives' once decompressed, the streamed checkpoints'). The
# images themselves hold the job's memory, environment included: keeping
# that from the storage's readers is what encryption is for. Secrets go by
# value too: a variable whose value is the daemon's secret, an encryption
# key under STASIS_CHECKPOINT_ENCRYPTION_KEY, a MY_DB_PASSWORD. And a job
# sent an empty environment gets a PATH, never the daemon's environment.
source "$(dirname "$0")/lib.sh"
SECRET='e2eSecretKey/Do+Not+Leak/7f3a9c1b5d'
TOKEN='e2eSessionToken-DoNotLeak-IQoJb3JpZ2luX2VjEJr'
export S3SERVER_SECRET=$SECRET  # the server and the AWS CLI use it
start_s3 ckpt
set_config aws.secret_access_key "\"$SECRET\""
set_config aws.session_token "\"$TOKEN\""
OUT=$T/outputs
mkdir -p "$OUT"
record() { "$@" >>"$OUT/stdout" 2>>"$OUT/stderr" || true; }

KEYHEX=c0ffee5eed$(printf '%054d' 0)
DBPASS='e2e-Db-Passw0rd-DoNotLeak-51ab'
STASIS_E2E_DAEMON_ONLY=daemon-env-marker-41 AWS_SECRET_ACCESS_KEY=$SECRET start_daemon
record stasis plugin install storage/s3
record stasis health
record stasis -o json health
record stasis config show
record stasis -o json config show
JOB_API_TOKEN=$TOKEN record stasis run process --jid counter -- "$WORKLOADS/counter" 50
LOG=$(job_log counter)
wait_for 10 count_at_least "$LOG" 5 || fail "counter did not start counting"
for args in "--stream 0" "--stream 2"; do
  # shellcheck disable=SC2086
  stasis dump job counter --dir s3://ckpt/secret $args >>"$OUT/stdout" 2>>"$OUT/stderr" ||
    fail "dump $args failed: $(tail -n 2 "$OUT/stderr")"
  record stasis restore job counter
done
# Secrets by value and by name ending, in a job's environment.
STASIS_CHECKPOINT_ENCRYPTION_KEY=$KEYHEX MY_DB_PASSWORD=$DBPASS INNOCENT_LOOKING=$SECRET \
  record stasis run process --jid envsecret -- "$WORKLOADS/counter" 50
wait_for 10 count_at_least "$(job_log envsecret)" 2 || fail "envsecret did not start"
stasis dump job envsecret --dir s3://ckpt/secret --leave-running >>"$OUT/stdout" 2>>"$OUT/stderr" ||
  fail "dump of envsecret failed: $(tail -n 2 "$OUT/stderr")"
record stasis -o json job inspect envsecret
record stasis -o json checkpoint inspect "$(last_checkpoint envsecret)"
# An empty client environment: the job sees a PATH and nothing of the daemon's.
env -i "$STASIS_BIN" --config "$STASIS_CONFIG" run process --jid envjob -- /usr/bin/env >/dev/null ||
  fail "env -i run failed"
wait_for 10 grep -q PATH= "$T/state/jobs/envjob/log" || fail "the env job wrote nothing"
[ "$(cat "$T/state/jobs/envjob/log")" = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ] ||
  fail "a job sent no environment saw: $(cat "$T/state/jobs/envjob/log")"
record stasis checkpoint list s3://ckpt/secret
record stasis -o json checkpoint list s3://ckpt/secret
record stasis -o json job list
record stasis dump job counter --dir s3://no-such-bucket/x   # an error from S3
s3_fault '{"op": "PutObject", "status": 403, "code": "AccessDenied", "count": 1}'
record stasis dump job counter --dir s3://ckpt/denied --stream 0
s3_clear_faults
grep -q "dump-counter" "$OUT/stdout" || fail "the session did not produce checkpoints: $(cat "$OUT/stderr")"

# Everything stored in S3, with the archives' manifests decompressed.
mkdir -p "$T/objects"
awscli s3 cp --recursive s3://ckpt/ "$T/objects" --only-show-errors
for a in $(find "$T/objects" -name '*.tar.*'); do
  tar -xOf "$a" stasis-header.json stasis.json >"$a.manifests" 2>/dev/null ||
    fail "cannot read the manifests of $a"
done
[ -n "$(find "$T/objects" -name '*.manifests')" ] || fail "no archive was stored"
[ -n "$(find "$T/objects" -name manifest.json)" ] || fail "no streamed checkpoint was stored"

manifests=$(find "$T/objects" -name manifest.json -o -name '*.manifests')
# shellcheck disable=SC2086
leaks=$(grep -rlaF -e "$SECRET" -e "$TOKEN" -e "$KEYHEX" -e "$DBPASS" -e daemon-env-marker-41 \
  "$OUT" "$T/state" $manifests "$LOG" 2>/dev/null || true)
[ -z "$leaks" ] || fail "a secret leaked into: $leaks"
# The check can fail: the secret is where it belongs, in the config file.
grep -qF "$SECRET" "$STASIS_CONFIG" || fail "the test lost its own secret"
grep -q '"secret_access_key": "(set)"' "$OUT/stdout" || fail "config show does not mark the hidden secret"
grep -q 'JOB_API_TOKEN=<redacted>' $manifests || fail "the job's secret variable is not marked redacted"
for v in STASIS_CHECKPOINT_ENCRYPTION_KEY MY_DB_PASSWORD INNOCENT_LOOKING; do
  grep -q "$v=<redacted>" $manifests || fail "$v is not marked redacted in the manifests"
done
log "no secret in $(echo "$manifests" | wc -l) manifests and $(find "$OUT" "$T/state" -type f | wc -l) other files"
