#!/usr/bin/env python3
"""rpm_tamper.py: rewrite an RPM repository's metadata the way an attacker (or a broken mirror) would, keeping
repomd.xml self-consistent so that only the intended defect is left for sluice to find. The caller re-signs
repomd.xml afterwards when the attack is "validly signed".

  rpm_tamper.py REPO primary-sub OLD NEW   replace text in primary.xml (e.g. a version), fix repomd's record
  rpm_tamper.py REPO href TYPE NEWHREF     set the record TYPE's location href (file moved accordingly)
  rpm_tamper.py REPO md5 TYPE              make record TYPE's checksum an md5 (its real md5)
  rpm_tamper.py REPO bomb                  primary becomes a gzip of 64 MiB of whitespace; repomd keeps the
                                           true size/checksum of the new file but the old open-size/checksum
  rpm_tamper.py REPO entity-bomb           primary becomes a billion-laughs document, record fully updated
"""
import gzip
import hashlib
import os
import re
import sys

NS = "http://linux.duke.edu/metadata/repo"


def load(repo):
    with open(os.path.join(repo, "repodata/repomd.xml"), encoding="utf-8") as f:
        return f.read()


def save(repo, text):
    with open(os.path.join(repo, "repodata/repomd.xml"), "w", encoding="utf-8") as f:
        f.write(text)


def record(text, typ):
    m = re.search(r'<data type="%s">.*?</data>' % re.escape(typ), text, re.S)
    if not m:
        sys.exit("no record " + typ)
    return m


def href_of(rec):
    return re.search(r'<location href="([^"]+)"', rec).group(1)


def set_field(rec, tag, value, attr_type=None):
    if attr_type is not None:
        return re.sub(r'<%s type="[^"]*">[^<]*</%s>' % (tag, tag), '<%s type="%s">%s</%s>' % (tag, attr_type, value, tag), rec)
    return re.sub(r'<%s>[^<]*</%s>' % (tag, tag), '<%s>%s</%s>' % (tag, value, tag), rec)


def rewrite(repo, typ, raw, compressed, keep_open=False):
    text = load(repo)
    m = record(text, typ)
    rec = m.group(0)
    path = os.path.join(repo, href_of(rec))
    with open(path, "wb") as f:
        f.write(compressed)
    rec = set_field(rec, "checksum", hashlib.sha256(compressed).hexdigest(), "sha256")
    rec = set_field(rec, "size", str(len(compressed)))
    if not keep_open:
        rec = set_field(rec, "open-checksum", hashlib.sha256(raw).hexdigest(), "sha256")
        rec = set_field(rec, "open-size", str(len(raw)))
    save(repo, text[:m.start()] + rec + text[m.end():])


def primary_raw(repo):
    rec = record(load(repo), "primary").group(0)
    with gzip.open(os.path.join(repo, href_of(rec)), "rb") as f:
        return f.read()


def main():
    repo, op = sys.argv[1], sys.argv[2]
    if op == "primary-sub":
        raw = primary_raw(repo)
        new = raw.replace(sys.argv[3].encode(), sys.argv[4].encode(), 1)
        if new == raw:
            sys.exit("primary-sub: text not found")
        rewrite(repo, "primary", new, gzip.compress(new, mtime=0))
    elif op == "href":
        typ, new_href = sys.argv[3], sys.argv[4]
        text = load(repo)
        m = record(text, typ)
        rec = m.group(0).replace('href="%s"' % href_of(m.group(0)), 'href="%s"' % new_href)
        save(repo, text[:m.start()] + rec + text[m.end():])
    elif op == "md5":
        typ = sys.argv[3]
        text = load(repo)
        m = record(text, typ)
        rec = m.group(0)
        with open(os.path.join(repo, href_of(rec)), "rb") as f:
            data = f.read()
        rec = set_field(rec, "checksum", hashlib.md5(data).hexdigest(), "md5")
        save(repo, text[:m.start()] + rec + text[m.end():])
    elif op == "bomb":
        raw = b"<?xml version=\"1.0\"?>\n<metadata packages=\"0\">" + b" " * (64 << 20) + b"</metadata>\n"
        rewrite(repo, "primary", raw, gzip.compress(raw, compresslevel=9, mtime=0), keep_open=True)
    elif op == "entity-bomb":
        lol = ['<!ENTITY lol0 "lollollollollollollollollollol">']
        for i in range(1, 10):
            lol.append('<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1)) * 10))
        raw = ('<?xml version="1.0"?>\n<!DOCTYPE metadata [\n%s\n]>\n'
               '<metadata xmlns="http://linux.duke.edu/metadata/common" packages="1"><package type="rpm">'
               '<name>&lol9;</name></package></metadata>\n' % "\n".join(lol)).encode()
        rewrite(repo, "primary", raw, gzip.compress(raw, mtime=0))
    else:
        sys.exit("unknown operation " + op)


if __name__ == "__main__":
    main()
