#!/usr/bin/env python3
"""bundle_craft.py MODE IN OUT [GPGHOME]: derive a hostile bundle volume OUT from a valid one IN, for
test_bundle_hostile.sh. MODE is one of:
  absolute dotdot symlink hardlink device duplicate extra corrupt truncate noend bigmanifest
      (members changed; the manifest and its signature stay the exporter's)
  malformed expired old future digest untrusted altered
      (the manifest changed and re-signed with GPGHOME: the exporter's own key for malformed, expired, old
       (made 2 hours ago, valid for a day), future (made in 2 days), digest (sequence 99, a source's
       content digest that its entries do not add up to), resequence (sequence 99, nothing else changed: an
       old bundle replayed as new) and altered, another key for untrusted; altered swaps one pool file (APT) or package (RPM) for other bytes, consistently
       in the entry, the object list, the source's content digest and the volume: what a compromised DMZ
       can sign)"""
import hashlib, io, subprocess, sys, tarfile

mode, src, dst = sys.argv[1], sys.argv[2], sys.argv[3]
home = sys.argv[4] if len(sys.argv) > 4 else None

members = []
with tarfile.open(src, "r:") as t:
    for m in t.getmembers():
        members.append((m, t.extractfile(m).read()))

def info(name, data, kind=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = link
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    ti.mode = 0o444
    return (ti, data)

def sign(text):
    return subprocess.run(["gpg", "--homedir", home, "--batch", "--yes", "--armor", "--detach-sign", "-o", "-"],
                          input=text, capture_output=True, check=True).stdout

objs = [i for i, (m, _) in enumerate(members) if m.name.startswith("objects/")]
first = objs[0]
end = [i for i, (m, _) in enumerate(members) if m.name == "END"][0]
if mode == "absolute":
    members.insert(first, info("/tmp/sluice-evil", b"evil"))
elif mode == "dotdot":
    members.insert(first, info("objects/../../sluice-evil", b"evil"))
elif mode == "symlink":
    members.insert(first, info(members[first][0].name, b"", tarfile.SYMTYPE, "/etc/passwd"))
elif mode == "hardlink":
    members.insert(first, info(members[first][0].name, b"", tarfile.LNKTYPE, "MANIFEST"))
elif mode == "device":
    members.insert(first, info(members[first][0].name, b"", tarfile.CHRTYPE))
elif mode == "duplicate":
    members.insert(first + 1, members[first])
elif mode == "extra":
    data = b"not in the manifest\n"
    name = "objects/" + hashlib.sha256(data).hexdigest()
    at = next((i for i in objs if members[i][0].name > name), end)   # in digest order, like a real one
    members.insert(at, info(name, data))
elif mode == "corrupt":
    m, data = members[first]
    members[first] = (m, bytes([data[0] ^ 1]) + data[1:])
elif mode == "noend":
    del members[end]
elif mode == "altered":
    from urllib.parse import unquote
    lines = members[0][1].decode().split("\n")
    ent = [i for i, l in enumerate(lines) if l.startswith("entry\t") and l.split("\t")[4] in ("pool", "package")]
    f = lines[ent[0]].split("\t")
    old_sha, old_size = f[2], int(f[3])
    old = dict((m.name, d) for m, d in members)["objects/" + old_sha]
    new = old + b"\x00attacker"
    new_sha = hashlib.sha256(new).hexdigest()
    f[2], f[3] = new_sha, str(len(new))
    lines[ent[0]] = "\t".join(f)
    # Objects: drop the old one, add the new one in digest order (volume 1).
    objl = [l for l in lines if l.startswith("object\t") and l.split("\t")[1] != old_sha]
    objl.append("object\t%s\t%d\t1" % (new_sha, len(new)))
    objl.sort()
    head = [l for l in lines if not l.startswith("object\t") and not l.startswith("end\t") and l]
    src_i = [i for i, l in enumerate(head) if l.startswith("source\t")][0]
    sf = head[src_i].split("\t")
    entries = [l.split("\t") for l in head if l.startswith("entry\t")]
    dig = hashlib.sha256()
    for e in sorted(entries, key=lambda e: unquote(e[1]).encode()):
        dig.update(unquote(e[1]).encode() + b"\0" + e[2].encode() + b"\n")
    sf[4] = dig.hexdigest()
    sf[7] = str(int(sf[7]) - old_size + len(new))
    head[src_i] = "\t".join(sf)
    nbytes = sum(int(l.split("\t")[2]) for l in objl)
    text = "\n".join(head + objl + ["end\t1\t%d\t%d\t1" % (len(objl), nbytes)]) + "\n"
    members[0] = (members[0][0], text.encode())
    members[1] = (members[1][0], sign(text.encode()))
    objs_new = [info("objects/" + new_sha, new)] + [members[i] for i in objs if members[i][0].name != "objects/" + old_sha]
    objs_new.sort(key=lambda md: md[0].name)
    members = members[:first] + objs_new + members[end:]
elif mode in ("malformed", "expired", "old", "future", "digest", "untrusted", "resequence"):
    text = members[0][1].decode()
    lines = text.split("\n")
    if mode == "malformed":
        ent = [i for i, l in enumerate(lines) if l.startswith("entry\t")]
        lines[ent[0]], lines[ent[1]] = lines[ent[1]], lines[ent[0]]
    elif mode == "digest":   # also a fresh sequence, so it is not refused as a replay first
        lines = ["\t".join(l.split("\t")[:4] + ["f" * 64] + l.split("\t")[5:]) if l.startswith("source\t") else
                 "sequence\t99" if l.startswith("sequence\t") else l for l in lines]
    elif mode == "resequence":   # an old bundle's content under a fresh sequence: a replay the exporter signs
        lines = ["sequence\t99" if l.startswith("sequence\t") else l for l in lines]
    elif mode in ("expired", "old", "future"):
        import time
        now = int(time.time())
        made, until = {"expired": (1000, 2000), "old": (now - 7200, now + 86400),
                       "future": (now + 2 * 86400, now + 3 * 86400)}[mode]
        lines = [("created\t%d" % made if l.startswith("created\t") else
                  "valid-until\t%d" % until if l.startswith("valid-until\t") else l) for l in lines]
    text = "\n".join(lines).encode()
    members[0] = (members[0][0], text)
    members[1] = (members[1][0], sign(text))
    if mode in ("digest", "resequence"):
        vm, vdata = members[2]
        members[2] = (vm, b"99 " + vdata.split(b" ", 1)[1])

buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:", format=tarfile.PAX_FORMAT) as t:
    for m, data in members:
        if m.type == tarfile.REGTYPE:
            m.size = len(data)
            t.addfile(m, io.BytesIO(data))
        else:
            t.addfile(m)
raw = buf.getvalue()
if mode == "truncate":
    # Cut in the middle of the last object's data.
    off = raw.rfind(members[objs[-1]][1][:64]) if members[objs[-1]][1] else len(raw) // 2
    raw = raw[:off + max(1, len(members[objs[-1]][1]) // 2)]
elif mode == "bigmanifest":
    ti = tarfile.TarInfo("MANIFEST")
    ti.size = 100 << 20
    raw = ti.tobuf(tarfile.USTAR_FORMAT) + b"sluice-bundle\t1\n" * 1000
open(dst, "wb").write(raw)
