#!/usr/bin/env bash
# Installs everything stasis needs on a fresh Debian bookworm machine and
# builds it. Idempotent: a second run only rebuilds what changed.
#
#   sudo scripts/setup.sh            # packages, CRIU, build (./build)
#   STASIS_SKIP_BUILD=1 scripts/setup.sh   # packages and CRIU only
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${STASIS_BUILD_DIR:-$ROOT/build}
CRIU_PREFIX=${STASIS_CRIU_PREFIX:-/opt/stasis/criu}

log() { printf 'setup: %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: run as root (sudo scripts/setup.sh): it installs packages and CRIU" >&2
  exit 1
fi

# --- Debian packages -------------------------------------------------------
PACKAGES=(
  cmake g++ make pkg-config git ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libarchive-dev libzstd-dev liblz4-dev zlib1g-dev libxxhash-dev
  libsqlite3-dev libssl-dev libcurl4-openssl-dev libtinyxml2-dev
  libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format clang-tidy clang
  zstd lz4 gzip tar python3 procps iproute2 util-linux psmisc curl
  python3-matplotlib redis-server redis-tools iptables
  s3cmd
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node.js runs the loopback S3 server the tests use (npm package s3rver).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  log "installing nodejs npm"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
# The AWS CLI is the tests' independent S3 client; Debian's when none is on PATH.
if ! command -v aws >/dev/null; then
  log "installing awscli"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends awscli >/dev/null
fi
S3SERVER=$ROOT/tests/s3server
if [ ! -d "$S3SERVER/node_modules/s3rver" ] || [ "$S3SERVER/package-lock.json" -nt "$S3SERVER/node_modules" ]; then
  log "installing the test S3 server (npm ci in tests/s3server)"
  (cd "$S3SERVER" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  touch "$S3SERVER/node_modules"
fi

# --- CRIU >= 4.1 -----------------------------------------------------------
"$ROOT/scripts/provision_criu.sh" "$CRIU_PREFIX"

# Large pipes make CRIU's page transfer cheaper (DESIGN.md: Streamer).
if [ "$(cat /proc/sys/fs/pipe-max-size)" -lt 4194304 ]; then
  sysctl -qw fs.pipe-max-size=4194304 || true
fi

# --- Build -----------------------------------------------------------------
if [ -z "${STASIS_SKIP_BUILD:-}" ]; then
  log "building in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)"
fi
log "done"
