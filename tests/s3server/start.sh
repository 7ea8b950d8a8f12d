#!/usr/bin/env bash
# Starts the loopback S3 server of the tests (server.js: s3rver behind a
# front that verifies Signature V4 and tracks multipart uploads) and waits
# until it answers.
#   tests/s3server/start.sh PORT DIR [BUCKET...]   -> prints the server's pid
# Credentials: S3RVER / S3RVER (S3SERVER_SECRET sets another secret), region
# us-east-1.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PORT=$1 DIR=$2; shift 2
mkdir -p "$DIR"
args=()
for b in "$@"; do args+=(--bucket "$b"); done
[ -z "${S3SERVER_SECRET:-}" ] || args+=(--secret "$S3SERVER_SECRET")
# s3rver makes ListObjectsV2 continuation tokens with DES, which OpenSSL 3
# only has in its legacy provider: without it every truncated listing is a 500.
node --openssl-legacy-provider "$HERE/server.js" --port "$PORT" --directory "$DIR" "${args[@]}" >"$DIR.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then echo "$pid"; exit 0; fi
  kill -0 "$pid" 2>/dev/null || { cat "$DIR.log" >&2; exit 1; }
  sleep 0.1
done
echo "the test S3 server did not start on port $PORT" >&2
kill "$pid"
exit 1
