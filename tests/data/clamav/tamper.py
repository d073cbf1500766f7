#!/usr/bin/env python3
"""Make tampered derivatives of ClamAV databases for sluice's refusal tests (at test time, in a temp dir).

  tamper.py setver IN OUT VERSION        header version field changed (header stays 512 bytes)
  tamper.py flip IN OUT                  one byte of the body flipped
  tamper.py truncate IN OUT BYTES        only the first BYTES bytes
  tamper.py resign IN OUT KEY.pem        dsig recomputed with another RSA private key (ClamAV's encoding)
  tamper.py breaksig IN OUT              a .cdiff whose trailing signature has one digit changed
"""
import os
import re
import subprocess
import sys

ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"


def header_fields(data):
    text = data[:512].rstrip(b" \0").decode("ascii")
    return text.split(":")


def with_header(data, fields):
    head = ":".join(fields).encode("ascii")
    assert len(head) <= 512, "header too long"
    return head + b" " * (512 - len(head)) + data[512:]


def rsa_numbers(pem):
    text = subprocess.run(["openssl", "rsa", "-in", pem, "-noout", "-text"], check=True,
                          capture_output=True, text=True).stdout

    def grab(name):
        m = re.search(name + r":\s*\n((?:\s+[0-9a-f:]+\n)+)", text)
        return int(re.sub(r"[\s:]", "", m.group(1)), 16)
    return grab("modulus"), grab("privateExponent")


def encode(s):
    out = ""
    while s:
        out += ALPHA[s % 64]
        s //= 64
    return out


def main(argv):
    op, src, dst = argv[1], argv[2], argv[3]
    data = open(src, "rb").read()
    if op == "setver":
        f = header_fields(data)
        f[2] = argv[4]
        data = with_header(data, f)
    elif op == "flip":
        pos = 512 + (len(data) - 512) // 2
        data = data[:pos] + bytes([data[pos] ^ 0x01]) + data[pos + 1:]
    elif op == "truncate":
        data = data[:int(argv[4])]
    elif op == "resign":
        n, d = rsa_numbers(argv[4])
        f = header_fields(data)
        f[6] = encode(pow(int(f[5], 16), d, n))
        data = with_header(data, f)
    elif op == "breaksig":
        i = len(data) - 5
        c = chr(data[i])
        data = data[:i] + (b"b" if c != "b" else b"c") + data[i + 1:]
    else:
        sys.exit("unknown operation " + op)
    if os.path.lexists(dst):
        os.unlink(dst)   # fixtures are copied read-only
    with open(dst, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main(sys.argv)
