#!/usr/bin/env python3
"""rpm_golden.py SHOW-JSON: the verification records of `sluice show N --json` as sorted lines
"subject | check | passed | reason", with what differs between runs normalised: OpenPGP fingerprints (FPR),
key ids (KEYID), hex digests (HEX), temporary paths (TMP), and every number (N: sizes, revisions, times)."""
import json
import re
import sys

s = json.load(open(sys.argv[1]))
out = []
for v in s["verifications"]:
    line = "%s | %s | %s | %s" % (v["subject"], v["check"], "pass" if v["passed"] else "FAIL", v["reason"])
    line = re.sub(r"/tmp/[A-Za-z0-9._/-]+", "TMP", line)
    line = re.sub(r"\b[0-9A-Fa-f]{64,128}\b", "HEX", line)
    line = re.sub(r"\b[0-9A-F]{40}\b", "FPR", line)
    line = re.sub(r"\b[0-9a-f]{16}\b", "KEYID", line)
    line = re.sub(r"[0-9a-f]{16}\.\.\.", "HEX...", line)
    line = re.sub(r"\d+", "N", line)
    out.append(line)
for line in sorted(out):
    print(line)
