#!/usr/bin/env bash
# Advisory findings on arrival: two versions of a real Debian package from this host's archive
# (apt-get download pkg=ver; libexpat1 of bookworm and of bookworm-security). The repository first
# serves the older one (synced, approved, published), then the newer one: the new snapshot's advisory
# lists exactly the CVE IDs and the highest urgency of the changelog entries between the two versions
# (computed independently here with dpkg-parsechangelog), in `sluice diff` (text and --json "cves",
# "urgency") and in `sluice findings` (kind advisory, not blocking) — and approval is not blocked by it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"

pkg=${SL_ADVISORY_PKG:-libexpat1}
command -v dpkg-parsechangelog >/dev/null || sl_skip "dpkg-parsechangelog (dpkg-dev) is not installed"
# The lowest and the highest version the configured archive offers (bookworm and bookworm-security).
mapfile -t vers < <(apt-cache madison "$pkg" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}' | sort -u |
	sort -V)
[ ${#vers[@]} -ge 2 ] || sl_skip "the configured archive offers fewer than two versions of $pkg"
old=${vers[0]} new=${vers[${#vers[@]} - 1]}
cache=${SL_BUILD_DIR:-/tmp}/fixture-cache/advisories
mkdir -p "$cache"
for v in "$old" "$new"; do
	ls "$cache/${pkg}_${v/:/%3a}_"*.deb >/dev/null 2>&1 ||
		(cd "$cache" && apt-get download -q "$pkg=$v" >"$cache/download.log" 2>&1) ||
		sl_skip "cannot download $pkg=$v from this host's archive (see $cache/download.log)"
done
old_deb=$(ls "$cache/${pkg}_${old/:/%3a}_"*.deb) new_deb=$(ls "$cache/${pkg}_${new/:/%3a}_"*.deb)

# The oracle: what dpkg's own changelog parser says the newer entries list.
dpkg-deb --fsys-tarfile "$new_deb" | tar -xO "./usr/share/doc/$pkg/changelog.Debian.gz" | zcat >"$SL_TMP/changelog"
want_urgency=$(dpkg-parsechangelog -l "$SL_TMP/changelog" --since "$old" --to "$new" -S Urgency)
dpkg-parsechangelog -l "$SL_TMP/changelog" --since "$old" --to "$new" -S Changes |
	grep -oiE 'CVE-[0-9]{4}-[0-9]{4,7}' | tr a-z A-Z | sort -u >"$SL_TMP/want_cves"
[ -s "$SL_TMP/want_cves" ] || sl_skip "$pkg $old -> $new lists no CVE in its changelog: pick another package"
sl_log "$pkg $old -> $new: $(wc -l <"$SL_TMP/want_cves") CVE(s), urgency $want_urgency"

www=$SL_TMP/www
suite=bookworm-security
APT_DEBS=$SL_TMP/debs
mkdir -p "$APT_DEBS"
cp "$old_deb" "$APT_DEBS/"
apt_fixture_key upstream
sl_on_cleanup apt_fixture_keys_cleanup
apt_fixture_repo "$www/apt" $suite
apt_fixture_release "$www/apt" $suite "$(apt_date -3600)"
apt_fixture_sign "$www/apt" $suite upstream
sl_start_nginx "$www"

state=$SL_TMP/state
conf=$SL_TMP/sluice.conf
cat >"$conf" <<CONF
[sluice]
state_dir = $state
[syncd]
retries = 0
[source deb]
type = apt
url = http://127.0.0.1:$SL_NGINX_PORT/apt
suites = $suite
components = main
architectures = $APT_ARCH
keyring = $APT_KEYS/upstream.gpg
CONF
S() { "$SL_ADMIN" -c "$conf" "$@"; }
pending_id() { S --json pending deb | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'; }

S init >/dev/null
S sync deb >"$SL_TMP/sync1.out" 2>&1 || { cat "$SL_TMP/sync1.out"; sl_fail "first sync failed"; }
snap1=$(pending_id)
# Nothing published yet: nothing is upgraded, so there is no advisory.
[ "$(S --json findings "$snap1")" = "[]" ] || sl_fail "a first snapshot has findings: $(S --json findings "$snap1")"
S approve "$snap1" --reason "baseline" >/dev/null || sl_fail "approving the baseline failed"

# ---- the upstream moves to the newer version
rm -rf "$www/apt/pool" "$APT_DEBS"/*
cp "$new_deb" "$APT_DEBS/"
apt_fixture_repo "$www/apt" $suite
apt_fixture_release "$www/apt" $suite "$(apt_date -1800)"
apt_fixture_sign "$www/apt" $suite upstream
S sync deb >"$SL_TMP/sync2.out" 2>&1 || { cat "$SL_TMP/sync2.out"; sl_fail "second sync failed"; }
snap2=$(pending_id)

S --json diff "$snap2" >"$SL_TMP/diff.json"
python3 - "$SL_TMP/diff.json" "$SL_TMP/want_cves" "$want_urgency" "$pkg" "$old" "$new" <<'PY' ||
import json, sys
d = json.load(open(sys.argv[1]))
want = open(sys.argv[2]).read().split()
up = [c for c in d["changes"] if c["change"] == "upgraded"]
assert len(up) == 1 and up[0]["package"] == sys.argv[4], d
c = up[0]
assert (c["old"], c["new"]) == (sys.argv[5], sys.argv[6]), c
assert sorted(c.get("cves", [])) == want, (sorted(c.get("cves", [])), want)
assert c.get("urgency") == sys.argv[3], c
assert c["security"] is True, c
PY
	sl_fail "diff --json does not carry the changelog's CVEs and urgency"
S diff "$snap2" >"$SL_TMP/diff.txt"
first_cve=$(head -1 "$SL_TMP/want_cves")
grep -A1 "upgraded *$pkg " "$SL_TMP/diff.txt" | grep -q "fixes .*$first_cve.*(urgency $want_urgency)" ||
	sl_fail "the diff's upgrade line does not list the fixes: $(cat "$SL_TMP/diff.txt")"

S --json findings "$snap2" >"$SL_TMP/f.json"
python3 - "$SL_TMP/f.json" "$SL_TMP/want_cves" "$want_urgency" "$pkg" <<'PY' ||
import json, sys
f = json.load(open(sys.argv[1]))
want = open(sys.argv[2]).read().split()
assert len(f) == 1, f
a = f[0]
assert a["kind"] == "advisory" and a["blocking"] is False and a["decision"] is None, a
assert a["artifact"].rsplit("/", 1)[-1].startswith(sys.argv[4] + "_"), a
assert a["member"].endswith("/usr/share/doc/%s/changelog.Debian.gz" % sys.argv[4]), a
got = sorted(t for t in a["detail"].split(" (")[0].split() if t.startswith("CVE-"))
assert got == want, (got, want)
assert "urgency %s" % sys.argv[3] in a["detail"] and "from bookworm-security" in a["detail"], a
PY
	sl_fail "sluice findings does not show the advisory"
S findings "$snap2" | grep -q "advisory .*$first_cve" || sl_fail "human findings output lacks the advisory"
S findings "$snap2" | grep -q UNDECIDED && sl_fail "an advisory is shown as blocking"

# Information only: approval goes through without any decision.
rc=0; S approve "$snap2" --reason "security update" >"$SL_TMP/approve.out" 2>&1 || rc=$?
[ $rc = 0 ] || sl_fail "an advisory blocked approval: exit $rc: $(cat "$SL_TMP/approve.out")"
sl_log "ok"
