#!/usr/bin/env bash
# A scanner that dies in the middle of a whole sync fails closed. `sluice sync` of an APT source whose one
# package carries a 512 MiB member (ClamAV's own signed test database mirrored as the scan source); while
# the scan runs, every scanning worker is killed with SIGKILL. The sync still ends (the catalogue is
# intact), the package has a blocking scan-error finding, approve refuses (exit 6), nothing was cached as
# a verdict: `sluice scan` scans it again and, with a scanner that lives, clears it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$here/findings_fixture.sh"

www=$SL_TMP/www
findings_upstream "$www"
apt_fixture_key upstream
sl_on_cleanup apt_fixture_keys_cleanup
APT_DEBS=$SL_TMP/debs
w=$SL_TMP/build-big
mkdir -p "$w/DEBIAN" "$w/usr/share/big"
printf 'Package: big\nVersion: 1.0\nArchitecture: all\nMaintainer: sluice tests <t@sluice.invalid>\nDescription: a large member\n' \
	>"$w/DEBIAN/control"
# 512 MiB that zstd stores in a few hundred KiB: one random 128 KiB block, repeated.
head -c 131072 /dev/urandom >"$SL_TMP/block"
for _ in $(seq 4096); do cat "$SL_TMP/block"; done >"$w/usr/share/big/blob"
mkdir -p "$APT_DEBS"
dpkg-deb -Zzstd --root-owner-group --build "$w" "$APT_DEBS/big_1.0_all.deb" >/dev/null
rm -f "$w/usr/share/big/blob"
apt_fixture_repo "$www/apt" stable
apt_fixture_release "$www/apt" stable "$(apt_date -3600)"
apt_fixture_sign "$www/apt" stable upstream
sl_start_nginx "$www"

state=$SL_TMP/state
conf=$SL_TMP/sluice.conf
cat >"$conf" <<CONF
[sluice]
state_dir = $state
[syncd]
retries = 0
[scan]
clamav_source = av
max_filesize = 1G
max_scansize = 1G
CONF
{ findings_av_source; findings_apt_source; } >>"$conf"
S() { "$SL_ADMIN" -c "$conf" "$@"; }
S init >/dev/null
S sync av >"$SL_TMP/av.out" 2>&1 || { cat "$SL_TMP/av.out"; sl_fail "sync of the ClamAV source"; }

# The sync runs in the background; once its snapshot is pending the scan is under way: kill the workers
# (the grandchildren of the sync: sluice -> loader -> workers).
S sync deb >"$SL_TMP/sync.out" 2>&1 &
spid=$!
killed=0
for _ in $(seq 600); do
	if [ -n "$(S --json pending deb 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin) or "")')" ]; then
		for loader in $(pgrep -P "$spid"); do
			for wk in $(pgrep -P "$loader"); do kill -9 "$wk" && killed=$((killed + 1)); done
		done
		[ $killed -gt 0 ] && break
	fi
	kill -0 "$spid" 2>/dev/null || break
	sleep 0.05
done
wait "$spid" || true
[ $killed -gt 0 ] || sl_fail "no scanning worker was found to kill: $(cat "$SL_TMP/sync.out")"
grep -q "verified, pending approval; scanned 1 artifact(s) (0 cached): 1 finding(s), 1 undecided" "$SL_TMP/sync.out" ||
	sl_fail "the sync did not end with the scan error recorded: $(cat "$SL_TMP/sync.out")"
snap=$(S --json pending deb | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
S --json findings "$snap" | python3 -c '
import json, sys
f = json.load(sys.stdin)
assert len(f) == 1 and f[0]["kind"] == "scan-error" and f[0]["blocking"] and f[0]["decision"] is None, f
assert f[0]["artifact"].endswith("big_1.0_all.deb"), f' || sl_fail "no blocking scan-error finding on the package"
rc=0; S approve "$snap" --reason "scanner died" 2>"$SL_TMP/err" || rc=$?
[ $rc = 6 ] && grep -q "scan-error" "$SL_TMP/err" || sl_fail "approve after a scanner crash: exit $rc, want 6"

# Nothing was cached: a rescan scans the package again, and a scanner that lives finds it clean.
rc=0; S scan "$snap" >"$SL_TMP/scan.out" || rc=$?
[ $rc = 0 ] && grep -q "scanned 1 artifact(s) (0 from the verdict cache): 0 finding(s), 0 undecided" "$SL_TMP/scan.out" ||
	sl_fail "rescan after the crash: exit $rc: $(cat "$SL_TMP/scan.out")"
S approve "$snap" --reason "rescanned clean" >/dev/null || sl_fail "approve after a clean rescan"
sl_log "ok"
