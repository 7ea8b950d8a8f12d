#!/usr/bin/env bash
# Real workloads through a plain S3 archive: dump, kill, restore, check the
# state from outside. A dump without the flag a resource needs fails with a
# sentence naming the flag, and leaves the job running. threads goes
# dump → restore → dump → restore.
source "$(dirname "$0")/workloads_lib.sh"
setup_s3_workloads

for w in tree threads files shm python redis tcp; do "wl_${w}_start"; done

expect_fail '--file-locks' stasis dump job files --dir s3://wlck/files
[ "$(job_status files)" = running ] || fail "a refused dump changed the files job"
wl_tcp_save
expect_fail '--tcp-established' stasis dump job tcp --dir s3://wlck/tcp
[ "$(job_status tcp)" = running ] || fail "a refused dump changed the tcp job"
wl_tcp_check

roundtrip tree s3
roundtrip threads s3
roundtrip files s3 --file-locks
roundtrip shm s3
roundtrip python s3
roundtrip redis s3
roundtrip tcp s3 --tcp-established
roundtrip threads s3-second
log PASS
