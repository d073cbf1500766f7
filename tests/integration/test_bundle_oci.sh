#!/usr/bin/env bash
# OCI across the air gap: Debian's docker-registry seeded with umoci images -> the DMZ syncs and exports ->
# the inside (from = bundle, no registry named) imports and an administrator approves -> skopeo inspect and
# copy from the inside's sluice-served give the upstream's digests and bytes (an image and a two-platform
# index with --all). A delta after one tag moves carries exactly the new manifest and layer objects.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/oci_fixture.sh"
. "$here/bundle_fixture.sh"
oci_fixture_require

lay=$SL_TMP/layout
oci_fixture_layout "$lay"
oci_fixture_registry basic
oci_push "oci:$lay:v1-amd64" test/app:v1
oci_push --all "oci:$lay:multi" test/multi:v1
state=$SL_TMP/state
conf=$SL_TMP/sluice.conf
cat >"$conf" <<CONF
[sluice]
state_dir = $state
[syncd]
retries = 0
[source hub]
type = oci
registry = http://$OCI_REG
images = test/app:v1 test/multi:v1
username = $OCI_USER
password_file = $OCI_PASS_FILE
approve = manual
CONF
S() { "$SL_ADMIN" -c "$conf" "$@"; }
S init >/dev/null
S sync hub >"$SL_TMP/sync.out" || { cat "$SL_TMP/sync.out"; sl_fail "DMZ sync"; }
bundle_inside "[source hub]
type = oci
from = bundle
images = test/app:v1 test/multi:v1
approve = manual"
vol=$(bundle_export hub --to "$SL_TMP/b1")
seq1=$(export_field sequence)
I import "$vol" >"$SL_TMP/imp.out" || { cat "$SL_TMP/imp.out"; sl_fail "import"; }
snap=$(in_pending hub)
[ -n "$snap" ] || sl_fail "no pending snapshot: $(cat "$SL_TMP/imp.out")"
I approve "$snap" --reason "CHG-7 images carried in" >/dev/null
[ "$(id -u)" -eq 0 ] && chmod -R a+rX "$in_state/public"
REG=127.0.0.1:$in_port
v1=$(oci_digest test/app:v1)
got=$(skopeo inspect --raw --tls-verify=false "docker://$REG/hub/test/app:v1" | sha256sum | cut -c1-64)
[ "$got" = "$v1" ] || sl_fail "skopeo inspect through the inside: $got, want $v1"
skopeo copy -q --src-tls-verify=false "docker://$REG/hub/test/app:v1" "oci:$SL_TMP/from-inside:x" >/dev/null
skopeo copy -q --src-tls-verify=false --src-creds "$(oci_creds)" "docker://$OCI_REG/test/app:v1" \
	"oci:$SL_TMP/from-upstream:x" >/dev/null
diff <(cd "$SL_TMP/from-inside/blobs/sha256" && sha256sum -- *) \
	<(cd "$SL_TMP/from-upstream/blobs/sha256" && sha256sum -- *) >/dev/null ||
	sl_fail "skopeo copy: blobs from the inside differ from the upstream's"
multi=$(oci_digest test/multi:v1)
skopeo copy -q --all --src-tls-verify=false "docker://$REG/hub/test/multi:v1" "oci:$SL_TMP/multi:x" >/dev/null
grep -q "sha256:$multi" "$SL_TMP/multi/index.json" || sl_fail "skopeo copy --all: index digest changed"

# ---- one tag moves upstream: the delta carries exactly the objects the new snapshot adds
oci_push "oci:$lay:v2-amd64" test/app:v1
S sync hub >"$SL_TMP/sync2.out" || { cat "$SL_TMP/sync2.out"; sl_fail "DMZ sync 2"; }
d1=$(S --json snapshots hub | python3 -c 'import json,sys; print(json.load(sys.stdin)[1]["id"])')
d2=$(S --json snapshots hub | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
want=$(python3 - "$d1" "$d2" <<PY
import json, subprocess, sys
def ents(i): return {e["sha256"]: e["size"] for e in json.loads(subprocess.check_output(["$SL_ADMIN", "-c", "$conf", "--json", "show", i]))["entries"]}
old, new = ents(sys.argv[1]), ents(sys.argv[2])
add = {k: v for k, v in new.items() if k not in old}
print(len(add), sum(add.values()))
PY
)
vol2=$(bundle_export hub --since "$seq1" --to "$SL_TMP/b2")
[ "$(export_field objects) $(export_field object_bytes)" = "$want" ] ||
	sl_fail "OCI delta carries $(export_field objects) $(export_field object_bytes), want $want"
I import "$vol2" >/dev/null || sl_fail "delta import"
snap2=$(in_pending hub)
I approve "$snap2" --reason "CHG-8" >/dev/null
[ "$(id -u)" -eq 0 ] && chmod -R a+rX "$in_state/public"
v2=$(oci_digest test/app:v1)
got=$(skopeo inspect --raw --tls-verify=false "docker://$REG/hub/test/app:v1" | sha256sum | cut -c1-64)
[ "$got" = "$v2" ] || sl_fail "the moved tag through the inside: $got, want $v2"
echo "bundle oci: ok"
