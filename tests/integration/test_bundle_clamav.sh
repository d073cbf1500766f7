#!/usr/bin/env bash
# ClamAV across the air gap, with ClamAV's real test databases (../shared/fixtures/clamav, signed with
# ClamAV's production key): the DMZ syncs test.cvd version 6 with test-2..6.cdiff and exports; the inside
# (from = bundle, approve = auto, ClamAV's default) imports, re-verifies and publishes; stock freshclam
# updates from version 1 through the cdiffs, and by full download, from the inside's sluice-served, and gets
# the upstream's bytes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/bundle_fixture.sh"
fx=${SL_SOURCE_DIR:-$here/../..}/../shared/fixtures/clamav
[ -r "$fx/test-6.cvd" ] || sl_skip "no ClamAV fixtures at $fx (../shared/fixtures/clamav)"
command -v freshclam >/dev/null || sl_skip "freshclam is not installed (clamav-freshclam)"

up=$SL_TMP/upstream
mkdir -p "$up"
cp -f "$fx/test-6.cvd" "$up/test.cvd"
for k in 2 3 4 5 6; do cp -f "$fx/test-$k.cdiff" "$up/"; done
chmod -R u+w "$up"
sl_start_nginx "$up"
state=$SL_TMP/state
conf=$SL_TMP/sluice.conf
cat >"$conf" <<CONF
[sluice]
state_dir = $state
[syncd]
retries = 0
[source clam]
type = clamav
url = http://127.0.0.1:$SL_NGINX_PORT
databases = test
CONF
S() { "$SL_ADMIN" -c "$conf" "$@"; }
S init >/dev/null
S sync clam >"$SL_TMP/sync.out" || { cat "$SL_TMP/sync.out"; sl_fail "DMZ sync"; }
IN_SERVED_EXTRA="access_log = $SL_TMP/in-access.log" bundle_inside "[source clam]
type = clamav
from = bundle
databases = test"
vol=$(bundle_export clam --to "$SL_TMP/b")
I import "$vol" >"$SL_TMP/imp.out" || { cat "$SL_TMP/imp.out"; sl_fail "import"; }
grep -q "auto-approved" "$SL_TMP/imp.out" || sl_fail "approve = auto did not publish the import: $(cat "$SL_TMP/imp.out")"
[ "$(id -u)" -eq 0 ] && chmod -R a+rX "$in_state/public"
base=$in_base/clamav/clam
for f in test.cvd test-2.cdiff test-6.cdiff; do
	cmp -s <(curl -sf "$base/$f") "$up/$f" || sl_fail "$f from the inside differs from upstream"
done

fc() {   # DIR MODE-LINE
	local dir=$1
	mkdir -p "$dir/db"
	printf 'DatabaseDirectory %s/db\nUpdateLogFile %s/freshclam.log\nDNSDatabaseInfo no\nScriptedUpdates yes\nForeground yes\nMaxAttempts 1\n%s\n' \
		"$dir" "$dir" "$2" >"$dir/freshclam.conf"
	if [ "$(id -u)" -eq 0 ]; then
		echo "DatabaseOwner nobody" >>"$dir/freshclam.conf"
		chown -R nobody "$dir"
		chmod 755 "$dir"
	fi
}
fcdir=$SL_TMP/fc-mirror
fc "$fcdir" "DatabaseMirror $base"
cp -f "$fx/test-1.cvd" "$fcdir/db/test.cvd"
[ "$(id -u)" -eq 0 ] && chown -R nobody "$fcdir"
freshclam --config-file="$fcdir/freshclam.conf" --update-db=test >"$SL_TMP/fc1.out" 2>&1 ||
	{ cat "$SL_TMP/fc1.out"; sl_fail "freshclam (DatabaseMirror) failed"; }
grep -q "GET /clamav/clam/test-6.cdiff" "$SL_TMP/in-access.log" || sl_fail "freshclam did not use the cdiffs"
pmdir=$SL_TMP/fc-private
fc "$pmdir" "PrivateMirror $base"
freshclam --config-file="$pmdir/freshclam.conf" --update-db=test >"$SL_TMP/fc2.out" 2>&1 ||
	{ cat "$SL_TMP/fc2.out"; sl_fail "freshclam (PrivateMirror) failed"; }
cmp -s "$pmdir/db/test.cvd" "$fx/test-6.cvd" || sl_fail "freshclam did not get test.cvd version 6 byte for byte"
echo "bundle clamav: ok"
