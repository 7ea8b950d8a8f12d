# The fault suite's set-up: the loopback S3 server with the fault proxy
# (tests/faultproxy) in front of it. stasis talks to the proxy; the AWS CLI
# (awscli in lib.sh) talks to the server directly, so what it reports is
# the truth, whatever the proxy is doing to stasis.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
FAULTPROXY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../faultproxy" && pwd)

start_fault_proxy() {
  PROXY_PORT=$(free_port)
  PROXY_CONTROL=$T/faults.json
  PROXY_STATS=$T/proxy-stats.json
  echo '{}' >"$PROXY_CONTROL"
  python3 "$FAULTPROXY_DIR/fault_proxy.py" --listen "$PROXY_PORT" --upstream "$S3_PORT" \
    --control "$PROXY_CONTROL" --stats "$PROXY_STATS" 2>"$T/proxy.log" &
  PROXY_PID=$!
  disown "$PROXY_PID"  # cleanup kills it; no "Killed" notice from bash then
  EXTRA_PIDS+=("$PROXY_PID")
  proxy_up() { python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $PROXY_PORT), 1)" 2>/dev/null; }
  wait_for 10 proxy_up || fail "the fault proxy did not start: $(cat "$T/proxy.log")"
  set_config aws.endpoint "\"http://127.0.0.1:$PROXY_PORT\""
}

# faults JSON: replaces what the proxy does (see fault_proxy.py); atomic,
# so the proxy never reads half a file.
faults() {
  printf '%s\n' "$1" >"$PROXY_CONTROL.tmp"
  mv -f "$PROXY_CONTROL.tmp" "$PROXY_CONTROL"
}

# proxy_stat PYTHON_EXPR: evaluated over the proxy's statistics as `s`.
proxy_stat() {
  python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print($1)" "$PROXY_STATS"
}
faults_injected() { proxy_stat 'sum(v for k, v in s["faults"].items())'; }

# memhog_checksum JOB: asks the job for its memory checksum (SIGUSR1) and
# prints the new line of its log.
memhog_checksum() {
  local log n
  log=$(job_log "$1")
  n=$(grep -c checksum "$log")
  kill -USR1 "$(job_pid "$1")"
  wait_for 60 bash -c "[ \$(grep -c checksum '$log') -gt $n ]" || fail "$1 gave no checksum"
  grep checksum "$log" | tail -n 1
}

start_memhog() {  # start_memhog JOB MIB
  stasis run process --jid "$1" -- "$WORKLOADS/memhog" "$2" >/dev/null
  wait_for 120 grep -q checksum "$(job_log "$1")" || fail "memhog $1 did not start"
}

# The suite's common start: bucket ckpt behind the proxy, the daemon with
# the S3 plugin, and job `mem` (memhog, STASIS_TEST_FAULT_MIB, default 96)
# whose memory checksum is in $MEMORY_BEFORE.
start_fault_suite() {
  start_s3 ckpt
  start_fault_proxy
  start_daemon
  stasis plugin install storage/s3 >/dev/null || fail "plugin install failed"
  start_memhog mem "${STASIS_TEST_FAULT_MIB:-96}"
  MEMORY_BEFORE=$(memhog_checksum mem)
}

# expect_same_memory WHAT: job mem's checksum now is the one it started with.
expect_same_memory() {
  local now
  now=$(memhog_checksum mem)
  [ "$now" = "$MEMORY_BEFORE" ] || fail "$1: memory differs: $MEMORY_BEFORE vs $now"
}

# Nothing left open on the server: what the AWS CLI sees, not stasis.
assert_no_open_uploads() {
  local n
  n=$(open_uploads "$1")
  [ "$n" = 0 ] || fail "$n multipart uploads left open in $1"
}
