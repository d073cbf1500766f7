#!/usr/bin/env bash
# The scan gate on container images: an OCI source syncs, from Debian's docker-registry on loopback, an
# image whose one layer holds the 68-byte EICAR test file and a clean image; ClamAV's own signed test
# database (../shared/fixtures/clamav/test-6.cvd) is mirrored by sluice as the scan source. The infected
# image's snapshot has exactly one malware finding, naming the layer blob (its digest, taken from the
# manifest the registry serves) and the member path inside the layer; approval is refused (exit 6). The
# clean image's snapshot has no finding and approves.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/oci_fixture.sh"
oci_fixture_require

fx=${SL_SOURCE_DIR:-$here/../..}/../shared/fixtures/clamav
[ -r "$fx/test-6.cvd" ] || sl_skip "no ClamAV fixtures at $fx (../shared/fixtures/clamav)"
www=$SL_TMP/www
mkdir -p "$www/clamav"
cp -f "$fx/test-6.cvd" "$www/clamav/test.cvd"
chmod -R u+w "$www"
sl_start_nginx "$www"

EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
# Layers are written with GNU tar and added as they are (umoci raw add-layer): umoci 0.4.7's `insert`
# (oci_fixture_image) writes a layer tar without the padding after the last member and without the
# end-of-archive blocks, which the scanner rightly reports as an "unreadable" archive.
lay=$SL_TMP/layout
umoci init --layout "$lay" >/dev/null
image() {   # TAG ROOTDIR
	tar -C "$2" --owner=0 --group=0 -cf "$SL_TMP/$1.tar" .
	umoci new --image "$lay:$1" >/dev/null
	umoci raw add-layer --image "$lay:$1" "$SL_TMP/$1.tar" >/dev/null
	umoci config --image "$lay:$1" --os linux --architecture amd64 >/dev/null
}
mkdir -p "$SL_TMP/infected-root/opt/app" "$SL_TMP/clean-root/opt/app"
printf '%s' "$EICAR" >"$SL_TMP/infected-root/opt/app/eicar.com"
echo "an innocent file" >"$SL_TMP/infected-root/opt/app/README"
echo "an innocent file" >"$SL_TMP/clean-root/opt/app/README"
image infected "$SL_TMP/infected-root"
image clean "$SL_TMP/clean-root"
oci_fixture_registry basic
oci_push "oci:$lay:infected" test/infected:v1
oci_push "oci:$lay:clean" test/clean:v1
# The infected layer, as the registry serves the manifest.
layer=$(oci_raw test/infected:v1 | python3 -c 'import json,sys; l=json.load(sys.stdin)["layers"]; assert len(l)==1; print(l[0]["digest"].split(":")[1])')

state=$SL_TMP/state
conf=$SL_TMP/sluice.conf
cat >"$conf" <<CONF
[sluice]
state_dir = $state
[syncd]
retries = 0
[scan]
clamav_source = av
[source av]
type = clamav
url = http://127.0.0.1:$SL_NGINX_PORT/clamav
databases = test
[source infected]
type = oci
registry = http://$OCI_REG
images = test/infected:v1
username = $OCI_USER
password_file = $OCI_PASS_FILE
[source clean]
type = oci
registry = http://$OCI_REG
images = test/clean:v1
username = $OCI_USER
password_file = $OCI_PASS_FILE
CONF
S() { "$SL_ADMIN" -c "$conf" "$@"; }
pending_id() { S --json pending "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'; }

S init >/dev/null
S sync av >"$SL_TMP/sync-av.out" 2>&1 || { cat "$SL_TMP/sync-av.out"; sl_fail "sync of the ClamAV source failed"; }
grep -q "published" "$SL_TMP/sync-av.out" || sl_fail "the ClamAV source was not auto-published"

S sync infected >"$SL_TMP/sync1.out" 2>&1 || true
grep -q "1 finding(s), 1 undecided" "$SL_TMP/sync1.out" || sl_fail "infected image sync: $(cat "$SL_TMP/sync1.out")"
snap=$(pending_id infected)
S --json findings "$snap" >"$SL_TMP/f.json"
python3 - "$SL_TMP/f.json" "$layer" <<'PY' || sl_fail "the finding does not name the layer blob and member: $(cat "$SL_TMP/f.json")"
import json, sys
f = json.load(open(sys.argv[1]))
assert len(f) == 1, f
x = f[0]
assert x["kind"] == "malware" and x["blocking"] and x["decision"] is None, x
assert x["artifact"].endswith(sys.argv[2]) and x["digest"] == sys.argv[2], x
assert x["member"] is not None and x["member"].endswith("opt/app/eicar.com"), x
assert "Eicar-Test-Signature" in x["detail"], x
PY
S findings "$snap" | grep -q "$layer.*eicar.com.*Eicar-Test-Signature" || sl_fail "human output: $(S findings "$snap")"
rc=0; S approve "$snap" --reason "CHG-1" 2>"$SL_TMP/err" || rc=$?
[ $rc = 6 ] || sl_fail "approve of the infected image: exit $rc, want 6"
grep -q "Eicar-Test-Signature" "$SL_TMP/err" || sl_fail "the refusal does not name the signature: $(cat "$SL_TMP/err")"

S sync clean >"$SL_TMP/sync2.out" 2>&1 || true
grep -q "0 finding(s), 0 undecided" "$SL_TMP/sync2.out" || sl_fail "clean image sync: $(cat "$SL_TMP/sync2.out")"
snap2=$(pending_id clean)
[ "$(S --json findings "$snap2")" = "[]" ] || sl_fail "the clean image has findings: $(S --json findings "$snap2")"
S approve "$snap2" --reason "clean" >/dev/null || sl_fail "approve of the clean image failed"
sl_log "ok"
