#!/usr/bin/env python3
"""Writes the fuzzers' seed inputs into fuzz/corpus: a small plain archive
in the checkpoint format (synthetic images, real structure: header first,
manifest last with SHA-256 per member) and streamed manifests of format 1
and 2. Synthetic on purpose: a real dump would carry a process's memory."""
import hashlib, io, json, os, tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
head = {"format_version": 1, "kind": "plain", "job_id": "seed", "job_type": "process", "pid": 42,
        "job": {"argv": ["/bin/seed"], "cwd": "/", "env": ["PATH=/usr/bin"], "log_path": "", "pid_namespace": True},
        "criu_version": "4.1.1", "kernel": "6.1.0", "host": "seed", "created": "2026-11-25T00:00:00Z",
        "created_unix": 1795478400, "compression": "none", "tcp_established": False, "shell_job": False,
        "file_locks": False, "ext_unix_sk": False, "files": [], "total_bytes": 0}
images = {"inventory.img": b"\x54\x56\x45\x40" + bytes(60), "pagemap-1.img": bytes(range(256)) * 4,
          "pages-1.img": b"page" * 1024}

def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))

buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
    add(tar, "stasis-header.json", json.dumps(head, indent=1).encode())
    full = dict(head, files=[{"name": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
                             for n, d in images.items()], total_bytes=sum(len(d) for d in images.values()))
    for n, d in images.items():
        add(tar, n, d)
    add(tar, "stasis.json", json.dumps(full, indent=1).encode())
open(os.path.join(HERE, "corpus/archive_reader_fuzz/plain.tar"), "wb").write(buf.getvalue())

v1 = {"format": "stasis-stream", "format_version": 1, "checkpoint": dict(head, kind="stream"),
      "compression": "lz4", "shards": [{"name": "shard-0.lz4", "size": 9000}, {"name": "shard-1.lz4", "size": 5000}],
      "files": [{"name": "pages-1.img", "size": 8192, "chunks": [[0, 0, 4000, 4096, 1], [1, 0, 4000, 4096, 2]]},
                {"name": "core-1.img", "size": 100, "chunks": [[0, 4000, 90, 100, 3]]}]}
v2 = dict(v1, format_version=2,
          blobs=[{"name": "precopy-1", "size": 8192, "chunks": [[0, 0, 4000, 4096, 1], [1, 0, 4000, 4096, 2]]},
                 {"name": "changed-pages-1.img", "size": 4096, "chunks": [[0, 4090, 4000, 4096, 4]]}],
          files=[{"name": "pages-1.img", "size": 12288, "extents": [[0, 0, 4096], [1, 0, 4096], [0, 4096, 4096]]},
                 {"name": "core-1.img", "size": 100, "chunks": [[0, 4000, 90, 100, 3]]}])
for name, m in (("v1.json", v1), ("v2.json", v2)):
    open(os.path.join(HERE, "corpus/stream_manifest_fuzz", name), "w").write(json.dumps(m, indent=1))
