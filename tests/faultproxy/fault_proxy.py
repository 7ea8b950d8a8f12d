#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for the S3 fault suite.

It sits between stasis and the loopback S3 server and forwards each request
on its own upstream connection (both sides are told `Connection: close`), so
it always knows which S3 operation a byte belongs to. What it does to the
traffic is read from a JSON control file, re-read whenever it changes, so a
test can turn faults on and off while a dump runs:

  {
    "down": false,          # every connection is reset, in flight or new: server gone
    "latency_ms": 0,        # added before each request is forwarded
    "bandwidth": 0,         # bytes/s for request and response bodies (0: no cap)
    "rules": [              # checked in order; the first that fires acts
      {"ops": ["UploadPart", "PutObject"],  # S3 operations, or "*"
       "every": 3,          # every 3rd distinct request of those ops...
       "repeat": 1,         # ...fails this many attempts in a row
       "action": "reset",   # "reset": RST the client after `after_bytes`
       "after_bytes": 1048576},
      {"ops": ["*"], "every": 4, "action": "status", "status": 503,
       "code": "SlowDown"}  # answer with this error instead of forwarding
    ]
  }

Faults are deterministic: a rule counts the distinct requests it matches
(method, path, query, range), and a retry of a faulted request is the same
request, so "every 3rd" means a third of the work sees a fault and each
fault lasts exactly `repeat` attempts.

Statistics go to a JSON file after every request: counts by operation and
by fault, and `stored_timeline`, the running total of upload body bytes the
server acknowledged (2xx), with the time of each acknowledgement, taken
before the answer is passed on, so no client can know of a byte sooner.
"""

import argparse
import asyncio
import json
import os
import socket
import struct
import sys
import time
import urllib.parse

CHUNK = 64 * 1024


def s3_operation(method, target, headers):
    """Names the S3 operation of a request the way S3's documentation does."""
    path, _, query = target.partition("?")
    q = urllib.parse.parse_qs(query, keep_blank_values=True)
    if method == "PUT":
        return "UploadPart" if "partNumber" in q else "PutObject"
    if method == "POST":
        if "uploads" in q:
            return "CreateMultipartUpload"
        if "uploadId" in q:
            return "CompleteMultipartUpload"
        if "delete" in q:
            return "DeleteObjects"
        return "Post"
    if method == "DELETE":
        return "AbortMultipartUpload" if "uploadId" in q else "DeleteObject"
    if method == "HEAD":
        return "HeadObject" if path.count("/") > 1 else "HeadBucket"
    if method == "GET":
        if "uploads" in q:
            return "ListMultipartUploads"
        if "list-type" in q or path.count("/") <= 1 or path.endswith("/"):
            return "ListObjects"
        return "GetObject"
    return method


class Control:
    """The control file, re-read when its modification time changes."""

    def __init__(self, path):
        self.path = path
        self.mtime = None
        self.config = {}
        self.seen = {}  # (rule index, request key) -> attempts faulted
        self.counts = {}  # rule index -> distinct requests matched

    def current(self):
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            return self.config
        if mtime != self.mtime:
            try:
                with open(self.path) as f:
                    config = json.load(f)
            except (OSError, ValueError):
                return self.config  # half-written: keep the last good one
            self.mtime = mtime
            if config.get("rules") != self.config.get("rules"):
                self.seen.clear()
                self.counts.clear()
            self.config = config
        return self.config

    def fault_for(self, op, key):
        """The rule that fires for this attempt, or None."""
        for i, rule in enumerate(self.current().get("rules", [])):
            ops = rule.get("ops", ["*"])
            if "*" not in ops and op not in ops:
                continue
            every = max(1, int(rule.get("every", 1)))
            repeat = int(rule.get("repeat", 1))
            if (i, key) not in self.seen:
                n = self.counts.get(i, 0) + 1
                self.counts[i] = n
                self.seen[(i, key)] = 0 if n % every == 0 else -1
            faulted = self.seen[(i, key)]
            if faulted < 0 or faulted >= repeat:
                continue
            self.seen[(i, key)] = faulted + 1
            return rule
        return None


class Stats:
    def __init__(self, path):
        self.path = path
        self.data = {"requests": 0, "by_op": {}, "faults": {}, "stored": 0,
                     "stored_timeline": [], "bytes_up": 0, "bytes_down": 0}

    def count(self, field, name):
        table = self.data[field]
        table[name] = table.get(name, 0) + 1

    def acknowledge(self, nbytes):
        self.data["stored"] += nbytes
        self.data["stored_timeline"].append([time.time(), self.data["stored"]])
        self.flush()

    def flush(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.data, f)
        os.replace(tmp, self.path)


class Throttle:
    """One token bucket for the whole proxy: `bandwidth` bytes/s in total."""

    def __init__(self, control):
        self.control = control
        self.next_free = time.monotonic()

    async def take(self, nbytes):
        rate = float(self.control.current().get("bandwidth", 0))
        if rate <= 0:
            return
        now = time.monotonic()
        start = max(now, self.next_free)
        self.next_free = start + nbytes / rate
        await asyncio.sleep(self.next_free - now)


def reset(writer):
    """Closes with RST instead of FIN, as a crashed peer or a middlebox does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def error_answer(status, code):
    reasons = {500: "Internal Server Error", 503: "Service Unavailable"}
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>Injected by the fault proxy.</Message></Error>").encode()
    head = (f"HTTP/1.1 {status} {reasons.get(status, 'Error')}\r\n"
            f"Content-Type: application/xml\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n").encode()
    return head + body


async def read_head(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    first = lines[0]
    headers = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    return first, headers


def header(headers, name):
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def render_head(first, headers):
    kept = [(k, v) for k, v in headers if k.lower() not in ("connection", "keep-alive")]
    kept.append(("Connection", "close"))
    return (first + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in kept) + "\r\n").encode("latin-1")


class Proxy:
    def __init__(self, upstream_port, control, stats):
        self.upstream_port = upstream_port
        self.control = control
        self.stats = stats
        self.throttle = Throttle(control)

    async def handle(self, reader, writer):
        try:
            await self.serve(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            reset(writer)
        except Exception as e:  # keep serving; the test sees the dropped request
            print(f"fault_proxy: {type(e).__name__}: {e}", file=sys.stderr)
            reset(writer)

    async def serve(self, reader, writer):
        config = self.control.current()
        if config.get("down"):
            self.stats.count("faults", "down")
            self.stats.flush()
            reset(writer)
            return
        first, headers = await read_head(reader)
        method, target, _ = first.split(" ", 2)
        op = s3_operation(method, target, headers)
        self.stats.data["requests"] += 1
        self.stats.count("by_op", op)
        self.stats.flush()  # a test may wait for a request to begin
        length = int(header(headers, "content-length") or 0)
        key = (method, target, header(headers, "range"))
        rule = self.control.fault_for(op, key)
        latency = float(config.get("latency_ms", 0)) / 1000.0
        if latency > 0:
            await asyncio.sleep(latency)

        if rule is not None and rule.get("action") == "status":
            await self.drain_body(reader, length)
            self.stats.count("faults", f"{op} {rule.get('status', 503)}")
            self.stats.flush()
            writer.write(error_answer(int(rule.get("status", 503)), rule.get("code", "SlowDown")))
            await writer.drain()
            writer.close()
            return

        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        try:
            up_writer.write(render_head(first, headers))
            cut = None
            if rule is not None and rule.get("action") == "reset":
                cut = int(rule.get("after_bytes", 0))
                if 0 < length <= cut:
                    cut = length // 2  # a short body is cut in its middle
            sent = await self.relay_body(reader, up_writer, length, cut)
            if cut is not None and length > cut:
                # The connection dies in the middle of the request's body.
                self.stats.count("faults", f"{op} reset after {sent} bytes")
                self.stats.flush()
                reset(writer)
                return
            await up_writer.drain()
            status_line, resp_headers = await read_head(up_reader)
            status = int(status_line.split(" ", 2)[1])
            resp_length = header(resp_headers, "content-length")
            if status // 100 == 2 and op in ("UploadPart", "PutObject"):
                self.stats.data["bytes_up"] += length
                self.stats.acknowledge(length)
            writer.write(render_head(status_line, resp_headers))
            if method == "HEAD" or resp_length is None and status in (204, 304):
                await writer.drain()
            elif resp_length is not None:
                got = await self.relay_body(up_reader, writer, int(resp_length), cut)
                self.stats.data["bytes_down"] += got
                if cut is not None and int(resp_length) > cut:
                    # The answer dies in the middle of its body.
                    self.stats.count("faults", f"{op} reset after {got} response bytes")
                    self.stats.flush()
                    reset(writer)
                    return
            else:
                while True:  # no length: until the server closes
                    data = await up_reader.read(CHUNK)
                    if not data:
                        break
                    await self.throttle.take(len(data))
                    writer.write(data)
                    await writer.drain()
            self.stats.flush()
            writer.close()
        finally:
            up_writer.transport.abort()

    async def drain_body(self, reader, length):
        left = length
        while left > 0:
            data = await reader.read(min(CHUNK, left))
            if not data:
                raise asyncio.IncompleteReadError(b"", left)
            left -= len(data)

    async def relay_body(self, src, dst, length, cut):
        """Copies `length` bytes (stops at `cut` when given); returns the count."""
        done = 0
        limit = length if cut is None else min(length, cut)
        while done < limit:
            if self.control.current().get("down"):
                raise ConnectionResetError("the server went down")  # in-flight requests die too
            data = await src.read(min(CHUNK, limit - done))
            if not data:
                raise asyncio.IncompleteReadError(b"", limit - done)
            await self.throttle.take(len(data))
            dst.write(data)
            await dst.drain()
            done += len(data)
        return done


async def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", type=int, required=True, help="port on 127.0.0.1")
    p.add_argument("--upstream", type=int, required=True, help="the S3 server's port")
    p.add_argument("--control", required=True, help="JSON control file")
    p.add_argument("--stats", required=True, help="JSON statistics file")
    args = p.parse_args()
    stats = Stats(args.stats)
    stats.flush()
    proxy = Proxy(args.upstream, Control(args.control), stats)
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", args.listen,
                                        limit=1 << 20, reuse_address=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
