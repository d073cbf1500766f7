#!/usr/bin/env bash
# sluice diff on ClamAV's real test databases (../shared/fixtures/clamav, signed with ClamAV's production
# key) against golden files (tests/data/diff/clamav/): nginx advertises test.cvd version 5 with its cdiffs,
# sync, approve; then version 6, sync: the diff of the pending snapshot says test.cvd went from version 5
# to 6 with both signature counts, in the human and the JSON output alike. Nothing in this output varies
# between runs (a fresh state dir numbers snapshots 1, 2), so it is compared byte for byte.
# SL_UPDATE_GOLDEN=1 rewrites the golden files from this run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

fx=$SL_SOURCE_DIR/../shared/fixtures/clamav
[ -r "$fx/test-5.cvd" ] && [ -r "$fx/test-6.cvd" ] && [ -r "$fx/test-6.cdiff" ] ||
	sl_skip "no ClamAV fixtures at $fx (../shared/fixtures/clamav: test-5.cvd, test-6.cvd, test-2..6.cdiff)"
golden=$SL_SOURCE_DIR/tests/data/diff/clamav

# upstream VERSION: nginx advertises test.cvd VERSION with test-2..VERSION.cdiff.
upstream() {
	local v=$1 k
	rm -f "$up"/*
	cp -f "$fx/test-$v.cvd" "$up/test.cvd"
	for k in $(seq 2 "$v"); do cp -f "$fx/test-$k.cdiff" "$up/"; done
	chmod -R u+w "$up"
	# A newer Last-Modified for each version: both copies may land in the same second, and the unchanged
	# probe is a conditional request.
	touch -d "@$((1700000000 + v * 3600))" "$up"/*
}
up=$SL_TMP/upstream
mkdir -p "$up"
upstream 5
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
cdiffs = 30
approve = manual
CONF
S() { "$SL_ADMIN" -c "$conf" "$@"; }
S init >/dev/null
pending_id() { S --json pending | python3 -c 'import json,sys; print([s["id"] for s in json.load(sys.stdin) if s["source"] == "clam"][0])'; }

# GOLDEN-NAME ACTUAL-FILE
check_golden() {
	local want=$golden/$1 got=$2
	if [ -n "${SL_UPDATE_GOLDEN:-}" ]; then
		cp "$got" "$want"
		sl_log "updated $want"
		return 0
	fi
	diff -u "$want" "$got" || sl_fail "$1: output differs from the golden file"
}

S sync clam >"$SL_TMP/sync1.out" 2>&1 || { cat "$SL_TMP/sync1.out"; sl_fail "sync of version 5 failed"; }
grep -q 'pending approval' "$SL_TMP/sync1.out" || { cat "$SL_TMP/sync1.out"; sl_fail "version 5 is not pending"; }
snap1=$(pending_id)
S approve "$snap1" --reason "CHG-1 test.cvd 5" >/dev/null

upstream 6
S sync clam >"$SL_TMP/sync2.out" 2>&1 || { cat "$SL_TMP/sync2.out"; sl_fail "sync of version 6 failed"; }
grep -q 'pending approval' "$SL_TMP/sync2.out" || { cat "$SL_TMP/sync2.out"; sl_fail "version 6 is not pending"; }
snap2=$(pending_id)
[ "$snap2" != "$snap1" ] || sl_fail "the second sync made no new snapshot"

S diff "$snap2" >"$SL_TMP/diff.txt"
S --json diff "$snap2" >"$SL_TMP/diff.json"
check_golden diff.txt "$SL_TMP/diff.txt"
check_golden diff.json "$SL_TMP/diff.json"

# Whatever the golden files say, the numbers are sigtool's, and both outputs carry the same change.
python3 - "$SL_TMP/diff.txt" "$SL_TMP/diff.json" "$(sigtool --info "$fx/test-5.cvd" 2>/dev/null || true)" \
	"$(sigtool --info "$fx/test-6.cvd" 2>/dev/null || true)" <<'PY'
import json, sys
human, data = open(sys.argv[1]).read().splitlines(), json.load(open(sys.argv[2]))
assert len(data["changes"]) == 1 and data["summary"] == {"updated": 1}, data
c = data["changes"][0]
assert (c["change"], c["path"], c["old_version"], c["new_version"]) == ("updated", "test", 5, 6), c
want = "updated test version %d (%d signatures) -> version %d (%d signatures)" % (
    c["old_version"], c["old_sigs"], c["new_version"], c["new_sigs"])
assert [" ".join(l.split()) for l in human[1:-1]] == [want], (human, want)
assert human[-1] == "summary: updated 1", human
for info, ver, sigs in ((sys.argv[3], 5, c["old_sigs"]), (sys.argv[4], 6, c["new_sigs"])):
    if not info:
        continue   # sigtool not installed: the golden files still hold the numbers
    f = dict(l.split(": ", 1) for l in info.splitlines() if ": " in l)
    assert (int(f["Version"]), int(f["Signatures"])) == (ver, sigs), (f, ver, sigs)
PY
echo "admin diff clamav: ok"
