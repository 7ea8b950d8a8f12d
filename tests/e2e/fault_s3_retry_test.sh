#!/usr/bin/env bash
# Faults the S3 client must ride out: connections reset in the middle of a
# part (uploads) or of a ranged read (restores), and the server answering
# 503 SlowDown or 500 InternalError to a share of its requests, some of
# them twice in a row. Each plain and streamed dump and restore completes
# through retries, the restored memory is the memory that was dumped, and
# nothing is left open on the server.
source "$(dirname "$0")/fault_lib.sh"
start_fault_suite

RESETS='{"rules": [
  {"ops": ["CreateMultipartUpload", "UploadPart", "PutObject", "CompleteMultipartUpload"],
   "every": 2, "action": "reset", "after_bytes": 4194304},
  {"ops": ["GetObject"], "every": 2, "action": "reset", "after_bytes": 1048576}]}'
ERRORS='{"rules": [
  {"ops": ["*"], "every": 3, "repeat": 2, "action": "status", "status": 503, "code": "SlowDown"},
  {"ops": ["*"], "every": 4, "action": "status", "status": 500, "code": "InternalError"}]}'

rounds=0
# round NAME FAULTS DUMP_FLAGS...: dump through the faults, restore through
# them, and compare the memory.
round() {
  local name=$1 rules=$2 injected0 injected
  shift 2
  injected0=$(faults_injected)
  faults "$rules"
  stasis dump job mem --dir "s3://ckpt/$name" "$@" >/dev/null || fail "$name: the dump did not survive the faults"
  alive "$(job_pid mem)" && fail "$name: the job still runs after its dump"
  stasis restore job mem >/dev/null || fail "$name: the restore did not survive the faults"
  faults '{}'
  expect_same_memory "$name"
  assert_no_open_uploads ckpt
  injected=$(($(faults_injected) - injected0))
  [ "$injected" -ge 4 ] || fail "$name: only $injected faults were injected; the test did not test"
  rounds=$((rounds + 1))
  log "$name: survived $injected injected faults"
}

round resets-plain "$RESETS" --compression lz4
round resets-stream "$RESETS" --stream 4
round errors-plain "$ERRORS" --compression zstd
round errors-stream "$ERRORS" --stream 2 --compression zstd

total=$(faults_injected)
log "faults by kind: $(proxy_stat 's["faults"]')"
log "PASS: $rounds round trips, $total faults injected and survived, 0 processes lost, 0 uploads left open"
