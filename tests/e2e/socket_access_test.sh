#!/usr/bin/env bash
# Who may use the daemon: root, and the members of the configured group.
# Anyone else is refused in one sentence: at the socket's mode (0660, owned
# by the group) and, should that be loosened, by the daemon itself, which
# checks each connection's peer credentials.
source "$(dirname "$0")/lib.sh"
GROUP=stasis-e2e-ops
USER_NAME=stasis-e2e-user
getent group "$GROUP" >/dev/null || groupadd "$GROUP"
id "$USER_NAME" >/dev/null 2>&1 || useradd -M -N -g nogroup -s /usr/sbin/nologin "$USER_NAME"
UID_=$(id -u "$USER_NAME")
GID_=$(getent group nogroup | cut -d: -f3)
OPS=$(getent group "$GROUP" | cut -d: -f3)
# The user and group go again at the end, with lib.sh's cleanup after.
trap 'rc=$?; userdel "$USER_NAME" 2>/dev/null; groupdel "$GROUP" 2>/dev/null; (exit $rc); cleanup' EXIT
set_config group "\"$GROUP\""
# The test's root is private to root; the user needs to read the config and
# reach the socket's directory (the daemon opens that to the group itself).
chmod 755 "$T"
chmod 644 "$STASIS_CONFIG"
start_daemon

as_outsider() { setpriv --reuid="$UID_" --regid="$GID_" --clear-groups -- "$STASIS_BIN" "$@"; }
as_member() { setpriv --reuid="$UID_" --regid="$GID_" --groups="$OPS" -- "$STASIS_BIN" "$@"; }

[ "$(stat -c '%a %G' "$T/run/stasis.sock")" = "660 $GROUP" ] ||
  fail "the socket is $(stat -c '%a %G' "$T/run/stasis.sock"), not 660 $GROUP"
stasis job list >/dev/null || fail "root was refused"
as_member job list >/dev/null || fail "a member of $GROUP was refused"
expect_fail "permission denied.*group '$GROUP'" as_outsider job list

# A socket opened to everyone by mistake: the daemon still refuses outsiders.
chmod 666 "$T/run/stasis.sock"
chmod 755 "$T/run"
expect_fail "permission denied: the stasis daemon admits root and members of group '$GROUP' only" \
  as_outsider job list
as_member job list >/dev/null || fail "a member of $GROUP was refused"
grep -q "refused a connection from uid $UID_" "$T/state/daemon.log" ||
  fail "the daemon did not log the refusal"

# Without a group: root only.
stop_daemon
set_config group '""'
start_daemon
[ "$(stat -c '%a' "$T/run/stasis.sock")" = 600 ] || fail "the socket is not 0600 without a group"
chmod 666 "$T/run/stasis.sock"
expect_fail "admits root only" as_member job list
stasis job list >/dev/null || fail "root was refused"

# A group that does not exist: the daemon says so and does not start.
stop_daemon
set_config group '"no-such-group-x"'
expect_fail "group 'no-such-group-x' .* does not exist" stasis daemon start --detach
