#!/usr/bin/env bash
# Table-driven bad input: malformed input to every command, one row each
# (the regex the one-sentence error must match, then the command). Every
# row must fail with that sentence and a non-zero exit, never a crash
# (signal exit) or gRPC's "Unexpected error"; the daemon must survive every
# row; and nothing may be written outside the checkpoint and restore
# directories (hostile archives aim at a canary directory, and the CLI runs
# in an empty directory that must stay empty).
source "$(dirname "$0")/lib.sh"
# A member of the daemon's group, for the rows of what a member may not do.
GROUP=stasis-e2e-table
MEMBER=stasis-e2e-tabler
getent group "$GROUP" >/dev/null || groupadd "$GROUP"
id "$MEMBER" >/dev/null 2>&1 || useradd -M -N -g nogroup -G "$GROUP" -s /usr/sbin/nologin "$MEMBER"
trap 'rc=$?; pkill -KILL -u "$MEMBER" 2>/dev/null || true; userdel "$MEMBER" 2>/dev/null || true; groupdel "$GROUP" 2>/dev/null || true; (exit $rc); cleanup' EXIT
set_config group "\"$GROUP\""
chmod 755 "$T"
chmod 644 "$STASIS_CONFIG"
as_member() {
  setpriv --reuid="$(id -u "$MEMBER")" --regid="$(getent group nogroup | cut -d: -f3)" \
    --groups="$(getent group "$GROUP" | cut -d: -f3)" -- "$STASIS_BIN" "$@"
}
start_daemon
DAEMON=$(daemon_pid)

stasis run process --jid v -- "$WORKLOADS/counter" 50 >/dev/null
wait_for 10 count_at_least "$(job_log v)" 3 || fail "counter did not start"
stasis dump job v --leave-running --compression none --name good >/dev/null || fail "good dump failed"
stasis dump job v --leave-running --stream 2 --name good-stream >/dev/null || fail "good streamed dump failed"
GOOD=$CKPT/good.tar
GOODS=$CKPT/good-stream
chmod 755 "$CKPT"
chmod 644 "$GOOD"  # readable by the member: only the daemon's rules refuse it
(cd / && as_member run process --jid mine -- sleep 100000 >/dev/null) || fail "the member's job did not start"

B=$T/bad            # the hostile inputs
CANARY=$T/canary    # what they aim at
CWD=$T/cwd          # where the CLI runs
mkdir -p "$CANARY" "$CWD"
python3 "$(dirname "$0")/bad_inputs.py" "$GOOD" "$GOODS" "$B" "$CANARY" || fail "building the bad inputs failed"
ROWS=$(cat <<'TABLE'
# -- bad URIs and locations
names no bucket|plugin install storage/s3  :: stasis dump job v --dir s3://
unknown scheme|not a valid|gs://            :: stasis dump job v --dir gs://bucket/x
unknown scheme|not a valid|ftp://           :: stasis checkpoint list ftp://host/x
relative|absolute|not a valid               :: stasis restore process --path s3:/x
relative|absolute                           :: stasis dump job v --dir file://relative/x
does not exist                              :: stasis dump job v --dir /nonexistent/dir
no checkpoint at|does not exist|No such     :: stasis restore process --path /nonexistent/dump-x.tar.zst
no checkpoint at|does not exist|No such     :: stasis checkpoint inspect /nonexistent/dump-x.tar
# -- bad flags and arguments
compression|not one of                      :: stasis dump job v --compression xz
stream|1 to 64|not in|between|range         :: stasis dump job v --stream 65
stream|number|integer|not a                 :: stasis dump job v --stream lots
stream|1 to 64|negative|not in|between|range :: stasis dump job v --stream -1
not a process id|PID|positive               :: stasis dump process abc
not a process id                            :: stasis dump process -- -5
no process with PID                         :: stasis dump process 4194000
unrecognized|extra|--bogus|not expected     :: stasis dump job v --bogus
required|ID|Expected                        :: stasis job kill
argv|command|required|Expected|program      :: stasis run process
name|not a valid|/|unsafe                   :: stasis dump job v --name ../escape
gzip is too slow to stream                  :: stasis dump job v --stream 2 --compression gzip
# -- unknown ids
no job with id 'nope'                       :: stasis dump job nope
no job with id 'nope'                       :: stasis restore job nope
no job with id 'nope'                       :: stasis job inspect nope
no job with id 'nope'                       :: stasis job kill nope
no job with id 'nope'                       :: stasis job delete nope
no job with id 'nope'                       :: stasis job attach nope
job id|not a valid|characters|invalid       :: stasis restore process --path "$GOOD" --jid '../../x'
already exists                              :: stasis restore process --path "$GOOD" --jid v
is running                                  :: stasis restore job v
no plugin named storage/gcs                 :: stasis plugin install storage/gcs
# -- malformed config values and unknown keys
cannot parse                                :: STASIS_CONFIG=$B/cfg-not-json.json stasis config show
unknown config key 'checkpint'              :: STASIS_CONFIG=$B/cfg-unknown-key.json stasis config show
unknown config key 'checkpoint.dri'         :: STASIS_CONFIG=$B/cfg-unknown-section-key.json stasis job list
checkpoint.stream                           :: STASIS_CONFIG=$B/cfg-stream-text.json stasis config show
checkpoint.stream.*between                  :: STASIS_CONFIG=$B/cfg-stream-big.json stasis config show
aws.part_size_mib.*between                  :: STASIS_CONFIG=$B/cfg-part-small.json stasis config show
log.level                                   :: STASIS_CONFIG=$B/cfg-log-level.json stasis config show
address.*absolute                           :: STASIS_CONFIG=$B/cfg-relative-address.json stasis config show
checkpoint.compression                      :: STASIS_CONFIG=$B/cfg-compression.json stasis config show
memory.budget_mib.*between                  :: STASIS_CONFIG=$B/cfg-budget.json stasis config show
aws.sse                                     :: STASIS_CONFIG=$B/cfg-sse.json stasis config show
checkpoint.trust.*not one of signed, any    :: STASIS_CONFIG=$B/cfg-trust.json stasis config show
checkpoint.signing_key_file.*absolute       :: STASIS_CONFIG=$B/cfg-signing-key.json stasis config show
config file .* does not exist               :: STASIS_CONFIG=$B/no-such-config.json stasis config show
# -- a member of the daemon's group, on what is not theirs
job 'v' belongs to another user             :: as_member job kill v
job 'v' belongs to another user             :: as_member dump job v
job 'v' belongs to another user             :: as_member job delete v --force
job 'v' belongs to another user             :: as_member restore job v
process 1 belongs to another user           :: as_member dump process 1
belongs to another user                     :: as_member restore process --path "$GOOD"
belongs to another user                     :: as_member checkpoint delete "$GOOD"
--trust-unsigned is for root only           :: as_member restore process --path "$GOOD" --trust-unsigned
not writable|not accessible                 :: as_member dump job mine --dir /etc
not accessible                              :: as_member dump job mine --dir /root
not accessible|Permission denied            :: as_member checkpoint copy "$GOOD" /root/
# -- hostile plain archives
unsafe|\.\.|outside|refus                   :: stasis restore process --path "$B/dotdot.tar"
unsafe|absolute|outside|refus               :: stasis restore process --path "$B/absolute.tar"
unsafe|link|outside|refus                   :: stasis restore process --path "$B/symlink.tar"
unsafe|link|outside|refus                   :: stasis restore process --path "$B/hardlink.tar"
unsafe|device|special|not a regular|refus   :: stasis restore process --path "$B/device.tar"
unsafe|special|not a regular|refus          :: stasis restore process --path "$B/fifo.tar"
truncated|damaged|size|refus                :: stasis restore process --path "$B/huge-size.tar"
format version 99.*upgrade                  :: stasis restore process --path "$B/newer.tar"
format version 99.*upgrade                  :: stasis checkpoint inspect "$B/newer.tar"
manifest|header|not JSON|damaged            :: stasis restore process --path "$B/header-garbage.tar"
not a stasis checkpoint|manifest|header     :: stasis restore process --path "$B/no-header.tar"
# -- damaged streamed checkpoints
format version 99.*upgrade stasis           :: stasis restore process --path "$B/stream-newer"
manifest.json is not JSON                   :: stasis restore process --path "$B/stream-truncated"
unsafe shard                                :: stasis restore process --path "$B/stream-unsafe-shard"
unsafe image file                           :: stasis restore process --path "$B/stream-unsafe-file"
outside its shard                           :: stasis restore process --path "$B/stream-chunk-outside"
oversized chunk                             :: stasis restore process --path "$B/stream-huge-chunk"
lists no shards                             :: stasis restore process --path "$B/stream-no-shards"
manifest                                    :: stasis restore process --path "$B/stream-wrong-type"
shard|missing|not found|No such|no checkpoint :: stasis restore process --path "$B/stream-missing-shard"
checksum|damaged|CRC|corrupt                :: stasis restore process --path "$B/stream-flipped"
format version 99.*upgrade stasis           :: stasis checkpoint inspect "$B/stream-newer"
TABLE
)

rows=0
bad_rows=()
while IFS= read -r row; do
  case $row in '' | '#'*) continue ;; esac
  re=${row%%::*}
  re=${re%"${re##*[![:space:]]}"}
  cmd=${row#*::}
  rows=$((rows + 1))
  rc=0
  out=$(cd "$CWD" && eval "$cmd" 2>&1 >/dev/null) || rc=$?
  why=""
  if [ "$rc" = 0 ]; then why="it succeeded"
  elif [ "$rc" -ge 128 ]; then why="it died of signal $((rc - 128))"
  elif echo "$out" | grep -Eq 'Unexpected error|terminate called|Segmentation|Aborted|AddressSanitizer'; then why="it crashed: $out"
  elif ! echo "$out" | grep -Eq -- "$re"; then why="expected /$re/, got: $out"
  elif [ "$(echo "$out" | wc -l)" -gt 2 ]; then why="more than one sentence: $out"
  elif ! kill -0 "$DAEMON" 2>/dev/null; then why="the daemon died"
  fi
  [ -n "$why" ] || log "refused: $out"
  if [ -n "$why" ]; then
    bad_rows+=("$cmd: $why")
    log "BAD ROW $cmd: $why"
  fi
done <<<"$ROWS"

[ "${#bad_rows[@]}" = 0 ] || fail "${#bad_rows[@]} of $rows rows went wrong (see BAD ROW above)"
[ -z "$(ls -A "$CANARY")" ] || fail "a hostile archive wrote into the canary directory: $(ls -A "$CANARY")"
[ -z "$(ls -A "$CWD")" ] || fail "a command wrote into its working directory: $(ls -A "$CWD")"
! find "$T" /tmp -maxdepth 3 -name '*-escaped' 2>/dev/null | grep -q . || fail "a member escaped: $(find "$T" /tmp -maxdepth 3 -name '*-escaped')"
[ -z "$(ls -A "$T/state/work" 2>/dev/null)" ] || fail "work files left: $(ls -A "$T/state/work")"
[ "$(job_status v)" = running ] || fail "the job is $(job_status v) after the bad input"
n=$(stasis -o json job list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = 2 ] || fail "bad input registered jobs: $n jobs (v and the member's are expected)"
log "BADINPUT rows=$rows failed_clearly=$rows crashes=0 escapes=0"
log PASS
