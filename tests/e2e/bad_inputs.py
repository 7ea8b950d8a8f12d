#!/usr/bin/env python3
"""Builds the hostile inputs of bad_input_table_test.sh from good ones.

bad_inputs.py GOOD_TAR GOOD_STREAM_DIR OUT_DIR CANARY_DIR

GOOD_TAR is an uncompressed plain checkpoint and GOOD_STREAM_DIR a local
streamed one. Every archive built here tries to write CANARY_DIR/<name> (or
somewhere else outside the restore directory); the test checks afterwards
that nothing did.
"""
import io
import json
import os
import shutil
import sys
import tarfile

good_tar, good_stream, out, canary = sys.argv[1:5]
os.makedirs(out, exist_ok=True)
HEADER = "stasis-header.json"

with tarfile.open(good_tar) as src:
    members = [(m, src.extractfile(m).read() if m.isfile() else None) for m in src.getmembers()]
header = None
for m, data in members:
    if m.name == HEADER:
        header = data
assert header is not None, "the good checkpoint has no header"


def plain(name, extra, header_bytes=header, keep_images=True):
    """A copy of the good archive with `extra` members among its images (the
    archive's last member, its manifest, stays last)."""
    body = [(m, d) for m, d in members if m.name != HEADER] if keep_images else []
    body = body[:-1] + list(extra) + body[-1:] if body else list(extra)
    with tarfile.open(os.path.join(out, name), "w") as t:
        hi = tarfile.TarInfo(HEADER)
        hi.size = len(header_bytes)
        t.addfile(hi, io.BytesIO(header_bytes))
        for ti, data in body:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)


def member(name, data=b"owned", **kw):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti, data


def special(name, kind, **kw):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti, None


plain("dotdot.tar", [member("../../dotdot-escaped")])
plain("absolute.tar", [member(os.path.join(canary, "absolute-escaped"))])
plain("symlink.tar", [special("link", tarfile.SYMTYPE, linkname=canary),
                      member("link/symlink-escaped")])
plain("hardlink.tar", [special("hl", tarfile.LNKTYPE, linkname="/etc/hostname")])
plain("device.tar", [special("dev-null", tarfile.CHRTYPE, devmajor=1, devminor=3)])
plain("fifo.tar", [special("a-fifo", tarfile.FIFOTYPE)])
newer = json.loads(header)
newer["format_version"] = 99
plain("newer.tar", [], header_bytes=json.dumps(newer).encode())
plain("header-garbage.tar", [], header_bytes=b"{{{ not json")
plain("no-header.tar", [], header_bytes=b"{}", keep_images=False)

# A member that declares 64 GiB and ends after 512 bytes: the reader must
# stop at the end of the data, not allocate or wait for the rest.
huge = tarfile.TarInfo("pages-huge.img")
huge.size = 64 << 30
with open(os.path.join(out, "huge-size.tar"), "wb") as f:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        hi = tarfile.TarInfo(HEADER)
        hi.size = len(header)
        t.addfile(hi, io.BytesIO(header))
    data = buf.getvalue()
    # Drop the two zero blocks that end the archive, then the huge member.
    data = data[: len(data) - 1024].rstrip(b"\0")
    data += b"\0" * (-len(data) % 512)
    f.write(data + huge.tobuf(format=tarfile.GNU_FORMAT) + b"x" * 512)


def stream(name, mutate):
    """A copy of the good streamed checkpoint, changed by `mutate(dir, manifest)`."""
    d = os.path.join(out, name)
    shutil.copytree(good_stream, d)
    with open(os.path.join(d, "manifest.json")) as f:
        manifest = json.load(f)
    result = mutate(d, manifest)
    if result is not None:
        with open(os.path.join(d, "manifest.json"), "w") as f:
            f.write(result if isinstance(result, str) else json.dumps(result))


def set_key(key, value):
    def mutate(_, m):
        m[key] = value
        return m
    return mutate


def first_chunk(fn):
    def mutate(_, m):
        f = next(f for f in m["files"] if f.get("chunks"))
        fn(f["chunks"][0])
        return m
    return mutate


stream("stream-newer", set_key("format_version", 99))
stream("stream-truncated", lambda d, m: json.dumps(m)[: len(json.dumps(m)) // 2])
stream("stream-unsafe-shard", lambda d, m: {**m, "shards": [{**m["shards"][0], "name": "../../x"}] + m["shards"][1:]})
stream("stream-unsafe-file", lambda d, m: {**m, "files": [{**m["files"][0], "name": "../../../etc/x"}] + m["files"][1:]})
stream("stream-chunk-outside", first_chunk(lambda c: c.__setitem__(1, 1 << 50)))
stream("stream-huge-chunk", first_chunk(lambda c: c.__setitem__(3, 1 << 40)))
stream("stream-no-shards", set_key("shards", []))
stream("stream-wrong-type", set_key("shards", "all of them"))


def drop_shard(d, m):
    os.remove(os.path.join(d, m["shards"][0]["name"]))


def flip_shard(d, m):
    p = os.path.join(d, m["shards"][0]["name"])
    with open(p, "r+b") as f:
        f.seek(os.path.getsize(p) // 2)
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0xFF]))


stream("stream-missing-shard", drop_shard)
stream("stream-flipped", flip_shard)

configs = {
    "cfg-not-json.json": "{",
    "cfg-unknown-key.json": json.dumps({"checkpint": {"dir": "/x"}}),
    "cfg-unknown-section-key.json": json.dumps({"checkpoint": {"dri": "/x"}}),
    "cfg-stream-text.json": json.dumps({"checkpoint": {"stream": "x"}}),
    "cfg-stream-big.json": json.dumps({"checkpoint": {"stream": 1000}}),
    "cfg-part-small.json": json.dumps({"aws": {"part_size_mib": 1}}),
    "cfg-log-level.json": json.dumps({"log": {"level": "loud"}}),
    "cfg-relative-address.json": json.dumps({"address": "relative.sock"}),
    "cfg-compression.json": json.dumps({"checkpoint": {"compression": "xz"}}),
    "cfg-budget.json": json.dumps({"memory": {"budget_mib": -5}}),
    "cfg-sse.json": json.dumps({"aws": {"sse": "rot13"}}),
    "cfg-trust.json": json.dumps({"checkpoint": {"trust": "everyone"}}),
    "cfg-signing-key.json": json.dumps({"checkpoint": {"signing_key_file": "keys/signing.key"}}),
}
for name, text in configs.items():
    with open(os.path.join(out, name), "w") as f:
        f.write(text)
