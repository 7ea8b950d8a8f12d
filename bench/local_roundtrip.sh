#!/usr/bin/env bash
# Benchmark: dump and restore of a process holding MIB MiB of random memory,
# stasis (each compression, to a local directory) against plain
# `criu dump` / `criu restore` of the same kind of process, side by side in
# one run. Prints a Markdown table with times, ratios and archive sizes.
#
#   sudo bench/local_roundtrip.sh [MIB] [ROUNDS]     (default 1024 MiB, 3 rounds)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${STASIS_BUILD_DIR:-$ROOT/build}
MIB=${1:-1024}
ROUNDS=${2:-3}
CRIU=${STASIS_TEST_CRIU:-/opt/stasis/criu/criu}
STASIS=$BUILD_DIR/stasis
MEMHOG=$BUILD_DIR/workloads/memhog

W=$(mktemp -d /var/tmp/stasis-bench.XXXXXX)
export STASIS_CONFIG=$W/config.json
cat >"$STASIS_CONFIG" <<JSON
{ "address": "$W/stasis.sock", "checkpoint": { "dir": "$W/ckpt" },
  "criu": { "path": "$CRIU" }, "state": { "dir": "$W/state" }, "log": { "level": "warn" } }
JSON
mkdir -p "$W/ckpt"
cleanup() {
  kill "$(cat "$W/state/daemon.pid" 2>/dev/null)" 2>/dev/null || true
  pkill -KILL -f "^$MEMHOG" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
"$STASIS" daemon start --detach >/dev/null

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.3f}')"; }
median() { python3 -c "import statistics,sys; print(f'{statistics.median(map(float, sys.argv[1:])):.3f}')" "$@"; }
wait_checksum() { for _ in $(seq 600); do [ "$(grep -c checksum "$1" 2>/dev/null)" -ge "${2:-1}" ] && return 0; sleep 0.1; done; return 1; }

# Baseline: what CRIU alone does, on the same disk, same namespace set-up.
criu_round() {
  local d=$W/criu-img log=$W/criu.log
  rm -rf "$d"; mkdir -p "$d"; : >"$log"
  unshare --pid --fork setsid "$MEMHOG" "$MIB" </dev/null >"$log" 2>&1 &
  wait_checksum "$log"
  local pid; pid=$(pgrep -f "^$MEMHOG $MIB" | head -n 1)
  sync; echo 1 >/proc/sys/vm/drop_caches 2>/dev/null || true
  local t0 t1 t2; t0=$(now)
  "$CRIU" dump -t "$pid" -D "$d" -o dump.log
  t1=$(now)
  # As stasis does: the restored process gets a fresh log through
  # --inherit-fd, because CRIU refuses a file whose size changed.
  local log2=$W/criu-restored.log; : >"$log2"
  "$CRIU" restore -D "$d" -d -o restore.log --pidfile "$d/pid" \
    --inherit-fd "fd[7]:${log#/}" 7>>"$log2" ||
    { echo "criu restore failed: $(grep Error "$d/restore.log" | tail -n 2)" >&2; exit 1; }
  t2=$(now)
  kill -USR1 "$(cat "$d/pid")"; wait_checksum "$log2" 1
  [ "$(grep -h checksum "$log" "$log2" | sort -u | wc -l)" = 1 ] || { echo "criu baseline lost memory" >&2; exit 1; }
  kill -KILL "$(cat "$d/pid")"
  echo "$(elapsed "$t0" "$t1") $(elapsed "$t1" "$t2") $(du -sb "$d" | cut -f1)"
}

stasis_round() {
  local mode=$1 jid=b-$mode-$RANDOM
  "$STASIS" run process --jid "$jid" -- "$MEMHOG" "$MIB" >/dev/null
  local log; log=$("$STASIS" -o json job inspect "$jid" | python3 -c 'import json,sys; print(json.load(sys.stdin)["log"])')
  wait_checksum "$log"
  sync; echo 1 >/proc/sys/vm/drop_caches 2>/dev/null || true
  local t0 t1 t2; t0=$(now)
  "$STASIS" dump job "$jid" --compression "$mode" >/dev/null
  t1=$(now)
  "$STASIS" restore job "$jid" >/dev/null
  t2=$(now)
  local path; path=$("$STASIS" -o json job inspect "$jid" | python3 -c 'import json,sys; print(json.load(sys.stdin)["last_checkpoint"]["path"])')
  kill -USR1 "$("$STASIS" -o json job inspect "$jid" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')"
  wait_checksum "$log" 2
  [ "$(grep checksum "$log" | sort -u | wc -l)" = 1 ] || { echo "stasis lost memory ($mode)" >&2; exit 1; }
  local size; size=$(stat -c %s "$path")
  "$STASIS" job kill "$jid" >/dev/null; "$STASIS" job delete "$jid" >/dev/null; rm -f "$path"
  echo "$(elapsed "$t0" "$t1") $(elapsed "$t1" "$t2") $size"
}

echo "# stasis vs criu: ${MIB} MiB random memory, median of $ROUNDS rounds, $(nproc) cores, $(date -u +%F)"
echo
echo "| mode | stasis dump s | criu dump s | dump ratio | stasis restore s | criu restore s | restore ratio | stored bytes |"
echo "|---|---|---|---|---|---|---|---|"
for mode in none lz4 zstd gzip; do
  sd=(); sr=(); cd=(); cr=(); size=0; csize=0
  for _ in $(seq "$ROUNDS"); do
    # Interleaved so machine noise hits both sides alike.
    read -r a b csize < <(criu_round); cd+=("$a"); cr+=("$b")
    read -r a b size < <(stasis_round "$mode"); sd+=("$a"); sr+=("$b")
  done
  msd=$(median "${sd[@]}"); mcd=$(median "${cd[@]}"); msr=$(median "${sr[@]}"); mcr=$(median "${cr[@]}")
  printf '| %s | %s | %s | %.2fx | %s | %s | %.2fx | %s (criu images %s) |\n' "$mode" "$msd" "$mcd" \
    "$(python3 -c "print($msd/$mcd)")" "$msr" "$mcr" "$(python3 -c "print($msr/$mcr)")" "$size" "$csize"
done
