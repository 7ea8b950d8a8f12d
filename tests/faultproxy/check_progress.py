#!/usr/bin/env python3
"""Checks that a dump's progress display told the truth about storage.

Inputs: the stamped display lines (stamp_lines.py) and the fault proxy's
statistics, whose `stored_timeline` says when the server acknowledged each
uploaded byte (counted from the optional third argument, a unix time
before the dump began). A line claiming "X stored" at time t is truthful when the
server had acknowledged at least X bytes by t (less the display's rounding
to a tenth of a unit). The display must also move: it shows several
distinct stored figures, the last of them at least half of what was stored.
Prints a one-line summary; exits non-zero with the first untruthful line.
"""
import bisect
import json
import re
import sys

UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
STORED = re.compile(r"([0-9]+(?:\.[0-9])?)(B|KiB|MiB|GiB|TiB) stored")


def main():
    lines_path, stats_path = sys.argv[1], sys.argv[2]
    since = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    timeline = json.load(open(stats_path))["stored_timeline"]
    base = 0
    for t, stored in timeline:
        if t <= since:
            base = stored
    timeline = [(t, stored - base) for t, stored in timeline if t > since]
    times = [t for t, _ in timeline]
    total = timeline[-1][1] if timeline else 0
    shown = []
    for line in open(lines_path):
        stamp, _, text = line.rstrip("\n").partition("\t")
        m = STORED.search(text)
        if not m:
            continue
        t = float(stamp)
        value, unit = float(m.group(1)), m.group(2)
        claimed = value * UNITS[unit]
        slack = 0 if unit == "B" else 0.05 * UNITS[unit]
        i = bisect.bisect_right(times, t)
        acked = timeline[i - 1][1] if i > 0 else 0
        if claimed - slack > acked:
            sys.exit(f"untruthful: at {t:.3f} the display said '{text}' but the server "
                     f"had acknowledged {acked} bytes")
        shown.append(claimed)
    distinct = sorted(set(shown))
    if len(distinct) < 3:
        sys.exit(f"the display showed {len(distinct)} distinct stored figures "
                 f"({distinct}); it did not follow the upload")
    if max(shown) < 0.5 * total:
        sys.exit(f"the display's last stored figure {max(shown):.0f} is under half "
                 f"of the {total} bytes the server acknowledged")
    print(f"{len(shown)} progress lines, {len(distinct)} distinct stored figures, "
          f"none ahead of the server's acknowledgements (max {max(shown)/2**20:.1f} MiB "
          f"of {total/2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
