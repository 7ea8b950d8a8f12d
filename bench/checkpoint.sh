#!/usr/bin/env bash
# Benchmark: checkpoint and restore of a process holding SIZE MiB of memory
# (random, and compressible text), side by side in one run:
#   floor     plain `criu dump` to tmpfs and `criu restore` from it;
#   scripted  what a user would otherwise script: `criu dump` to disk,
#             `tar` with zstd, `aws s3 cp` (and back: cp, untar, restore);
#   local     stasis to a local directory (plain archive, lz4);
#   s3-plain  stasis to S3, one archive (lz4);
#   s3-N      stasis streamed to S3 in N shards (lz4), N = 1, 2, 4;
#   s3-4-pre  the same with N = 4 and --pre-dump: memory copied while the
#             process runs, then a freeze only for what changed (memhog is
#             idle once filled: the pre-copy's best case).
# Per case: dump time, frozen time (process stopped), restore time, CPU
# seconds (stasis: daemon + CRIU; others: every command), stasis's peak RSS,
# bytes stored, and the ratios to the floor and to the scripted pipeline.
# Writes bench/results/checkpoint.{md,json} and, when matplotlib is there,
# checkpoint.png.
#
#   sudo bench/checkpoint.sh ["256 1024 4096"] [random|text|both]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${STASIS_BUILD_DIR:-$ROOT/build}
SIZES=${1:-"256 1024 4096"}
CONTENTS=${2:-both}
[ "$CONTENTS" = both ] && CONTENTS="random text"
CRIU=${STASIS_TEST_CRIU:-/opt/stasis/criu/criu}
STASIS=$BUILD_DIR/stasis
MEMHOG=$BUILD_DIR/workloads/memhog
OUT=${STASIS_BENCH_OUT:-$ROOT/bench/results}
mkdir -p "$OUT"

W=$(mktemp -d /var/tmp/stasis-ckbench.XXXXXX)
SHM=$(mktemp -d /dev/shm/stasis-ckbench.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ENDPOINT=http://127.0.0.1:$PORT
# The S3 server keeps its data on tmpfs, so the disk bounds neither side.
SERVER_PID=$("$ROOT/tests/s3server/start.sh" "$PORT" "$SHM/s3" bench)
export STASIS_CONFIG=$W/config.json
cat >"$STASIS_CONFIG" <<JSON
{ "address": "$W/stasis.sock", "checkpoint": { "dir": "$W/ckpt", "compression": "lz4" },
  "criu": { "path": "$CRIU" }, "state": { "dir": "$W/state" }, "plugins": { "dir": "$W/plugins" },
  "aws": { "endpoint": "$ENDPOINT", "region": "us-east-1", "access_key_id": "S3RVER",
           "secret_access_key": "S3RVER", "path_style": true },
  "log": { "level": "warn" } }
JSON
mkdir -p "$W/ckpt"
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
cleanup() {
  kill "$(cat "$W/state/daemon.pid" 2>/dev/null)" 2>/dev/null || true
  pkill -KILL -f "^$MEMHOG" 2>/dev/null || true
  kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$W" "$SHM"
}
trap cleanup EXIT
"$STASIS" daemon start --detach >/dev/null
"$STASIS" plugin install storage/s3 >/dev/null
DAEMON=$(cat "$W/state/daemon.pid")
RESULTS=$W/results.jsonl

now() { date +%s.%N; }
# CPU seconds of the daemon and the children it reaped (CRIU): utime,
# stime, cutime, cstime from /proc/PID/stat.
daemon_cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14+$15+$16+$17)/hz}' "/proc/$DAEMON/stat"; }
reset_peak() { echo 5 >"/proc/$DAEMON/clear_refs"; }
peak_mib() { awk '/VmHWM/{print $2/1024}' "/proc/$DAEMON/status"; }
wait_checksums() {  # FILE COUNT
  for _ in $(seq 1200); do [ "$(grep -c checksum "$1" 2>/dev/null)" -ge "$2" ] && return 0; sleep 0.1; done
  echo "no checksum in $1" >&2; return 1
}
record() { echo "$1" >>"$RESULTS"; }

# criu-only cases run the workload in its own PID namespace, as stasis does.
start_bare() {  # MIB CONTENT LOG -> pid of memhog
  : >"$3"
  unshare --pid --fork setsid "$MEMHOG" "$1" "$2" </dev/null >"$3" 2>&1 &
  wait_checksums "$3" 1
  pgrep -f "^$MEMHOG $1 $2" | tail -n 1
}
kill_bare() { pkill -KILL -f "^$MEMHOG $1 $2" || true; sleep 0.3; }

# timed CMD...: runs CMD, adds its wall and CPU time to T_WALL and T_CPU.
timed() {
  local f=$W/time.$$
  /usr/bin/time -f "%e %U %S" -o "$f" "$@" >/dev/null
  read -r e u s <"$f"
  T_WALL=$(python3 -c "print($T_WALL + $e)")
  T_CPU=$(python3 -c "print($T_CPU + $u + $s)")
}

# restore_bare IMG LOG: criu restore, timed into T_WALL/T_CPU. As stasis
# does, the restored process gets a fresh log through --inherit-fd (CRIU
# refuses a file whose size changed); its memory is then checked.
restore_bare() {
  local img=$1 log=$2 log2=$W/restored.log e u s
  : >"$log2"
  /usr/bin/time -f "%e %U %S" -o "$W/time.r" "$CRIU" restore -D "$img" -d -o restore.log \
    --pidfile "$img/restored.pid" --inherit-fd "fd[7]:${log#/}" 7>>"$log2" >/dev/null
  read -r e u s <"$W/time.r"
  T_WALL=$(python3 -c "print($T_WALL + $e)")
  T_CPU=$(python3 -c "print($T_CPU + $u + $s)")
  local pid; pid=$(cat "$img/restored.pid")
  kill -USR1 "$pid"
  wait_checksums "$log2" 1
  [ "$(grep -h checksum "$log" "$log2" | sort -u | wc -l)" = 1 ] || { echo "criu lost memory" >&2; exit 1; }
  kill -KILL "$pid"
}

case_floor() {  # MIB CONTENT
  local log=$W/floor.log img=$SHM/floor pid
  rm -rf "$img"; mkdir -p "$img"
  pid=$(start_bare "$1" "$2" "$log")
  T_WALL=0 T_CPU=0
  timed "$CRIU" dump -t "$pid" -D "$img" -o dump.log
  local dump=$T_WALL dump_cpu=$T_CPU size
  size=$(du -sb "$img" | cut -f1)
  kill_bare "$1" "$2"
  T_WALL=0 T_CPU=0
  restore_bare "$img" "$log"
  record "{\"case\":\"floor\",\"mib\":$1,\"content\":\"$2\",\"dump_s\":$dump,\"frozen_s\":$dump,\"restore_s\":$T_WALL,\"cpu_s\":$(python3 -c "print($dump_cpu + $T_CPU)"),\"stored\":$size,\"rss_mib\":null}"
  kill_bare "$1" "$2"; rm -rf "$img"
}

case_scripted() {  # MIB CONTENT
  local log=$W/scripted.log img=$W/scripted-img tarball=$W/scripted.tar.zst pid
  rm -rf "$img" "$tarball"; mkdir -p "$img"
  pid=$(start_bare "$1" "$2" "$log")
  T_WALL=0 T_CPU=0
  timed "$CRIU" dump -t "$pid" -D "$img" -o dump.log
  local frozen=$T_WALL
  timed tar -C "$img" -I "zstd -1 -T0" -cf "$tarball" .
  timed aws --endpoint-url "$ENDPOINT" s3 cp "$tarball" "s3://bench/scripted/$1-$2.tar.zst" --only-show-errors
  local dump=$T_WALL dump_cpu=$T_CPU size
  size=$(stat -c %s "$tarball")
  kill_bare "$1" "$2"; rm -rf "$img" "$tarball"; mkdir -p "$img"
  T_WALL=0 T_CPU=0
  timed aws --endpoint-url "$ENDPOINT" s3 cp "s3://bench/scripted/$1-$2.tar.zst" "$tarball" --only-show-errors
  timed tar -C "$img" -I zstd -xf "$tarball"
  restore_bare "$img" "$log"
  record "{\"case\":\"scripted\",\"mib\":$1,\"content\":\"$2\",\"dump_s\":$dump,\"frozen_s\":$frozen,\"restore_s\":$T_WALL,\"cpu_s\":$(python3 -c "print($dump_cpu + $T_CPU)"),\"stored\":$size,\"rss_mib\":null}"
  kill_bare "$1" "$2"; rm -rf "$img" "$tarball"
  aws --endpoint-url "$ENDPOINT" s3 rm "s3://bench/scripted/$1-$2.tar.zst" --only-show-errors
}

# A fresh daemon per case, so its peak RSS is that case's own and not what
# the allocator kept from the case before.
restart_daemon() {
  kill "$DAEMON" 2>/dev/null || true
  while kill -0 "$DAEMON" 2>/dev/null; do sleep 0.1; done
  "$STASIS" daemon start --detach >/dev/null
  DAEMON=$(cat "$W/state/daemon.pid")
}

case_stasis() {  # NAME MIB CONTENT DUMP_ARGS...
  local name=$1 mib=$2 content=$3; shift 3
  restart_daemon
  local jid="b-$name-$mib-$content"
  "$STASIS" run process --jid "$jid" -- "$MEMHOG" "$mib" "$content" >/dev/null
  local log
  log=$("$STASIS" -o json job inspect "$jid" | python3 -c 'import json,sys; print(json.load(sys.stdin)["log"])')
  wait_checksums "$log" 1
  local c0 c1 c2 dump restore peak
  reset_peak; c0=$(daemon_cpu)
  dump=$("$STASIS" -o json dump job "$jid" "$@")
  c1=$(daemon_cpu); peak=$(peak_mib)
  restore=$("$STASIS" -o json restore job "$jid")
  c2=$(daemon_cpu)
  local p; p=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' <<<"$restore")
  kill -USR1 "$p"; wait_checksums "$log" 2
  [ "$(grep checksum "$log" | sed -n 1p)" = "$(grep checksum "$log" | sed -n 2p)" ] ||
    { echo "memory differs after $name" >&2; exit 1; }
  python3 - "$name" "$mib" "$content" "$c0" "$c1" "$c2" "$peak" "$dump" "$restore" >>"$RESULTS" <<'PY'
import json, sys
name, mib, content, c0, c1, c2, peak, dump, restore = sys.argv[1:]
d, r = json.loads(dump), json.loads(restore)
print(json.dumps({"case": name, "mib": int(mib), "content": content,
                  "dump_s": d["total_seconds"], "frozen_s": d["frozen_seconds"],
                  "restore_s": r["restore_seconds"], "cpu_s": float(c2) - float(c0),
                  "stored": d["size"], "rss_mib": float(peak)}))
PY
  "$STASIS" job kill "$jid" >/dev/null
  # The S3 server keeps everything on tmpfs: make room for the next case.
  "$STASIS" checkpoint delete "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["path"])' <<<"$dump")" >/dev/null
  "$STASIS" job delete "$jid" --force >/dev/null 2>&1 || true
}

for mib in $SIZES; do
  for content in $CONTENTS; do
    case_floor "$mib" "$content"
    case_scripted "$mib" "$content"
    case_stasis local "$mib" "$content" --dir "$W/ckpt" --stream 0
    case_stasis s3-plain "$mib" "$content" --dir s3://bench/plain --stream 0
    for n in 1 2 4; do case_stasis "s3-$n" "$mib" "$content" --dir "s3://bench/s$n" --stream "$n"; done
    case_stasis s3-4-pre "$mib" "$content" --dir s3://bench/p4 --stream 4 --pre-dump
    echo "done: $mib MiB $content" >&2
  done
done

/usr/bin/python3 - "$RESULTS" "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
out = sys.argv[2]
def find(mib, content, case):
    return next(r for r in rows if r["mib"] == mib and r["content"] == content and r["case"] == case)
lines = ["| MiB | content | case | dump s | frozen s | restore s | CPU s | stasis RSS MiB | stored MiB | dump / floor | dump / scripted | restore / scripted | frozen / s3-4 |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    floor, scripted = find(r["mib"], r["content"], "floor"), find(r["mib"], r["content"], "scripted")
    r["dump_vs_floor"] = r["dump_s"] / floor["dump_s"]
    r["dump_vs_scripted"] = r["dump_s"] / scripted["dump_s"]
    r["restore_vs_scripted"] = r["restore_s"] / scripted["restore_s"]
    full = next((x for x in rows if x["mib"] == r["mib"] and x["content"] == r["content"] and x["case"] == "s3-4"), None)
    r["frozen_vs_s3_4"] = r["frozen_s"] / full["frozen_s"] if full else None
    rss = "-" if r["rss_mib"] is None else f'{r["rss_mib"]:.0f}'
    lines.append(f'| {r["mib"]} | {r["content"]} | {r["case"]} | {r["dump_s"]:.2f} | {r["frozen_s"]:.2f} | '
                 f'{r["restore_s"]:.2f} | {r["cpu_s"]:.2f} | {rss} | {r["stored"] / 2**20:.0f} | '
                 f'{r["dump_vs_floor"]:.2f}x | {r["dump_vs_scripted"]:.2f}x | {r["restore_vs_scripted"]:.2f}x | '
                 + ("-" if r["frozen_vs_s3_4"] is None else f'{r["frozen_vs_s3_4"]:.2f}x') + " |")
open(f"{out}/checkpoint.md", "w").write("\n".join(lines) + "\n")
json.dump(rows, open(f"{out}/checkpoint.json", "w"), indent=1)
print("\n".join(lines))
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("(matplotlib not installed: no chart)")
    sys.exit(0)
cases = [c for c in ["floor", "scripted", "local", "s3-plain", "s3-1", "s3-2", "s3-4", "s3-4-pre"] if any(r["case"] == c for r in rows)]
groups = sorted({(r["mib"], r["content"]) for r in rows})
fig, axes = plt.subplots(1, 3, figsize=(18, 5))
for ax, metric, title in ((axes[0], "dump_s", "dump (s)"), (axes[1], "frozen_s", "frozen (s)"), (axes[2], "restore_s", "restore (s)")):
    width = 0.8 / len(cases)
    for i, c in enumerate(cases):
        vals = [find(m, ct, c)[metric] for m, ct in groups]
        ax.bar([g + i * width for g in range(len(groups))], vals, width, label=c)
    ax.set_xticks([g + 0.4 - width / 2 for g in range(len(groups))])
    ax.set_xticklabels([f"{m} MiB\n{ct}" for m, ct in groups])
    ax.set_title(title)
    ax.set_yscale("log")
axes[0].legend(fontsize=8)
fig.tight_layout()
fig.savefig(f"{out}/checkpoint.png", dpi=110)
print(f"chart: {out}/checkpoint.png")
PY
