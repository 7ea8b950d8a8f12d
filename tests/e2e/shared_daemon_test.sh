#!/usr/bin/env bash
# A daemon shared with a group: a member is not root. A real user, created
# here, runs jobs that run as that user, acts only on its own jobs and
# checkpoints, and touches files only with its own rights; everything else
# is refused in one sentence with nothing changed. Its own job dumps and
# restores, to local storage and to S3, and comes back as the same user.
source "$(dirname "$0")/lib.sh"
GROUP=stasis-e2e-share
MEMBER=stasis-e2e-member
getent group "$GROUP" >/dev/null || groupadd "$GROUP"
id "$MEMBER" >/dev/null 2>&1 || useradd -M -N -g nogroup -G "$GROUP" -s /usr/sbin/nologin "$MEMBER"
MUID=$(id -u "$MEMBER")
MGID=$(getent group nogroup | cut -d: -f3)
OPS=$(getent group "$GROUP" | cut -d: -f3)
trap 'rc=$?; pkill -KILL -u "$MEMBER" 2>/dev/null || true; userdel "$MEMBER" 2>/dev/null || true; groupdel "$GROUP" 2>/dev/null || true; (exit $rc); cleanup' EXIT

start_s3 ckpt
set_config group "\"$GROUP\""
chmod 755 "$T"
chmod 644 "$STASIS_CONFIG"
# The member's programs and its own checkpoint directory.
mkdir -p "$T/bin" "$T/home"
cp "$WORKLOADS/counter" "$T/bin/counter"
chmod 755 "$T/bin" "$T/bin/counter"
chown "$MUID:$MGID" "$T/home"
chmod 700 "$T/home"
stasis plugin install storage/s3 >/dev/null || fail "plugin install failed"
start_daemon

# The member's CLI, from its own directory with its own ids.
as_member() {
  (cd "$T/home" && setpriv --reuid="$MUID" --regid="$MGID" --groups="$OPS" -- \
    env -i PATH=/usr/bin:/bin STASIS_CONFIG="$STASIS_CONFIG" "$STASIS_BIN" "$@")
}
log_of() { cat "$T/state/jobs/$1/log" 2>/dev/null; }
# What a refused request must not change (other tests may touch /etc itself).
listing() { ls -la --time-style=full-iso "$CKPT" | grep -v -e '^total' -e ' \.$'; }
uid_of() { awk '/^Uid:/{print $2, $3, $4, $5}' "/proc/$1/status"; }

# --- Jobs run as the member -------------------------------------------------
as_member run process --jid m-id -- id -u >/dev/null || fail "member run failed"
wait_for 10 grep -qx "$MUID" "$T/state/jobs/m-id/log" || fail "job did not log uid $MUID: $(log_of m-id)"
as_member run process --jid m-shadow -- sh -c 'head -1 /etc/shadow; echo "rc=$?"' >/dev/null
wait_for 10 grep -q '^rc=' "$T/state/jobs/m-shadow/log" || fail "shadow job did not finish"
grep -q '^rc=0' "$T/state/jobs/m-shadow/log" && fail "a member's job read /etc/shadow: $(log_of m-shadow)"
grep -q '^root:' "$T/state/jobs/m-shadow/log" && fail "a member's job read /etc/shadow"

# --- Root's things are not the member's -------------------------------------
stasis run process --jid r1 -- "$WORKLOADS/counter" 100 >/dev/null
wait_for 10 count_at_least "$(job_log r1)" 3 || fail "root's counter did not start"
RPID=$(job_pid r1)
stasis dump job r1 --leave-running --compression none --name root-ckpt >/dev/null || fail "root's dump failed"
ROOT_CKPT=$CKPT/root-ckpt.tar
chmod 755 "$CKPT"
chmod 644 "$ROOT_CKPT"  # readable, so only the daemon's rule can refuse it
BEFORE=$(listing | md5sum)

as_member -o json job list | grep -q '"r1"' && fail "the member's job list shows root's job"
expect_fail "job 'r1' belongs to another user" as_member job inspect r1
expect_fail "job 'r1' belongs to another user" as_member job kill r1
expect_fail "job 'r1' belongs to another user" as_member job delete r1 --force
expect_fail "job 'r1' belongs to another user" as_member job attach r1
expect_fail "job 'r1' belongs to another user" as_member dump job r1 --dir "$T/home"
expect_fail "job 'r1' belongs to another user" as_member restore job r1
expect_fail "process 1 belongs to another user" as_member dump process 1
expect_fail "process $RPID belongs to another user" as_member dump process "$RPID"
expect_fail "belongs to another user" as_member restore process --path "$ROOT_CKPT"
expect_fail "belongs to another user" as_member checkpoint inspect "$ROOT_CKPT"
expect_fail "belongs to another user" as_member checkpoint delete "$ROOT_CKPT"
# Root's checkpoint, its manifests made out to the member and signed again
# with this host's key: the images still say uid 0, and that is refused
# before CRIU runs.
python3 "$(dirname "$0")/resign_manifest.py" "$T/state/signing.key" "$ROOT_CKPT" "$CKPT/forged.tar" "$MUID" ||
  fail "cannot forge the manifest"
chmod 644 "$CKPT/forged.tar"
BEFORE=$(listing | md5sum)
expect_fail "images claim uid 0" as_member restore process --path "$CKPT/forged.tar" --jid forged
as_member -o json job list | grep -q '"forged"' && fail "a job was registered for the forged checkpoint"
as_member run process --jid m-live -- "$T/bin/counter" 100 >/dev/null || fail "member run failed"
wait_for 10 count_at_least "$T/state/jobs/m-live/log" 3 || fail "member's counter did not start"
expect_fail "cannot write|Permission denied|not accessible" as_member dump job m-live --dir /etc
expect_fail "cannot write|Permission denied|not accessible" as_member dump job m-live --dir /root
expect_fail "Permission denied|cannot" as_member checkpoint copy "$ROOT_CKPT" /root/
alive "$RPID" || fail "root's job died"
[ "$(job_status r1)" = running ] || fail "root's job is $(job_status r1)"
[ "$(listing | md5sum)" = "$BEFORE" ] || fail "a refused request changed $CKPT"
[ -z "$(find /etc /root -maxdepth 1 -name 'dump-*' -o -maxdepth 1 -name 'root-ckpt*')" ] ||
  fail "a checkpoint landed in /etc or /root"
[ "$(stasis -o json checkpoint list "$CKPT" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
  fail "root's checkpoint list changed"
as_member -o json checkpoint list "$CKPT" | grep -q root-ckpt && fail "the member lists root's checkpoint"

# --- The member's own job: local, then S3 -----------------------------------
MPID=$(job_pid m-live)
[ "$(uid_of "$MPID")" = "$MUID $MUID $MUID $MUID" ] || fail "the member's job runs as $(uid_of "$MPID")"
as_member dump job m-live --dir "$T/home" >/dev/null || fail "member's local dump failed"
MINE=$(ls "$T/home"/dump-m-live-*)
[ "$(stat -c %u "$MINE")" = "$MUID" ] || fail "the member's checkpoint is owned by uid $(stat -c %u "$MINE")"
as_member restore job m-live >/dev/null || fail "member's local restore failed"
MPID=$(job_pid m-live)
alive "$MPID" || fail "restored job is not running"
[ "$(uid_of "$MPID")" = "$MUID $MUID $MUID $MUID" ] || fail "the restored job runs as $(uid_of "$MPID")"
N=$(last_count "$T/state/jobs/m-live/log")
wait_for 10 count_at_least "$T/state/jobs/m-live/log" $((N + 3)) || fail "restored counter is stuck"

as_member dump job m-live --dir s3://ckpt/member --stream 2 >/dev/null || fail "member's S3 dump failed"
objects=$(awscli s3api list-objects-v2 --bucket ckpt --prefix member/ --output text)
echo "$objects" | grep -q manifest.json || fail "the AWS CLI sees no manifest under member/: $objects"
as_member restore job m-live --dir s3://ckpt/member >/dev/null || fail "member's S3 restore failed"
MPID=$(job_pid m-live)
[ "$(uid_of "$MPID")" = "$MUID $MUID $MUID $MUID" ] || fail "the S3-restored job runs as $(uid_of "$MPID")"
N=$(last_count "$T/state/jobs/m-live/log")
wait_for 10 count_at_least "$T/state/jobs/m-live/log" $((N + 3)) || fail "S3-restored counter is stuck"
assert_consecutive "$T/state/jobs/m-live/log"
# Root may act on the member's job; the member's listing has its own only.
as_member -o json job list | grep -q '"m-live"' || fail "the member does not see its job"
as_member job kill m-live >/dev/null || fail "member could not kill its own job"
log "a member runs, dumps and restores its own jobs and nothing else"
