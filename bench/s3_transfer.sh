#!/usr/bin/env bash
# Benchmark: upload and download of one MIB MiB file to the loopback S3
# server, stasis's client (`stasis checkpoint copy`, the parallel multipart
# writer and ranged reader) against `aws s3 cp`, interleaved in one run.
# Prints wall time, CPU seconds (user + system) and peak RSS of each client,
# medians over ROUNDS, and the ratios stasis / aws (lower is better).
# "stasis" is the default over http (bodies signed, SHA-256 checksums);
# "stasis_unsigned" is what it sends over https (UNSIGNED-PAYLOAD, CRC32).
#
#   sudo bench/s3_transfer.sh [MIB] [ROUNDS]     (default 1024 MiB, 3 rounds)
#
# Both clients talk to the same server (tests/s3server: s3rver behind the
# SigV4-verifying front), whose data lives on tmpfs, as do the files, so the
# disk is out of the picture. The server's own CPU is not counted.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${STASIS_BUILD_DIR:-$ROOT/build}
MIB=${1:-1024}
ROUNDS=${2:-3}
STASIS=$BUILD_DIR/stasis

W=$(mktemp -d /dev/shm/stasis-s3bench.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ENDPOINT=http://127.0.0.1:$PORT
SERVER_PID=$("$ROOT/tests/s3server/start.sh" "$PORT" "$W/s3" bench)
cleanup() {
  kill "$SERVER_PID" 2>/dev/null || true
  [ -n "${KEEP:-}" ] && cp "$W/results" /tmp/s3bench-results; rm -rf "$W"
}
trap cleanup EXIT

export STASIS_CONFIG=$W/config.json
cat >"$STASIS_CONFIG" <<JSON
{ "address": "$W/stasis.sock", "state": { "dir": "$W/state" }, "plugins": { "dir": "$W/plugins" },
  "aws": { "endpoint": "$ENDPOINT", "region": "us-east-1", "access_key_id": "S3RVER",
           "secret_access_key": "S3RVER", "path_style": true },
  "log": { "level": "warn" } }
JSON
"$STASIS" plugin install storage/s3 >/dev/null
# The same with unsigned payloads and CRC32 checksums: what stasis sends
# over https by default (aws.payload_signing auto), measured here on http.
sed 's/"path_style": true/"path_style": true, "payload_signing": "never"/' "$STASIS_CONFIG" >"$W/unsigned.json"
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
aws_cli() { aws --endpoint-url "$ENDPOINT" "$@"; }

mkdir -p "$W/src"
head -c $((MIB << 20)) /dev/urandom >"$W/src/blob.bin"
# Touch the memory the run will use once up front: on a VM the first touch
# of a guest page costs the toucher a host fault, which would land on
# whichever client happened to write there first.
head -c $((4 * MIB << 20)) /dev/zero >"$W/warm" && rm -f "$W/warm"

# measure NAME CMD...: appends "NAME wall cpu rss_kib" to $W/results.
measure() {
  local name=$1; shift
  /usr/bin/time -f "$name %e %U %S %M" -a -o "$W/results" "$@" >/dev/null
}

# One transfer per function; each round runs them in a rotated order, so no
# client always goes first (or right after another's page-cache churn).
up_stasis() { measure stasis-up "$STASIS" checkpoint copy "$W/src/blob.bin" "s3://bench/stasis-$1"; }
up_unsigned() {
  STASIS_CONFIG=$W/unsigned.json measure stasis_unsigned-up "$STASIS" checkpoint copy "$W/src/blob.bin" "s3://bench/unsigned-$1"
}
up_aws() { measure aws-up aws --endpoint-url "$ENDPOINT" s3 cp "$W/src/blob.bin" "s3://bench/aws-$1/blob.bin" --only-show-errors; }
# Each client reads back what another wrote.
down_stasis() { measure stasis-down "$STASIS" checkpoint copy "s3://bench/aws-$1/blob.bin" "$W/down-stasis-$1"; }
down_unsigned() {
  STASIS_CONFIG=$W/unsigned.json measure stasis_unsigned-down "$STASIS" checkpoint copy "s3://bench/stasis-$1/blob.bin" "$W/down-unsigned-$1"
}
down_aws() { measure aws-down aws --endpoint-url "$ENDPOINT" s3 cp "s3://bench/unsigned-$1/blob.bin" "$W/down-aws-$1/blob.bin" --only-show-errors; }

clients=(stasis unsigned aws)
for round in $(seq "$ROUNDS"); do
  mkdir -p "$W/down-stasis-$round" "$W/down-aws-$round" "$W/down-unsigned-$round"
  order=("${clients[@]:$(((round - 1) % 3))}" "${clients[@]:0:$(((round - 1) % 3))}")
  for c in "${order[@]}"; do "up_$c" "$round"; done
  # Each download is checked and dropped before the next, so every client
  # writes into the same recycled memory.
  for c in "${order[@]}"; do
    "down_$c" "$round"
    cmp "$W/src/blob.bin" "$W/down-$c-$round/blob.bin"
    rm -rf "$W/down-$c-$round"
  done
  for c in stasis unsigned aws; do aws_cli s3 rm "s3://bench/$c-$round/blob.bin" --only-show-errors; done
  echo "round $round done (order: ${order[*]})" >&2
done

python3 - "$W/results" "$MIB" "$ROUNDS" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) != 5 or parts[0].startswith("Command"):
        continue
    name, wall, user, sys_, rss = parts
    rows.setdefault(name, []).append(
        (float(wall), float(user) + float(sys_), int(rss) / 1024, float(user), float(sys_)))
med = {k: tuple(statistics.median(x[i] for x in v) for i in range(5)) for k, v in rows.items()}
mib, rounds = int(sys.argv[2]), int(sys.argv[3])
print(f"S3 transfer of {mib} MiB to the loopback server, medians of {rounds} rounds\n")
print("| direction | client | wall s | MiB/s | CPU s (user + sys) | peak RSS MiB |")
print("|---|---|---|---|---|---|")
for d in ("up", "down"):
    for c in ("stasis", "stasis_unsigned", "aws"):
        w, cpu, rss, user, sys_ = med[f"{c}-{d}"]
        print(f"| {d} | {c} | {w:.2f} | {mib / w:.0f} | {cpu:.2f} ({user:.2f} + {sys_:.2f}) | {rss:.0f} |")
print("\n| direction | wall ratio (stasis/aws) | CPU ratio | RSS ratio |")
print("|---|---|---|---|")
out = {"mib": mib, "rounds": rounds, "medians": {}}
for d in ("up", "down"):
    for c in ("stasis", "stasis_unsigned"):
        s, a = med[f"{c}-{d}"], med[f"aws-{d}"]
        print(f"| {d} ({c}) | {s[0] / a[0]:.2f}x | {s[1] / a[1]:.2f}x | {s[2] / a[2]:.2f}x |")
for k, (w, cpu, rss, user, sys_) in med.items():
    out["medians"][k] = {"wall_s": w, "cpu_s": cpu, "user_s": user, "sys_s": sys_, "peak_rss_mib": rss}
print("\n```json\n" + json.dumps(out, indent=1) + "\n```")
PY
