#!/usr/bin/env python3
"""A SYNTHETIC ClamAV database set of the size of ClamAV's main + daily (about 8.7 million signatures), for
measuring the engine's load time, memory and per-byte scan cost at full size. It is not ClamAV's data: the
signatures are random (they match nothing real), unsigned, in ClamAV's plain formats, with the mix and
shapes of the official set: mostly hash signatures (.hdb MD5 of whole files, .hsb SHA-256, .mdb PE section
MD5) and tens of thousands of body signatures (.ndb extended, .ldb logical).
Usage: bench/gen_clamdb.py DIR [SCALE]   (SCALE 1.0 = full size; counts printed)"""
import os
import random
import sys

COUNTS = {  # close to main.cvd + daily.cvd of 2024-2025 (sigtool --info), rounded
    "hdb": 4_600_000,
    "hsb": 980_000,
    "mdb": 3_050_000,
    "ndb": 62_000,
    "ldb": 31_000,
}
FAMILIES = ["Win.Trojan.Agent", "Win.Malware.Generic", "Doc.Dropper.Agent", "Unix.Trojan.Mirai", "Html.Phishing.Bank",
            "Js.Downloader.Nemucod", "Win.Ransomware.Locky", "Pdf.Exploit.CVE_2018_4993", "Andr.Trojan.SMSAgent",
            "Win.Worm.Allaple", "Txt.Malware.Agent", "Unix.Malware.Kaiji", "Osx.Adware.Bundlore"]


def name(r, i):
    return f"{r.choice(FAMILIES)}-{9000000 + i}-0"


def size(r):
    # Whole-file sizes of samples: log-uniform from 1 KiB to 16 MiB.
    return int(2 ** r.uniform(10, 24))


def hexbytes(r, n):
    return r.randbytes(n).hex()


def body(r, lo, hi, wild=True):
    """A body signature: random bytes, sometimes with ClamAV wildcards between static parts."""
    parts = [hexbytes(r, r.randint(lo, hi))]
    if wild and r.random() < 0.3:
        parts.append(r.choice(["??", "*", "{4-12}", "(aa|bb|cc)"]))
        parts.append(hexbytes(r, r.randint(lo, hi)))
    return "".join(parts)


def main():
    out = sys.argv[1]
    scale = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    os.makedirs(out, exist_ok=True)
    r = random.Random(20250101)
    total = 0
    for ext, count in COUNTS.items():
        n = int(count * scale)
        total += n
        with open(os.path.join(out, f"synthetic.{ext}"), "w", buffering=1 << 20) as f:
            for i in range(n):
                if ext == "hdb":
                    f.write(f"{hexbytes(r, 16)}:{size(r)}:{name(r, i)}\n")
                elif ext == "hsb":
                    f.write(f"{hexbytes(r, 32)}:{size(r)}:{name(r, i)}\n")
                elif ext == "mdb":
                    f.write(f"{512 * r.randint(1, 2048)}:{hexbytes(r, 16)}:{name(r, i)}\n")
                elif ext == "ndb":
                    target = r.choice([0, 0, 0, 1, 1, 3, 6, 7])
                    offset = r.choice(["*", "*", "*", "0", "EP+0,64"]) if target == 1 else r.choice(["*", "*", "0"])
                    f.write(f"{name(r, i)}:{target}:{offset}:{body(r, 8, 40)}\n")
                else:
                    k = r.randint(2, 4)
                    subs = ";".join(body(r, 6, 24, wild=False) for _ in range(k))
                    expr = "&".join(str(j) for j in range(k)) if r.random() < 0.7 else f"(0|1)&{k - 1}"
                    target = r.choice([0, 1, 1, 3, 6, 7])
                    f.write(f"{name(r, i)};Engine:51-255,Target:{target};{expr};{subs}\n")
        print(f"{ext}: {n}")
    print(f"total: {total}")


if __name__ == "__main__":
    main()
