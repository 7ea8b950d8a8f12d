# Shared helpers for the end-to-end tests: each test gets its own daemon,
# socket, state directory and checkpoint directory under a temp root, and
# everything it started is stopped on exit.
set -euo pipefail

BUILD_DIR=${STASIS_BUILD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}
STASIS_BIN=${STASIS_BIN:-$BUILD_DIR/stasis}
WORKLOADS=${STASIS_WORKLOADS:-$BUILD_DIR/workloads}
CRIU_PATH=${STASIS_TEST_CRIU:-/opt/stasis/criu/criu}

T=$(mktemp -d /tmp/stasis-e2e.XXXXXX)
export STASIS_CONFIG=$T/config.json
CKPT=$T/ckpt
mkdir -p "$CKPT"
cat >"$STASIS_CONFIG" <<JSON
{
  "address": "$T/run/stasis.sock",
  "checkpoint": { "dir": "$CKPT", "compression": "zstd" },
  "criu": { "path": "$CRIU_PATH" },
  "state": { "dir": "$T/state" },
  "db": { "path": "$T/state/stasis.db" },
  "log": { "level": "debug" }
}
JSON

EXTRA_PIDS=()

stasis() { "$STASIS_BIN" "$@"; }

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
show_daemon_log() {
  if [ -f "$T/state/daemon.log" ]; then
    log "--- daemon log (tail) ---"
    tail -n 40 "$T/state/daemon.log" >&2
  fi
}
fail() {
  log "FAIL: $*"
  show_daemon_log
  exit 1
}
# A command that stops the test through `set -e` says which it was, with the
# daemon's side of the story (fail() does the same for checks).
trap 'log "FAIL: line $LINENO: \`$BASH_COMMAND\` exited with $?"; show_daemon_log' ERR

start_daemon() {
  stasis daemon start --detach >/dev/null || fail "daemon did not start"
}
daemon_pid() { cat "$T/state/daemon.pid"; }
stop_daemon() {
  local pid
  pid=$(cat "$T/state/daemon.pid" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  # Kill every job's process tree, then the daemon.
  if [ -S "$T/run/stasis.sock" ]; then
    for id in $(stasis -o json job list 2>/dev/null | python3 -c 'import json,sys; [print(j["id"]) for j in json.load(sys.stdin) if j["status"]=="running"]' 2>/dev/null); do
      stasis job kill "$id" >/dev/null 2>&1 || true
    done
  fi
  stop_daemon
  for p in "${EXTRA_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  grep -qs " $T/" /proc/mounts && awk -v t="$T/" '$2 ~ "^"t {print $2}' /proc/mounts | xargs -r umount -l
  if [ $rc -eq 0 ]; then rm -rf "$T"; else log "kept $T for inspection"; fi
  exit $rc
}
trap cleanup EXIT

# wait_for SECONDS CMD...: polls until CMD succeeds.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

# expect_fail REGEX CMD...: CMD must exit non-zero and print REGEX on stderr.
expect_fail() {
  local re=$1; shift
  local out rc=0
  out=$("$@" 2>&1 >/dev/null) || rc=$?
  [ $rc -ne 0 ] || fail "expected failure from: $* (it succeeded)"
  echo "$out" | grep -Eq -- "$re" || fail "expected /$re/ from: $*; got: $out"
  [ "$(echo "$out" | wc -l)" -le 2 ] || fail "expected one sentence from: $*; got: $out"
  log "refused as expected: $out"
}

job_field() {  # job_field ID FIELD
  stasis -o json job inspect "$1" | python3 -c "import json,sys; v=json.load(sys.stdin)$2; print(v if v is not None else '')"
}
job_pid() { job_field "$1" '["pid"]'; }
job_status() { job_field "$1" '["status"]'; }
job_log() { job_field "$1" '["log"]'; }
last_checkpoint() { job_field "$1" '["last_checkpoint"]["path"]'; }

alive() { [ -n "$1" ] && [ "$1" != 0 ] && kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*[ZX]' "/proc/$1/status"; }
proc_state() { awk '/^State:/{print $2}' "/proc/$1/status" 2>/dev/null; }

# The last line of a counter's log (a number), or -1.
last_count() { tail -n 1 "$1" 2>/dev/null | grep -E '^[0-9]+$' || echo -1; }
count_at_least() { [ "$(last_count "$1")" -ge "$2" ]; }

# Asserts the log holds exactly 0,1,2,...,N in order: no restart from 0, no gap.
assert_consecutive() {
  python3 - "$1" <<'PY' || fail "counter log $1 is not one consecutive sequence"
import sys
nums = [int(l) for l in open(sys.argv[1]) if l.strip().isdigit()]
bad = [i for i, n in enumerate(nums) if n != i]
if not nums or bad:
    print("first mismatch at line", bad[0] if bad else 0, "of", len(nums), nums[max(0, (bad or [0])[0]-3):(bad or [0])[0]+3])
    sys.exit(1)
PY
}

# --- S3 ---------------------------------------------------------------------
S3SERVER_START=$(cd "$(dirname "${BASH_SOURCE[0]}")/../s3server" && pwd)/start.sh

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# set_config KEY JSON_VALUE: sets a dotted key in the test's config file.
set_config() {
  python3 - "$STASIS_CONFIG" "$1" "$2" <<'PY'
import json, sys
path, key, value = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
cfg = json.load(open(path))
node = cfg
*parents, last = key.split(".")
for p in parents:
    node = node.setdefault(p, {})
if value is None:
    node.pop(last, None)
else:
    node[last] = value
json.dump(cfg, open(path, "w"), indent=2)
PY
}

# start_s3 [BUCKET...]: the loopback S3 server (SigV4-verifying, see
# tests/s3server) with the buckets, and the config pointing stasis at it.
start_s3() {
  S3_PORT=$(free_port)
  S3_ENDPOINT=http://127.0.0.1:$S3_PORT
  local pid
  pid=$("$S3SERVER_START" "$S3_PORT" "$T/s3data" "$@") || fail "the S3 server did not start"
  EXTRA_PIDS+=("$pid")
  S3_PID=$pid
  set_config plugins.dir "\"$T/plugins\""
  set_config aws "{\"endpoint\": \"$S3_ENDPOINT\", \"region\": \"us-east-1\",
    \"access_key_id\": \"S3RVER\", \"secret_access_key\": \"S3RVER\", \"path_style\": true}"
}

# The AWS CLI against the test server: the independent client.
awscli() {
  AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=${S3SERVER_SECRET:-S3RVER} AWS_DEFAULT_REGION=us-east-1 \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    aws --endpoint-url "$S3_ENDPOINT" "$@"
}

# Faults in the test server: s3_fault '{"op": "UploadPart", "status": 500}'.
s3_fault() { curl -sf -X POST -d "$1" "$S3_ENDPOINT/__faults" >/dev/null || fail "cannot set fault"; }
s3_clear_faults() { curl -sf -X DELETE "$S3_ENDPOINT/__faults" >/dev/null || true; }

open_uploads() {
  awscli s3api list-multipart-uploads --bucket "$1" --output json |
    python3 -c 'import json,sys; t=sys.stdin.read().strip(); print(len(json.loads(t).get("Uploads", []) if t else []))'
}
