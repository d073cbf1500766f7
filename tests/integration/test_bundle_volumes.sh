#!/usr/bin/env bash
# Transfer bundles in several volumes: imported out of order and with one missing, nothing lands until it
# arrives and `import --status` names the missing volume; a volume imported twice is harmless. Then a large
# delta imported under kill -9 at several moments: every attempt leaves nothing partial visible, and
# importing again converges to exactly the DMZ's snapshot with every object intact.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$SL_SOURCE_DIR/tests/data/diff/apt/fixture.sh"
. "$here/bundle_fixture.sh"
bundle_setup
snap1=$(admin_sync)
mapfile -t vols < <(bundle_export fix --to "$SL_TMP/b1" --volume-size 1K)
n=${#vols[@]}
[ "$n" -ge 3 ] || sl_fail "--volume-size 1K made $n volume(s)"
seq1=$(export_field sequence)
for v in "${vols[@]}"; do
	tar tf "$v" >"$SL_TMP/members"
	[ "$(head -n 2 "$SL_TMP/members" | tr '\n' ' ')" = "MANIFEST MANIFEST.sig " ] || sl_fail "$v lacks the signed manifest"
done

# ---- out of order, volume 2 missing, one volume twice: nothing lands
for ((k = n; k >= 1; k--)); do
	[ $k = 2 ] && continue
	I import "${vols[k - 1]}" >"$SL_TMP/imp.out" 2>&1 || { cat "$SL_TMP/imp.out"; sl_fail "volume $k refused"; }
done
I import "${vols[n - 1]}" >/dev/null || sl_fail "a volume imported twice was refused"
grep -q "waiting for volume(s) 2 " "$SL_TMP/imp.out" || sl_fail "the import does not say volume 2 is missing: $(cat "$SL_TMP/imp.out")"
[ "$(in_count)" = 0 ] || sl_fail "a snapshot landed with volume 2 missing"
I import --status >"$SL_TMP/status"
grep -q "missing: volume(s) 2 " "$SL_TMP/status" || sl_fail "import --status does not name volume 2: $(cat "$SL_TMP/status")"
I --json import --status | python3 -c "
import json, sys
d = json.load(sys.stdin)[0]
assert d['state'] == 'receiving' and d['volumes_missing'] == '2' and d['objects_missing'] >= 1, d" ||
	sl_fail "import --status --json"
# Two imports at once: one runs, the other is told (exit 4); never two candidates for one bundle.
( r=0; I import "${vols[1]}" >"$SL_TMP/c1.out" 2>&1 || r=$?; echo $r >"$SL_TMP/c1.rc" ) &
c1=$!
( r=0; I import "${vols[1]}" >"$SL_TMP/c2.out" 2>&1 || r=$?; echo $r >"$SL_TMP/c2.rc" ) &
c2=$!
wait $c1 $c2
codes=$(sort "$SL_TMP/c1.rc" "$SL_TMP/c2.rc" | tr '\n' ' ')
case $codes in
"0 0 " | "0 4 ") ;;
*) cat "$SL_TMP/c1.out" "$SL_TMP/c2.out"; sl_fail "two imports at once exited $codes" ;;
esac
grep -q "another sluice import is running" "$SL_TMP/c1.out" "$SL_TMP/c2.out" || [ "$codes" = "0 0 " ] ||
	sl_fail "the second import is not told why"
[ "$(I --json pending fix | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] ||
	sl_fail "two imports at once made two candidates"
in1=$(in_pending)
[ -n "$in1" ] || sl_fail "nothing landed once every volume arrived: $(cat "$SL_TMP/imp.out")"
entries_of S "$snap1" | cmp -s - <(entries_of I "$in1") || sl_fail "the snapshot from volumes differs from the DMZ's"
I import --status | grep -q "bundle $seq1 .*: imported" || sl_fail "import --status does not show the bundle imported"

# ---- --approved-only: the DMZ's published snapshot, or nothing
rc=0; S export fix --approved-only --to "$SL_TMP/ao" >/dev/null 2>"$SL_TMP/err" || rc=$?
[ $rc = 1 ] && grep -q "no published snapshot" "$SL_TMP/err" || sl_fail "--approved-only without a published snapshot: exit $rc"
S approve "$snap1" --reason "CHG-11" >/dev/null
ao=$(bundle_export fix --approved-only --to "$SL_TMP/ao")
tar xOf "$ao" MANIFEST | grep -q "^source	fix	apt	$snap1	" || sl_fail "--approved-only did not carry the published snapshot"

# ---- a large delta, imported under kill -9
big_deb() {   # NAME MB: an uncompressed .deb of random bytes, fast to build and to hash
	local work
	work=$(mktemp -d "$SL_TMP/deb.XXXXXX")
	mkdir -p "$work/DEBIAN" "$work/usr/share/$1"
	head -c "$(($2 << 20))" /dev/urandom >"$work/usr/share/$1/blob"
	printf 'Package: %s\nVersion: 1.0-1\nArchitecture: all\nMaintainer: t <t@sluice.invalid>\nDescription: big %s\n' \
		"$1" "$1" >"$work/DEBIAN/control"
	mkdir -p "$up/pool/main/${1:0:1}/$1"
	dpkg-deb -Znone --root-owner-group --build "$work" "$up/pool/main/${1:0:1}/$1/${1}_1.0-1_all.deb" >/dev/null
	rm -rf "$work"
}
for p in xray yankee zulu; do big_deb "$p" 40; done
idx=$up/dists/stable/main/binary-$APT_ARCH
(cd "$up" && apt-ftparchive packages pool/main >"$idx/Packages" 2>/dev/null)
rm -f "$idx/Packages.xz" "$idx/Packages.gz"
xz -k -3 "$idx/Packages"
gzip -9nk "$idx/Packages"
ADMIN_FIXTURE_T=$((ADMIN_FIXTURE_T + 120))
apt_fixture_release "$up" stable "$(apt_date $((ADMIN_FIXTURE_T - 7200)))"
apt_fixture_sign "$up" stable upstream
snap2=$(admin_sync)
vol2=$(bundle_export fix --since "$seq1" --to "$SL_TMP/b2")
killed=0
for d in 0.05 0.3 0.8 1.5 2.5 4; do
	"$SL_ADMIN" -c "$in_conf" import "$vol2" >/dev/null 2>&1 &
	pid=$!
	sleep "$d"
	if kill -KILL "$pid" 2>/dev/null; then
		killed=$((killed + 1))
	fi
	wait "$pid" 2>/dev/null || true
	# Whatever instant it died at: the only pending snapshots are whole ones.
	p=$(in_pending)
	if [ -n "$p" ] && [ "$p" != "$in1" ]; then
		entries_of S "$snap2" | cmp -s - <(entries_of I "$p") || sl_fail "a partial snapshot is pending after kill -9 at ${d}s"
	fi
done
[ "$killed" -ge 1 ] || sl_fail "no import was killed mid-way (too fast to test here?)"
sl_log "killed $killed import(s) mid-way"
I import "$vol2" >"$SL_TMP/imp2.out" 2>&1 || { cat "$SL_TMP/imp2.out"; sl_fail "import after kill -9 failed"; }
in2=$(in_pending)
[ -n "$in2" ] && [ "$in2" != "$in1" ] || sl_fail "no new pending snapshot after converging"
entries_of S "$snap2" | cmp -s - <(entries_of I "$in2") || sl_fail "the converged snapshot differs from the DMZ's"
I --json snapshots | python3 -c "
import json, sys
st = [s['state'] for s in json.load(sys.stdin)]
assert 'syncing' not in st and st.count('pending') == 2, st" || sl_fail "snapshots after convergence: $(I snapshots)"
I verify --all >/dev/null || sl_fail "store objects are not intact after kill -9"
python3 -c "
import sqlite3, sys
db = sqlite3.connect('file:$in_state/catalog.db?mode=ro', uri=True)
n = db.execute(\"SELECT count(*) FROM sync_runs WHERE outcome = 'running'\").fetchone()[0]
sys.exit(1 if n else 0)" || sl_fail "an import killed mid-way left its run 'running'"
I import "$vol2" | grep -q "already imported" || sl_fail "the converged bundle is not recorded as imported"
echo "bundle volumes: ok"
