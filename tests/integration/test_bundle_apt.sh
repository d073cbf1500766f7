#!/usr/bin/env bash
# Across the air gap with APT, two installs on one machine: the DMZ syncs and exports a signed bundle; the
# inside (its configuration names no URL) imports it, an administrator approves, and a stock apt-get gets
# the upstream's bytes from the inside's sluice-served. Then: the inside never fetches; a replayed bundle
# makes no snapshot; `export --check` on a transit host; a delta after one upstream change carries exactly
# the new objects, both with --since and with the inside's signed acknowledgement (--ack); audit entries.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$SL_SOURCE_DIR/tests/data/diff/apt/fixture.sh"
. "$here/bundle_fixture.sh"
bundle_setup
grep -Eq '^(url|registry) *=' "$in_conf" && sl_fail "the inside's configuration names an upstream"

# ---- DMZ: sync, export; the bundle checks out on a transit host without any sluice state
snap1=$(admin_sync)
vols=$(bundle_export fix --to "$SL_TMP/b1")
[ "$(echo "$vols" | wc -l)" = 1 ] || sl_fail "one volume expected, got: $vols"
seq1=$(export_field sequence)
"$SL_ADMIN" -c "$SL_TMP/no-such.conf" export --check "$vols" --keyring "$SL_TMP/dmz.asc" >"$SL_TMP/check.out" 2>&1 ||
	{ cat "$SL_TMP/check.out"; sl_fail "export --check on a host without a configuration failed"; }
grep -q "ok: bundle $seq1 .*volume 1 of 1, [0-9]* object(s) intact" "$SL_TMP/check.out" || sl_fail "export --check: $(cat "$SL_TMP/check.out")"
rc=0; "$SL_ADMIN" -c "$SL_TMP/no-such.conf" export --check "$vols" >/dev/null 2>&1 || rc=$?
[ $rc = 1 ] || sl_fail "export --check with neither --keyring nor a configuration: exit $rc"
I export --check "$vols" | grep -q "ok: bundle $seq1" || sl_fail "export --check with [import] keyring refused a good bundle"
tar tf "$vols" >"$SL_TMP/members"
[ "$(sed -n '1,3p;$p' "$SL_TMP/members" | tr '\n' ' ')" = "MANIFEST MANIFEST.sig VOLUME END " ] ||
	sl_fail "volume layout: $(tr '\n' ' ' <"$SL_TMP/members")"

# ---- CLI mistakes are refused with a clear message
for args in "fix" "fix --to $SL_TMP/x --ack a --since 1" "fix --to $SL_TMP/x --volume-size 4Q" \
	"fix --to $SL_TMP/x --since 99" "nosuch --to $SL_TMP/x"; do
	rc=0; S export $args >/dev/null 2>"$SL_TMP/err" || rc=$?
	[ $rc = 2 ] || [ $rc = 1 ] || sl_fail "export $args: exit $rc"
	[ -s "$SL_TMP/err" ] || sl_fail "export $args: no message"
done
rc=0; I import 2>/dev/null || rc=$?; [ $rc = 2 ] || sl_fail "import without a path: exit $rc"

# ---- a bundle for a source the inside does not configure (yet): skipped, nothing lands, the bundle stays open
sed 's/^\[source fix\]/[source other]/' "$in_conf" >"$SL_TMP/inside-other.conf"
rc=0; "$SL_ADMIN" -c "$SL_TMP/inside-other.conf" import "$vols" >"$SL_TMP/skip.out" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "fix: skipped: no source 'fix' is configured here" "$SL_TMP/skip.out" ||
	sl_fail "a bundle for an unconfigured source: exit $rc: $(cat "$SL_TMP/skip.out")"
[ "$(in_count)" = 0 ] || sl_fail "a skipped source made a snapshot"

# ---- inside: import -> pending with exactly the DMZ's entries; approve; apt-get gets upstream's bytes
I import "$vols" >"$SL_TMP/imp.out" || { cat "$SL_TMP/imp.out"; sl_fail "import failed"; }
grep -q "fix: pending" "$SL_TMP/imp.out" || sl_fail "no pending snapshot: $(cat "$SL_TMP/imp.out")"
in1=$(in_pending)
[ -n "$in1" ] || sl_fail "import made no pending snapshot"
entries_of S "$snap1" >"$SL_TMP/dmz1.list"
entries_of I "$in1" >"$SL_TMP/in1.list"
cmp -s "$SL_TMP/dmz1.list" "$SL_TMP/in1.list" || sl_fail "the inside's snapshot differs from the DMZ's"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$in_base/apt/fix/dists/stable/InRelease")" = 404 ] ||
	sl_fail "an unapproved import is visible"
I sources | grep -q "last sync .* ok: imported bundle $seq1 of exporter" || sl_fail "sluice sources does not show the import: $(I sources)"
I approve "$in1" --reason "CHG-9 carried across" >/dev/null
client=$SL_TMP/client
apt_fixture_client "$client"
curl -sf -o "$client/keyrings/sluice.asc" "$in_base/keys/sluice.asc"
[ "$(id -u)" -eq 0 ] && chown nobody "$client/keyrings/sluice.asc"
echo "deb [signed-by=$client/keyrings/sluice.asc] $in_base/apt/fix stable main" >"$client/etc/sources.list"
apt_client_run "$client" update >/dev/null
apt_client_run "$client" download alpha echo >/dev/null
cmp "$client/dl/alpha_1.0-1_all.deb" "$up/pool/main/a/alpha/alpha_1.0-1_all.deb" || sl_fail "alpha differs from upstream"
cmp "$client/dl/echo_3.0-1_all.deb" "$up/pool/main/e/echo/echo_3.0-1_all.deb" || sl_fail "echo differs from upstream"

# ---- the inside never fetches: sluice sync refuses, sluice-syncd --once makes no request
rc=0; I sync fix >"$SL_TMP/sync.out" 2>&1 || rc=$?
[ $rc != 0 ] && grep -q "from = bundle" "$SL_TMP/sync.out" || sl_fail "sluice sync of a bundle-fed source: exit $rc"
before=$(wc -l <"$SL_NGINX_DIR/access.log")
"$SL_SYNCD" -c "$in_conf" -f --once >"$SL_TMP/syncd.out" 2>&1 || { cat "$SL_TMP/syncd.out"; sl_fail "syncd --once failed"; }
[ "$(wc -l <"$SL_NGINX_DIR/access.log")" = "$before" ] || sl_fail "the inside's syncd made an upstream request"

# ---- replay: the same bundle again is a no-op, never a new snapshot
n=$(in_count)
I import "$vols" | grep -q "already imported" || sl_fail "a replayed bundle was not recognised"
[ "$(in_count)" = "$n" ] || sl_fail "a replayed bundle made a snapshot"

# ---- delta after one upstream change: exactly the new objects (count and bytes), with --since
ADMIN_FIXTURE_T=$((ADMIN_FIXTURE_T + 60))
admin_fixture_repo "$up" v2
snap2=$(admin_sync)
entries_of S "$snap2" >"$SL_TMP/dmz2.list"
S --json show "$snap1" | python3 -c 'import json,sys; [print(e["sha256"]) for e in json.load(sys.stdin)["entries"]]' | sort -u >"$SL_TMP/old.sha"
S --json show "$snap2" | python3 -c '
import json, sys
old = set(open(sys.argv[1]).read().split())
new = {e["sha256"]: e["size"] for e in json.load(sys.stdin)["entries"] if e["sha256"] not in old}
print(len(new), sum(new.values()))' "$SL_TMP/old.sha" >"$SL_TMP/want"
read -r want_n want_bytes <"$SL_TMP/want"
[ "$want_n" -gt 0 ] || sl_fail "the fixture change added no objects"
vols2=$(bundle_export fix --since "$seq1" --to "$SL_TMP/b2")
[ "$(export_field objects) $(export_field object_bytes)" = "$want_n $want_bytes" ] ||
	sl_fail "delta --since carries $(export_field objects) objects / $(export_field object_bytes) bytes, want $want_n / $want_bytes"
[ "$(tar tf "$vols2" | grep -c '^objects/')" = "$want_n" ] || sl_fail "delta volume holds other objects than the manifest says"

# ---- the same delta from the inside's signed acknowledgement
I ack --to "$SL_TMP/ack1" >/dev/null
grep -q "BEGIN PGP SIGNED MESSAGE" "$SL_TMP/ack1" || sl_fail "the acknowledgement is not signed"
I keys export >"$SL_TMP/inside.asc"
rc=0; S export fix --ack "$SL_TMP/ack1" --to "$SL_TMP/b3" >/dev/null 2>"$SL_TMP/err" || rc=$?
[ $rc = 2 ] && grep -q "ack_keyring" "$SL_TMP/err" || sl_fail "--ack without [export] ack_keyring: exit $rc"
printf '[export]\nack_keyring = %s\n' "$SL_TMP/inside.asc" >>"$conf"
vols3=$(bundle_export fix --ack "$SL_TMP/ack1" --to "$SL_TMP/b3")
[ "$(export_field objects) $(export_field object_bytes)" = "$want_n $want_bytes" ] ||
	sl_fail "delta --ack carries $(export_field objects) objects, want $want_n"
sed 's/^held/hELD/' "$SL_TMP/ack1" >"$SL_TMP/ack-forged"
rc=0; S export fix --ack "$SL_TMP/ack-forged" --to "$SL_TMP/b4" >/dev/null 2>"$SL_TMP/err" || rc=$?
[ $rc = 3 ] && grep -q "not an acknowledgement signed" "$SL_TMP/err" || sl_fail "a forged acknowledgement: exit $rc"

# ---- the inside imports the delta (the ack one: the --since one is then an older sequence)
I import "$vols3" >"$SL_TMP/imp3.out" || { cat "$SL_TMP/imp3.out"; sl_fail "delta import failed"; }
in2=$(in_pending)
[ -n "$in2" ] && [ "$in2" != "$in1" ] || sl_fail "the delta made no new pending snapshot"
entries_of I "$in2" | cmp -s - "$SL_TMP/dmz2.list" || sl_fail "the delta's snapshot differs from the DMZ's"
rc=0; I import "$vols2" >"$SL_TMP/imp2.out" 2>&1 || rc=$?
[ $rc = 3 ] && grep -q "replay refused" "$SL_TMP/imp2.out" || sl_fail "an older bundle after a newer one: exit $rc: $(cat "$SL_TMP/imp2.out")"
I approve "$in2" --reason "CHG-10" >/dev/null
apt_client_run "$client" update >/dev/null
apt_client_run "$client" download foxtrot >/dev/null
cmp "$client/dl/foxtrot_1.0-1_all.deb" "$up/pool/main/f/foxtrot/foxtrot_1.0-1_all.deb" || sl_fail "foxtrot differs"

# ---- audit on both sides
S --json audit | python3 -c "import json,sys; assert sum(e['action'] == 'export' for e in json.load(sys.stdin)) == 3" ||
	sl_fail "the DMZ's audit log lacks the exports"
I --json audit | python3 -c "
import json, sys
imp = [e for e in json.load(sys.stdin) if e['action'] == 'import' and 'skipped' not in e['reason']]
assert len(imp) == 2 and all(e['source'] == 'fix' and 'exporter' in e['reason'] for e in imp), imp" ||
	sl_fail "the inside's audit log lacks the imports"
I audit --verify >/dev/null || sl_fail "the inside's audit chain is broken"
echo "bundle apt: ok"
