# Shared driver for the workload suite: each workload has wl_<name>_start
# (run it as a stasis job and prime its state) and wl_<name>_check (read its
# state from outside after a restore and compare it with what it had).
# roundtrip NAME MODE dumps to the loopback S3 server, checks the process is
# gone, restores, checks, and logs `WORKLOAD name mode pass dump=s restore=s`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }

# Programs that log one line of counters (one per thread or per process):
# after a restore every counter must be past where it was at the dump.
counters_line() { tail -n 1 "$(job_log "$1")" 2>/dev/null; }
counters_started() { [ "$(counters_line "$1" | cut -d' ' -f4)" -ge 10 ] 2>/dev/null; }
counters_start() {  # counters_start JOB PROGRAM
  stasis run process --jid "$1" -- "$WORKLOADS/$2" >/dev/null
  wait_for 10 counters_started "$1" || fail "$1 did not start counting"
}
counters_check() {  # counters_check JOB BEFORE
  sleep 1
  local after i b a
  after=$(counters_line "$1")
  for i in 1 2 3 4; do
    b=$(echo "$2" | cut -d' ' -f$i)
    a=$(echo "$after" | cut -d' ' -f$i)
    # Continue, not restart: each counter is past where it was at the dump.
    [ "$a" -gt "$b" ] || fail "$1: counter $i was $b at the dump, is $a after restore"
  done
}

# Multi-threaded C++ program: four std::threads, each with its own counter on its stack.
wl_threads_start() { counters_start threads threads; }
wl_threads_save() { THREADS_BEFORE=$(counters_line threads); }
wl_threads_check() { counters_check threads "$THREADS_BEFORE"; }

# Process tree: parent, children and a grandchild talking through pipes.
wl_tree_start() { counters_start tree tree; }
wl_tree_save() { TREE_BEFORE=$(counters_line tree); }
wl_tree_check() {
  counters_check tree "$TREE_BEFORE"
  local pid
  pid=$(job_pid tree)
  [ "$(pgrep -P "$pid" | wc -l)" = 3 ] || fail "restored tree has $(pgrep -P "$pid" | wc -l) children, not 3"
}

# Files at growing offsets, a file deleted while open, an flock held: needs
# --file-locks (without it the dump's error names that flag).
wl_files_start() {
  mkdir -p "$T/files"
  seq 1 100000 >"$T/files/read.txt"
  stasis run process --jid files -- "$WORKLOADS/files" "$T/files" >/dev/null
  wait_for 10 counters_started files || fail "files did not start"
}
wl_files_save() { FILES_BEFORE=$(counters_line files); }
wl_files_check() {
  counters_check files "$FILES_BEFORE"
  flock -n "$T/files/lock" true && fail "the restored job no longer holds its file lock"
  # One read of the file: the job keeps appending, so a line count and a
  # last line taken apart can disagree without anything being wrong.
  awk 'NR != $1 { bad = 1 } END { exit bad }' "$T/files/append.txt" ||
    fail "append.txt has gaps or repeats after restore"
}

# memfd and POSIX shm shared by a parent and child, plus a UNIX socket pair.
wl_shm_start() {
  SHM_NAME=stasis-wl-$$
  stasis run process --jid shm -- "$WORKLOADS/shm" "/$SHM_NAME" >/dev/null
  wait_for 10 counters_started shm || fail "shm did not start"
}
wl_shm_save() { SHM_BEFORE=$(counters_line shm); }
wl_shm_check() { counters_check shm "$SHM_BEFORE"; }

# TCP server with an established client connection (--tcp-established): the
# client (this shell, on fd 3) keeps its connection and gets right totals.
wl_tcp_start() {
  TCP_PORT=$(free_port)
  stasis run process --jid tcp -- "$WORKLOADS/tcp_server" "$TCP_PORT" >/dev/null
  wait_for 10 grep -q listening "$(job_log tcp)" || fail "tcp_server did not listen"
  exec 3<>"/dev/tcp/127.0.0.1/$TCP_PORT"
  tcp_ask 5 5
  tcp_ask 7 12
}
tcp_ask() {  # tcp_ask NUMBER EXPECTED_TOTAL
  local reply
  echo "$1" >&3
  read -r -t 10 reply <&3 || fail "tcp_server did not answer $1"
  [ "$reply" = "$2" ] || fail "tcp_server answered $reply to $1, expected $2"
}
wl_tcp_save() { TCP_TOTAL=$(tail -n 1 "$(job_log tcp)" | cut -d' ' -f2); }
wl_tcp_check() {
  tcp_ask 1 $((TCP_TOTAL + 1))
  tcp_ask 10 $((TCP_TOTAL + 11))
}

# Debian's python3 holding its state in memory (a dict it keeps adding to).
wl_python_start() {
  stasis run process --jid python -- /usr/bin/python3 -u -c '
import time
state = {"n": 0, "seen": []}
while True:
    state["n"] += 1
    state["seen"].append(state["n"])
    assert sum(state["seen"]) == state["n"] * (state["n"] + 1) // 2
    print(state["n"])
    time.sleep(0.05)' >/dev/null
  wait_for 10 count_at_least "$(job_log python)" 10 || fail "python did not start counting"
}
wl_python_save() { PY_BEFORE=$(last_count "$(job_log python)"); }
wl_python_check() {
  wait_for 10 count_at_least "$(job_log python)" $((PY_BEFORE + 10)) || fail "restored python does not count on"
}

# Debian's redis-server: keys written before the dump are there after, and
# it takes new writes.
wl_redis_start() {
  REDIS_PORT=$(free_port)
  stasis run process --jid redis -- /usr/bin/redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
    --daemonize no --save '' --appendonly no >/dev/null
  wait_for 10 redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 || fail "redis-server did not answer"
  for i in $(seq 1 100); do echo "SET key$i value$i"; done | redis-cli -p "$REDIS_PORT" >/dev/null
}
wl_redis_save() { :; }
wl_redis_check() {
  wait_for 10 redis-cli -p "$REDIS_PORT" ping >/dev/null || fail "restored redis-server does not answer"
  [ "$(redis-cli -p "$REDIS_PORT" get key77)" = value77 ] || fail "key77 lost across the round trip"
  [ "$(redis-cli -p "$REDIS_PORT" dbsize)" = 100 ] || fail "redis has $(redis-cli -p "$REDIS_PORT" dbsize) keys, not 100"
  redis-cli -p "$REDIS_PORT" set after restore >/dev/null
  [ "$(redis-cli -p "$REDIS_PORT" get after)" = restore ] || fail "restored redis-server takes no writes"
}

# roundtrip NAME MODE [dump flags...]
roundtrip() {
  local name=$1 mode=$2 pid t0 t1 t2 t3
  shift 2
  "wl_${name}_save"
  pid=$(job_pid "$name")
  t0=$(now)
  stasis dump job "$name" --dir "s3://wlck/$name" "$@" >"$T/dump.out" 2>&1 || fail "dump $name ($mode): $(cat "$T/dump.out")"
  t1=$(now)
  wait_for 5 bash -c "! kill -0 $pid 2>/dev/null" || fail "$name ($pid) still alive after dump"
  t2=$(now)
  stasis restore job "$name" >"$T/restore.out" 2>&1 || fail "restore $name ($mode): $(cat "$T/restore.out")"
  t3=$(now)
  [ "$(job_status "$name")" = running ] || fail "$name is $(job_status "$name") after restore"
  "wl_${name}_check"
  echo "WORKLOAD $name $mode pass dump=$(secs "$t0" "$t1") restore=$(secs "$t2" "$t3")" >&2
}

setup_s3_workloads() {
  start_s3 wlck
  start_daemon
  stasis plugin install storage/s3 >/dev/null || fail "plugin install failed"
}
