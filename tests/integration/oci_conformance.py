#!/usr/bin/env python3
"""Request/response checks of the OCI distribution spec's "pull" workflow (spec v1.1, section "Pull" and
the conformance suite's 01_pull_test), python3 stdlib only.

    oci_conformance.py BASE_URL NAME TAG [--read-only] [--strict]

BASE_URL is http://HOST:PORT; NAME/TAG an image the registry serves (an image manifest or an index).
Every check prints "ok - ..." or "not ok - ..."; the exit status is 1 when any failed.

  (always)      /v2/, manifests by tag and digest (GET and HEAD), every blob (GET, HEAD, Range) and, for
                an index, every child manifest; Docker-Content-Digest, Content-Type, Content-Length;
                unknown manifest/blob/repository errors with the spec's JSON body; tags/list with n/last
                pagination following Link; _catalog when the registry offers it.
  --read-only   POST/PUT/PATCH/DELETE are refused with 405 and nothing changed (a mirror must not accept
                pushes); an OCI error body, when there is one, says UNSUPPORTED.
  --strict      what the spec leaves to registries but sluice promises: NAME_INVALID and DIGEST_INVALID
                (400) for malformed names and digests, Docker-Distribution-API-Version on every answer.
Run against docker-registry without the two flags, it checks the checks."""

import hashlib
import http.client
import json
import re
import sys
import urllib.parse

MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
INDEX_TYPES = MANIFEST_TYPES[1], MANIFEST_TYPES[3]
ACCEPT = ", ".join(MANIFEST_TYPES)
ZERO = "sha256:" + "0" * 64

failures = 0


def check(cond, what):
    global failures
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        failures += 1
    return cond


class Client:
    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port or 80
        self.api_header_everywhere = True

    def request(self, method, path, headers=None, body=None, api_header=True):
        h = {"Accept": ACCEPT}
        h.update(headers or {})
        c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        if api_header and r.getheader("Docker-Distribution-API-Version") != "registry/2.0":
            self.api_header_everywhere = False
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def error_codes(hdrs, data):
    """The codes of a spec error body, or None when the body is not one."""
    if not hdrs.get("content-type", "").startswith("application/json"):
        return None
    try:
        doc = json.loads(data)
        return [e["code"] for e in doc["errors"]]
    except (ValueError, KeyError, TypeError):
        return None


def expect_error(cl, method, path, status, codes, what):
    st, h, data = cl.request(method, path)
    ok = st == status
    if method != "HEAD":
        got = error_codes(h, data)
        ok = ok and got is not None and any(c in codes for c in got)
    else:
        got = "(HEAD: no body)"
    check(ok, "%s: %s %s -> %d %s (expected %d %s)" % (what, method, path, st, got, status, "|".join(codes)))


def check_manifest(cl, name, ref, want_digest=None):
    """GET and HEAD a manifest; returns (digest, media type, parsed body) or None."""
    path = "/v2/%s/manifests/%s" % (name, ref)
    st, h, data = cl.request("GET", path)
    if not check(st == 200, "GET %s -> %d" % (path, st)):
        return None
    digest = sha256(data)
    check(h.get("docker-content-digest") == digest,
          "%s: Docker-Content-Digest %s is the digest of the body (%s)" % (path, h.get("docker-content-digest"), digest))
    if want_digest:
        check(digest == want_digest, "%s: digest %s as referenced (%s)" % (path, digest, want_digest))
    check(h.get("content-length") == str(len(data)), "%s: Content-Length %s = %d" % (path, h.get("content-length"), len(data)))
    try:
        doc = json.loads(data)
    except ValueError:
        check(False, "%s: body is JSON" % path)
        return None
    ctype = h.get("content-type", "")
    check(ctype in MANIFEST_TYPES, "%s: Content-Type %s is a manifest type" % (path, ctype))
    if "mediaType" in doc:
        check(doc["mediaType"] == ctype, "%s: Content-Type matches the body's mediaType %s" % (path, doc["mediaType"]))
    st, hh, hdata = cl.request("HEAD", path)
    check(st == 200 and hh.get("docker-content-digest") == digest and hh.get("content-length") == str(len(data)),
          "HEAD %s -> %d, same digest and length" % (path, st))
    st, _, bdata = cl.request("GET", "/v2/%s/manifests/%s" % (name, digest))
    check(st == 200 and bdata == data, "GET manifest by digest %s -> %d, same bytes" % (digest, st))
    st, _, _ = cl.request("HEAD", "/v2/%s/manifests/%s" % (name, digest))
    check(st == 200, "HEAD manifest by digest -> %d" % st)
    return digest, ctype, doc


def check_blob(cl, name, desc, ranged):
    path = "/v2/%s/blobs/%s" % (name, desc["digest"])
    st, h, _ = cl.request("HEAD", path)
    check(st == 200 and h.get("content-length") == str(desc["size"]),
          "HEAD %s -> %d, Content-Length %s = %d" % (path, st, h.get("content-length"), desc["size"]))
    st, h, data = cl.request("GET", path)
    check(st == 200 and sha256(data) == desc["digest"] and len(data) == desc["size"],
          "GET %s -> %d, %d bytes with that digest" % (path, st, len(data)))
    if "docker-content-digest" in h:
        check(h["docker-content-digest"] == desc["digest"], "%s: Docker-Content-Digest" % path)
    if ranged and desc["size"] >= 20:
        st, h, part = cl.request("GET", path, {"Range": "bytes=10-19"})
        check(st == 206 and part == data[10:20] and h.get("content-range") == "bytes 10-19/%d" % desc["size"],
              "GET %s Range bytes=10-19 -> %d %s" % (path, st, h.get("content-range")))


def check_image(cl, name, ref, want_digest=None, seen=None):
    res = check_manifest(cl, name, ref, want_digest)
    if res is None:
        return None
    digest, ctype, doc = res
    if ctype in INDEX_TYPES:
        for child in doc.get("manifests", []):
            check_image(cl, name, child["digest"], child["digest"], seen)
    else:
        descs = [doc["config"]] + doc.get("layers", [])
        for i, d in enumerate(descs):
            check_blob(cl, name, d, ranged=(i == len(descs) - 1))
    return digest


def list_pages(cl, first):
    """Follow Link rel=next from `first`; the entries of every page, in order, and the page count."""
    out, path, pages = [], first, 0
    while path and pages < 1000:
        st, h, data = cl.request("GET", path)
        if not check(st == 200, "GET %s -> %d" % (path, st)):
            return None, pages
        doc = json.loads(data)
        out += doc.get("tags", doc.get("repositories")) or []
        pages += 1
        m = re.match(r'<([^>]+)>;\s*rel="next"', h.get("link", ""))
        path = m.group(1) if m else None
    return out, pages


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flags = {a for a in sys.argv[1:] if a.startswith("--")}
    if len(args) != 3 or not flags <= {"--read-only", "--strict"}:
        print(__doc__, file=sys.stderr)
        return 2
    base, name, tag = args
    cl = Client(base)

    st, h, _ = cl.request("GET", "/v2/")
    check(st == 200, "GET /v2/ -> %d" % st)
    digest = check_image(cl, name, tag)
    if digest is None:
        print("not ok - cannot continue without the manifest")
        return 1

    expect_error(cl, "GET", "/v2/%s/manifests/no-such-tag-x9" % name, 404, ["MANIFEST_UNKNOWN"], "unknown tag")
    expect_error(cl, "HEAD", "/v2/%s/manifests/no-such-tag-x9" % name, 404, [], "unknown tag")
    expect_error(cl, "GET", "/v2/%s/manifests/%s" % (name, ZERO), 404, ["MANIFEST_UNKNOWN"], "unknown digest")
    expect_error(cl, "GET", "/v2/%s/blobs/%s" % (name, ZERO), 404, ["BLOB_UNKNOWN"], "unknown blob")
    expect_error(cl, "HEAD", "/v2/%s/blobs/%s" % (name, ZERO), 404, [], "unknown blob")
    expect_error(cl, "GET", "/v2/%s/no-such-repo-x9/manifests/%s" % (name, tag), 404,
                 ["NAME_UNKNOWN", "MANIFEST_UNKNOWN"], "unknown repository")

    st, h, data = cl.request("GET", "/v2/%s/tags/list" % name)
    if check(st == 200, "GET tags/list -> %d" % st):
        doc = json.loads(data)
        tags = doc.get("tags") or []
        check(doc.get("name") == name, "tags/list name %s" % doc.get("name"))
        check(tag in tags, "tags/list contains %s" % tag)
        check(tags == sorted(tags), "tags/list is in lexical order")
        st, _, data = cl.request("GET", "/v2/%s/tags/list?n=1" % name)
        if "--strict" not in flags and len(json.loads(data).get("tags") or []) > 1:
            print("ok - tags/list ignores n (docker-registry 2.8 does): pagination not checked")
            return_early = True
        else:
            return_early = False
            paged, pages = list_pages(cl, "/v2/%s/tags/list?n=1" % name)
            check(paged == tags and pages == max(len(tags), 1),
                  "tags/list n=1 with Link: %d pages give the same %d tags" % (pages, len(tags)))
        if tags and not return_early:
            st, _, data = cl.request("GET", "/v2/%s/tags/list?n=%d&last=%s" % (name, len(tags), tags[0]))
            check(st == 200 and (json.loads(data).get("tags") or []) == tags[1:], "tags/list last=%s" % tags[0])
    st, h, data = cl.request("GET", "/v2/_catalog")
    if st == 200:
        check(name in (json.loads(data).get("repositories") or []), "_catalog lists %s" % name)
    else:
        print("ok - _catalog not offered (%d): optional in the spec" % st)

    if "--read-only" in flags:
        writes = [("POST", "/v2/%s/blobs/uploads/" % name, b""),
                  ("PUT", "/v2/%s/manifests/%s" % (name, tag), b"{}"),
                  ("PATCH", "/v2/%s/blobs/uploads/x" % name, b"x"),
                  ("DELETE", "/v2/%s/manifests/%s" % (name, digest), None),
                  ("DELETE", "/v2/%s/blobs/%s" % (name, ZERO), None)]
        for method, path, body in writes:
            st, h, data = cl.request(method, path, {"Content-Type": "application/octet-stream"}, body, False)
            codes = error_codes(h, data)
            ok = st == 405 and (codes is None or "UNSUPPORTED" in codes)
            note = "" if codes is not None else " (plain-text body, not the spec's JSON)"
            check(ok, "%s %s refused -> %d %s%s" % (method, path, st, codes, note))
        res = check_manifest(cl, name, tag, digest)
        check(res is not None, "after the refused writes the tag still names %s" % digest)

    if "--strict" in flags:
        for bad in ("Upper/case", "a//b", "a..b", "-lead", "trail-"):
            expect_error(cl, "GET", "/v2/%s/manifests/%s" % (bad, tag), 400, ["NAME_INVALID"], "invalid name")
        for bad in ("sha256:../../etc/passwd", "sha256:" + "A" * 64, "sha256:abc", "md5:" + "0" * 32):
            expect_error(cl, "GET", "/v2/%s/blobs/%s" % (name, bad), 400, ["DIGEST_INVALID"], "invalid digest")
        check(cl.api_header_everywhere, "Docker-Distribution-API-Version: registry/2.0 on every GET and HEAD answer")

    print("%d check(s) failed" % failures if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
