#!/usr/bin/env bash
# The scan queue: sluice-syncd's syncs end when their snapshot is pending, and a scanner child of the daemon
# scans it afterwards; approval waits for a scan that ran to its end, whatever left it unscanned. With
# ClamAV's own signed test database (../shared/fixtures/clamav/test-6.cvd) mirrored as the scan source and
# fixture .debs carrying the EICAR test file:
#   - a snapshot that arrived while [scan] was off cannot be approved once the gate is on (exit 6) until
#     it is scanned;
#   - `sluice sync --queue-scan` leaves the snapshot pending and unscanned: approve refuses it (exit 6),
#     `sluice findings` says it is queued;
#   - `sluice-syncd --once` syncs (its sync child logs the scan as queued, before any scan) and its scanner
#     child scans every waiting snapshot: the infected packages' findings appear, the clean approve = auto
#     source is published only after its scan;
#   - a scan cut short (no scan run recorded, findings left behind) leaves the snapshot waiting, and
#     `sluice scan --queued` scans it again without duplicating findings;
#   - across the gap, the inside scans an imported snapshot with its own mirrored databases on arrival and
#     refuses to approve it while its malware findings are undecided.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$here/findings_fixture.sh"
. "$here/bundle_fixture.sh"

www=$SL_TMP/www
findings_upstream "$www"
apt_fixture_key upstream
sl_on_cleanup apt_fixture_keys_cleanup
APT_DEBS=$SL_TMP/debs
findings_deb infected-xz 1.0 xz 1
findings_deb infected-zst 1.0 zstd 1
findings_deb clean 1.0 xz 0
apt_fixture_repo "$www/apt" stable
apt_fixture_release "$www/apt" stable "$(apt_date -3600)"
apt_fixture_sign "$www/apt" stable upstream
APT_DEBS=$SL_TMP/debs-clean
findings_deb tidy 1.0 xz 0
apt_fixture_repo "$www/apt-clean" stable
apt_fixture_release "$www/apt-clean" stable "$(apt_date -3600)"
apt_fixture_sign "$www/apt-clean" stable upstream
sl_start_nginx "$www"

state=$SL_TMP/state
conf=$SL_TMP/sluice.conf
write_conf() {   # SCAN(0/1)
	{
		printf '[sluice]\nstate_dir = %s\n[syncd]\nretries = 0\n' "$state"
		[ "$1" = 1 ] && printf '[scan]\nclamav_source = av\n'
		findings_av_source
		findings_apt_source
		findings_apt_source tidy apt-clean
		printf 'approve = auto\n'
	} >"$conf"
}
S() { "$SL_ADMIN" -c "$conf" "$@"; }
pending_ids() { S --json pending "$1" | python3 -c 'import json,sys; print(" ".join(str(s["id"]) for s in json.load(sys.stdin)))'; }
findings_of() { S --json findings "$1" | python3 -c 'import json,sys; f=json.load(sys.stdin); print(len([x for x in f if x["kind"] == "malware"]))'; }
redate() {   # DIR: a new Release, so the next sync is a new snapshot
	apt_fixture_release "$1" stable "$(apt_date -"$2")"
	apt_fixture_sign "$1" stable upstream
}

# ---- a snapshot that arrived with the gate off is not clean when the gate is on
write_conf 0
S init >/dev/null
S sync av deb >"$SL_TMP/sync0.out" 2>&1 || { cat "$SL_TMP/sync0.out"; sl_fail "syncs without the gate"; }
snap0=$(pending_ids deb)
[ -n "$snap0" ] || sl_fail "no pending snapshot of deb"
write_conf 1
rc=0; S approve "$snap0" --reason "arrived before the gate" 2>"$SL_TMP/err0" || rc=$?
[ $rc = 6 ] || sl_fail "approve of a snapshot never scanned: exit $rc, want 6"
grep -q "has not been scanned for malware yet" "$SL_TMP/err0" || sl_fail "the refusal does not say why: $(cat "$SL_TMP/err0")"

# ---- sluice sync --queue-scan: pending at once, unscanned, not approvable
redate "$www/apt" 1800
S sync --queue-scan deb >"$SL_TMP/sync1.out" 2>&1 || { cat "$SL_TMP/sync1.out"; sl_fail "sync --queue-scan"; }
grep -q "its malware scan is queued" "$SL_TMP/sync1.out" || sl_fail "sync --queue-scan output: $(cat "$SL_TMP/sync1.out")"
grep -q "scanned" "$SL_TMP/sync1.out" && sl_fail "sync --queue-scan scanned: $(cat "$SL_TMP/sync1.out")"
snap1=$(pending_ids deb | tr ' ' '\n' | sort -n | tail -1)
[ "$snap1" != "$snap0" ] || sl_fail "sync --queue-scan made no new snapshot"
S findings "$snap1" | grep -q "queued for sluice-syncd's scanner" || sl_fail "findings does not say the scan is queued"
S pending deb | grep "^$snap1 " | grep -q "MALWARE SCAN QUEUED" || sl_fail "sluice pending does not flag the queued scan"
S --json pending deb | python3 -c "
import json, sys
q = {s['id']: s['scan_queued'] for s in json.load(sys.stdin)}
assert q[$snap1] and q[$snap0], q" || sl_fail "sluice --json pending: scan_queued is not set"
[ "$(findings_of "$snap1")" = 0 ] || sl_fail "a queued snapshot already has findings"
rc=0; S approve "$snap1" --reason "not scanned" 2>"$SL_TMP/err1" || rc=$?
[ $rc = 6 ] || sl_fail "approve of a queued snapshot: exit $rc, want 6"

# ---- the daemon: the syncs end before the scans; its scanner child clears the queue
"$SL_SYNCD" -c "$conf" --once >"$SL_TMP/syncd.log" 2>&1 || { cat "$SL_TMP/syncd.log"; sl_fail "sluice-syncd --once failed"; }
grep -q "tidy.*its malware scan is queued" "$SL_TMP/syncd.log" ||
	sl_fail "the daemon's sync of tidy did not leave its scan to the scanner: $(cat "$SL_TMP/syncd.log")"
awk '/tidy.*its malware scan is queued/ { q = NR } /tidy.*scanned 1 artifact/ { s = NR } END { exit !(q && s && q < s) }' \
	"$SL_TMP/syncd.log" || sl_fail "tidy was not scanned after its sync ended: $(cat "$SL_TMP/syncd.log")"
for s in $snap0 $snap1; do
	[ "$(findings_of "$s")" = 2 ] || sl_fail "snapshot $s: the scanner child did not record the 2 malware findings"
	S findings "$s" | grep -q "^scanned" || sl_fail "snapshot $s has no scan run"
done
S --json pending deb | python3 -c "
import json, sys
assert not any(s['scan_queued'] for s in json.load(sys.stdin))" || sl_fail "scan_queued is still set after the scans"
[ -z "$(pending_ids tidy)" ] || sl_fail "the clean approve = auto source was not published after its scan"
S --json snapshots tidy | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s[0]["state"] == "published", s' || sl_fail "tidy's snapshot is not published"
rc=0; S approve "$snap1" --reason "malware inside" 2>"$SL_TMP/err2" || rc=$?
[ $rc = 6 ] && grep -q "Eicar-Test-Signature" "$SL_TMP/err2" || sl_fail "approve with undecided malware: exit $rc"

# ---- a scan cut short: its findings are there but no scan run; the snapshot waits, a rescan replaces them
sqlite3 "$state/catalog.db" "DELETE FROM scan_runs WHERE snapshot_id = $snap1"
for id in $(S --json findings "$snap1" | python3 -c 'import json,sys; print(" ".join(str(x["id"]) for x in json.load(sys.stdin)))'); do
	S accept "$id" --reason "EICAR test file, SEC-1" >/dev/null
done
rc=0; S approve "$snap1" --reason "cut short" 2>"$SL_TMP/err3" || rc=$?
[ $rc = 6 ] && grep -q "not been scanned" "$SL_TMP/err3" || sl_fail "a snapshot whose scan was cut short was approvable: exit $rc"
S scan --queued >"$SL_TMP/rescan.out" || true
grep -q "deb: snapshot $snap1 verified, pending approval; scanned 0 artifact(s) (3 cached): 2 finding(s), 0 undecided" \
	"$SL_TMP/rescan.out" || sl_fail "scan --queued: $(cat "$SL_TMP/rescan.out")"
[ "$(findings_of "$snap1")" = 2 ] || sl_fail "the rescan duplicated findings"
S scan --queued | grep -q "no snapshot is waiting" || sl_fail "the queue is not empty after scan --queued"
S approve "$snap1" --reason "accepted EICAR, CHG-2" >/dev/null || sl_fail "approve after the rescan and acceptances"

# ---- across the gap: the inside scans on arrival with its own mirrored databases
bundle_inside "[scan]
clamav_source = av
[source av]
type = clamav
from = bundle
databases = test
[source deb]
type = apt
from = bundle
suites = stable
components = main
architectures = $APT_ARCH
keyring = $APT_KEYS/upstream.gpg
approve = manual"
vol=$(bundle_export av deb --to "$SL_TMP/b")
I import "$vol" >"$SL_TMP/imp.out" 2>&1 || true
grep -q "deb: snapshot [0-9]* verified, pending approval; scanned 3 artifact(s) (0 cached): 2 finding(s), 2 undecided" \
	"$SL_TMP/imp.out" || sl_fail "the inside did not scan the import on arrival: $(cat "$SL_TMP/imp.out")"
in_snap=$(in_pending deb)
rc=0; I approve "$in_snap" --reason "inside" 2>"$SL_TMP/err4" || rc=$?
[ $rc = 6 ] && grep -q "Eicar-Test-Signature" "$SL_TMP/err4" || sl_fail "the inside approved an import with undecided malware: exit $rc"
sl_log "ok"
