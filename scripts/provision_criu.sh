#!/usr/bin/env bash
# Provides CRIU >= 4.2 at PREFIX/criu (default /opt/stasis/criu/criu).
#
# This kernel needs CRIU 4.2, which bookworm does not ship: 4.1 cannot dump a
# process with a TCP or UDP socket on Linux >= 6.16 (it asks every socket for
# SO_PASSCRED, which those kernels refuse for them). If the system has a new
# enough criu we point at it; otherwise we take criu and the libraries it
# needs from Debian forky (or sid) with `apt-get download`, using a private sources
# list and lists directory (the system's apt state is never touched), unpack
# them with `dpkg -x`, and run CRIU through the prefix's own dynamic loader so
# that suite's libc never mixes with the system's.
set -euo pipefail

PREFIX=${1:-/opt/stasis/criu}
WRAPPER=$PREFIX/criu
log() { printf 'provision_criu: %s\n' "$*"; }

version_ok() {  # version_ok "4.2.1" -> true when >= 4.2
  local major minor
  IFS=. read -r major minor _ <<<"$1"
  [ "${major:-0}" -gt 4 ] || { [ "${major:-0}" -eq 4 ] && [ "${minor:-0}" -ge 2 ]; }
}
criu_version() { "$@" --version 2>/dev/null | sed -n 's/^Version: *//p'; }

if [ -x "$WRAPPER" ] && version_ok "$(criu_version "$WRAPPER")"; then
  log "CRIU $(criu_version "$WRAPPER") already at $WRAPPER"
  exit 0
fi

mkdir -p "$PREFIX"
if command -v criu >/dev/null && version_ok "$(criu_version criu)"; then
  ln -sf "$(command -v criu)" "$WRAPPER"
  log "using the system's CRIU $(criu_version criu)"
  exit 0
fi

# The Debian mirror this machine already uses: the first URI that serves the
# main archive (not the security archive), from deb822 or one-line sources.
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror=$(awk '/^URIs:/{u=$2} /^Suites:/{ if ($0 !~ /-security/ && u != "") { print u; exit } }' "$f")
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
           awk '$1=="deb" && $0 !~ /security/ { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }')
fi
[ -n "$mirror" ] || { echo "provision_criu: no Debian mirror found in /etc/apt/sources*" >&2; exit 1; }

work=$PREFIX/.apt
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
          -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
          -o "APT::Sandbox::User=root")

# forky is Debian testing; sid is the fallback should criu be missing from
# testing for a while. The first suite whose criu is >= 4.2 wins.
suite=""
for s in forky sid; do
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $s main" >"$work/sources.list"
  log "looking for CRIU in $s ($mirror)"
  apt-get "${apt_opts[@]}" update -qq || continue
  candidate=$(apt-cache "${apt_opts[@]}" policy criu 2>/dev/null | sed -n 's/^ *Candidate: *//p')
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] && version_ok "$candidate"; then
    suite=$s
    break
  fi
  log "$s offers criu '${candidate:-none}'"
done
[ -n "$suite" ] || { echo "provision_criu: no Debian suite offers criu >= 4.2" >&2; exit 1; }

# criu, the CRIU libraries and headers, and every library they depend on.
pkgs=$(apt-cache "${apt_opts[@]}" depends --recurse --no-recommends --no-suggests \
         --no-conflicts --no-breaks --no-replaces --no-enhances --no-pre-depends \
         criu libcompel1 libcriu-dev 2>/dev/null | grep -v '^[ <]' | sort -u |
       grep -vE '^(gcc-[0-9]+-base|libprotobuf-c-dev)$')
(cd "$work/debs" && rm -f ./*.deb && apt-get "${apt_opts[@]}" download $pkgs >/dev/null)

rm -rf "$PREFIX/root"
mkdir -p "$PREFIX/root"
for deb in "$work/debs"/*.deb; do dpkg -x "$deb" "$PREFIX/root"; done

cat >"$WRAPPER" <<WRAP
#!/bin/sh
# CRIU from Debian $suite, run through its own loader and libraries.
exec $PREFIX/root/usr/lib64/ld-linux-x86-64.so.2 --library-path $PREFIX/root/usr/lib/x86_64-linux-gnu $PREFIX/root/usr/sbin/criu "\$@"
WRAP
chmod 0755 "$WRAPPER"

v=$(criu_version "$WRAPPER")
version_ok "$v" || { echo "provision_criu: provisioned CRIU reports version '$v'" >&2; exit 1; }
log "CRIU $v at $WRAPPER"
"$WRAPPER" check 2>&1 | tail -n 1
