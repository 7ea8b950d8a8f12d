#!/usr/bin/env bash
# The same workloads through a streamed checkpoint (`--stream 4`) in S3;
# threads goes dump → restore → dump → restore.
source "$(dirname "$0")/workloads_lib.sh"
setup_s3_workloads

for w in tree threads files shm python redis; do "wl_${w}_start"; done
roundtrip tree stream4 --stream 4
roundtrip threads stream4 --stream 4
roundtrip files stream4 --stream 4 --file-locks
roundtrip shm stream4 --stream 4
roundtrip python stream4 --stream 4
roundtrip threads stream4-second --stream 4
# Skipped, verified: this machine's kernel refuses CRIU's getsockopt on
# TCP sockets ("Can't get 1:16 opt: Operation not supported"), so no job
# holding a TCP socket (redis-server, the tcp_server workload) can be dumped
# here; the user gets that one-sentence error and the job keeps running.
expect_fail 'cannot checkpoint a process with TCP or UDP sockets' stasis dump job redis --stream 4 --dir s3://wlck/redis
[ "$(job_status redis)" = running ] || fail "a refused dump changed the redis job"
wl_redis_check
echo "WORKLOAD redis stream4 skip (kernel: TCP socket options not supported)" >&2
log PASS
