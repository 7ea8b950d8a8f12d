#!/usr/bin/env python3
"""Stamps each line a terminal program draws with the time it arrived.

A progress display redraws one line with carriage returns; read from a pty
(script(1)), each redraw becomes `<unix time>\t<text>` on stdout, without
the terminal's escape sequences, so a test can line it up with other clocks.
"""
import os
import re
import sys
import time

ESCAPES = re.compile(rb"\x1b\[[0-9;]*[A-Za-z]")


def main():
    pending = b""
    out = sys.stdout
    while True:
        data = os.read(0, 65536)
        if not data:
            break
        pending += data
        parts = re.split(rb"[\r\n]", pending)
        pending = parts.pop()
        now = time.time()
        for part in parts:
            text = ESCAPES.sub(b"", part).decode("utf-8", "replace").strip()
            if text:
                out.write(f"{now:.6f}\t{text}\n")
        out.flush()
    text = ESCAPES.sub(b"", pending).decode("utf-8", "replace").strip()
    if text:
        out.write(f"{time.time():.6f}\t{text}\n")


if __name__ == "__main__":
    main()
