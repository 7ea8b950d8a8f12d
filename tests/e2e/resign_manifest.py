#!/usr/bin/env python3
"""Forges a checkpoint the way only a holder of the signing key could: it
edits a plain archive's manifests (stasis-header.json and stasis.json) and
signs them again with the key file, so that only stasis's other checks
(the images' credentials) stand between the forgery and a restore.

resign_manifest.py KEY_FILE IN_TAR OUT_TAR UID

The MAC is HMAC-SHA256 under HMAC-SHA256(key, "stasis manifest mac v1"),
over the manifest without "mac" as compact JSON with sorted keys.
"""
import hashlib
import hmac
import io
import json
import sys
import tarfile

key_file, src, dst, uid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
raw = open(key_file, "rb").read()
key = bytes.fromhex(raw.decode().strip()) if len(raw.strip()) == 64 else raw
mac_key = hmac.new(key, b"stasis manifest mac v1", hashlib.sha256).digest()


def resign(data):
    m = json.loads(data)
    m["job"]["uid"] = uid
    m.pop("mac", None)
    text = json.dumps(m, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    m["mac"] = hmac.new(mac_key, text.encode(), hashlib.sha256).hexdigest()
    return json.dumps(m, indent=2).encode()


with tarfile.open(src) as t_in, tarfile.open(dst, "w") as t_out:
    for member in t_in.getmembers():
        data = t_in.extractfile(member).read()
        if member.name in ("stasis-header.json", "stasis.json"):
            data = resign(data)
            member.size = len(data)
        t_out.addfile(member, io.BytesIO(data))
