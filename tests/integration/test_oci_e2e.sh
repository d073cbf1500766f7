#!/usr/bin/env bash
# OCI end to end: Debian's docker-registry (basic auth) seeded with umoci images -> sluice sync -> pending
# (invisible in sluice-served) -> approve -> skopeo inspect / copy from sluice-served give the upstream's
# digests and bytes (an image, and a two-platform index with --all); the spec's pull workflow passes; the
# containerd ?ns= form resolves; a moved tag stays old until its snapshot is approved, then serves the new
# manifest; a rollback serves the old one again and hides the blob only the new image had.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/oci_fixture.sh"
oci_fixture_require
[ -x "$SL_SERVED" ] && [ -x "$SL_ADMIN" ] || sl_skip "sluice binaries not built"

lay=$SL_TMP/layout
oci_fixture_layout "$lay"
oci_fixture_registry basic
oci_push "oci:$lay:v1-amd64" test/app:v1
oci_push "oci:$lay:v1-amd64" test/app:latest
oci_push --all "oci:$lay:multi" test/multi:v1

served_user=$(sl_served_user_line)
port=$(sl_free_port)
state=$SL_TMP/state
conf=$SL_TMP/sluice.conf
cat >"$conf" <<CONF
[sluice]
state_dir = $state
[syncd]
retries = 0
[served]
listen = 127.0.0.1:$port
$served_user
[source hub]
type = oci
registry = http://$OCI_REG
images = test/app:v1 test/app:latest test/multi:v1
username = $OCI_USER
password_file = $OCI_PASS_FILE
approve = manual
CONF
S() { "$SL_ADMIN" -c "$conf" "$@"; }
pending_id() { S --json pending | python3 -c "import json,sys; print([s['id'] for s in json.load(sys.stdin) if s['source'] == 'hub'][0])"; }
S init >/dev/null
[ "$(id -u)" -eq 0 ] && chmod 755 "$state"
sl_start_bg "$SL_TMP/served.log" "$SL_SERVED" -c "$conf" -f
sl_wait_for_line "$SL_TMP/served.log" "serving on"
REG=127.0.0.1:$port
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
served_digest() {   # the manifest digest sluice-served gives for REPO:TAG (sha256 hex)
	skopeo inspect --raw --tls-verify=false "docker://$REG/hub/$1" | sha256sum | cut -c1-64
}

# ---- pending is invisible, approved is served --------------------------------------------------------
S sync hub >"$SL_TMP/sync1.out" || { cat "$SL_TMP/sync1.out" >&2; sl_fail "first sync"; }
snap1=$(pending_id)
[ "$(code "http://$REG/v2/hub/test/app/manifests/v1")" = 404 ] || sl_fail "a pending snapshot is served"
S approve "$snap1" --reason "CHG-1 initial images" >/dev/null
[ "$(id -u)" -eq 0 ] && chmod -R a+rX "$state/public"   # hard links to store objects: readable by nobody

v1=$(oci_digest test/app:v1)
[ "$(served_digest test/app:v1)" = "$v1" ] || sl_fail "skopeo inspect: digest differs from the upstream's"
[ "$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG/hub/test/app:v1")" = "sha256:$v1" ] ||
	sl_fail "skopeo inspect: digest"
skopeo copy -q --src-tls-verify=false "docker://$REG/hub/test/app:v1" "oci:$SL_TMP/from-sluice:x" >/dev/null
skopeo copy -q --src-tls-verify=false --src-creds "$(oci_creds)" "docker://$OCI_REG/test/app:v1" \
	"oci:$SL_TMP/from-upstream:x" >/dev/null
diff <(cd "$SL_TMP/from-sluice/blobs/sha256" && sha256sum -- *) \
	<(cd "$SL_TMP/from-upstream/blobs/sha256" && sha256sum -- *) >/dev/null ||
	sl_fail "skopeo copy: blobs from sluice-served differ from the upstream's"
grep -q "sha256:$v1" "$SL_TMP/from-sluice/index.json" || sl_fail "skopeo copy: manifest digest changed"
multi=$(oci_digest test/multi:v1)
skopeo copy -q --all --src-tls-verify=false "docker://$REG/hub/test/multi:v1" "oci:$SL_TMP/multi:x" >/dev/null
grep -q "sha256:$multi" "$SL_TMP/multi/index.json" || sl_fail "skopeo copy --all: index digest changed"
sl_log "approved snapshot $snap1: skopeo inspect/copy from sluice-served match the upstream ($v1)"

python3 "$here/oci_conformance.py" "http://$REG" hub/test/app v1 --read-only --strict >"$SL_TMP/conf.out" ||
	{ grep -v '^ok' "$SL_TMP/conf.out" >&2; sl_fail "conformance against sluice-served"; }
python3 "$here/oci_conformance.py" "http://$REG" hub/test/multi v1 --read-only --strict >"$SL_TMP/conf2.out" ||
	{ grep -v '^ok' "$SL_TMP/conf2.out" >&2; sl_fail "conformance (index) against sluice-served"; }
d=$(curl -s -D - -o /dev/null "http://$REG/v2/test/app/manifests/v1?ns=$OCI_REG" | tr -d '\r' |
	sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')
[ "$d" = "sha256:$v1" ] || sl_fail "containerd form ?ns=$OCI_REG: '$d'"

# ---- a moved tag: old until approved -------------------------------------------------------------------
oci_push "oci:$lay:v2-amd64" test/app:latest
v2=$(oci_digest test/app:latest)
S sync hub >"$SL_TMP/sync2.out" || { cat "$SL_TMP/sync2.out" >&2; sl_fail "second sync"; }
snap2=$(pending_id)
[ "$(served_digest test/app:latest)" = "$v1" ] || sl_fail "the moved tag is served before approval"
v2_layer=$(skopeo inspect --raw --tls-verify=false --creds "$(oci_creds)" "docker://$OCI_REG/test/app:latest" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][-1]["digest"])')
[ "$(code "http://$REG/v2/hub/test/app/blobs/$v2_layer")" = 404 ] || sl_fail "a pending blob is served"
S approve "$snap2" --reason "CHG-2 latest moves" >/dev/null
[ "$(id -u)" -eq 0 ] && chmod -R a+rX "$state/public"
[ "$(served_digest test/app:latest)" = "$v2" ] || sl_fail "the approved move is not served"
[ "$(served_digest test/app:v1)" = "$v1" ] || sl_fail "v1 changed with latest"
[ "$(code "http://$REG/v2/hub/test/app/blobs/$v2_layer")" = 200 ] || sl_fail "the new layer is not served"
sl_log "moved tag: $v1 until snapshot $snap2 was approved, then $v2"

# ---- rollback --------------------------------------------------------------------------------------------
S rollback hub --reason "CHG-3 back to the first images" >/dev/null
[ "$(id -u)" -eq 0 ] && chmod -R a+rX "$state/public"
[ "$(served_digest test/app:latest)" = "$v1" ] || sl_fail "rollback: latest is not the old manifest"
grep -q BLOB_UNKNOWN <(curl -s "http://$REG/v2/hub/test/app/blobs/$v2_layer") ||
	sl_fail "rollback: the blob only the rolled-back image had is still served"
sl_log "rollback: latest is $v1 again, the newer layer is BLOB_UNKNOWN"
echo "test_oci_e2e: passed"
