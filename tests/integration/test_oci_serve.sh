#!/bin/bash
# test_oci_serve: the real sluice-served binary as a registry for skopeo. Images are built here with umoci
# (a two-layer image, its arm64 variant, a two-platform index, and the same image in Docker v2s2 form via
# skopeo), laid out as the publisher's tree (oci_tree.py), then: skopeo inspect and skopeo copy from
# sluice-served give the digests the images have; the containerd (?ns=) and Docker registry-mirrors name
# forms resolve, and contrib/clients/registries.conf makes skopeo pull docker.io images from sluice; the
# spec's pull workflow (oci_conformance.py) passes against sluice-served in --read-only --strict mode and,
# as a check of the checks, against docker-registry serving the same image.
. "$(dirname "$0")/lib.sh"

for t in umoci skopeo curl python3; do
	command -v "$t" >/dev/null || sl_skip "$t is not installed"
done
[ -x "$SL_SERVED" ] || sl_skip "$SL_SERVED not built"
HERE=$SL_LIB_DIR

# --- images ---------------------------------------------------------------------------------------------
L=$SL_TMP/layout
umoci init --layout "$L"
umoci new --image "$L:v1"
for n in 1 2; do
	rm -rf "$SL_TMP/bundle"
	umoci unpack --rootless --image "$L:v1" "$SL_TMP/bundle" >/dev/null
	mkdir -p "$SL_TMP/bundle/rootfs/data"
	head -c $((n * 700000)) /dev/urandom >"$SL_TMP/bundle/rootfs/data/layer$n"
	umoci repack --image "$L:v1" "$SL_TMP/bundle" >/dev/null
done
umoci config --image "$L:v1" --tag arm --architecture arm64 >/dev/null
# A two-platform OCI index over v1 (amd64) and arm (arm64), added to the layout as "multi".
python3 - "$L" <<'EOF'
import hashlib, json, os, sys
L = sys.argv[1]
idx = json.load(open(os.path.join(L, "index.json")))
by = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in idx["manifests"]}
kids = []
for ref, arch in (("v1", "amd64"), ("arm", "arm64")):
    d = dict(by[ref]); d.pop("annotations", None)
    d["platform"] = {"architecture": arch, "os": "linux"}
    kids.append(d)
body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": kids}, separators=(",", ":")).encode()
h = hashlib.sha256(body).hexdigest()
open(os.path.join(L, "blobs", "sha256", h), "wb").write(body)
idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + h,
                         "size": len(body), "annotations": {"org.opencontainers.image.ref.name": "multi"}})
json.dump(idx, open(os.path.join(L, "index.json"), "w"))
EOF
skopeo copy --quiet --format v2s2 "oci:$L:v1" "dir:$SL_TMP/v2s2"

# --- the published tree ---------------------------------------------------------------------------------
STATE=$SL_TMP/state
GEN=$STATE/public/.gen/oci-hub-1
mkdir -p "$GEN" "$STATE/public/oci"
D_V1=$(python3 "$HERE/oci_tree.py" "$GEN" library/alpine 3.20 "oci:$L:v1")
python3 "$HERE/oci_tree.py" "$GEN" library/alpine latest "oci:$L:v1" >/dev/null
D_ARM=$(python3 "$HERE/oci_tree.py" "$GEN" library/alpine arm "oci:$L:arm")
D_MULTI=$(python3 "$HERE/oci_tree.py" "$GEN" library/multi 1 "oci:$L:multi")
D_V2S2=$(python3 "$HERE/oci_tree.py" "$GEN" team/legacy 1 "dir:$SL_TMP/v2s2")
ln -s ../.gen/oci-hub-1 "$STATE/public/oci/hub"
sl_log "tree: alpine:3.20 $D_V1, multi:1 $D_MULTI, legacy:1 (v2s2) $D_V2S2"

# --- sluice-served ---------------------------------------------------------------------------------------
PORT=$(sl_free_port)
USER_LINE=$(sl_served_user_line "$STATE")
cat >"$SL_TMP/sluice.conf" <<EOF
[sluice]
state_dir = $STATE

[served]
listen = 127.0.0.1:$PORT
threads = 2
$USER_LINE

[source hub]
type = oci
registry = https://registry-1.docker.io
images = library/alpine:3.20
EOF
"$SL_SERVED" -c "$SL_TMP/sluice.conf" -n >/dev/null || sl_fail "config refused: $("$SL_SERVED" -c "$SL_TMP/sluice.conf" -n 2>&1)"
sl_start_bg "$SL_TMP/served.log" "$SL_SERVED" -c "$SL_TMP/sluice.conf" -f
sl_wait_for_line "$SL_TMP/served.log" "^serving on "
REG=127.0.0.1:$PORT
TLS=--tls-verify=false

# --- skopeo ----------------------------------------------------------------------------------------------
digest_of() { skopeo inspect "$TLS" --format '{{.Digest}}' "docker://$REG/$1"; }
raw_digest() { skopeo inspect "$TLS" --raw "docker://$REG/$1" | sha256sum | sed 's/ .*//; s/^/sha256:/'; }
[ "$(digest_of hub/library/alpine:3.20)" = "$D_V1" ] || sl_fail "skopeo inspect alpine:3.20: $(digest_of hub/library/alpine:3.20)"
[ "$(raw_digest hub/library/alpine:3.20)" = "$D_V1" ] || sl_fail "skopeo inspect --raw: bytes differ"
[ "$(raw_digest hub/library/multi:1)" = "$D_MULTI" ] || sl_fail "index bytes differ"
[ "$(raw_digest hub/team/legacy:1)" = "$D_V2S2" ] || sl_fail "v2s2 bytes differ"
skopeo inspect "$TLS" "docker://$REG/hub/library/alpine:3.20" | grep -q '"Architecture": "amd64"' ||
	sl_fail "skopeo inspect: config not read"
skopeo list-tags "$TLS" "docker://$REG/hub/library/alpine" | python3 -c '
import json, sys; t = json.load(sys.stdin)["Tags"]; sys.exit(0 if t == ["3.20", "arm", "latest"] else 1)' ||
	sl_fail "skopeo list-tags: $(skopeo list-tags "$TLS" "docker://$REG/hub/library/alpine")"

# A full pull: same manifest digest, every blob byte-identical.
skopeo copy --quiet --src-tls-verify=false "docker://$REG/hub/library/alpine:3.20" "oci:$SL_TMP/pull:x"
python3 - "$SL_TMP/pull" "$D_V1" "$L" <<'EOF' || sl_fail "skopeo copy: pulled image differs"
import hashlib, json, os, sys
out, want, src = sys.argv[1:]
m = [d for d in json.load(open(os.path.join(out, "index.json")))["manifests"]]
assert len(m) == 1 and m[0]["digest"] == want, m
for h in os.listdir(os.path.join(out, "blobs", "sha256")):
    data = open(os.path.join(out, "blobs", "sha256", h), "rb").read()
    assert hashlib.sha256(data).hexdigest() == h, h
    assert data == open(os.path.join(src, "blobs", "sha256", h), "rb").read(), h
EOF
# The index whole (--all), and one platform out of it.
skopeo copy --quiet --all --src-tls-verify=false "docker://$REG/hub/library/multi:1" "oci:$SL_TMP/all:x"
grep -q "\"$D_MULTI\"" "$SL_TMP/all/index.json" || sl_fail "skopeo copy --all: index digest changed"
skopeo copy --quiet --override-arch arm64 --src-tls-verify=false "docker://$REG/hub/library/multi:1" \
	"oci:$SL_TMP/arm:x"
grep -q "\"$D_ARM\"" "$SL_TMP/arm/index.json" || sl_fail "skopeo copy arm64 out of the index: wrong manifest"
skopeo copy --quiet --src-tls-verify=false "docker://$REG/hub/team/legacy:1" "dir:$SL_TMP/legacy"
cmp -s "$SL_TMP/legacy/manifest.json" "$SL_TMP/v2s2/manifest.json" || sl_fail "v2s2 manifest changed on the way"
sl_log "skopeo inspect, list-tags, copy (image, --all index, one platform, v2s2): digests identical"

# Refused by the registry, not by skopeo's guesswork.
if skopeo inspect "$TLS" "docker://$REG/hub/library/alpine:nope" >/dev/null 2>"$SL_TMP/err"; then
	sl_fail "unknown tag inspected"
fi
grep -qi "manifest unknown" "$SL_TMP/err" || sl_fail "unknown tag: $(cat "$SL_TMP/err")"
if skopeo copy --quiet "$TLS" "oci:$L:v1" "docker://$REG/hub/library/pushed:1" 2>"$SL_TMP/err"; then
	sl_fail "skopeo pushed into the mirror"
fi
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$REG/v2/hub/library/pushed/tags/list")" = 404 ] ||
	sl_fail "a push left something behind"

# --- mirror name forms --------------------------------------------------------------------------------------
hdr_digest() { curl -s -o /dev/null -D - -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$1" |
	tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'; }
[ "$(hdr_digest "http://$REG/v2/library/alpine/manifests/3.20?ns=docker.io")" = "$D_V1" ] ||
	sl_fail "containerd form (?ns=docker.io)"
[ "$(hdr_digest "http://$REG/v2/library/alpine/manifests/3.20")" = "$D_V1" ] || sl_fail "Docker registry-mirrors form"
[ "$(hdr_digest "http://$REG/v2/alpine/manifests/3.20")" = "$D_V1" ] || sl_fail "Docker form without library/"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$REG/v2/library/alpine/manifests/3.20?ns=quay.io")" = 404 ] ||
	sl_fail "?ns= of a registry no source mirrors"
# contrib's podman/containers registries.conf, used as is by skopeo: docker.io names come from sluice.
sed "s/SLUICE:8080/$REG/g" "$SL_SOURCE_DIR/contrib/clients/registries.conf" >"$SL_TMP/registries.conf"
skopeo --registries-conf "$SL_TMP/registries.conf" copy --quiet docker://docker.io/library/alpine:3.20 \
	"oci:$SL_TMP/podman:x" || sl_fail "contrib/clients/registries.conf: docker.io through sluice"
grep -q "\"$D_V1\"" "$SL_TMP/podman/index.json" || sl_fail "contrib/clients/registries.conf: wrong image"

# --- the spec's pull workflow ----------------------------------------------------------------------------------
python3 "$HERE/oci_conformance.py" "http://$REG" hub/library/alpine 3.20 --read-only --strict >"$SL_TMP/conf.out" ||
	{ grep -v '^ok' "$SL_TMP/conf.out" >&2; sl_fail "conformance (image) against sluice-served"; }
python3 "$HERE/oci_conformance.py" "http://$REG" hub/library/multi 1 --read-only --strict >"$SL_TMP/conf2.out" ||
	{ grep -v '^ok' "$SL_TMP/conf2.out" >&2; sl_fail "conformance (index) against sluice-served"; }
sl_log "conformance: $(grep -c '^ok' "$SL_TMP/conf.out") + $(grep -c '^ok' "$SL_TMP/conf2.out") checks passed"

# The checks themselves, against the reference registry serving the same image.
if command -v docker-registry >/dev/null; then
	RPORT=$(sl_free_port)
	mkdir -p "$SL_TMP/registry"
	cat >"$SL_TMP/registry/config.yml" <<EOF
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $SL_TMP/registry/data }, delete: { enabled: false } }
http: { addr: 127.0.0.1:$RPORT }
EOF
	sl_start_bg "$SL_TMP/registry/log" docker-registry serve "$SL_TMP/registry/config.yml"
	sl_wait_port "$RPORT" 20 || sl_fail "docker-registry did not start: $(cat "$SL_TMP/registry/log")"
	skopeo copy --quiet --dest-tls-verify=false "oci:$L:v1" "docker://127.0.0.1:$RPORT/library/alpine:3.20"
	skopeo copy --quiet --dest-tls-verify=false "oci:$L:arm" "docker://127.0.0.1:$RPORT/library/alpine:arm"
	python3 "$HERE/oci_conformance.py" "http://127.0.0.1:$RPORT" library/alpine 3.20 >"$SL_TMP/conf3.out" ||
		{ grep -v '^ok' "$SL_TMP/conf3.out" >&2; sl_fail "conformance checks fail against docker-registry"; }
	sl_log "conformance checks also pass against docker-registry $(docker-registry --version | awk '{print $3}')"
fi
echo "test_oci_serve: passed"
