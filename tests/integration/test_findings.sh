#!/usr/bin/env bash
# Findings on arrival, with ClamAV's own signed test database (../shared/fixtures/clamav/test-6.cvd, which
# holds Eicar-Test-Signature) mirrored by sluice itself as the scan source. Fixture .debs built with
# dpkg-deb -Zxz and -Zzstd carry the 68-byte EICAR test file in their data tar; a clean one does not.
# Sync -> the findings name exactly the infected packages and members; approve is refused (exit 6); after
# `accept` with reasons it publishes and the audit log holds the reasons; the clean package has no finding;
# a second snapshot with the same packages rescans nothing (verdict cache, count asserted) and inherits the
# acceptances; an acceptance that expired blocks again. Fail closed: a scan source that published nothing
# is a blocking finding, not a pass.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$here/findings_fixture.sh"

# ---- upstreams: ClamAV's test database, and an APT repository with two infected packages and a clean one
www=$SL_TMP/www
findings_upstream "$www"
APT_DEBS=$SL_TMP/debs
findings_deb infected-xz 1.0 xz 1
findings_deb infected-zst 1.0 zstd 1
findings_deb clean 1.0 xz 0
apt_fixture_key upstream
sl_on_cleanup apt_fixture_keys_cleanup
apt_fixture_repo "$www/apt" stable
apt_fixture_release "$www/apt" stable "$(apt_date -3600)"
apt_fixture_sign "$www/apt" stable upstream
sl_start_nginx "$www"

state=$SL_TMP/state
conf=$SL_TMP/sluice.conf
write_conf() {   # CLAMAV-SOURCE-FOR-SCAN
	cat >"$conf" <<CONF
[sluice]
state_dir = $state
[syncd]
retries = 0
[scan]
clamav_source = $1
[source av2]
type = clamav
url = http://127.0.0.1:$SL_NGINX_PORT/clamav
databases = test
approve = manual
CONF
	{ findings_av_source; findings_apt_source; } >>"$conf"
}
S() { "$SL_ADMIN" -c "$conf" "$@"; }
pending_id() { S --json pending deb | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'; }

# ---- fail closed: the scan source has published nothing yet
write_conf av2
S init >/dev/null
S sync deb >"$SL_TMP/sync0.out" 2>&1 || true
snap0=$(pending_id)
S --json findings "$snap0" >"$SL_TMP/f0.json"
python3 - "$SL_TMP/f0.json" <<'PY' || sl_fail "an unpublished scan source did not give one blocking no-database finding"
import json, sys
f = json.load(open(sys.argv[1]))
assert len(f) == 1 and f[0]["kind"] == "no-database" and f[0]["blocking"] and f[0]["decision"] is None, f
assert "no published databases" in f[0]["detail"], f
PY
rc=0; S approve "$snap0" --reason "try" 2>"$SL_TMP/err" || rc=$?
[ $rc = 6 ] || sl_fail "approve with an unscanned snapshot: exit $rc, want 6"
grep -q "no-database" "$SL_TMP/err" || sl_fail "the refusal does not list the finding: $(cat "$SL_TMP/err")"
S reject "$snap0" --reason "not scanned" >/dev/null

# ---- the scan source: sluice's own mirror of ClamAV's test database, auto-approved and published
write_conf av
S sync av >"$SL_TMP/sync-av.out" 2>&1 || { cat "$SL_TMP/sync-av.out"; sl_fail "sync of the ClamAV source failed"; }
grep -q "published" "$SL_TMP/sync-av.out" || sl_fail "the ClamAV source was not auto-published"

# ---- re-date the APT upstream so the next sync is a new snapshot, then sync with the gate on
apt_fixture_release "$www/apt" stable "$(apt_date -1800)"
apt_fixture_sign "$www/apt" stable upstream
S sync deb >"$SL_TMP/sync1.out" 2>&1 || true
grep -q "scanned 3 artifact(s) (0 cached): 2 finding(s), 2 undecided" "$SL_TMP/sync1.out" ||
	sl_fail "sync summary: $(cat "$SL_TMP/sync1.out")"
snap1=$(pending_id)
S --json findings "$snap1" >"$SL_TMP/f1.json"
python3 - "$SL_TMP/f1.json" <<'PY' || sl_fail "findings do not name exactly the infected artifacts and members"
import json, sys
f = json.load(open(sys.argv[1]))
got = sorted((x["kind"], x["artifact"].rsplit("/", 1)[-1], x["member"], x["detail"]) for x in f)
want = sorted([
    ("malware", "infected-xz_1.0_all.deb", "data.tar.xz!usr/share/doc/infected-xz/eicar.com", "Eicar-Test-Signature"),
    ("malware", "infected-zst_1.0_all.deb", "data.tar.zst!usr/share/doc/infected-zst/eicar.com", "Eicar-Test-Signature"),
])
assert [g[:3] for g in got] == [w[:3] for w in want], got
assert all(w[3] in g[3] for g, w in zip(got, want)), got
assert all(x["blocking"] and x["decision"] is None for x in f), f
PY
S findings "$snap1" | grep -q "UNDECIDED" || sl_fail "human findings output does not say UNDECIDED"
rc=0; S approve "$snap1" --reason "CHG-9" 2>"$SL_TMP/err" || rc=$?
[ $rc = 6 ] || sl_fail "approve with undecided malware: exit $rc, want 6"
grep -q "Eicar-Test-Signature" "$SL_TMP/err" || sl_fail "the refusal does not name the signature"
ids=$(python3 -c 'import json,sys; print(" ".join(str(x["id"]) for x in json.load(open(sys.argv[1]))))' "$SL_TMP/f1.json")
rc=0; S accept ${ids%% *} 2>/dev/null || rc=$?
[ $rc = 2 ] || sl_fail "accept without --reason: exit $rc, want 2"
first=1
for id in $ids; do
	if [ $first = 1 ]; then S accept "$id" --reason "EICAR is the AV test file, SEC-77" >/dev/null
	else S accept "$id" --reason "EICAR test file, short exception" --expires 2s >/dev/null; fi
	first=0
done
rc=0; S accept ${ids%% *} --reason again 2>/dev/null || rc=$?
[ $rc = 4 ] || sl_fail "accepting a decided finding: exit $rc, want 4"
S approve "$snap1" --reason "CHG-9 with accepted findings" >/dev/null || sl_fail "approve after accepting failed"
S --json audit | python3 -c '
import json, sys
a = [e for e in json.load(sys.stdin) if e["action"] == "accept-finding"]
assert len(a) == 2 and any("SEC-77" in e["reason"] for e in a), a' || sl_fail "the audit log lacks the acceptances"

# ---- the same packages again: nothing rescanned (verdict cache); acceptances inherited while valid
sleep 3   # the second acceptance (2s) has expired by now
apt_fixture_release "$www/apt" stable "$(apt_date -900)"
apt_fixture_sign "$www/apt" stable upstream
S sync deb >"$SL_TMP/sync2.out" 2>&1 || true
grep -q "scanned 0 artifact(s) (3 cached): 2 finding(s), 1 undecided" "$SL_TMP/sync2.out" ||
	sl_fail "second sync: not answered from the cache, or acceptances not inherited as expected: $(cat "$SL_TMP/sync2.out")"
snap2=$(pending_id)
S --json findings "$snap2" | python3 -c '
import json, sys
f = json.load(sys.stdin)
inh = [x for x in f if x["decision"] == "accepted"]
und = [x for x in f if x["decision"] is None]
assert len(inh) == 1 and inh[0]["carried_from"] > 0 and "SEC-77" in inh[0]["reason"], f
assert len(und) == 1 and und[0]["blocking"], f' || sl_fail "inherited and expired acceptances are wrong"
rc=0; S approve "$snap2" --reason "CHG-10" 2>/dev/null || rc=$?
[ $rc = 6 ] || sl_fail "an expired acceptance did not block again: exit $rc"
# The rescan command: same databases, same findings, still blocking.
rc=0; S scan "$snap2" >"$SL_TMP/scan.out" || rc=$?
[ $rc = 6 ] && grep -q "2 finding(s), 1 undecided" "$SL_TMP/scan.out" || sl_fail "sluice scan: exit $rc: $(cat "$SL_TMP/scan.out")"
sl_log "ok"
