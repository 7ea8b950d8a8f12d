#!/usr/bin/env bash
# Load: 16 jobs dumped to S3 at once (half as plain archives, half streamed
# into 2 shards), all killed by their dumps, then all restored at once; each
# comes back with its memory intact. The daemon's peak resident memory over
# the dumps and over the restores stays within its configured budget
# (memory.budget_mib, plus the S3 parts all uploads share): operations that
# do not fit wait their turn.
# And a second dump of a job whose dump is under way is refused in one
# sentence while the first completes. LOAD_MODE=plain or stream makes every
# dump that kind (default: mixed).
source "$(dirname "$0")/lib.sh"
start_s3 load
PART_MIB=5
CONCURRENCY=4
BUDGET_MIB=160
set_config aws.part_size_mib "$PART_MIB"
set_config aws.concurrency "$CONCURRENCY"
set_config memory.budget_mib "$BUDGET_MIB"
start_daemon
stasis plugin install storage/s3 >/dev/null || fail "plugin install failed"
N=16
MIB=24

# Two dumps of one job at once: the second is refused, the first completes.
stasis run process --jid twice -- "$WORKLOADS/memhog" 128 >/dev/null
wait_for 60 grep -q checksum "$(job_log twice)" || fail "memhog twice did not start"
stasis dump job twice --dir s3://load/twice >"$T/twice.out" 2>&1 &
first=$!
wait_for 20 bash -c "ls '$T/state/dumps/'*.json >/dev/null 2>&1" || fail "the first dump never started"
expect_fail 'already in progress' stasis dump job twice --dir s3://load/twice
wait "$first" || fail "the first dump failed: $(cat "$T/twice.out")"
[ "$(job_status twice)" = dumped ] || fail "job twice is $(job_status twice) after its dump"
[ "$(open_uploads load)" = 0 ] || fail "an upload is left open after the refused dump"

for i in $(seq 1 $N); do stasis run process --jid "m$i" -- "$WORKLOADS/memhog" "$MIB" >/dev/null; done
declare -A SUM
for i in $(seq 1 $N); do
  wait_for 60 grep -q checksum "$(job_log "m$i")" || fail "memhog m$i did not start"
  SUM[$i]=$(grep checksum "$(job_log "m$i")" | tail -n 1)
done

daemon=$(daemon_pid)
peak_mib() { awk '/^VmHWM:/ { printf "%d", $2 / 1024 }' "/proc/$daemon/status"; }
rss_mib() { awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$daemon/status"; }
base=$(rss_mib)
echo 5 >"/proc/$daemon/clear_refs"  # VmHWM from here on

# run_all VERB: the 16 operations at once; every one must succeed.
run_all() {
  local pids=() i flags
  for i in $(seq 1 $N); do
    if [ "$1" = dump ]; then
      flags=(--dir "s3://load/m$i")
      case ${LOAD_MODE:-mixed} in
        mixed) [ $((i % 2)) = 0 ] && flags+=(--stream 2) ;;
        stream) flags+=(--stream 2) ;;
      esac
      stasis dump job "m$i" "${flags[@]}" >"$T/op-$i.out" 2>&1 &
    else
      stasis restore job "m$i" >"$T/op-$i.out" 2>&1 &
    fi
    pids+=($!)
  done
  for i in $(seq 1 $N); do
    wait "${pids[$((i - 1))]}" || fail "$1 of m$i failed: $(cat "$T/op-$i.out")"
  done
}

t0=$(date +%s.%N)
run_all dump
t1=$(date +%s.%N)
dump_peak=$(peak_mib)
echo 5 >"/proc/$daemon/clear_refs"
for i in $(seq 1 $N); do [ "$(job_status "m$i")" = dumped ] || fail "m$i is $(job_status "m$i") after its dump"; done
[ "$(open_uploads load)" = 0 ] || fail "uploads left open after the dumps"
run_all restore
t2=$(date +%s.%N)
restore_peak=$(peak_mib)
peak=$((dump_peak > restore_peak ? dump_peak : restore_peak))

for i in $(seq 1 $N); do
  log_file=$(job_log "m$i")
  n=$(grep -c checksum "$log_file")
  kill -USR1 "$(job_pid "m$i")"
  wait_for 30 bash -c "[ \$(grep -c checksum '$log_file') -gt $n ]" || fail "m$i gives no checksum after restore"
  [ "$(grep checksum "$log_file" | tail -n 1)" = "${SUM[$i]}" ] || fail "m$i's memory differs after the round trip"
done

# On top of the daemon at rest: the budget, the parts all uploads share
# ((concurrency + 1) x part size), and 32 MiB for the allocator's slack.
budget=$((base + BUDGET_MIB + (CONCURRENCY + 1) * PART_MIB + 32))
log "LOAD $N dumps in $(python3 -c "print(f'{$t1 - $t0:.1f}')") s, $N restores in $(python3 -c "print(f'{$t2 - $t1:.1f}')") s; daemon peak ${dump_peak} MiB dumping, ${restore_peak} MiB restoring (at rest ${base} MiB, budget ${budget} MiB); processes lost 0; uploads left 0"
[ "$peak" -le "$budget" ] || fail "the daemon peaked at $peak MiB, over its budget of $budget MiB"
log PASS
