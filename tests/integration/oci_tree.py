#!/usr/bin/env python3
"""Lay out an image as sluice's published OCI tree (what the publisher produces; served/oci.h):

    oci_tree.py GEN_DIR REPO TAG oci:LAYOUT_DIR:REF    an image or index of an OCI image layout (umoci's)
    oci_tree.py GEN_DIR REPO TAG dir:DIR               skopeo's dir: transport (manifest.json + blobs)

writes GEN_DIR/REPO/_tags/TAG, _manifests/<hex> (+ .type) for the manifest and, for an index, every
child, _blobs/<hex> for every config and layer (hard links when possible), and rewrites GEN_DIR/_catalog.
Prints the manifest's digest."""

import hashlib
import json
import os
import shutil
import sys


def put(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def link(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if os.path.exists(dst):
        return
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    gen, repo, tag, src = sys.argv[1:]
    kind, _, where = src.partition(":")
    if kind == "oci":
        layout, _, ref = where.rpartition(":")
        blob = lambda hexd: os.path.join(layout, "blobs", "sha256", hexd)
        with open(os.path.join(layout, "index.json")) as f:
            top = [m for m in json.load(f)["manifests"]
                   if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref]
        if len(top) != 1:
            print("oci_tree: %s: no single manifest named %s" % (layout, ref), file=sys.stderr)
            return 1
        hexd = top[0]["digest"].split(":", 1)[1]
        data = open(blob(hexd), "rb").read()
    elif kind == "dir":
        blob = lambda hexd: os.path.join(where, hexd)
        data = open(os.path.join(where, "manifest.json"), "rb").read()
        hexd = hashlib.sha256(data).hexdigest()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    base = os.path.join(gen, repo)

    def add_manifest(hexd, data):
        doc = json.loads(data)
        mtype = doc.get("mediaType", "application/vnd.oci.image.manifest.v1+json")
        put(os.path.join(base, "_manifests", hexd), data)
        put(os.path.join(base, "_manifests", hexd + ".type"), (mtype + "\n").encode())
        for child in doc.get("manifests", []):
            chex = child["digest"].split(":", 1)[1]
            add_manifest(chex, open(blob(chex), "rb").read())
        for d in ([doc["config"]] if "config" in doc else []) + doc.get("layers", []):
            dhex = d["digest"].split(":", 1)[1]
            link(blob(dhex), os.path.join(base, "_blobs", dhex))

    add_manifest(hexd, data)
    put(os.path.join(base, "_tags", tag), (hexd + "\n").encode())
    repos = []
    for root, dirs, _ in os.walk(gen):
        if "_manifests" in dirs:
            repos.append(os.path.relpath(root, gen))
        dirs[:] = [d for d in dirs if not d.startswith("_")]
    put(os.path.join(gen, "_catalog"), "".join(r + "\n" for r in sorted(repos)).encode())
    print("sha256:" + hexd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
