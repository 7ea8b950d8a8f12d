#!/usr/bin/env bash
# The same workloads through a streamed checkpoint (`--stream 4`) in S3;
# threads goes dump → restore → dump → restore.
source "$(dirname "$0")/workloads_lib.sh"
setup_s3_workloads

for w in tree threads files shm python redis tcp; do "wl_${w}_start"; done
roundtrip tree stream4 --stream 4
roundtrip threads stream4 --stream 4
roundtrip files stream4 --stream 4 --file-locks
roundtrip shm stream4 --stream 4
roundtrip python stream4 --stream 4
roundtrip threads stream4-second --stream 4
roundtrip redis stream4 --stream 4
roundtrip tcp stream4 --stream 4 --tcp-established
log PASS
