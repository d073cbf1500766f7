#!/usr/bin/env bash
# One-package deltas across the air gap: with an index large enough to be worth patching (400 packages), a
# delta bundle after one upstream package is added carries that package, the new signed Release and patches
# (a few KiB), not the changed indices; the inside rebuilds the upstream's Packages.xz and sluice's own
# indices byte for byte from what it holds, lands exactly the DMZ's snapshot, and a stock apt-get gets the
# new package. An inside that lacks the delta's base lands nothing and says what it needs; `sluice gc`
# there keeps the waiting bundle's objects; once the base arrives, the same delta lands.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$SL_SOURCE_DIR/tests/data/diff/apt/fixture.sh"
. "$here/bundle_fixture.sh"
bundle_setup

# stable becomes a 400-package index (generated); stable-security stays the small fixture's.
idx=$up/dists/stable/main/binary-$APT_ARCH
resign_stable() {
	rm -f "$idx/Packages.xz" "$idx/Packages.gz"
	xz -k -3 "$idx/Packages"
	gzip -9nk "$idx/Packages"
	ADMIN_FIXTURE_T=$((ADMIN_FIXTURE_T + 60))
	apt_fixture_release "$up" stable "$(apt_date $((ADMIN_FIXTURE_T - 7200)))"
	apt_fixture_sign "$up" stable upstream
}
rm -f "$idx"/Packages*
python3 "$SL_SOURCE_DIR/bench/gen_debs.py" "$up" stable "$APT_ARCH" 400 7 >/dev/null
resign_stable
[ "$(stat -c %s "$idx/Packages.xz")" -gt 16384 ] || sl_fail "the generated index is too small to exercise patches"

snap1=$(admin_sync)
vols1=$(bundle_export fix --to "$SL_TMP/b1")
seq1=$(export_field sequence)
tar xOf "$vols1" MANIFEST | grep -q '^delta-of' && sl_fail "a first bundle has no base to be a delta of"
I import "$vols1" >"$SL_TMP/imp1.out" || { cat "$SL_TMP/imp1.out"; sl_fail "full import failed"; }
in1=$(in_pending)
[ -n "$in1" ] || sl_fail "the full bundle made no pending snapshot"

# ---- one package more upstream
admin_fixture_deb zulu 1.0-1 all "$up/pool/main"
pkg=$up/pool/main/z/zulu/zulu_1.0-1_all.deb
[ -f "$pkg" ] || sl_fail "the fixture package was not built"
# gen_debs.py ends its last stanza with one newline; a blank line separates the next.
{ echo; cd "$up" && apt-ftparchive packages pool/main/z/zulu 2>/dev/null; } >>"$idx/Packages"
resign_stable
snap2=$(admin_sync)
entries_of S "$snap2" >"$SL_TMP/dmz2.list"

vols2=$(bundle_export fix --since "$seq1" --to "$SL_TMP/b2")
grep -q "travel as patches the inside rebuilds" "$SL_TMP/export.err" || sl_fail "no patches: $(cat "$SL_TMP/export.err")"
bytes=$(stat -c %s "$vols2")
pkg_bytes=$(stat -c %s "$pkg")
[ "$bytes" -le $((pkg_bytes + 65536)) ] ||
	sl_fail "one-package delta is $bytes bytes, more than the package ($pkg_bytes) + 64 KiB"
tar xOf "$vols2" MANIFEST >"$SL_TMP/m2"
grep -q '^delta-of' "$SL_TMP/m2" || sl_fail "the delta's manifest does not list changes to a base"
grep -q $'^build\t.*\tpack\t' "$SL_TMP/m2" || sl_fail "no compressed index is rebuilt on the inside"
grep -q $'^build\t.*\tpatch\t' "$SL_TMP/m2" || sl_fail "no index is patched on the inside"
echo "delta: $bytes bytes for a $pkg_bytes-byte package; manifest $(wc -c <"$SL_TMP/m2") bytes"
# [export] rebuild_compressed = no: compressed indices travel whole, plain ones still as patches
printf '[export]\nrebuild_compressed = no\n' >>"$conf"
vols2n=$(bundle_export fix --since "$seq1" --to "$SL_TMP/b2n")
tar xOf "$vols2n" MANIFEST | grep -q $'^build\t.*\tpack\t' && sl_fail "rebuild_compressed = no still packs on the inside"
tar xOf "$vols2n" MANIFEST | grep -q $'^build\t.*\tpatch\t' || sl_fail "rebuild_compressed = no: no plain patch either"
[ "$(stat -c %s "$vols2n")" -gt "$bytes" ] || sl_fail "carrying compressed indices whole did not make the delta larger"
sed -i '/^\[export\]$/,$d' "$conf"

# ---- an inside without the base: nothing lands, it says why; gc keeps what the waiting bundle needs
in2_state=$SL_TMP/inside2
sed -e "s|^state_dir = .*|state_dir = $in2_state|" -e '/^listen = /d' "$in_conf" >"$SL_TMP/inside2.conf"
I2() { "$SL_ADMIN" -c "$SL_TMP/inside2.conf" "$@"; }
I2 init >/dev/null
I2 import "$vols2" >"$SL_TMP/i2a.out" 2>&1 || { cat "$SL_TMP/i2a.out"; sl_fail "import of a delta without its base failed hard"; }
grep -q "changes to a snapshot this side does not hold" "$SL_TMP/i2a.out" || sl_fail "no clear message: $(cat "$SL_TMP/i2a.out")"
[ "$(I2 --json snapshots | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ] ||
	sl_fail "a delta without its base made a snapshot"
I2 import --status | grep -q "changes to a snapshot not held here" || sl_fail "import --status does not say the delta waits for its base: $(I2 import --status)"
I2 gc >"$SL_TMP/gc.out" || sl_fail "gc failed"
# every object the waiting bundle carried (patches included, referenced by no snapshot) is still there
tar tf "$vols2" | sed -n 's|^objects/||p' | while read -r sha; do
	[ -f "$in2_state/store/objects/${sha:0:2}/$sha" ] || sl_fail "gc removed $sha of a bundle awaiting its base"
done
I2 import "$vols1" >/dev/null || sl_fail "the base bundle did not import on the second inside"
I2 import "$vols2" >"$SL_TMP/i2b.out" || { cat "$SL_TMP/i2b.out"; sl_fail "the delta did not land once its base arrived"; }
grep -q "rebuilt from patches" "$SL_TMP/i2b.out" || sl_fail "no rebuild reported: $(cat "$SL_TMP/i2b.out")"

# ---- the first inside: the delta lands as exactly the DMZ's snapshot; apt-get gets zulu
I import "$vols2" >"$SL_TMP/imp2.out" || { cat "$SL_TMP/imp2.out"; sl_fail "delta import failed"; }
in2=$(in_pending)
[ -n "$in2" ] && [ "$in2" != "$in1" ] || sl_fail "the delta made no new pending snapshot"
entries_of I "$in2" | cmp -s - "$SL_TMP/dmz2.list" || sl_fail "the delta's snapshot differs from the DMZ's"
I approve "$in2" --reason "CHG-11 one package" >/dev/null
client=$SL_TMP/client
apt_fixture_client "$client"
curl -sf -o "$client/keyrings/sluice.asc" "$in_base/keys/sluice.asc"
[ "$(id -u)" -eq 0 ] && chown nobody "$client/keyrings/sluice.asc"
echo "deb [signed-by=$client/keyrings/sluice.asc] $in_base/apt/fix stable main" >"$client/etc/sources.list"
apt_client_run "$client" update >/dev/null
apt_client_run "$client" download zulu >/dev/null
cmp "$client/dl/$(basename "$pkg")" "$pkg" || sl_fail "zulu differs from upstream"
echo "bundle delta: ok"
